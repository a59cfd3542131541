/**
 * Users' images in MEDIA: their keys (day first), listing and deleting one user's, and
 * retention deleting whole old days of an app — never a kept day, never another app's.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { dayOf, DAY_MS } from '../../src/record/day'
import {
  deleteUserMedia,
  firstKeptDay,
  isUserMediaKept,
  keptDays,
  listUserMedia,
  pruneUserMedia,
  sniffUserImage,
  userMediaAppids,
  userMediaKey,
  userMediaPrefix,
} from '../../src/media/user-media'
import { uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'
import { gif, jpeg, png } from '../support/images'

const NOW = Date.UTC(2026, 11, 10, 4, 0, 0) // 12:00 in China

async function put(appid: string, day: string, openid: string, msgId: string): Promise<string> {
  const key = userMediaKey(appid, day, openid, msgId, 'image/jpeg')
  await env.MEDIA.put(key, jpeg(), { httpMetadata: { contentType: 'image/jpeg' } })
  return key
}

describe('keys', () => {
  it('puts the day before the user, and the type as the extension', () => {
    expect(userMediaKey('wx1234567890abcdef', '2026-12-06', 'oUser', '123', 'image/png')).toBe(
      'users/wx1234567890abcdef/2026-12-06/oUser/123.png',
    )
    expect(userMediaKey('wx1', '2026-12-06', 'o', '1', 'image/jpeg')).toMatch(/\.jpg$/)
    expect(userMediaPrefix('wx1', '2026-12-06', 'oUser')).toBe('users/wx1/2026-12-06/oUser/')
  })

  it('types images by their bytes: JPEG, PNG, GIF, WEBP, nothing else', () => {
    expect(sniffUserImage(jpeg())).toBe('image/jpeg')
    expect(sniffUserImage(png())).toBe('image/png')
    expect(sniffUserImage(gif())).toBe('image/gif')
    const webp = new Uint8Array(32)
    webp.set([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50])
    expect(sniffUserImage(webp)).toBe('image/webp')
    expect(sniffUserImage(new TextEncoder().encode('{"errcode":40007}'))).toBeNull()
  })

  it('keeps a day until the whole of it is older than the retention', () => {
    // 7 days before 12:00 on the 10th is 12:00 on the 3rd: the 3rd is kept, the 2nd is not.
    expect(firstKeptDay(NOW, 7)).toBe('2026-12-03')
    expect(isUserMediaKept('2026-12-03', NOW, 7)).toBe(true)
    expect(isUserMediaKept('2026-12-02', NOW, 7)).toBe(false)
    expect(keptDays(NOW, 7)).toEqual([
      '2026-12-03',
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
      '2026-12-07',
      '2026-12-08',
      '2026-12-09',
      '2026-12-10',
    ])
  })
})

describe('one user', () => {
  it('lists and deletes the images of the days given, and no one else’s', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    const other = uniqueOpenid()
    const days = keptDays(NOW, 7)
    const mine = [await put(appid, days[0]!, openid, '1'), await put(appid, days[7]!, openid, '2')]
    const theirs = await put(appid, days[7]!, other, '3')

    const listed = await listUserMedia(env.MEDIA, appid, openid, days)
    expect(listed.map((item) => item.key)).toEqual(mine)
    expect(listed[1]).toMatchObject({ day: days[7], msgId: '2' })
    expect(listed[1]!.size).toBeGreaterThan(0)

    expect(await deleteUserMedia(env.MEDIA, appid, openid, days)).toBe(2)
    expect(await listUserMedia(env.MEDIA, appid, openid, days)).toEqual([])
    expect(await env.MEDIA.head(theirs)).not.toBeNull()
    expect(await deleteUserMedia(env.MEDIA, appid, openid, days)).toBe(0)
  })
})

describe('pruneUserMedia', () => {
  it('deletes the days older than the retention by prefix, keeps the rest and other apps', async () => {
    const appid = uniqueAppid()
    const otherApp = uniqueAppid()
    const openid = uniqueOpenid()
    const old = dayOf(NOW - 9 * DAY_MS)
    const older = dayOf(NOW - 30 * DAY_MS)
    const kept = firstKeptDay(NOW, 7)
    const gone = [await put(appid, older, openid, '1'), await put(appid, old, openid, '2'), await put(appid, old, uniqueOpenid(), '3')]
    const stays = [await put(appid, kept, openid, '4'), await put(otherApp, old, openid, '5')]

    expect(await userMediaAppids(env.MEDIA)).toEqual(expect.arrayContaining([appid, otherApp]))
    const counts = await pruneUserMedia(env.MEDIA, appid, 7, NOW)
    expect(counts).toEqual({ daysDeleted: 2, objectsDeleted: 3, more: false })
    for (const key of gone) expect(await env.MEDIA.head(key)).toBeNull()
    for (const key of stays) expect(await env.MEDIA.head(key)).not.toBeNull()
    expect(await pruneUserMedia(env.MEDIA, appid, 7, NOW)).toEqual({ daysDeleted: 0, objectsDeleted: 0, more: false })
  })

  it('stops at its budget and says there is more; the next run goes on', async () => {
    const appid = uniqueAppid()
    const old = dayOf(NOW - 10 * DAY_MS)
    for (let i = 0; i < 5; i++) await put(appid, old, uniqueOpenid(), String(i))
    expect(await pruneUserMedia(env.MEDIA, appid, 7, NOW, 3)).toEqual({ daysDeleted: 0, objectsDeleted: 3, more: true })
    expect(await pruneUserMedia(env.MEDIA, appid, 7, NOW, 3)).toEqual({ daysDeleted: 1, objectsDeleted: 2, more: false })
  })
})
