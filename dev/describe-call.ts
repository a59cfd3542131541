/**
 * One readable line for a call the service made to the (fake) WeChat API: what the user
 * would see. Shared by `npm start`, which prints every call, and `npm run chat`, which
 * prints the replies to what you typed.
 */
import { isObject } from './fake-wechat-checks'
import type { FakeCall } from './fake-wechat-types'

const field = (value: unknown, name: string): string => {
  const inner = isObject(value) ? value[name] : undefined
  return typeof inner === 'string' ? inner : ''
}

/** The message itself, e.g. `link "下载 App" https://…`; null for calls that are not sends. */
export function describeSend(body: unknown): string | null {
  if (!isObject(body) || typeof body.msgtype !== 'string') return null
  const content = body[body.msgtype]
  switch (body.msgtype) {
    case 'text':
      return `text: ${field(content, 'content')}`
    case 'image':
      return `image: media_id ${field(content, 'media_id')}`
    case 'link':
      return `link: "${field(content, 'title')}" — ${field(content, 'description')} ${field(content, 'url')}`
    case 'miniprogrampage':
      return `miniprogrampage: "${field(content, 'title')}" → ${field(content, 'pagepath')}`
    default:
      return body.msgtype
  }
}

export function describeCall(call: FakeCall): string {
  // The stand-in also serves the example images the Worker downloads before an upload.
  if (call.path.startsWith('/__fake/images/')) {
    return `[images] served ${call.path.slice('/__fake/images/'.length)} (${call.status ?? 'no answer'})`
  }
  const outcome = call.errcode === 0 ? '' : `  ✗ errcode ${call.errcode ?? call.fault ?? 'none'}`
  const to = call.touser ? ` → ${call.touser}` : ''
  const path = call.path.replace('/cgi-bin/', '')
  if (path === 'message/custom/send') return `[wechat] send${to}: ${describeSend(call.body) ?? '?'}${outcome}`
  if (path.endsWith('/typing')) return `[wechat] typing${to}: ${field(call.body, 'command')}${outcome}`
  if (path === 'media/upload') return `[wechat] media/upload (image)${outcome}`
  if (path === 'stable_token' || path === 'token') return `[wechat] ${path}: access_token issued${outcome}`
  return `[wechat] ${call.method} ${path}${to}${outcome}`
}
