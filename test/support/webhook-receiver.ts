/**
 * The stand-in receiver (dev/fake-webhook.ts) from tests inside workerd, and a receiver's own
 * checks as the README shows them: the signature over the raw body (constant-time), a
 * timestamp no older than 5 minutes, a delivery id not seen before.
 */
import { env } from 'cloudflare:workers'
import type { FakeDelivery } from '../../dev/fake-webhook'
import type { WebhookBody } from '../../src/webhooks/events'
import { hmacHex } from '../../src/webhooks/sign'

export type { FakeDelivery } from '../../dev/fake-webhook'

/** The stand-in's origin: WEBHOOK_URL as vitest.config.ts set it. */
export function receiverBase(): string {
  if (!env.WEBHOOK_URL) throw new Error('WEBHOOK_URL is not set: is test/support/global-setup.ts running?')
  return new URL(env.WEBHOOK_URL).origin
}

/** A scope of its own (a test that injects failures posts there). */
export const scopeUrl = (scope: string): string => `${receiverBase()}/hooks/${scope}`

export async function received(scope = 'default'): Promise<FakeDelivery[]> {
  const res = await fetch(`${receiverBase()}/__fake/received?scope=${scope}`)
  return ((await res.json()) as { deliveries: FakeDelivery[] }).deliveries
}

/** Deliveries to the default scope about one user (every test has its own openid). */
export async function receivedFor(openid: string): Promise<FakeDelivery[]> {
  return (await received()).filter((d) => bodyOf(d).data.openid === openid)
}

export async function failNext(scope: string, times: number): Promise<void> {
  const res = await fetch(`${receiverBase()}/__fake/fail`, { method: 'POST', body: JSON.stringify({ scope, times }) })
  if (!res.ok) throw new Error(`fake-webhook fail: HTTP ${res.status}`)
}

export function bodyOf(delivery: FakeDelivery): WebhookBody {
  return JSON.parse(delivery.body) as WebhookBody
}

export type Verdict = 'ok' | 'bad_signature' | 'stale' | 'replayed'

/** A receiver's checks, in the README's order; `seen` is its store of delivery ids. */
export async function verify(
  delivery: Pick<FakeDelivery, 'body' | 'signature'>,
  secret: string,
  seen: Set<string>,
  now = Date.now(),
): Promise<Verdict> {
  const expected = `sha256=${await hmacHex(secret, delivery.body)}`
  if (!constantTimeEqual(expected, delivery.signature ?? '')) return 'bad_signature'
  const body = JSON.parse(delivery.body) as WebhookBody
  if (Math.abs(now - body.timestamp) > 5 * 60_000) return 'stale'
  if (seen.has(body.id)) return 'replayed'
  seen.add(body.id)
  return 'ok'
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
