/**
 * Which view of the bindings an operator's action on a user runs in: the mini program's, or —
 * for a 微信客服 customer — their account's (settings/kf-view.ts), so a reply by hand goes out through
 * kf/send_msg and their export or deletion reaches their object (`kf.<open_kfid>:<openid>`).
 * The record says which (conversations.channel and kf_account, written with their first
 * message); a user it does not know is the mini program's. With D1 down, the action still goes
 * to the mini program's object (logged): operators' actions keep working without the record,
 * as they did before there were two channels; a 微信客服 customer's waits for D1.
 */
import type { Env } from '../settings/env'
import { log } from '../log'
import { first, statement } from '../record/sql'
import { kfEnv } from '../settings/kf-view'

export async function viewOfUser(env: Env, openid: string): Promise<Env> {
  let row: { kf_account: string | null } | null
  try {
    row = await first<{ kf_account: string | null }>(
      env.DB,
      statement("SELECT kf_account FROM conversations WHERE appid = ?1 AND openid = ?2 AND channel = 'kf'", [
        env.WECHAT_APPID ?? '',
        openid,
      ]),
    )
  } catch (error) {
    log.warn('record.channel_unknown', { openid, error: error instanceof Error ? error.message : String(error) })
    return env
  }
  return row?.kf_account ? kfEnv(env, row.kf_account) : env
}
