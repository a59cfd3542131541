/**
 * The console's language: Chinese first (the operators are), English on request. The choice
 * is a plain cookie the switch in the header sets; nothing else depends on it.
 */
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'

export type Lang = 'zh' | 'en'
export const LANG_COOKIE = 'kefu_lang'

/** Each page keeps its own strings beside it: `{ zh: {...}, en: {...} }`, English typed like Chinese. */
export type Strings<T> = { zh: T; en: T }

export function langOf(c: Context): Lang {
  const asked = c.req.query('lang')
  if (asked === 'en' || asked === 'zh') {
    setCookie(c, LANG_COOKIE, asked, { path: '/admin', sameSite: 'Lax', maxAge: 365 * 24 * 3600 })
    return asked
  }
  return getCookie(c, LANG_COOKIE) === 'en' ? 'en' : 'zh'
}

/** A time as the operator reads it: China time, to the minute (or second when asked). */
export function formatTime(at: number, lang: Lang, seconds = false): string {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hour12: false,
  }).format(at)
}
