/** Reading a chat completion (src/ai/model.ts `completionOf`), a bounded read of the answer, and which settings make a model. */
import { env as workerEnv } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { FAKE_LLM_API_KEY } from '../../dev/fake-llm-types'
import { callModel, completionOf, MAX_ANSWER_BYTES, ModelError, modelSettings, modelState } from '../../src/ai/model'
import { settingState, type Env } from '../../src/settings/env'
import { miniProgramEnv } from '../../src/settings/mini-programs'
import { SECOND_APP } from '../support/settings'
import { FAKE_LLM_BASE, fakeLlm } from '../support/fake-llm-client'

describe('completionOf', () => {
  it('takes the first choice’s text, its finish reason and the usage', () => {
    const body = JSON.stringify({
      choices: [{ index: 0, message: { role: 'assistant', content: '可以退' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 120, completion_tokens: 3, total_tokens: 123 },
    })
    expect(completionOf(body)).toEqual({ text: '可以退', finishReason: 'stop', promptTokens: 120, completionTokens: 3 })
  })

  it('an answer without usage costs 0 tokens as far as we know', () => {
    expect(completionOf(JSON.stringify({ choices: [{ message: { content: 'x' } }] }))).toMatchObject({
      promptTokens: 0,
      completionTokens: 0,
      finishReason: null,
    })
  })

  it.each(['{"choices": [', '[]', '{"choices": []}', '{"choices": [{"message": {"content": 3}}]}', 'null'])(
    'malformed, worth a retry: %s',
    (body) => {
      expect(() => completionOf(body)).toThrow(ModelError)
      try {
        completionOf(body)
      } catch (error) {
        expect(error).toMatchObject({ reason: 'malformed answer', retryable: true })
      }
    },
  )
})

describe('callModel', () => {
  const settings = { url: `${FAKE_LLM_BASE}/v1/chat/completions`, model: 'kefu-stand-in', key: FAKE_LLM_API_KEY }

  it('stops reading an answer once it passes MAX_ANSWER_BYTES: an endless body is refused at once, not read to the time-out', async () => {
    const question = '退货 zqendless'
    await fakeLlm.fault('endless', 'zqendless')
    const started = Date.now()
    const error = await callModel(settings, [{ role: 'user', content: question }], 50, 6_000).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelError)
    expect(error).toMatchObject({ reason: 'answer too large', retryable: false })
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(MAX_ANSWER_BYTES).toBe(64 * 1024)
  })
})

describe('a mini program’s own key (LLM_API_KEY_<appid>)', () => {
  it('is the one its answers are asked with; an app without one uses the shared key', async () => {
    const B = SECOND_APP.appid
    const bindings = { ...workerEnv, [`LLM_API_KEY_${B}`]: 'sk-second-app-own-key' } as Env
    const second = miniProgramEnv(bindings, B)
    const first = miniProgramEnv(bindings, bindings.WECHAT_APPID ?? '')
    expect(modelSettings(second!)?.key).toBe('sk-second-app-own-key')
    expect(modelSettings(first!)?.key).toBe(FAKE_LLM_API_KEY)
    expect(modelSettings(miniProgramEnv({ ...workerEnv } as Env, B)!)?.key).toBe(FAKE_LLM_API_KEY)
    // The stand-in takes only its own key: the second app's reaches it, and is refused.
    const ask = (view: Env) => {
      const state = modelState(view)
      if (state.kind !== 'ready') throw new Error(state.kind)
      return callModel(state.settings, [{ role: 'user', content: '退货 zqownkey' }], 50, 5_000)
    }
    await expect(ask(second!)).rejects.toMatchObject({ reason: 'HTTP 401', retryable: false })
    await expect(ask(first!)).resolves.toMatchObject({ text: expect.any(String) })
  })
})

describe('modelSettings', () => {
  const env = (extra: Partial<Env>) => extra as Env
  it('all three, or no model', () => {
    expect(
      modelSettings(env({ LLM_API_BASE: 'https://api.deepseek.com/v1/', LLM_MODEL: 'deepseek-chat', LLM_API_KEY: 'sk-0123456789' })),
    ).toEqual({
      url: 'https://api.deepseek.com/v1/chat/completions',
      model: 'deepseek-chat',
      key: 'sk-0123456789',
    })
    expect(modelSettings(env({ LLM_API_BASE: 'https://api.deepseek.com/v1', LLM_MODEL: 'deepseek-chat' }))).toBeNull()
  })

  it('a malformed one is named, never shown', () => {
    const key = 'sk bad key with spaces'
    expect(() => modelSettings(env({ LLM_API_BASE: 'https://x.example/v1', LLM_MODEL: 'm', LLM_API_KEY: key }))).toThrow(
      /LLM_API_KEY is not an API key/,
    )
    try {
      modelSettings(env({ LLM_API_BASE: 'https://x.example/v1', LLM_MODEL: 'm', LLM_API_KEY: key }))
    } catch (error) {
      expect(String(error)).not.toContain(key)
    }
    expect(() => modelSettings(env({ LLM_API_BASE: 'ftp://x', LLM_MODEL: 'm', LLM_API_KEY: 'sk-0123456789' }))).toThrow(
      /LLM_API_BASE is not an http/,
    )
  })
})

describe('LLM_API_BASE, LLM_MODEL and LLM_API_KEY', () => {
  it('are all set or none: a missing one beside the others is malformed, named (what /healthz and the doctor show)', () => {
    const some = { LLM_API_BASE: 'https://api.deepseek.com/v1', LLM_MODEL: 'deepseek-chat' } as Env
    expect(settingState(some, 'LLM_API_BASE')).toEqual({ status: 'ok' })
    expect(settingState(some, 'LLM_API_KEY')).toEqual({
      status: 'malformed',
      reason: 'LLM_API_KEY is not set, but LLM_API_BASE is: the model needs LLM_API_BASE, LLM_MODEL and LLM_API_KEY, or none',
    })
    expect(settingState({} as Env, 'LLM_API_KEY')).toEqual({ status: 'ok' })
  })
})
