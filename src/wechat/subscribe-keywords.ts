/**
 * The keyword types of a subscribe message's data and the rule each holds its value to. A data
 * key is its type and a number (`thing1`, `number01`, `character_string2`); WeChat refuses a
 * value that breaks its type's rule with 47003 "argument invalid! data.thing1.value invalid".
 * Checking here first lets the operator see which rule, before a send is spent on it.
 *
 * Source, "参数值内容限制说明" (the table, and the notes under it on symbols, times and dates):
 * https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/subscribe-message/api_sendmessage.html
 * (the same table: developers.weixin.qq.com/minigame/dev/api-backend/subscribe-message/api_sendmessage.html).
 *
 * Where the table is loose, the reading taken here:
 * - Characters are code points ("字符" is not defined; WeChat's community answers count a Han
 *   character as one, developers.weixin.qq.com/community/develop/doc/0006aa3d5ac940d2f7eaa3ca756000).
 * - "Letters" are A–Z and a–z, "digits" 0–9. A "symbol" is "a common symbol other than Chinese,
 *   English letters and digits, never a control character such as a line break": here Unicode
 *   punctuation or symbol (P, S) or a plain space.
 * - No value may be empty (WeChat: "data.thing1.value is empty") or hold a control character.
 * - amount: the table asks for one currency sign, yet lets the value end in "元", which reads
 *   as a sign-less 100元; so the sign is optional here (at most one) and WeChat has the last
 *   word. "10位以内纯数字，可带小数" is read as 10 digits in all, the decimals included.
 * - short_thing is not in the table; templates use it (e.g. short_thing1 in template 73339) and
 *   integrations hold it to 5 characters. enum values come from the template's own list
 *   (getTemplateList's keywordEnumValueList), which only WeChat checks.
 */
import { codePointLength } from './body-check'

export interface KeywordType {
  /** The key's prefix, e.g. `thing` for `thing1`. */
  type: string
  /** WeChat's name for it (参数说明); short_thing's, undocumented, is ours. */
  label: string
  /** The rule, one English sentence, as the console shows it. */
  rule: string
  /** Whether WeChat's table lists it (short_thing is known only from use). */
  documented: boolean
}

/** No keyword allows more: bounds the counting and every regex below. */
export const MAX_VALUE_CHARS = 64

const HAN = /^\p{Script=Han}$/u
const LETTER = /^[A-Za-z]$/
const DIGIT = /^[0-9]$/
const SYMBOL = /^[\p{P}\p{S} ]$/u
const CONTROL = /[\p{Cc}\u2028\u2029]/u

const isHan = (c: string) => HAN.test(c)
const isLetter = (c: string) => LETTER.test(c)
const isDigit = (c: string) => DIGIT.test(c)
const isSymbol = (c: string) => SYMBOL.test(c)

// Times and dates, from the notes under the table: "时间格式支持HH:MM:SS或者HH:MM"; dates are
// y年m月d日, y年m月, m月d日, or joined by - / . (2018-01-01, 2018/01/01, 2018.01.01, 2018-01, 01-01).
const CLOCK = '(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?'
const MONTH = '(?:0?[1-9]|1[0-2])'
const DAY = '(?:0?[1-9]|[12][0-9]|3[01])'
const YEAR = '[0-9]{4}'
const DATE = [
  `${YEAR}年${MONTH}月(?:${DAY}日)?`,
  `${MONTH}月${DAY}日`,
  ...['-', '/', '\\.'].map((sep) => `(?:${YEAR}${sep}${MONTH}(?:${sep}${DAY})?|${MONTH}${sep}${DAY})`),
].join('|')
const TIME_POINT = `(?:(?:${DATE}) ?)?${CLOCK}`
const DATE_POINT = `(?:${DATE})(?: ?${CLOCK})?`
/** A time, or two joined by "~" (the second may drop the date: 2019-10-01 09:00~11:00). */
const TIME = new RegExp(`^${TIME_POINT}(?: ?~ ?${TIME_POINT})?$`)
const DATE_VALUE = new RegExp(`^${DATE_POINT}(?: ?~ ?(?:${DATE_POINT}|${CLOCK}))?$`)
const NUMBER = /^[0-9]+(?:\.[0-9]+)?$/
const AMOUNT = /^\p{Sc}?([0-9]+)(?:\.([0-9]+))?元?$/u

interface Rule extends KeywordType {
  /** WeChat's limit in characters, checked before anything else; none: MAX_VALUE_CHARS. */
  maxChars?: number
  /** What else is wrong with a non-empty value within its length, or null. */
  check: (value: string, chars: string[]) => string | null
}

const tooLong = (type: string, max: number, got: number, unit = 'characters') =>
  got > max ? `${type} is at most ${max} ${unit} (got ${got})` : null

function only(type: string, allowed: (c: string) => boolean, what: string) {
  return (_value: string, chars: string[]) => (chars.every(allowed) ? null : `${type} holds only ${what}`)
}

const RULES: readonly Rule[] = [
  {
    type: 'thing',
    label: '事物',
    rule: 'At most 20 characters: Chinese characters, letters, digits or symbols.',
    documented: true,
    maxChars: 20,
    check: () => null,
  },
  {
    type: 'short_thing',
    label: '短事物',
    rule: 'At most 5 characters: Chinese characters, letters, digits or symbols (not in WeChat’s table; the limit integrations use).',
    documented: false,
    maxChars: 5,
    check: () => null,
  },
  {
    type: 'number',
    label: '数字',
    rule: 'At most 32 characters: digits, with at most one decimal point (e.g. 3.5).',
    documented: true,
    maxChars: 32,
    check: (value) => (NUMBER.test(value) ? null : 'number holds only digits, with at most one decimal point (e.g. 3.5)'),
  },
  {
    type: 'letter',
    label: '字母',
    rule: 'At most 32 letters (A–Z, a–z).',
    documented: true,
    maxChars: 32,
    check: only('letter', isLetter, 'the letters A–Z and a–z'),
  },
  {
    type: 'symbol',
    label: '符号',
    rule: 'At most 5 symbols (no Chinese characters, letters or digits).',
    documented: true,
    maxChars: 5,
    check: only('symbol', isSymbol, 'symbols (no Chinese characters, letters or digits)'),
  },
  {
    type: 'character_string',
    label: '字符串',
    rule: 'At most 32 characters: digits, letters or symbols (no Chinese characters).',
    documented: true,
    maxChars: 32,
    check: only('character_string', (c) => isDigit(c) || isLetter(c) || isSymbol(c), 'digits, letters and symbols (no Chinese characters)'),
  },
  {
    type: 'time',
    label: '时间',
    rule: 'A 24-hour time (15:01 or 15:01:30), optionally after a date (2019年10月1日 15:01, 2019-10-01 15:01); a range joins two with ~.',
    documented: true,
    check: (value) => (TIME.test(value) ? null : 'time is a 24-hour time such as 15:01 or 2019-10-01 15:01 (a range joins two with ~)'),
  },
  {
    type: 'date',
    label: '日期',
    rule: 'A date (2019年10月1日, 2019-10-01, 2019/10/01, 2019.10.01, 2019-10, 10-01), optionally with a 24-hour time; a range joins two with ~.',
    documented: true,
    check: (value) =>
      DATE_VALUE.test(value)
        ? null
        : 'date is a date such as 2019-10-01 or 2019年10月1日, optionally with a 24-hour time (a range joins two with ~)',
  },
  {
    type: 'amount',
    label: '金额',
    rule: 'An optional currency sign, at most 10 digits (decimals count), and an optional 元 at the end (e.g. ¥100.50, 100元).',
    documented: true,
    check: (value) => {
      const match = AMOUNT.exec(value)
      if (!match) return 'amount is a currency sign and digits, with optional decimals and 元 at the end (e.g. ¥100.50)'
      const digits = (match[1]?.length ?? 0) + (match[2]?.length ?? 0)
      return tooLong('amount', 10, digits, 'digits')
    },
  },
  {
    type: 'phone_number',
    label: '电话',
    rule: 'At most 17 digits and symbols (e.g. +86-0766-66888866).',
    documented: true,
    maxChars: 17,
    check: only('phone_number', (c) => isDigit(c) || isSymbol(c), 'digits and symbols (e.g. +86-0766-66888866)'),
  },
  {
    type: 'car_number',
    label: '车牌',
    rule: 'At most 8 characters: letters and digits; the first and the last may be Chinese characters (e.g. 粤A8Z888挂).',
    documented: true,
    maxChars: 8,
    check: (_value, chars) =>
      chars.every((c, i) => isLetter(c) || isDigit(c) || ((i === 0 || i === chars.length - 1) && isHan(c)))
        ? null
        : 'car_number holds letters and digits, with a Chinese character allowed only first and last (e.g. 粤A8Z888挂)',
  },
  {
    type: 'name',
    label: '姓名',
    rule: 'At most 10 Chinese characters, or at most 20 letters or symbols; mixed Chinese and letters count as Chinese (10). No digits.',
    documented: true,
    check: (_value, chars) => {
      if (!chars.every((c) => isHan(c) || isLetter(c) || isSymbol(c))) {
        return 'name holds only Chinese characters, letters and symbols (no digits)'
      }
      return chars.some(isHan)
        ? tooLong('name', 10, chars.length, 'characters when it has Chinese characters')
        : tooLong('name', 20, chars.length, 'letters or symbols')
    },
  },
  {
    type: 'phrase',
    label: '汉字',
    rule: 'At most 5 Chinese characters (e.g. 配送中).',
    documented: true,
    maxChars: 5,
    check: only('phrase', isHan, 'Chinese characters (e.g. 配送中)'),
  },
  {
    type: 'enum',
    label: '枚举值',
    rule: 'One of the values the template lists for it (its keywordEnumValueList); WeChat checks the list.',
    documented: true,
    check: () => null,
  },
]

const BY_TYPE = new Map(RULES.map((rule) => [rule.type, rule]))

/** Every keyword type with its rule, in WeChat's table order (short_thing after thing). */
export const KEYWORD_TYPES: readonly KeywordType[] = RULES.map(({ type, label, rule, documented }) => ({
  type,
  label,
  rule,
  documented,
}))

/** `thing1` → `thing`, `character_string02` → `character_string`; null for no such shape. */
const KEY = /^([a-z]+(?:_[a-z]+)*)([0-9]{1,3})$/

export type KeyReading = { ok: true; type: string } | { ok: false; problem: string }

/** The keyword type a data key names, or why the key cannot be sent. */
export function keywordTypeOf(key: string): KeyReading {
  const match = KEY.exec(key)
  if (!match) return { ok: false, problem: 'is not a keyword key (a keyword type and its number, e.g. thing1)' }
  const type = match[1] ?? ''
  if (!BY_TYPE.has(type)) {
    return { ok: false, problem: `"${type}" is not a keyword type WeChat documents (known: ${RULES.map((r) => r.type).join(', ')})` }
  }
  return { ok: true, type }
}

/**
 * What is wrong with `value` for a keyword of `type` (from keywordTypeOf), as
 * `thing is at most 20 characters (got 21)`, or null when it holds. Length is checked before
 * any pattern, and nothing past MAX_VALUE_CHARS is matched at all.
 */
export function keywordProblem(type: string, value: string): string | null {
  const rule = BY_TYPE.get(type)
  if (!rule) return `"${type}" is not a keyword type WeChat documents`
  if (value === '') return `${type} must not be empty`
  const length = codePointLength(value)
  const long = rule.maxChars === undefined ? tooLong(type, MAX_VALUE_CHARS, length) : tooLong(type, rule.maxChars, length)
  if (long) return long
  if (CONTROL.test(value)) return `${type} must not hold control characters such as line breaks`
  return rule.check(value, Array.from(value))
}
