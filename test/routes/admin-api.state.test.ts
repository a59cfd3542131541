/**
 * `/admin/*` behind `Authorization: Bearer <ADMIN_TOKEN>`: refused without it or with a
 * wrong one (whatever its length), served with the right one; and the secret scan itself.
 */
import { describe, expect, it } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { pushOptions } from '../support/helpers'
import { findSecrets, STATIC_SECRETS, watchSecrets } from '../support/hygiene'
import { TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('admin')
const ADMIN = TEST_SETTINGS.ADMIN_TOKEN

const view = (openid: string, authorization?: string) =>
  hygiene.fetch(
    `/admin/api/conversations/${encodeURIComponent(openid)}/state`,
    authorization === undefined ? {} : { headers: { authorization } },
  )

const wrong = [
  '',
  'Bearer ',
  `Bearer ${ADMIN.slice(0, -1)}`,
  `Bearer ${ADMIN}x`,
  `Bearer ${ADMIN.toUpperCase()}`,
  `Bearer ${'a'.repeat(ADMIN.length)}`,
  `Bearer ${'a'.repeat(4096)}`,
  `Basic ${btoa(`admin:${ADMIN}`)}`,
  ADMIN,
  `bearer  ${ADMIN.slice(1)}`,
]

describe('/admin/* authentication', () => {
  it('never serves a conversation without the right bearer token', async () => {
    const openid = uniqueOpenid()
    for (const authorization of [undefined, ...wrong]) {
      const answer = await view(openid, authorization)
      expect(answer.status, String(authorization).slice(0, 20)).toBeGreaterThanOrEqual(400)
      expect(answer.text).not.toContain('"window"')
      hygiene.count('adminRefused')
    }
  })

  it('refuses a missing or wrong bearer token with 401 (400 for a malformed header)', async () => {
    const openid = uniqueOpenid()
    expect((await view(openid)).status).toBe(401)
    for (const authorization of wrong) {
      const answer = await view(openid, authorization)
      expect([400, 401], authorization.slice(0, 20)).toContain(answer.status)
    }
    const wellFormedWrong = await view(openid, `Bearer ${'b'.repeat(ADMIN.length)}`)
    expect(wellFormedWrong.status).toBe(401)
    expect(wellFormedWrong.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })

  it('serves the conversation with the right token', async () => {
    const openid = uniqueOpenid()
    const { query, body } = await buildPush(textMessage(openid, 'hi', '8400000000000000001'), await pushOptions('safe', 'xml'))
    expect((await hygiene.fetch(`/wechat?${query}`, { method: 'POST', body })).status).toBe(200)
    const answer = await view(openid, `Bearer ${ADMIN}`)
    expect(answer.status).toBe(200)
    const state = JSON.parse(answer.text) as { window: { remaining: number }; inbound: { msgId: string }[] }
    expect(state.window.remaining).toBe(5)
    expect(state.inbound[0]?.msgId).toBe('8400000000000000001')
  })
})

describe('the secret scan', () => {
  it('finds each secret wherever it appears, and reports only which one', () => {
    STATIC_SECRETS.forEach((secret, i) => {
      expect(findSecrets(['ok', `{"reason":"x${secret}y"}`], STATIC_SECRETS)).toEqual([`secret #${i}`])
    })
    expect(findSecrets(['nothing here'], STATIC_SECRETS)).toEqual([])
  })
})
