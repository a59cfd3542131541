/** The signature, against RFC 4231's HMAC-SHA256 vectors, and the body of one attempt. */
import { describe, expect, it } from 'vitest'
import { bodyOf, DELIVERY_ID, isTask, newDeliveryId, subscribeChanges, taskOf } from '../../src/webhooks/events'
import { hmacHex, signatureHeader } from '../../src/webhooks/sign'
import { retryDelaySeconds, WEBHOOK_ATTEMPTS } from '../../src/webhooks/deliver'

describe('signature', () => {
  it('is HMAC-SHA256 as RFC 4231 computes it', async () => {
    // RFC 4231 test case 2.
    expect(await hmacHex('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  })

  it('signs the UTF-8 bytes of the raw body, as sha256=<hex>', async () => {
    const body = '{"id":"wh-1","data":{"text":"你好"}}'
    const header = await signatureHeader('webhook-secret-0123456789', body)
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(header).not.toBe(await signatureHeader('webhook-secret-0123456789', body.replace('你好', '您好')))
  })
})

describe('the body of an attempt', () => {
  const task = taskOf(
    'wx1234567890abcdef',
    { event: 'user.deleted', data: { openid: 'oUser' } },
    1_000,
    'wh-00000000-0000-4000-8000-000000000000',
  )

  it('carries the delivery id and the attempt time inside what is signed; the occurrence keeps its own time', () => {
    expect(JSON.parse(bodyOf(task, 5_000))).toEqual({
      id: 'wh-00000000-0000-4000-8000-000000000000',
      event: 'user.deleted',
      timestamp: 5_000,
      occurred_at: 1_000,
      appid: 'wx1234567890abcdef',
      data: { openid: 'oUser' },
    })
    expect(bodyOf(task, 6_000)).not.toBe(bodyOf(task, 5_000))
  })

  it('delivery ids are wh-<uuid>; a queue body that is no task is told apart', () => {
    expect(newDeliveryId()).toMatch(DELIVERY_ID)
    expect(isTask(task)).toBe(true)
    expect(isTask({ ...task, event: 'nope' })).toBe(false)
    expect(isTask(null)).toBe(false)
  })

  it('subscribe.changed holds the popup and settings-page answers, never WeChat reports of its own sends', () => {
    expect(
      subscribeChanges([
        { kind: 'popup', templateId: 'tA', status: 'accept' },
        { kind: 'change', templateId: 'tB', status: 'reject' },
        { kind: 'sent', templateId: 'tC', msgId: '1', errorCode: 0, errorStatus: 'success' },
      ]),
    ).toEqual([
      { template_id: 'tA', status: 'accept', source: 'popup' },
      { template_id: 'tB', status: 'reject', source: 'change' },
    ])
  })

  it('retries wait longer each time, an hour at most', () => {
    const delays = Array.from({ length: WEBHOOK_ATTEMPTS - 1 }, (_, i) => retryDelaySeconds(i + 1))
    expect(delays).toEqual([10, 30, 90, 270, 810, 2430, 3600])
  })
})
