/**
 * The rules page's words (pages/rules.tsx), in Chinese and English.
 */
import { DEFAULT_AI_FALLBACK, DEFAULT_DAILY_BUDGET, DEFAULT_MAX_ANSWER_CHARS, DEFAULT_PASSAGE_THRESHOLD, EVENTS } from '../../rules/schema'
import type { Strings } from '../lang'
import type { AiModelField, ChannelDraft, DuringDraft, WhenKind } from '../rule-draft'

export const RULES_STRINGS: Strings<{
  title: string
  readOnly: string
  history: string
  base: string
  noRules: string
  rule: string
  id: string
  note: string
  when: string
  value: string
  valueHint: Record<WhenKind, string>
  kinds: Record<WhenKind, string>
  sessionFrom: string
  disabled: string
  during: string
  durings: Record<DuringDraft, string>
  from: string
  until: string
  dateHint: string
  handoff: string
  handoffAfter: string
  handoffText: string
  handoffHint: string
  oncePerHours: string
  choiceNames: Record<string, string>
  channel: string
  channels: Record<ChannelDraft, string>
  addEntry: string
  up: string
  down: string
  remove: string
  add: string
  toNewRule: string
  fallback: string
  fallbackOn: string
  previewTitle: string
  previewPlaceholder: string
  previewAt: string
  preview: string
  previewNone: string
  previewRule: string
  previewTransfer: string
  previewOnce: (hours: number) => string
  previewHandoff: (count: number) => string
  ai: string
  aiEnabled: string
  aiThreshold: string
  aiHint: string
  aiModel: string
  satisfaction: string
  satisfactionOn: string
  satisfactionText: string
  satisfactionMinutes: string
  satisfactionThanks: string
  aiModelHint: string
  aiFields: Record<AiModelField, string>
  aiPlaceholders: Record<AiModelField, string>
  offHours: Record<'' | 'answer' | 'fallback', string>
  previewKnowledge: (threshold: number) => string
  check: string
  publish: string
  asJson: string
  applyJson: string
  issues: string
  setIssues: string
}> = {
  zh: {
    title: '回复规则',
    readOnly: '你的角色只能查看回复规则：修改、检查、预览和发布需要管理员或所有者。',
    history: '发布历史',
    base: '正在编辑的版本',
    noRules: '还没有规则。',
    rule: '规则',
    id: '规则名（id）',
    note: '备注',
    when: '什么时候回复',
    value: '内容',
    valueHint: {
      text: '每行一个，整句相同才算',
      contains: '每行一个关键词，包含任一个就算',
      regex: '正则表达式',
      msgtype: 'text、image 或 miniprogrampage',
      event: `事件名：${EVENTS.join('、')}`,
    },
    kinds: { text: '消息等于', contains: '消息包含', regex: '正则匹配', msgtype: '消息类型', event: '事件' },
    sessionFrom: '来源（session-from，可不填）',
    disabled: '停用（留在文件里，不生效）',
    during: '时段',
    durings: { '': '任何时候', open: '上班时间', closed: '下班时间' },
    from: '开始（含）',
    until: '结束（不含）',
    dateHint: '开始、结束按北京时间，可不填：活动规则只在这段时间内生效。',
    handoff: '转人工',
    handoffAfter: '连续未匹配几条后转人工（留空：不转）',
    handoffText: '转接时告诉用户',
    handoffHint: '正在为您转接人工客服，请稍候',
    oncePerHours: '同一用户几小时内只回复一次（留空：每次都回复）',
    choiceNames: {
      text: '文字消息',
      image: '图片消息',
      miniprogrampage: '小程序卡片消息',
      user_enter_tempsession: '用户进入客服会话',
      subscribe_msg_popup_event: '订阅消息弹窗',
      subscribe_msg_change_event: '订阅消息变更',
      subscribe_msg_sent_event: '订阅消息发送结果',
    },
    addEntry: '按时段再加一种默认回复',
    channel: '渠道',
    channels: { '': '全部渠道', miniprogram: '仅小程序客服', kf: '仅微信客服' },
    up: '上移',
    down: '下移',
    remove: '删除',
    add: '添加规则',
    toNewRule: '转到新规则',
    fallback: '默认回复（没有规则匹配的文字消息）',
    fallbackOn: '启用默认回复',
    previewTitle: '试一试',
    previewPlaceholder: '输入用户会发的消息',
    previewAt: '时间（北京时间，可不填，默认现在）',
    preview: '预览回复',
    previewNone: '没有回复。',
    previewRule: '命中规则',
    previewTransfer: '转给客服工具',
    previewOnce: (hours) => `同一用户 ${hours} 小时内只收到一次。`,
    previewHandoff: (count) => `若这是该用户连续第 ${count} 条未匹配的消息，将改为转人工客服。`,
    ai: '知识库',
    aiEnabled: '用知识库回答未匹配的问题',
    aiThreshold: '常见问题直接回答的最低匹配度（0–1，留空为 0.6）',
    aiHint:
      '没有规则匹配的文字消息，先在知识库里找：匹配度达到这个值的常见问题，按原样发送它的回答；否则（配置了模型时）由 AI 依据资料回答；再否则发送默认回复（或转人工）。知识库在“知识库”页编辑，可在那里试问。',
    aiModel: 'AI 回答（需要配置模型）',
    satisfaction: '满意度评价',
    satisfactionOn: '人工客服结束会话后，请用户打分（1–5，只在发送窗口内）',
    satisfactionText: '邀请打分的话',
    satisfactionMinutes: '多少分钟内的回复算评分',
    satisfactionThanks: '收到评分后的感谢',
    aiModelHint:
      '常见问题都没达到匹配度时，把知识库里最相关的资料交给模型回答（部署时设置 LLM_API_BASE、LLM_MODEL、LLM_API_KEY）。回答只依据资料，带「内容由第三方AI生成」标识；模型答不上、超时或回答含资料里没有的链接、电话、价格时，发送默认回复。留空为默认值。',
    aiFields: {
      passage_threshold: '资料的最低匹配度（0–1）',
      persona: '人设',
      max_answer_chars: '回答最多字数',
      daily_budget: '每位用户每天最多 AI 回答次数',
      off_hours: '下班时间',
      fallback: '模型答不上且没有默认回复时发送',
    },
    aiPlaceholders: {
      passage_threshold: String(DEFAULT_PASSAGE_THRESHOLD),
      persona: '你是「示例小店」的客服小美，语气亲切。',
      max_answer_chars: String(DEFAULT_MAX_ANSWER_CHARS),
      daily_budget: String(DEFAULT_DAILY_BUDGET),
      off_hours: '',
      fallback: DEFAULT_AI_FALLBACK,
    },
    offHours: { '': '默认：照常回答', answer: '照常由 AI 回答', fallback: '发送默认回复（不用 AI）' },
    previewKnowledge: (threshold) =>
      `没有规则匹配：先查知识库，匹配度 ≥ ${threshold} 的常见问题直接回答；否则有相关资料时由 AI 回答（在“知识库”页试问可看到 AI 的回答）；否则发送下面的回复。`,
    check: '检查',
    publish: '发布',
    asJson: '以 JSON 编辑整个规则集',
    applyJson: '用这段 JSON 替换上面的表单',
    issues: '要先改好这些问题才能发布：',
    setIssues: '规则集',
  },
  en: {
    title: 'Rules',
    readOnly: 'Your role may read the rules only: changing, checking, previewing and publishing them needs the admin or owner role.',
    history: 'Publish history',
    base: 'Editing version',
    noRules: 'No rules yet.',
    rule: 'Rule',
    id: 'Rule name (id)',
    note: 'Note',
    when: 'When to reply',
    value: 'Value',
    valueHint: {
      text: 'One per line; the whole message must equal one',
      contains: 'One keyword per line; the message contains one',
      regex: 'A regular expression',
      msgtype: 'text, image or miniprogrampage',
      event: `An event: ${EVENTS.join(', ')}`,
    },
    kinds: { text: 'Message equals', contains: 'Message contains', regex: 'Regex matches', msgtype: 'Message type', event: 'Event' },
    sessionFrom: 'Session-from (optional)',
    disabled: 'Disabled (kept in the file without effect)',
    during: 'Office hours',
    durings: { '': 'Any time', open: 'While open', closed: 'While closed' },
    from: 'From (inclusive)',
    until: 'Until (exclusive)',
    dateHint: 'From and until in China time, both optional: a campaign rule applies only between them.',
    handoff: 'Hand-off',
    handoffAfter: 'Transfer after this many unmatched texts in a row (empty: never)',
    handoffText: 'Tell the user, as it happens',
    handoffHint: 'Connecting you to a person, one moment please',
    oncePerHours: 'Answer one user at most once in this many hours (empty: every time)',
    choiceNames: {
      text: 'A text',
      image: 'An image',
      miniprogrampage: 'A mini-program card',
      user_enter_tempsession: 'The user opens customer service',
      subscribe_msg_popup_event: 'Subscribe pop-up answered',
      subscribe_msg_change_event: 'Subscription changed',
      subscribe_msg_sent_event: 'Subscribe message sent',
    },
    addEntry: 'Add a default reply for other hours',
    channel: 'Channel',
    channels: { '': 'Both channels', miniprogram: 'Mini program only', kf: '微信客服 only' },
    up: 'Up',
    down: 'Down',
    remove: 'Delete',
    add: 'Add a rule',
    toNewRule: 'Go to the new rule',
    fallback: 'Default reply (text messages no rule matched)',
    fallbackOn: 'Use a default reply',
    previewTitle: 'Try it',
    previewPlaceholder: 'A message a user might send',
    previewAt: 'At (China time; optional, now when empty)',
    preview: 'Preview',
    previewNone: 'No reply.',
    previewRule: 'Rule',
    previewTransfer: 'Handed to the customer-service tool',
    previewOnce: (hours) => `A user gets this at most once every ${hours} h.`,
    previewHandoff: (count) =>
      `If this is the user's ${count}th unmatched text in a row, they are handed to the customer-service tool instead.`,
    ai: 'Knowledge base',
    aiEnabled: 'Answer unmatched questions from the knowledge base',
    aiThreshold: 'Lowest match score for an FAQ answer (0–1; empty: 0.6)',
    aiHint:
      'A text no rule matched is looked up in the knowledge base first: an FAQ entry matching at least this well is sent as written; otherwise (with a model configured) AI answers from the passages; otherwise the default reply (or the hand-off). Edit and try the knowledge base on its page.',
    aiModel: 'Answers by AI (needs a model)',
    satisfaction: 'Satisfaction rating',
    satisfactionOn: 'After an agent closes a conversation, ask the user for a rating (1–5, inside the window only)',
    satisfactionText: 'What the user is asked',
    satisfactionMinutes: 'Minutes a reply counts as the rating',
    satisfactionThanks: 'The thanks for a rating',
    aiModelHint:
      "When no FAQ entry matches well enough, the knowledge base's best passages go to the model (set LLM_API_BASE, LLM_MODEL and LLM_API_KEY when deploying). It answers only from them, with WeChat's AI label; when it cannot answer, times out, or writes a link, phone number or price the passages do not hold, the default reply goes out. Empty: the default.",
    aiFields: {
      passage_threshold: 'Lowest match score for a passage (0–1)',
      persona: 'Persona',
      max_answer_chars: 'Longest answer, in characters',
      daily_budget: 'AI answers per user per day',
      off_hours: 'Outside office hours',
      fallback: 'Sent when the model cannot answer and there is no default reply',
    },
    aiPlaceholders: {
      passage_threshold: String(DEFAULT_PASSAGE_THRESHOLD),
      persona: 'You are the shop’s assistant, friendly and brief.',
      max_answer_chars: String(DEFAULT_MAX_ANSWER_CHARS),
      daily_budget: String(DEFAULT_DAILY_BUDGET),
      off_hours: '',
      fallback: DEFAULT_AI_FALLBACK,
    },
    offHours: { '': 'Default: answer as usual', answer: 'AI answers as usual', fallback: 'The default reply (no AI)' },
    previewKnowledge: (threshold) =>
      `No rule matches: the knowledge base is asked first, and an FAQ entry scoring ${threshold} or more answers; otherwise AI answers when passages fit (try it on the knowledge page); otherwise the reply below.`,
    check: 'Check',
    publish: 'Publish',
    asJson: 'Edit the whole rule set as JSON',
    applyJson: 'Replace the form with this JSON',
    issues: 'Fix these before publishing:',
    setIssues: 'Rule set',
  },
}

export type RulesText = (typeof RULES_STRINGS)['zh']
