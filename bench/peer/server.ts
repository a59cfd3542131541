/**
 * The peer for `npm run bench` (end to end): co-wechat 2.4.0 on Koa 3, what many WeChat
 * services on Node run today. `node --import tsx bench/peer/server.ts` with PORT and
 * WECHAT_API_BASE in the environment.
 *
 * The handler does the fair equivalent of kefu-edge's push route: the first matching rule of
 * rules/rules.json by an in-order scan (what a hand-written handler does), an empty passive
 * answer (co-wechat's way to say "nothing now", like "success"), and the reply through
 * custom/send after the answer (not awaited, like waitUntil). It keeps nothing durable: no
 * dedup, no outbox, no retry — less work than kefu-edge or the floor Worker do.
 */
import { readFileSync } from 'node:fs'
import Koa from 'koa'
import wechat from 'co-wechat'
import type { RuleSetSource } from '../../src/rules/schema'
import { KEYS } from '../fixtures'
import { naiveRules } from '../rules'
import { textSender } from '../text-sender'

const port = Number(process.env.PORT ?? 0)
const apiBase = process.env.WECHAT_API_BASE ?? ''
const appid = process.env.WECHAT_APPID ?? KEYS.appid
const source = JSON.parse(readFileSync('rules/rules.json', 'utf8')) as RuleSetSource
const rules = naiveRules(source)
const replies = new Map(source.rules.map((rule) => [rule.id, rule.reply]))

const send = textSender({ apiBase, appid, secret: KEYS.secret })

/** The first text reply of the matched rule, `{{n}}` filled from the regex match. */
function replyText(content: string): string | null {
  const matched = rules.match(content)
  if (!matched) return null
  const reply = matched.ruleId === 'default' ? source.default : replies.get(matched.ruleId)
  const first = Array.isArray(reply) ? reply[0] : reply
  if (!first || !('type' in first) || first.type !== 'text') return null
  return first.text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) =>
    String((/^\d+$/.test(key) ? matched.groups?.[Number(key)] : matched.groups?.groups?.[key]) ?? ''),
  )
}

const app = new Koa()
app.use(
  wechat({ token: KEYS.token, appid, encodingAESKey: KEYS.encodingAesKey }).middleware((message) => {
    const openid = String(message.FromUserName ?? '')
    const text = message.MsgType === 'text' ? replyText(String(message.Content ?? '')) : null
    if (text !== null) {
      send(openid, text).catch((error: unknown) => console.error(`custom/send failed: ${String(error)}`))
    }
    return ''
  }),
)
const server = app.listen(port, '127.0.0.1', () => console.log(`co-wechat peer on ${port}`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
