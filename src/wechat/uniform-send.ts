/**
 * The body of `POST /admin/api/uniform/send`: one uniform service message (统一服务消息), checked
 * before the send is spent. Only its Official Account half remains: `mp_template_msg`, an
 * Official Account template message. Its mini program half, `weapp_template_msg`, is retired
 * ("小程序模板消息已下线，不用传此节点"; WeChat answers it 45103 "This API has been unsupported"),
 * so a body carrying it is refused with that reason.
 *
 * Shape, per https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/uniform-message/api_senduniformmessage.html
 * and the Official Account template message it carries
 * (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html):
 * `{ touser, mp_template_msg: { appid, template_id, url?, miniprogram?: { appid, pagepath? },
 * data: { key: { value, color? } } } }`. url and miniprogram are both optional (no jump
 * without them; the mini program wins when both are given).
 *
 * Data keys are not held to the subscribe-message keyword rules: Official Account templates
 * use their own keys (`first`, `keyword1`, `remark` in older ones) and their own limits.
 */
import * as v from 'valibot'
import { isHttpUrl } from '../url'
import type { UniformMessage } from './api'
import {
  AppidSchema,
  capped,
  codePointLength,
  isPlainObject,
  keyedObject,
  MAX_PATH,
  OpenidSchema,
  PagePathSchema,
  shapeProblems,
  TemplateIdSchema,
  type Checked,
} from './body-check'

export type { Checked } from './body-check'
export type { UniformMessage } from './api'

/** Template keywords per message: Official Account templates have a handful. */
export const MAX_UNIFORM_DATA_KEYS = 20
/** A value's bound in characters: no Official Account keyword comes near it. */
export const MAX_UNIFORM_VALUE_CHARS = 200
/** A body this route should read at most. */
export const UNIFORM_SEND_MAX_BYTES = 16 * 1024

export const RETIRED_WEAPP_TEMPLATE_MSG =
  'is retired: WeChat no longer sends mini program template messages; send a subscribe message instead'

const DataKey = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'is not a template keyword (letters, digits and _, e.g. keyword1)'),
)

const DataEntrySchema = v.strictObject(
  {
    value: v.pipe(
      v.string('must be a string'),
      v.maxLength(MAX_UNIFORM_VALUE_CHARS * 2, `must be at most ${MAX_UNIFORM_VALUE_CHARS} characters`),
      v.check((value) => codePointLength(value) <= MAX_UNIFORM_VALUE_CHARS, `must be at most ${MAX_UNIFORM_VALUE_CHARS} characters`),
    ),
    color: v.optional(v.pipe(v.string('must be a string'), v.regex(/^#[0-9A-Fa-f]{6}$/, 'must be a color like #173177'))),
  },
  'must be an object { "value": "…", "color"?: "#173177" }',
)

const MpTemplateSchema = v.strictObject(
  {
    appid: v.pipe(AppidSchema, v.description('The Official Account’s appid, bound to this mini program.')),
    template_id: v.pipe(TemplateIdSchema, v.description('The Official Account template id.')),
    url: v.optional(
      v.pipe(
        v.string('must be a string'),
        v.maxLength(MAX_PATH, `must be at most ${MAX_PATH} characters`),
        v.check(isHttpUrl, 'must be an http:// or https:// URL'),
      ),
    ),
    miniprogram: v.optional(
      v.strictObject(
        {
          appid: v.pipe(AppidSchema, v.description('The mini program to open (bound to the Official Account).')),
          pagepath: v.optional(PagePathSchema),
        },
        'must be an object { "appid", "pagepath"? }',
      ),
    ),
    data: v.pipe(
      keyedObject(DataKey, DataEntrySchema, 'must be an object of template keywords'),
      v.check((data) => Object.keys(data).length > 0, 'must have at least one keyword'),
    ),
  },
  'must be an object (the Official Account template message)',
)

export const UniformSendSchema = v.strictObject({
  touser: v.pipe(OpenidSchema, v.description('The user’s openid in this mini program or in the Official Account.')),
  mp_template_msg: MpTemplateSchema,
})

/**
 * Checks an operator's uniform-send body. Returns the message as WeChat takes it, or every
 * problem (capped) as `path: sentence`.
 */
export function parseUniformSend(body: unknown): Checked<UniformMessage> {
  if (!isPlainObject(body)) return { ok: false, problems: ['body: must be a JSON object'] }
  const problems: string[] = []
  const { weapp_template_msg: weapp, ...rest } = body
  if (weapp !== undefined) problems.push(`weapp_template_msg: ${RETIRED_WEAPP_TEMPLATE_MSG}`)
  // Counted before any validation, so a body with thousands of keys costs no more than this.
  const mp = rest.mp_template_msg
  if (isPlainObject(mp) && isPlainObject(mp.data)) {
    const keys = Object.keys(mp.data).length
    if (keys > MAX_UNIFORM_DATA_KEYS) {
      problems.push(`mp_template_msg.data: has at most ${MAX_UNIFORM_DATA_KEYS} keywords (got ${keys})`)
      return { ok: false, problems }
    }
  }
  const parsed = v.safeParse(UniformSendSchema, rest)
  if (!parsed.success) problems.push(...shapeProblems(parsed.issues))
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: capped(problems) }
  return { ok: true, value: parsed.output }
}
