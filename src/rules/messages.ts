/**
 * Every problem the rule-set validator can report, and the console's upload and JSON problems,
 * in English and Chinese: one catalogue, so the console, `rules:check`, the admin API and
 * /healthz say the same thing. A problem is a code and named values (`{ max: 64 }`); each
 * language renders it. The English is what `RuleIssue.message` has always said, byte for byte
 * (tests, scripts and API clients read it); the Chinese is written for an operator from
 * marketing, not for a programmer.
 *
 * @example
 * message('max_chars', { max: 64 }, 'zh') // '最多 64 个字符'
 */
import type { Lang } from '../console/lang'

export type { Lang } from '../console/lang'

/** The named values a message is rendered with (an undefined value is an absent one). */
export type MessageValues = Readonly<Record<string, string | number | undefined>>

/** A problem before it is put into words: what RuleIssue carries and the catalogue renders. */
export interface Problem {
  code: MessageCode
  values: MessageValues
}

type Render = (values: MessageValues) => string
interface Entry {
  en: Render
  zh: Render
}

/** 1,000: the separators the English has always printed for large counts. */
const n = (value: string | number | undefined) => (typeof value === 'number' ? value.toLocaleString('en') : String(value))

const ENGINE_EN = 'which the linear-time regex engine cannot run'
const ENGINE_ZH = '本系统的正则引擎不支持（为保证速度）'
const BUDGET_EN = 'every message may run them all; shorten counted repeats, drop the groups inside them, or use contains rules'
const BUDGET_ZH = '每条消息都可能要把它们全部跑一遍；请缩短计数重复、去掉其中的分组，或改用“包含关键词”规则'

const CATALOGUE = {
  // ------------------------------------------------------------ values of one field
  empty: { en: () => 'must not be empty', zh: () => '不能为空' },
  empty_or_spaces: { en: () => 'must not be empty or only spaces', zh: () => '不能为空，也不能只有空格' },
  max_chars: { en: (v) => `must be at most ${v.max} characters`, zh: (v) => `最多 ${v.max} 个字符` },
  max_bytes: {
    en: (v) => `must be at most ${v.max} bytes (UTF-8)`,
    zh: (v) => `最多 ${v.max} 字节（UTF-8 编码，一个汉字占 3 字节）`,
  },
  min_value: { en: (v) => `must be at least ${v.min}`, zh: (v) => `不能小于 ${v.min}` },
  max_value: { en: (v) => `must be at most ${v.max}`, zh: (v) => `不能大于 ${v.max}` },
  whole_number: { en: () => 'must be a whole number', zh: () => '必须是整数' },
  whole_hours: { en: () => 'must be a whole number of hours', zh: () => '必须是整数（小时）' },
  url_scheme: { en: () => 'must be an http:// or https:// URL', zh: () => '必须是 http:// 或 https:// 开头的网址' },
  url_invalid: { en: () => 'is not a valid URL', zh: () => '不是有效的网址' },
  media_file: {
    en: () => 'is not the name of an uploaded image (64 hex characters, .jpg or .png)',
    zh: () => '不是已上传图片的文件名（64 位十六进制字符，加 .jpg 或 .png）',
  },
  page_path: {
    en: () => 'must be a page path like pages/index/index?foo=bar (no leading /)',
    zh: () => '必须是小程序页面路径，如 pages/index/index?foo=bar（开头不要加 /）',
  },
  appid: { en: () => 'is not an appid (wx + 16 characters)', zh: () => '不是有效的 AppID（wx 加 16 个字符）' },
  datetime_format: {
    en: () => 'must be an ISO date-time with an offset, like 2026-10-01T00:00+08:00',
    zh: () => '必须是带时区的日期时间，如 2026-10-01T00:00+08:00',
  },
  datetime_invalid: { en: () => 'is not a real date-time', zh: () => '不是真实存在的日期时间' },
  interval_format: { en: () => 'must be HH:MM-HH:MM, like 09:00-18:00', zh: () => '必须是“时:分-时:分”，如 09:00-18:00' },
  date_format: { en: () => 'must be a date, YYYY-MM-DD', zh: () => '必须是日期，格式为 YYYY-MM-DD（年-月-日）' },
  at_least_one_entry: { en: () => 'needs at least one entry', zh: () => '至少要有一项' },
  at_least_one_reply: { en: () => 'needs at least one reply', zh: () => '至少要有一条回复' },
  too_many_replies: {
    en: (v) => `has more than ${v.max} replies (WeChat allows 5 sends per message)`,
    zh: (v) => `回复不能超过 ${v.max} 条（微信对每条消息最多允许回复 5 次）`,
  },
  at_least_one_choice: { en: () => 'needs at least one choice', zh: () => '至少要有一个备选回复' },
  too_many_choices: { en: (v) => `has more than ${v.max} choices`, zh: (v) => `备选回复不能超过 ${v.max} 个` },

  // ------------------------------------------------------------ rule ids
  id_format: { en: () => 'must be non-empty, without spaces', zh: () => '不能为空，也不能有空格' },
  id_reserved_default: { en: () => '"default" is reserved for the default reply', zh: () => '"default" 留给默认回复，请换一个' },
  id_reserved_handoff: { en: () => '"handoff" is reserved for the hand-off', zh: () => '"handoff" 留给转人工，请换一个' },
  id_reserved_ai: { en: () => '"ai" is reserved for answers by the model', zh: () => '"ai" 留给 AI 模型的回答，请换一个' },
  id_reserved_rating: {
    en: () => '"rating" is reserved for the answer to a satisfaction rating',
    zh: () => '"rating" 留给满意度评价的回复，请换一个',
  },
  id_reserved_faq: {
    en: () => '"faq:" starts the ids of answers from the knowledge base (reserved)',
    zh: () => '"faq:" 开头的编号留给知识库的回答，请换一个',
  },
  duplicate_id: { en: (v) => `repeats the id of rules[${v.first}]`, zh: (v) => `与 rules[${v.first}] 的编号重复` },

  // ------------------------------------------------------------ shape (valibot's own issues)
  unknown_key: { en: (v) => `unknown key "${v.key}"`, zh: (v) => `不认识的字段 "${v.key}"（检查拼写，或删掉它）` },
  // valibot's expected is the missing key itself ("reply"), which the path already ends with.
  required: { en: (v) => `is required (${v.expected})`, zh: () => '必填，不能缺少这一项' },
  expected: {
    en: (v) => `expected ${v.expected}, received ${v.received}`,
    zh: (v) => `应为 ${typeZh(v.expected)}，实际是 ${typeZh(v.received)}`,
  },
  variant_type: {
    en: (v) => `type must be one of ${v.expected}, not ${v.received}`,
    zh: (v) => `type 必须是 ${typeZh(v.expected)} 之一，不能是 ${typeZh(v.received)}`,
  },
  /** A valibot issue the catalogue has no words for (a new check not yet given a code). */
  invalid: { en: (v) => String(v.detail), zh: () => '这个值不符合要求' },
  json_invalid: { en: (v) => `is not valid JSON (${v.detail})`, zh: (v) => `不是有效的 JSON${jsonWhereZh(String(v.detail))}` },

  // ------------------------------------------------------------ across fields and rules
  rule_count: {
    en: (v) => `has ${n(v.count)} rules, over the limit of ${n(v.max)}`,
    zh: (v) => `共有 ${n(v.count)} 条规则，超过了上限 ${n(v.max)} 条`,
  },
  when_one_kind: {
    en: (v) => `needs exactly one of text, contains, regex, msgtype, event (found ${v.found})`,
    zh: (v) =>
      `需要恰好一种触发条件：text、contains、regex、msgtype 或 event（${v.found === 'none' ? '现在一种也没有' : `现在有 ${String(v.found).split(', ').join('、')}`}）`,
  },
  session_from_needs_event: {
    en: () => 'only goes with "event": "user_enter_tempsession"',
    zh: () => '只能和 "event": "user_enter_tempsession" 一起用',
  },
  once_per_hours_needs_event: {
    en: () => 'only goes with "event": "user_enter_tempsession" (a welcome)',
    zh: () => '只能和 "event": "user_enter_tempsession"（欢迎语）一起用',
  },
  until_before_from: {
    en: (v) => `is not after from (${v.from}): the rule would never apply`,
    zh: (v) => `没有晚于开始时间 from（${v.from}）：这条规则永远不会生效`,
  },
  transfer_on_event: {
    en: () => 'transfer answers user messages only, never events',
    zh: () => '转人工（transfer）只能回复用户发来的消息，不能回复事件',
  },
  transfer_twice: { en: () => 'has more than one transfer', zh: () => '转人工（transfer）最多只能有一个' },
  placeholder_no_regex: {
    en: (v) => `uses {{${v.name}}}, but only a regex rule has groups to fill it`,
    zh: (v) => `用了 {{${v.name}}}，但只有正则规则才有分组可以填进去`,
  },
  placeholder_unknown_group: {
    en: (v) => `uses {{${v.name}}}, which is not a group of the rule's regex`,
    zh: (v) => `用了 {{${v.name}}}，但这条规则的正则里没有这个分组`,
  },
  image_either_or: {
    en: () => 'an image needs exactly one of url, media_id, file',
    zh: () => '图片需要恰好一个：网址、media_id 或上传的图片',
  },
  page_either_or: {
    en: () => 'a miniprogrampage needs exactly one of thumb_url, thumb_media_id, thumb_file',
    zh: () => '小程序卡片的封面图需要恰好一个：网址、media_id 或上传的图片',
  },
  needs_hours: {
    en: () => 'needs office hours: add a top-level "hours" block',
    zh: () => '需要先设置营业时间：在最外层加上 "hours"',
  },

  // ------------------------------------------------------------ office hours
  tz_unknown: {
    en: (v) => `"${v.tz}" is not a time zone this runtime knows (use an IANA name like Asia/Shanghai)`,
    zh: (v) => `"${v.tz}" 不是可识别的时区（请用 IANA 名称，如 Asia/Shanghai）`,
  },
  interval_invalid: {
    en: (v) =>
      `"${v.text}" is not HH:MM-HH:MM with the start before the end, up to 24:00 (an interval across midnight goes on two days: 22:00-24:00, then 00:00-02:00)`,
    zh: (v) =>
      `"${v.text}" 不是有效的时段：格式为“时:分-时:分”，开始早于结束，最晚到 24:00（跨午夜的时段请分两天写：22:00-24:00 和次日 00:00-02:00）`,
  },
  interval_overlap: { en: (v) => `"${v.text}" overlaps ${v.other}`, zh: (v) => `"${v.text}" 与 ${v.other} 的时段重叠` },
  date_invalid: { en: (v) => `"${v.date}" is not a date (YYYY-MM-DD)`, zh: (v) => `"${v.date}" 不是有效的日期（YYYY-MM-DD）` },
  date_in_both: { en: (v) => `${v.date} is also in closed`, zh: (v) => `${v.date} 同时也在休息日（closed）里` },
  makeup_needs_hours: {
    en: () => 'make-up days need hours: set open_hours, or Monday hours in weekly.mon',
    zh: () => '调休上班日需要营业时间：请设置 open_hours，或在 weekly.mon 里填写周一的时间',
  },

  // ------------------------------------------------------------ regexes
  regex_too_long: { en: (v) => `is longer than ${v.max} characters`, zh: (v) => `不能超过 ${v.max} 个字符` },
  regex_invalid: {
    en: (v) => `is not a valid regular expression (${v.detail})`,
    zh: (v) => regexSyntaxZh(String(v.detail)),
  },
  regex_lookahead: { en: (v) => `uses a lookahead ${v.text}…), ${ENGINE_EN}`, zh: (v) => `用了前瞻断言 ${v.text}…)，${ENGINE_ZH}` },
  regex_lookbehind: { en: (v) => `uses a lookbehind ${v.text}…), ${ENGINE_EN}`, zh: (v) => `用了后顾断言 ${v.text}…)，${ENGINE_ZH}` },
  regex_group_name_escaped: {
    en: (v) => `uses an escaped group name (?<${v.name}>…), ${ENGINE_EN}`,
    zh: (v) => `分组名 (?<${v.name}>…) 里用了转义，${ENGINE_ZH}`,
  },
  regex_group_name_twice: {
    en: (v) => `uses the group name <${v.name}> twice, ${ENGINE_EN}`,
    zh: (v) => `分组名 <${v.name}> 用了两次，${ENGINE_ZH}`,
  },
  regex_group_modifier: {
    en: (v) => `uses a group modifier ${v.text}…), ${ENGINE_EN}`,
    zh: (v) => `用了分组修饰符 ${v.text}…)，${ENGINE_ZH}`,
  },
  regex_backreference: { en: (v) => `uses a backreference ${v.text}, ${ENGINE_EN}`, zh: (v) => `用了反向引用 ${v.text}，${ENGINE_ZH}` },
  regex_too_many_states: {
    en: (v) => `unrolls to ${n(v.states)} states, over the limit of ${n(v.max)} (counted repeats multiply: (a{20}){20} is 400 copies of a)`,
    zh: (v) => `展开后有 ${n(v.states)} 个状态，超过了上限 ${n(v.max)}（计数重复会相乘：(a{20}){20} 相当于 400 个 a）`,
  },
  regex_empty_loop: {
    en: () => 'repeats without end a part that can already match nothing, like (a*)* or (.*?)+; drop one of the two repeats',
    zh: () => '对一个本身就能匹配空内容的部分做无限重复，如 (a*)* 或 (.*?)+；请去掉其中一层重复',
  },
  regex_empty_optional: {
    en: () =>
      'makes optional a part that can already match nothing, like (a*)? or (a|){0,3}; drop the ? or the {n,m} (JavaScript gives such parts surprising groups)',
    zh: () => '把一个本身就能匹配空内容的部分设为可选，如 (a*)? 或 (a|){0,3}；请去掉 ? 或 {n,m}（这种写法的分组结果出人意料）',
  },
  regex_count_over: {
    en: (v) => `repeats ${v.written}: counts go up to ${v.max}`,
    zh: (v) => `重复次数 ${v.written} 太大：最多 ${v.max} 次`,
  },
  regex_count_over_any: {
    en: (v) => `repeats ${v.written}: counts go up to ${v.max} (for "any number", write {${v.min},})`,
    zh: (v) => `重复次数 ${v.written} 太大：最多 ${v.max} 次（“任意多次”请写成 {${v.min},}）`,
  },
  regex_budget_alone: {
    en: (v) =>
      `costs up to ${n(v.work)} steps per message (${n(v.perChar)} per character), over the limit of ${n(v.max)} for all regex rules together (${BUDGET_EN})`,
    zh: (v) =>
      `每条消息最多要算 ${n(v.work)} 步（每个字符 ${n(v.perChar)} 步），超过了所有正则规则合计 ${n(v.max)} 步的上限（${BUDGET_ZH}）`,
  },
  regex_budget_together: {
    en: (v) =>
      `costs up to ${n(v.work)} steps per message (${n(v.perChar)} per character), which brings the regex rules to ${n(v.total)} together, over the limit of ${n(v.max)} (${BUDGET_EN})`,
    zh: (v) =>
      `每条消息最多要算 ${n(v.work)} 步（每个字符 ${n(v.perChar)} 步），使正则规则合计达到 ${n(v.total)} 步，超过了上限 ${n(v.max)}（${BUDGET_ZH}）`,
  },

  // ------------------------------------------------------------ the console's uploads
  upload_empty: { en: () => 'no file was chosen', zh: () => '没有选择文件' },
  upload_not_image: { en: () => 'is not a JPEG or PNG image', zh: () => '不是 JPEG 或 PNG 图片' },
  upload_too_large: { en: (v) => `is larger than ${megabytes(v.max)} MB`, zh: (v) => `图片不能超过 ${megabytes(v.max)} MB` },
  media_missing: {
    en: () => 'MEDIA is not bound: images uploaded in the console cannot be stored, shown or sent',
    zh: () => '没有配置图片存储（R2 存储桶 MEDIA）：在控制台上传的图片无法保存、显示或发送。请联系部署的管理员（npm run setup 会创建它）',
  },

  // ------------------------------------------------------------ the console's preview
  preview_at_format: {
    en: (v) => `"${v.text}" is not a date-time with an offset, like 2026-10-01T10:00+08:00`,
    zh: (v) => `"${v.text}" 不是有效的日期时间（北京时间，如 2026-10-01 10:00；留空则按现在预览）`,
  },
} satisfies Record<string, Entry>

export type MessageCode = keyof typeof CATALOGUE

/** Every code, for tests and anything that lists the catalogue. */
export const MESSAGE_CODES = Object.keys(CATALOGUE) as MessageCode[]

/** A problem in words, in the operator's language. */
export function message(code: MessageCode, values: MessageValues, lang: Lang): string {
  const entry: Entry = CATALOGUE[code]
  return entry[lang](values)
}

/**
 * An issue's message in the operator's language, from the catalogue; an issue without a code
 * (built elsewhere from plain text) keeps its message. Takes validate.ts's RuleIssue.
 *
 * @example
 * issueMessage({ message: 'must be at most 64 characters', code: 'max_chars', values: { max: 64 } }, 'zh') // '最多 64 个字符'
 */
export function issueMessage(issue: CodedText, lang: Lang): string {
  return issue.code === undefined ? issue.message : message(issue.code, issue.values ?? {}, lang)
}

/** What issueMessage reads of a RuleIssue (validate.ts imports this module, not the reverse). */
export interface CodedText {
  message: string
  code?: MessageCode | undefined
  values?: MessageValues | undefined
}

/** The English of a problem: what RuleIssue.message and valibot's issue.message hold. */
export function english(problem: Problem): string {
  return message(problem.code, problem.values, 'en')
}

export function problem(code: MessageCode, values: MessageValues = {}): Problem {
  return { code, values }
}

/** 2097152 → "2", 1572864 → "1.5". */
const megabytes = (bytes: string | number | undefined) => String(Math.round((Number(bytes) / 1024 / 1024) * 10) / 10)

/**
 * valibot's type words (`string`, `Object`, `"open" | "closed"`) in Chinese; quoted literals
 * stay as written, since they are what the operator must type.
 */
const TYPE_ZH: Readonly<Record<string, string>> = {
  string: '文本',
  number: '数字',
  boolean: 'true 或 false',
  Object: '对象 {…}',
  Array: '列表 […]',
  undefined: '空',
  null: 'null',
}
function typeZh(text: string | number | undefined): string {
  const words = String(text)
    .replace(/^\((.*)\)$/, '$1')
    .split(' | ')
  return words.map((word) => TYPE_ZH[word] ?? word).join(' 或 ')
}

/** Where V8's JSON.parse stopped, in Chinese (`line 2 column 3` → `（第 2 行第 3 列附近）`); other words are dropped. */
function jsonWhereZh(detail: string): string {
  const line = /line (\d+) column (\d+)/.exec(detail)
  if (line) return `（第 ${line[1]} 行第 ${line[2]} 列附近）`
  const position = /at position (\d+)/.exec(detail)
  if (position) return `（第 ${Number(position[1]) + 1} 个字符附近）`
  if (/end of (JSON )?input/i.test(detail)) return '（内容不完整，可能少了结尾的括号或引号）'
  const token = /Unexpected token '(.+?)'/.exec(detail)
  if (token) return `（多了或错放了 ${token[1]}，检查它前后的逗号、括号和引号）`
  return ''
}

/**
 * V8's syntax errors (workerd and Node alike), the reason after the pattern in
 * `Invalid regular expression: /(/iu: Unterminated group`. A finite list; a reason not in it
 * (another engine) is left out of the Chinese rather than shown in English.
 */
const REGEX_REASONS_ZH: Readonly<Record<string, string>> = {
  'Unterminated group': '括号 ( 没有闭合',
  "Unmatched ')'": '多了一个 )',
  '\\ at end of pattern': '结尾多了一个 \\',
  'Invalid property name': '\\p{…} 里的属性名无效',
  'Invalid escape': '转义写法无效（要匹配符号本身，只在 .*+?()[]{}|^$\\/ 前加 \\）',
  'Invalid decimal escape': '数字转义写法无效',
  'Invalid Unicode escape': 'Unicode 转义写法无效',
  'Nothing to repeat': '重复符号（* + ? {n}）前面没有可重复的内容',
  'Lone quantifier brackets': '有单独的 { 或 }（要匹配花括号本身请写 \\{ 或 \\}）',
  'numbers out of order in {} quantifier': '{} 里的次数前大后小',
  'Incomplete quantifier': '{} 重复次数没写完整',
  'Invalid quantifier': '重复次数写法无效',
  'Invalid group': '分组写法无效',
  'Multiple dashes in flag group': '修饰符分组里有多个 -',
  'Repeated flag in flag group': '修饰符分组里有重复的修饰符',
  'Invalid flag group': '修饰符分组无效',
  'Too many captures': '分组太多',
  'Invalid capture group name': '分组名无效',
  'Duplicate capture group name': '分组名重复',
  'Invalid named reference': '命名引用无效',
  'Invalid named capture referenced': '引用了不存在的分组名',
  'Invalid class escape': '方括号里的转义无效',
  'Invalid property name in character class': '方括号里 \\p{…} 的属性名无效',
  'Invalid character class': '方括号写法无效',
  'Unterminated character class': '方括号 [ 没有闭合',
  'Range out of order in character class': '方括号里的范围前大后小，如 [z-a]',
  'Invalid set operation in character class': '方括号里的集合运算无效',
  'Invalid character in character class': '方括号里有无效的字符',
  'Negated character class may contain strings': '取反的方括号里不能有字符串',
  'Regular expression too large': '正则表达式太大',
  'Maximum call stack size exceeded': '嵌套太深',
  'Stack overflow': '嵌套太深',
  'Cannot be executed in linear time': '无法在线性时间内执行',
}

function regexSyntaxZh(detail: string): string {
  const reason = REGEX_REASONS_ZH[detail.slice(detail.lastIndexOf(': ') + 2)]
  return reason === undefined ? '不是有效的正则表达式' : `不是有效的正则表达式：${reason}`
}
