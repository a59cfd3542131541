/**
 * `rules:check` speaks the operator's language: English by default (CI and scripts grep it),
 * Chinese under a Chinese locale or with `--lang zh`, from the catalogue the console uses.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { localeLang } from '../../scripts/rules-lang'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'kefu-rules-lang-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const bad = join(dir, 'bad.json')
writeFileSync(bad, JSON.stringify({ rules: [{ id: 'a', when: { contains: ['hi'] }, reply: { type: 'text', text: '' } }] }))
const good = join(dir, 'good.json')
writeFileSync(good, JSON.stringify({ rules: [{ id: 'a', when: { contains: ['hi'] }, reply: { type: 'text', text: '你好' } }] }))

/** The script through tsx, with only the locale variables given (none of the caller's). */
function check(locale: Record<string, string>, ...args: string[]) {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...locale }
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/rules-check.ts', ...args], { cwd: root, env, timeout: 60_000 })
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}

describe('rules:check language', () => {
  it('is English by default', () => {
    const result = check({}, bad)
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(`${bad}: rule "a" at rules[0].reply.text: must not be empty\n`)
    expect(result.stderr).toContain('1 problem; nothing was changed')
  })

  it('is Chinese with LANG=zh_CN.UTF-8', () => {
    const result = check({ LANG: 'zh_CN.UTF-8' }, bad)
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(`${bad}: 规则 "a" 的 rules[0].reply.text：不能为空\n`)
    expect(result.stderr).toContain('共 1 个问题；没有做任何改动')
    expect(check({ LANG: 'zh_CN.UTF-8' }, good).stdout).toContain(': 没有问题，共 1 条规则')
  })

  it('follows --lang over the locale', () => {
    expect(check({ LANG: 'zh_CN.UTF-8' }, bad, '--lang', 'en').stderr).toContain('must not be empty')
    expect(check({}, '--lang', 'zh', bad).stderr).toContain('不能为空')
    expect(check({}, bad, '--lang', 'fr').status).toBe(2)
  })

  it('reads the locale as POSIX does: LC_ALL, then LC_MESSAGES, then LANG', () => {
    expect(localeLang({ LANG: 'zh_CN.UTF-8' })).toBe('zh')
    expect(localeLang({ LC_ALL: 'en_US.UTF-8', LANG: 'zh_CN.UTF-8' })).toBe('en')
    expect(localeLang({ LC_ALL: '', LC_MESSAGES: 'zh_TW.UTF-8', LANG: 'C' })).toBe('zh')
    expect(localeLang({ LANG: 'C.UTF-8' })).toBe('en')
    expect(localeLang({})).toBe('en')
  })
})
