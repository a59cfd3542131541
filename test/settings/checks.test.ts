/** What a setting must look like (src/settings/checks.ts): here, where the model's key may be sent. */
import { describe, expect, it } from 'vitest'
import { CHECKS } from '../../src/settings/checks'

const llmBase = (value: string) => CHECKS.LLM_API_BASE.check(value)

describe('LLM_API_BASE', () => {
  it('takes https anywhere, and http only on this machine (the stand-in model)', () => {
    for (const ok of [
      'https://api.deepseek.com/v1',
      'https://dashscope.aliyuncs.com/compatible-mode/v1',
      'http://127.0.0.1:8790/v1',
      'http://localhost:8790/v1',
      'http://[::1]:8790/v1',
    ]) {
      expect(llmBase(ok), ok).toBeNull()
    }
  })

  it('refuses http elsewhere: the key would travel in clear', () => {
    for (const bad of [
      'http://api.deepseek.com/v1',
      'http://10.0.0.5:8000/v1',
      'http://127.0.0.1.example.com/v1',
      'http://localhost.evil.net/v1',
    ]) {
      expect(llmBase(bad), bad).toBe('is not an https URL (http only on localhost, 127.0.0.1 or [::1])')
    }
    expect(llmBase('ftp://x')).toMatch(/^is not an https URL/)
    expect(llmBase('api.deepseek.com')).toMatch(/^is not an https URL/)
  })
})
