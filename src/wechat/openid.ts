/**
 * The shape of an openid. It names the user's Durable Object and every row it writes, so a
 * push and an admin request alike are refused before anything is addressed for another shape.
 */
export const OPENID = /^[A-Za-z0-9_-]{1,64}$/

export function isOpenid(value: string): boolean {
  return OPENID.test(value)
}
