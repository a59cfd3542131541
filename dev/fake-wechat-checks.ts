/**
 * How strictly the fake WeChat API reads request bodies: the field names WeChat documents,
 * nothing else, with the errcodes WeChat answers. Pure functions: a body in, an error or null.
 */

export interface WxError {
  errcode: number
  errmsg: string
}

export const wxError = (errcode: number, errmsg: string): WxError => ({ errcode, errmsg })

type Json = Record<string, unknown>

const OPENID = /^[A-Za-z0-9_-]{6,64}$/
/** Reported limit on text content (undocumented; community reports ~2048 bytes). */
export const TEXT_MAX_BYTES = 2048

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every key of `value` is in `allowed`, every key in `required` is a non-empty string. */
function exactStrings(value: unknown, required: string[], optional: string[] = []): string | null {
  if (!isObject(value)) return 'not an object'
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) return `unknown field ${key}`
  }
  for (const key of required) {
    if (typeof value[key] !== 'string' || value[key] === '') return `missing ${key}`
  }
  for (const key of optional) {
    if (key in value && typeof value[key] !== 'string') return `bad ${key}`
  }
  return null
}

const dataFormat = (hint: string) => wxError(47001, `data format error hint: [${hint}]`)

function checkTouser(body: Json): WxError | null {
  const touser = body.touser
  if (typeof touser !== 'string' || !OPENID.test(touser)) return wxError(40003, 'invalid openid')
  return null
}

export interface MessageRefs {
  /** media_ids the message refers to; the server checks they were issued to this appid. */
  mediaIds: string[]
}

const CUSTOM_FIELDS: Record<string, { required: string[]; optional?: string[]; media?: string }> = {
  text: { required: ['content'] },
  image: { required: ['media_id'], media: 'media_id' },
  link: { required: ['title', 'description', 'url', 'thumb_url'] },
  miniprogrampage: {
    required: ['title', 'pagepath', 'thumb_media_id'],
    optional: ['appid'],
    media: 'thumb_media_id',
  },
}

/** custom/send: touser, msgtype and exactly the object msgtype names. */
export function checkCustomSend(body: Json): WxError | MessageRefs {
  const touserError = checkTouser(body)
  if (touserError) return touserError
  const msgtype = body.msgtype
  if (typeof msgtype !== 'string') return dataFormat('missing msgtype')
  const spec = CUSTOM_FIELDS[msgtype]
  if (!spec) return wxError(40008, 'invalid message type')
  for (const key of Object.keys(body)) {
    if (key !== 'touser' && key !== 'msgtype' && key !== msgtype && key !== 'aimsgcontext') return dataFormat(`unknown field ${key}`)
  }
  // The AI label: { "is_ai_msg": 0 | 1 } and nothing else (kf-message/api_sendcustommessage).
  if ('aimsgcontext' in body) {
    const label = body.aimsgcontext
    if (!isObject(label) || Object.keys(label).some((key) => key !== 'is_ai_msg') || (label.is_ai_msg !== 0 && label.is_ai_msg !== 1)) {
      return dataFormat('aimsgcontext: expected { "is_ai_msg": 0 | 1 }')
    }
  }
  const content = body[msgtype]
  const problem = exactStrings(content, spec.required, spec.optional)
  if (problem) return dataFormat(`${msgtype}: ${problem}`)
  const fields = content as Json
  if (msgtype === 'text' && Buffer.byteLength(String(fields.content)) > TEXT_MAX_BYTES) {
    return wxError(45002, 'content size out of limit')
  }
  return { mediaIds: spec.media ? [String(fields[spec.media])] : [] }
}

export function checkTyping(body: Json): WxError | null {
  const touserError = checkTouser(body)
  if (touserError) return touserError
  for (const key of Object.keys(body)) {
    if (key !== 'touser' && key !== 'command') return dataFormat(`unknown field ${key}`)
  }
  if (body.command !== 'Typing' && body.command !== 'CancelTyping') return wxError(45072, 'invalid command')
  return null
}

const SUBSCRIBE_KEYS = ['touser', 'template_id', 'page', 'data', 'miniprogram_state', 'lang']
const STATES = ['developer', 'trial', 'formal']
const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW']

export function checkSubscribeSend(body: Json): WxError | null {
  for (const key of Object.keys(body)) {
    if (!SUBSCRIBE_KEYS.includes(key)) return dataFormat(`unknown field ${key}`)
  }
  const touserError = checkTouser(body)
  if (touserError) return touserError
  const templateError = checkTemplateId(body.template_id)
  if (templateError) return templateError
  if (body.page !== undefined && (typeof body.page !== 'string' || body.page.startsWith('/'))) {
    return wxError(41030, 'invalid page')
  }
  if (body.miniprogram_state !== undefined && !STATES.includes(String(body.miniprogram_state))) {
    return wxError(47003, 'argument invalid! miniprogram_state')
  }
  if (body.lang !== undefined && !LANGS.includes(String(body.lang))) {
    return wxError(47003, 'argument invalid! lang')
  }
  if (!isObject(body.data) || Object.keys(body.data).length === 0) {
    return wxError(47003, 'argument invalid! data')
  }
  for (const [key, entry] of Object.entries(body.data)) {
    if (exactStrings(entry, ['value'])) return wxError(47003, `argument invalid! data.${key}.value`)
  }
  return null
}

function checkTemplateId(templateId: unknown): WxError | null {
  if (typeof templateId !== 'string' || !/^[\w-]{10,}$/.test(templateId)) return wxError(40037, 'invalid template_id')
  return null
}

const UNIFORM_KEYS = ['touser', 'weapp_template_msg', 'mp_template_msg']
const MP_TEMPLATE_KEYS = ['appid', 'template_id', 'url', 'miniprogram', 'data']

/**
 * uniform_send: touser and mp_template_msg, an Official Account template message. The mini
 * program half, weapp_template_msg, is retired: WeChat answers it 45103 "This API has been
 * unsupported" (developers.weixin.qq.com/community/develop/doc/000e661b750fd0329b2caa4685bc00).
 */
export function checkUniformSend(body: Json): WxError | null {
  for (const key of Object.keys(body)) {
    if (!UNIFORM_KEYS.includes(key)) return dataFormat(`unknown field ${key}`)
  }
  const touserError = checkTouser(body)
  if (touserError) return touserError
  if (body.weapp_template_msg !== undefined) return wxError(45103, 'This API has been unsupported')
  const mp = body.mp_template_msg
  if (!isObject(mp)) return dataFormat('missing mp_template_msg')
  for (const key of Object.keys(mp)) {
    if (!MP_TEMPLATE_KEYS.includes(key)) return dataFormat(`mp_template_msg: unknown field ${key}`)
  }
  if (typeof mp.appid !== 'string' || !APPID.test(mp.appid)) return wxError(40013, 'invalid appid')
  const templateError = checkTemplateId(mp.template_id)
  if (templateError) return templateError
  if (mp.url !== undefined && typeof mp.url !== 'string') return dataFormat('mp_template_msg: bad url')
  if (mp.miniprogram !== undefined) {
    const problem = exactStrings(mp.miniprogram, ['appid'], ['pagepath'])
    if (problem) return dataFormat(`mp_template_msg.miniprogram: ${problem}`)
    if (!APPID.test(String((mp.miniprogram as Json).appid))) return wxError(40013, 'invalid appid')
  }
  if (!isObject(mp.data) || Object.keys(mp.data).length === 0) return dataFormat('mp_template_msg: missing data')
  for (const [key, entry] of Object.entries(mp.data)) {
    // An Official Account keyword may be empty (a blank remark), unlike a subscribe value.
    const fields = isObject(entry) ? Object.keys(entry) : null
    if (!fields || fields.some((field) => field !== 'value' && field !== 'color')) {
      return dataFormat(`mp_template_msg.data.${key}: unknown field`)
    }
    const { value, color } = entry as Json
    if (typeof value !== 'string' || (color !== undefined && typeof color !== 'string')) {
      return dataFormat(`mp_template_msg.data.${key}: value and color are strings`)
    }
  }
  return null
}

export interface StableTokenRequest {
  appid: string
  secret: string
  forceRefresh: boolean
}

const APPID = /^wx[0-9a-zA-Z]{16}$/

export function checkStableToken(body: Json): WxError | StableTokenRequest {
  for (const key of Object.keys(body)) {
    if (!['grant_type', 'appid', 'secret', 'force_refresh'].includes(key)) return dataFormat(`unknown field ${key}`)
  }
  if (body.grant_type !== 'client_credential') return wxError(40002, 'invalid grant_type')
  if (typeof body.appid !== 'string' || body.appid === '') return wxError(41002, 'appid missing')
  if (!APPID.test(body.appid)) return wxError(40013, 'invalid appid')
  if (typeof body.secret !== 'string' || body.secret === '') return wxError(41004, 'appsecret missing')
  if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') {
    return dataFormat('force_refresh is not a boolean')
  }
  return { appid: body.appid, secret: body.secret, forceRefresh: body.force_refresh === true }
}

export function checkTokenQuery(query: URLSearchParams): WxError | Omit<StableTokenRequest, 'forceRefresh'> {
  if (query.get('grant_type') !== 'client_credential') return wxError(40002, 'invalid grant_type')
  const appid = query.get('appid') ?? ''
  const secret = query.get('secret') ?? ''
  if (appid === '') return wxError(41002, 'appid missing')
  if (!APPID.test(appid)) return wxError(40013, 'invalid appid')
  if (secret === '') return wxError(41004, 'appsecret missing')
  return { appid, secret }
}
