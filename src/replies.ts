/**
 * What the service decides to answer a message with: produced by the rule engine, recorded
 * by the Conversation Durable Object, delivered through the WeChat API client. Field names
 * follow the rule-set format (snake_case, as operators write them in rules.json).
 */

export type ReplyMessage =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string }
  | { type: 'image'; media_id: string }
  /** An image uploaded in the console, by its name in the MEDIA bucket. */
  | { type: 'image'; file: string }
  | { type: 'link'; title: string; description: string; url: string; thumb_url: string }
  | {
      type: 'miniprogrampage'
      title: string
      pagepath: string
      /** Defaults to the mini program's own AppID. */
      appid?: string
      thumb_url: string
    }
  | {
      type: 'miniprogrampage'
      title: string
      pagepath: string
      appid?: string
      thumb_media_id: string
    }
  | {
      type: 'miniprogrampage'
      title: string
      pagepath: string
      appid?: string
      thumb_file: string
    }

export interface ReplyPlan {
  /** The rule that matched, `default` for the default reply, null when nothing matched. */
  ruleId: string | null
  /** The version of the rule set the decision was made with. */
  ruleSetVersion: string
  /** Answer the push itself with `transfer_customer_service`. */
  transfer: boolean
  /** Customer-service messages to send, in order (each one counts against the window). */
  sends: ReplyMessage[]
  /** The rule answers one user at most once in this many hours (`once_per_hours`). */
  oncePerHours?: number
  /** A text no rule answered, in a rule set with a hand-off: the Conversation counts them in a row. */
  handoff?: Handoff
  /**
   * The model answers (ruleId `ai`; `sends` is empty): the Conversation queues the request
   * and writes the answer after "success", or the fallback when it cannot (src/ai/).
   */
  ai?: AiRequest
}

/** What the model is asked with, kept in the outbox until it has answered. */
export interface AiRequest {
  question: string
  /** The knowledge base's best passages for the question, best first. */
  passages: { id: string; title: string; text: string }[]
  persona: string
  maxChars: number
  /** Answers by the model per user per day; then the fallback. */
  dailyBudget: number
  /** What the user gets when the model cannot answer: the rules' own plan (the default reply), or the ai fallback text. */
  fallback: [ReplyMessage, ...ReplyMessage[]]
  /** The rule id a fallback decided before asking (the daily budget spent) is recorded under: `default`, or `ai:fallback`. */
  fallbackRuleId: string
}

/** The rule set's `handoff`: after this many unmatched texts in a row, transfer, saying so first. */
export interface Handoff {
  afterUnmatched: number
  text: string | null
}

/** The rule id recorded for a transfer made by the hand-off (reserved: no rule may take it). */
export const HANDOFF_RULE_ID = 'handoff'

/** The rule id of an answer by the model (reserved); its fallback is recorded as `ai:fallback`. */
export const AI_RULE_ID = 'ai'
export const AI_FALLBACK_RULE_ID = 'ai:fallback'

/** The rule id of the thanks for a satisfaction rating (reserved). */
export const RATING_RULE_ID = 'rating'
