/**
 * Driving the stand-in model (dev/fake-llm.ts) from tests inside workerd, through its HTTP
 * control API: queue a fault for the questions that hold a tag, and read the calls it got.
 * Every test file shares one stand-in, so a test tags its questions and matches on the tag.
 */
import { expect, inject } from 'vitest'
import type { FakeLlmCall, FakeLlmFaultKind } from '../../dev/fake-llm-types'

export type { FakeLlmCall } from '../../dev/fake-llm-types'

/** The stand-in's base URL (vitest.config.ts gives the Worker its `/v1` as LLM_API_BASE). */
export const FAKE_LLM_BASE = `http://127.0.0.1:${inject('fakeLlmPort')}`

export const fakeLlm = {
  /** The next `times` questions holding `match` get the fault (the stand-in's default is once). */
  async fault(kind: FakeLlmFaultKind, match: string, times = 1): Promise<void> {
    const res = await fetch(`${FAKE_LLM_BASE}/__fake/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind, match, times }),
    })
    expect(res.status).toBe(200)
  },
  /** Every call whose question held `match`, oldest first. */
  async calls(match: string): Promise<FakeLlmCall[]> {
    const res = await fetch(`${FAKE_LLM_BASE}/__fake/calls?${new URLSearchParams({ match })}`)
    return ((await res.json()) as { calls: FakeLlmCall[] }).calls
  },
}

export interface ModelMessage {
  role: string
  content: string
}

/** The messages a call sent the model: the system prompt, the passages, the question. */
export const messagesOf = (call: FakeLlmCall): ModelMessage[] => (call.body as { messages: ModelMessage[] }).messages
