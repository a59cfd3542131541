/**
 * The CAMPAIGNS consumer settles a task on its last attempt (src/subscribe/campaign-queue.ts)
 * by CAMPAIGN_MAX_RETRIES, which must be the `max_retries` wrangler.toml gives the queue: were
 * the toml's larger, tasks would be settled while retries remain; smaller, dropped unsettled.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CAMPAIGN_MAX_RETRIES } from '../../src/subscribe/campaign-task'

const toml = readFileSync(join(import.meta.dirname, '..', '..', 'wrangler.toml'), 'utf8')

describe('the CAMPAIGNS consumer in wrangler.toml', () => {
  it('retries a task CAMPAIGN_MAX_RETRIES times', () => {
    const consumers = toml.split(/^\[\[queues\.consumers\]\]\s*$/m).slice(1)
    const campaigns = consumers.map((section) => section.split(/^\[/m)[0]!).find((body) => /^queue\s*=\s*"kefu-edge-campaigns"/m.test(body))
    expect(campaigns).toBeDefined()
    expect(Number(/^max_retries\s*=\s*(\d+)/m.exec(campaigns!)?.[1])).toBe(CAMPAIGN_MAX_RETRIES)
  })
})
