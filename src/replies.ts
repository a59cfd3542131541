/**
 * What the service decides to answer a message with: produced by the rule engine, recorded
 * by the Conversation Durable Object, delivered through the WeChat API client. Field names
 * follow the rule-set format (snake_case, as operators write them in rules.json).
 */

export type ReplyMessage =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string }
  | { type: 'image'; media_id: string }
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

export interface ReplyPlan {
  /** The rule that matched, `default` for the default reply, null when nothing matched. */
  ruleId: string | null
  /** The version of the rule set the decision was made with. */
  ruleSetVersion: string
  /** Answer the push itself with `transfer_customer_service`. */
  transfer: boolean
  /** Customer-service messages to send, in order (each one counts against the window). */
  sends: ReplyMessage[]
}
