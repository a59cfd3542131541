/**
 * Announcing a user who has waited too long: DESK_ALERT_MINUTES (default 10), and the text
 * posted once to DESK_ALERT_WEBHOOK — a WeCom group robot's URL takes
 * `{ "msgtype": "text", "text": { "content": … } }`, and so does any URL taking JSON.
 */
import { numberSetting, type Env } from '../settings/env'
import type { DeskRow } from './queue'

export const DEFAULT_DESK_ALERT_MINUTES = 10
/** An announcement that takes longer is given up (and tried again by the alarm). */
const ALERT_TIMEOUT_MS = 5_000

export function deskAlertMinutes(env: Env): number {
  return numberSetting(env, 'DESK_ALERT_MINUTES', DEFAULT_DESK_ALERT_MINUTES)
}

/** What the group reads: who (the openid's end only), how long, and what they said last. */
export function alertText(row: DeskRow, now: number, appid: string): string {
  const minutes = Math.floor((now - row.queued_at) / 60_000)
  const who = `…${row.openid.slice(-6)}`
  return `[kefu-edge] 用户 ${who}（${appid}）已等待人工客服 ${minutes} 分钟：${row.last_text}`
}

export async function postAlert(url: string, content: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'text', text: { content } }),
      signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
    })
    await response.body?.cancel()
    return response.ok ? { ok: true } : { ok: false, reason: `HTTP ${response.status}` }
  } catch (error) {
    return { ok: false, reason: error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network failure' }
  }
}
