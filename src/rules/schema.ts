/**
 * The rule-set format (version 1), as operators write it in `rules/rules.json`. One valibot
 * schema serves three ends: validation with paths (`validate.ts`), the TypeScript types
 * below, and `rules/schema.json` for editors (`json-schema.ts`). Checks that span fields
 * (one `when` kind per rule, unique ids, `{{1}}` needing a regex) live in `validate.ts`.
 *
 * Length limits: WeChat's customer-service docs name no exact limits; sends over them fail
 * with errcode 45002 or are cut. These are conservative limits that real messages stay
 * within: 2048 bytes of text, 64 characters of title, 120 of description.
 */
import * as v from 'valibot'
import { DATE, INTERVAL, WEEKDAYS } from './hours'
import { foldText } from './normalize'
import { regexProblem } from './regex'
import { sayProblem, says } from './schema-messages'
import { AI_RULE_ID, HANDOFF_RULE_ID, RATING_RULE_ID } from '../replies'
import { APPID } from '../wechat/appid'
import { isRecord } from '../is-record'

export const MAX_REPLIES = 5
export const MAX_TEXT_BYTES = 2048
export const MAX_TITLE = 64
export const MAX_DESCRIPTION = 120
export const MAX_URL = 1024
export const MAX_KEYWORD = 200
/** A year: a Conversation object is deleted after RETENTION_DAYS of quiet anyway. */
export const MAX_ONCE_PER_HOURS = 8760
export const MAX_HANDOFF_AFTER = 100

export const MSG_TYPES = ['text', 'image', 'miniprogrampage'] as const
export const EVENTS = [
  'user_enter_tempsession',
  'subscribe_msg_popup_event',
  'subscribe_msg_change_event',
  'subscribe_msg_sent_event',
] as const
export type MsgType = (typeof MSG_TYPES)[number]
/** How a message came (record/event.ts Channel): the mini program's push, or 微信客服. */
export const CHANNELS = ['miniprogram', 'kf'] as const
export type EventName = (typeof EVENTS)[number]

const nonEmpty = (max: number) => v.pipe(v.string(), v.nonEmpty(says('empty')), v.maxLength(max, says('max_chars', { max: max })))

/** Text WeChat sends as a message: not empty, at most MAX_TEXT_BYTES of UTF-8. */
const SentText = (what: string) =>
  v.pipe(v.string(), v.nonEmpty(says('empty')), v.maxBytes(MAX_TEXT_BYTES, says('max_bytes', { max: MAX_TEXT_BYTES })), v.description(what))

const WholeNumber = (min: number, max: number, what: string) =>
  v.pipe(
    v.number(),
    v.integer(says('whole_number')),
    v.minValue(min, says('min_value', { min: min })),
    v.maxValue(max, says('max_value', { max: max })),
    v.description(what),
  )

const HttpUrl = v.pipe(
  v.string(),
  v.nonEmpty(says('empty')),
  v.maxLength(MAX_URL, says('max_chars', { max: MAX_URL })),
  v.regex(/^https?:\/\/\S+$/i, says('url_scheme')),
  v.url(says('url_invalid')),
)
const MediaId = v.pipe(nonEmpty(128), v.description('A media_id from WeChat (temporary media expire after 3 days).'))

/** An image uploaded in the console, by the name the MEDIA bucket keeps it under (src/media/). */
export const MEDIA_FILE = /^[0-9a-f]{64}\.(jpg|png)$/
const MediaFile = v.pipe(
  v.string(),
  v.regex(MEDIA_FILE, says('media_file')),
  v.description('An image uploaded in the console (kept in the MEDIA bucket), by its name; uploaded to WeChat when first sent.'),
)

const Keyword = v.pipe(
  v.string(),
  v.maxLength(MAX_KEYWORD, says('max_chars', { max: MAX_KEYWORD })),
  v.check((text) => foldText(text) !== '', says('empty_or_spaces')),
)
const Keywords = v.pipe(v.array(Keyword), v.minLength(1, says('at_least_one_entry')))

const Pattern = v.pipe(
  v.string(),
  v.nonEmpty(says('empty')),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    const problem = regexProblem(dataset.value)
    if (problem) addIssue({ message: sayProblem(problem) })
  }),
)

export const WhenSchema = v.pipe(
  v.strictObject({
    text: v.optional(v.pipe(Keywords, v.description('Exact text, any of: compared after trim, NFKC and case folding.'))),
    contains: v.optional(v.pipe(Keywords, v.description('Keywords, any of: the text contains one (after NFKC and case folding).'))),
    regex: v.optional(
      v.pipe(
        Pattern,
        v.description(
          'A JavaScript regular expression, run case-insensitively on texts up to 200 characters; groups fill {{1}} or {{name}} in text replies.',
        ),
      ),
    ),
    msgtype: v.optional(v.pipe(v.picklist(MSG_TYPES), v.description('Any message of this type.'))),
    event: v.optional(v.pipe(v.picklist(EVENTS), v.description('An event; only events named by a rule get a reply.'))),
    session_from: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(MAX_URL, says('max_chars', { max: MAX_URL })),
        v.description('With event user_enter_tempsession: the SessionFrom of the <button open-type="contact"> (exact).'),
      ),
    ),
    channel: v.optional(
      v.pipe(
        v.picklist(CHANNELS),
        v.description(
          "Only messages that came this way: miniprogram (the mini program's customer service) or kf (微信客服). Absent: both.",
        ),
      ),
    ),
  }),
  v.description('Exactly one of text, contains, regex, msgtype, event (event may add session_from); channel narrows any of them.'),
)

const TextReply = v.strictObject({
  type: v.literal('text'),
  text: SentText('The text; {{1}} or {{name}} take regex groups.'),
})
const ImageReply = v.pipe(
  v.strictObject({
    type: v.literal('image'),
    url: v.optional(v.pipe(HttpUrl, v.description('A JPG/PNG the Worker uploads as temporary media.'))),
    media_id: v.optional(MediaId),
    file: v.optional(MediaFile),
  }),
  v.description('An image: url, media_id or file (one of them).'),
)
const LinkReply = v.strictObject({
  type: v.literal('link'),
  title: nonEmpty(MAX_TITLE),
  description: nonEmpty(MAX_DESCRIPTION),
  url: HttpUrl,
  thumb_url: HttpUrl,
})
const PageReply = v.pipe(
  v.strictObject({
    type: v.literal('miniprogrampage'),
    title: nonEmpty(MAX_TITLE),
    pagepath: v.pipe(nonEmpty(MAX_URL), v.regex(/^[^/\s]\S*$/, says('page_path'))),
    appid: v.optional(v.pipe(v.string(), v.regex(APPID, says('appid')))),
    thumb_url: v.optional(HttpUrl),
    thumb_media_id: v.optional(MediaId),
    thumb_file: v.optional(MediaFile),
  }),
  v.description('A mini program card: thumb_url, thumb_media_id or thumb_file (one of them).'),
)
const TransferReply = v.pipe(
  v.strictObject({ type: v.literal('transfer') }),
  v.description('Hand the message to the customer-service tool (user messages only, never events).'),
)

export const ReplySchema = v.variant('type', [TextReply, ImageReply, LinkReply, PageReply, TransferReply])
export const RepliesSchema = v.union([
  ReplySchema,
  v.pipe(
    v.array(ReplySchema),
    v.minLength(1, says('at_least_one_reply')),
    v.maxLength(MAX_REPLIES, says('too_many_replies', { max: MAX_REPLIES })),
  ),
])

export const MAX_RANDOM = 20

/** `{ "random": [ … ] }`: one of the listed replies (each a reply or a list), per message. */
const RandomReply = v.strictObject({
  random: v.pipe(
    v.array(RepliesSchema),
    v.minLength(1, says('at_least_one_choice')),
    v.maxLength(MAX_RANDOM, says('too_many_choices', { max: MAX_RANDOM })),
    v.description('One of these (each a reply or a list of replies) is chosen at random for every message.'),
  ),
})

/**
 * A rule's reply: a reply, a list, or `{ "random": [...] }`. The input picks the branch (an
 * object with `random` is the random form), so a mistake is reported against the shape the
 * operator meant rather than as a union of both; without input (the JSON Schema) it is both.
 */
export const AnyReply = v.union([RepliesSchema, RandomReply])
export const RuleReplySchema = v.lazy((input: unknown) =>
  input === undefined ? AnyReply : isRecord(input) && 'random' in input ? RandomReply : RepliesSchema,
)

const During = v.pipe(
  v.picklist(['open', 'closed']),
  v.description('Only while the office hours (the top-level hours) are open, or only while closed.'),
)

/** An instant as operators write it: ISO 8601 with an offset (no offset would leave the zone a guess). */
export const DateTimeSchema = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)$/, says('datetime_format')),
  v.check((text) => !Number.isNaN(Date.parse(text)), says('datetime_invalid')),
)

export const RuleSchema = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(/^\S+$/, says('id_format')),
    v.maxLength(64, says('max_chars', { max: 64 })),
    v.check((id) => id !== 'default', says('id_reserved_default')),
    v.check((id) => id !== HANDOFF_RULE_ID, says('id_reserved_handoff')),
    v.check((id) => id !== AI_RULE_ID && !id.startsWith(`${AI_RULE_ID}:`), says('id_reserved_ai')),
    v.check((id) => id !== RATING_RULE_ID, says('id_reserved_rating')),
    v.check((id) => !id.startsWith('faq:'), says('id_reserved_faq')),
    v.description('A unique name for the rule; shows in logs as ruleId.'),
  ),
  note: v.optional(v.pipe(v.string(), v.description('A comment for people; ignored.'))),
  enabled: v.optional(v.pipe(v.boolean(), v.description('false keeps the rule in the file without effect.'))),
  during: v.optional(During),
  from: v.optional(v.pipe(DateTimeSchema, v.description('The rule applies from this instant on (inclusive).'))),
  until: v.optional(v.pipe(DateTimeSchema, v.description('The rule applies before this instant (exclusive).'))),
  when: WhenSchema,
  reply: RuleReplySchema,
  once_per_hours: v.optional(
    v.pipe(
      v.number(),
      v.integer(says('whole_hours')),
      v.minValue(1, says('min_value', { min: 1 })),
      v.maxValue(MAX_ONCE_PER_HOURS, says('max_value', { max: MAX_ONCE_PER_HOURS })),
      v.description('With event user_enter_tempsession: answer one user at most once in this many hours (a welcome once a day: 24).'),
    ),
  ),
})

const Interval = v.pipe(v.string(), v.regex(INTERVAL, says('interval_format')))
const Intervals = v.pipe(v.array(Interval), v.description('Local times, start inclusive, end exclusive (up to 24:00).'))
const Dates = v.array(v.pipe(v.string(), v.regex(DATE, says('date_format'))))

export const HoursSchema = v.strictObject({
  tz: v.pipe(v.string(), v.nonEmpty(says('empty')), v.description('An IANA time zone, like Asia/Shanghai.')),
  weekly: v.pipe(
    v.strictObject(
      Object.fromEntries(WEEKDAYS.map((day) => [day, v.optional(Intervals)])) as Record<
        (typeof WEEKDAYS)[number],
        v.OptionalSchema<typeof Intervals, undefined>
      >,
    ),
    v.description('Opening hours per weekday; a day not listed (or []) is closed.'),
  ),
  closed: v.optional(v.pipe(Dates, v.description('Holidays: closed all day, whatever weekly says.'))),
  open: v.optional(v.pipe(Dates, v.description("Make-up working days: open during open_hours (or Monday's hours)."))),
  open_hours: v.optional(v.pipe(Intervals, v.description("The hours of the make-up days in open; Monday's when absent."))),
})

const DefaultEntry = v.strictObject({
  during: v.optional(During),
  reply: RuleReplySchema,
})
const DefaultEntries = v.pipe(
  v.array(DefaultEntry),
  v.minLength(1, says('at_least_one_entry')),
  v.description('Tried in order: the first entry whose during fits (or that has none) answers.'),
)
export const AnyDefault = v.union([RepliesSchema, RandomReply, DefaultEntries])
/** A list whose first item has `reply` is a list of entries; otherwise a reply as in rules. */
export const DefaultSchema = v.lazy((input: unknown) =>
  input === undefined ? AnyDefault : Array.isArray(input) && isRecord(input[0]) && 'reply' in input[0] ? DefaultEntries : RuleReplySchema,
)

export const HandoffSchema = v.strictObject({
  after_unmatched: WholeNumber(
    1,
    MAX_HANDOFF_AFTER,
    'Transfer after this many texts in a row that no rule answered (the default reply counts as unmatched).',
  ),
  text: v.optional(SentText('Sent to the user as the transfer happens, e.g. 正在为您转接人工客服，请稍候.')),
})

/** An FAQ entry whose match scores at least this answers as written (see ai.faq_threshold). */
export const DEFAULT_FAQ_THRESHOLD = 0.6
/** The model is asked only when a passage scores at least this (see ai.passage_threshold). */
export const DEFAULT_PASSAGE_THRESHOLD = 0.2
/** The longest answer the model may write, in characters (see ai.max_answer_chars). */
export const DEFAULT_MAX_ANSWER_CHARS = 300
export const MAX_ANSWER_CHARS = 600
/** Answers by the model per user per day (see ai.daily_budget). */
export const DEFAULT_DAILY_BUDGET = 20
export const MAX_DAILY_BUDGET = 1000
export const MAX_PERSONA_CHARS = 300
/** What the user gets when the model cannot answer and the rule set has no default reply. */
export const DEFAULT_AI_FALLBACK = '抱歉，这个问题我暂时答不上来。您可以换个说法再问一次。'

const Share = (what: string) =>
  v.pipe(v.number(), v.minValue(0, says('min_value', { min: 0 })), v.maxValue(1, says('max_value', { max: 1 })), v.description(what))

/**
 * Answers from the mini program's knowledge base (issue 27), for texts no rule answered: an
 * FAQ entry that clears faq_threshold, else the model with the best passages (when LLM_API_BASE,
 * LLM_MODEL and LLM_API_KEY are set), else the default reply or the hand-off.
 * `{ "enabled": true }` alone is valid: every other field has a default.
 */
export const AiSchema = v.strictObject({
  enabled: v.pipe(v.boolean(), v.description('true: a text no rule answered is looked up in the knowledge base before the default reply.')),
  faq_threshold: v.optional(
    Share(`An FAQ entry whose match scores at least this (0–1) is sent as written; default ${DEFAULT_FAQ_THRESHOLD}.`),
  ),
  passage_threshold: v.optional(
    Share(`The model is asked only when a passage scores at least this (0–1); default ${DEFAULT_PASSAGE_THRESHOLD}.`),
  ),
  persona: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_PERSONA_CHARS, says('max_chars', { max: MAX_PERSONA_CHARS })),
      v.description(
        'Who the model speaks as, e.g. 你是「示例小店」的客服小美，语气亲切。Its rules (answer only from the knowledge base) always apply.',
      ),
    ),
  ),
  max_answer_chars: v.optional(
    WholeNumber(20, MAX_ANSWER_CHARS, `The longest answer the model may send, in characters; default ${DEFAULT_MAX_ANSWER_CHARS}.`),
  ),
  daily_budget: v.optional(
    WholeNumber(
      0,
      MAX_DAILY_BUDGET,
      `Answers by the model per user per day (China time); then the default reply. Default ${DEFAULT_DAILY_BUDGET}.`,
    ),
  ),
  off_hours: v.optional(
    v.pipe(
      v.picklist(['answer', 'fallback']),
      v.description(
        'While the office hours (top-level hours) are closed: answer (the model answers, the default) or fallback (the default reply, as without a model).',
      ),
    ),
  ),
  fallback: v.optional(SentText(`Sent when the model cannot answer and there is no default reply; default ${DEFAULT_AI_FALLBACK}`)),
})

export const DEFAULT_RATING_TEXT = '本次服务已结束，请为我们的服务打分：回复 1–5（5 分最满意）。'
export const DEFAULT_RATING_THANKS = '感谢您的评价！'
export const DEFAULT_RATING_MINUTES = 30

/** After an agent closes a conversation at the human desk (issue 29): ask the user for a rating. */
export const SatisfactionSchema = v.strictObject({
  enabled: v.pipe(
    v.boolean(),
    v.description('true: a conversation an agent closes at the desk asks the user for a rating, inside the window only.'),
  ),
  text: v.optional(SentText(`What the user is asked; default ${DEFAULT_RATING_TEXT}`)),
  minutes: v.optional(WholeNumber(1, 1440, `A reply of 1–5 within this many minutes is the rating; default ${DEFAULT_RATING_MINUTES}.`)),
  thanks: v.optional(SentText(`The answer to a rating; default ${DEFAULT_RATING_THANKS}`)),
})

export const RuleSetSchema = v.strictObject({
  $schema: v.optional(v.string()),
  hours: v.optional(v.pipe(HoursSchema, v.description('Office hours, for rules and defaults with during.'))),
  handoff: v.optional(v.pipe(HandoffSchema, v.description('Hand the user to the customer-service tool after unmatched texts in a row.'))),
  rules: v.pipe(v.array(RuleSchema), v.description('Tried in file order; the first match wins.')),
  default: v.optional(
    v.pipe(DefaultSchema, v.description('The reply to text messages no rule matched; or a list of { during, reply } entries.')),
  ),
  satisfaction: v.optional(
    v.pipe(
      SatisfactionSchema,
      v.description('Ask the user for a rating (1–5) after an agent closes their conversation at the human desk.'),
    ),
  ),
  ai: v.optional(
    v.pipe(
      AiSchema,
      v.description('Answer texts no rule matched from the knowledge base: an FAQ entry that clears faq_threshold, then the model.'),
    ),
  ),
})

export type RuleSetSource = v.InferOutput<typeof RuleSetSchema>
export type RuleSource = v.InferOutput<typeof RuleSchema>
export type WhenSource = v.InferOutput<typeof WhenSchema>
export type ReplySource = v.InferOutput<typeof ReplySchema>
export type RepliesSource = v.InferOutput<typeof RepliesSchema>
export type RuleReplySource = v.InferOutput<typeof AnyReply>
export type DefaultSource = v.InferOutput<typeof AnyDefault>
export type DefaultEntrySource = v.InferOutput<typeof DefaultEntry>
export type HandoffSource = v.InferOutput<typeof HandoffSchema>
export type AiSource = v.InferOutput<typeof AiSchema>
export type SatisfactionSource = v.InferOutput<typeof SatisfactionSchema>
export type HoursSchemaSource = v.InferOutput<typeof HoursSchema>
export type During = 'open' | 'closed'
