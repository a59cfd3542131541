/**
 * Which view of the bindings an operator's action on a user runs in: the mini program's, or —
 * for a 微信客服 customer — their account's (wecom/view.ts), so a reply by hand goes out through
 * kf/send_msg and their export or deletion reaches their object (`kf.<open_kfid>:<openid>`).
 * The record says which (conversations.channel and kf_account, written with their first
 * message); a user it does not know is the mini program's.
 */
import type { Env } from '../settings/env'
import { first, statement } from '../record/sql'
import { kfEnv } from './view'

export async function viewOfUser(env: Env, openid: string): Promise<Env> {
  const row = await first<{ kf_account: string | null }>(
    env.DB,
    statement("SELECT kf_account FROM conversations WHERE appid = ?1 AND openid = ?2 AND channel = 'kf'", [env.WECHAT_APPID ?? '', openid]),
  )
  return row?.kf_account ? kfEnv(env, row.kf_account) : env
}
