/**
 * A planned reply sent to a 微信客服 customer (the Conversation object's delivery, for objects
 * in an account's view: settings/kf-view.ts), through `kf/send_msg`. Before anything leaves, the
 * customer's session state is read: WeChat Work takes sends only in states 0 and 1 (new, or
 * with the bot), so a customer a servicer has taken (3), waiting for one (2) or whose session
 * ended (4) is never sent to — the row fails with 95018, as WeChat Work would answer, and the
 * console shows why. WeChat Work's refusals come back as the WechatApiError delivery already
 * knows (failure.ts), its window codes (95001 five sends, 95002 48 hours) read as the mini
 * program's.
 *
 * Each row's send carries a `msgid` of its own (`kfMsgid`): a msg_send_fail event names it,
 * and it leads back to the row (wecom/pull.ts → the object's `sendFailed`).
 *
 * Text, images, links and mini-program cards go out; their pictures are uploaded to WeChat
 * Work's own media first (wecom/media.ts). A mini program's own media_id means nothing to
 * WeChat Work: such a row fails at once, saying so.
 */
import type { ReplyMessage } from '../replies'
import { appidOf, type Env } from '../settings/env'
import { DEFAULT_TIMEOUT_MS, WechatApiError } from '../wechat/api'
import { KfApiError, KfErrcode } from './api-error'
import { KfClient } from './client'
import type { KfOutgoing } from './types'
import { kfMediaId, type KfMediaHost } from './media'
import { numberSetting, requireSetting } from '../settings/env'
import type { ImageSource } from '../wechat/media'

/** Synthetic: a reply this channel cannot send (a mini program media_id; permanent). */
export const KF_UNSUPPORTED = -1201

export async function sendToKf(env: Env, openid: string, rowId: number, reply: ReplyMessage): Promise<void> {
  const openKfId = env.KEFU_KF_ID ?? ''
  const client = KfClient.fromEnv(env)
  try {
    const { state } = await client.serviceState(openKfId, openid)
    if (state !== 0 && state !== 1) {
      throw new KfApiError({
        api: 'kf/send_msg',
        errcode: KfErrcode.stateForbidsSend,
        errmsg: `session state ${state}: not sent`,
        kind: 'permanent',
      })
    }
    const media: KfMediaHost = {
      client,
      corpid: requireSetting(env, 'WECOM_CORPID'),
      cache: env.CACHE,
      files: env.MEDIA,
      timeoutMs: numberSetting(env, 'WECHAT_API_TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
    }
    const message = await kfMessageOf(reply, media, appidOf(env))
    await client.sendMsg({ touser: openid, openKfId, msgid: kfMsgid(openid, rowId), message })
  } catch (error) {
    if (!(error instanceof KfApiError)) throw error
    // A send the stand-in (or WeChat Work) already has under this msgid was accepted before: a retry after a lost answer.
    if (error.errcode === KfErrcode.duplicateMsgid) return
    throw new WechatApiError({ api: error.api, errcode: error.errcode, errmsg: error.errmsg, kind: error.kind })
  }
}

/** A planned reply in WeChat Work's words; pictures become its media_ids. */
async function kfMessageOf(reply: ReplyMessage, media: KfMediaHost, ownAppid: string): Promise<KfOutgoing> {
  switch (reply.type) {
    case 'text':
      return { msgtype: 'text', text: { content: reply.text } }
    case 'image':
      return { msgtype: 'image', image: { media_id: await kfMediaId(media, pictureOf(reply)) } }
    case 'link':
      return {
        msgtype: 'link',
        link: {
          title: reply.title,
          desc: reply.description,
          url: reply.url,
          thumb_media_id: await kfMediaId(media, { url: reply.thumb_url }),
        },
      }
    case 'miniprogrampage':
      return {
        msgtype: 'miniprogram',
        miniprogram: {
          // The card opens the mini program the rule names, else this one (as custom/send does).
          appid: reply.appid ?? ownAppid,
          title: reply.title,
          pagepath: reply.pagepath,
          thumb_media_id: await kfMediaId(media, pictureOf(reply)),
        },
      }
  }
}

/** Where a reply's picture comes from; a mini program's media_id is refused (WeChat Work has its own). */
function pictureOf(reply: Extract<ReplyMessage, { type: 'image' | 'miniprogrampage' }>): ImageSource {
  if ('url' in reply) return { url: reply.url }
  if ('file' in reply) return { file: reply.file }
  if ('thumb_url' in reply) return { url: reply.thumb_url }
  if ('thumb_file' in reply) return { file: reply.thumb_file }
  throw new KfApiError({
    api: 'kf/send_msg',
    errcode: KF_UNSUPPORTED,
    errmsg: 'a mini program media_id is not WeChat Work media: name the picture by URL or upload it in the console',
    kind: 'permanent',
  })
}

/**
 * The msgid of a row's send: `r<row id>_<16 hex of the customer>` (≤ 32 of [0-9a-zA-Z_-], unique
 * per account as WeChat Work asks). The same for every attempt of the row, so a retry after a
 * lost answer is refused as a repeat rather than sent twice.
 */
export function kfMsgid(externalUserid: string, rowId: number): string {
  return `r${rowId}_${fnv64(externalUserid)}`
}

/** The row a msgid names, when it is one of ours for this customer. */
export function rowOfKfMsgid(externalUserid: string, msgid: string): number | null {
  const match = /^r(\d{1,15})_([0-9a-f]{16})$/.exec(msgid)
  if (!match || match[2] !== fnv64(externalUserid)) return null
  return Number(match[1])
}

/** FNV-1a, 64 bits, hex: a short, stable tag of the customer (not a secret, not a hash anyone relies on). */
function fnv64(text: string): string {
  let hash = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte)
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).padStart(16, '0')
}
