/**
 * `rules:push`, `rules:history` and `rules:rollback` as an operator runs them, against a
 * local RULES namespace in a temporary --persist-to directory: two pushes, the history of
 * both, a rollback by version prefix, and `wrangler kv key get rules` answering the first
 * file's bytes exactly. Every step is a few wrangler runs of a few seconds each (a local
 * one starts workerd): about 45 s in all on a 2-core machine.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const state = mkdtempSync(join(tmpdir(), 'kefu-rules-history-'))
const where = ['--local', '--persist-to', state]

function run(command: string, args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(command, args, { cwd: root, timeout: 90_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() }
}

/** `npm run <name> -- …`, without npm's own lines: the script through tsx. */
function script(name: string, ...args: string[]): string {
  const result = run(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args])
  expect(result.status, `${name}: ${result.stderr}\n${result.stdout.toString()}`).toBe(0)
  return result.stdout.toString()
}

const versionIn = (printed: string) => /version ([0-9a-f]{16})/.exec(printed)?.[1] ?? ''

afterAll(() => rmSync(state, { recursive: true, force: true }))

describe('rules:push, rules:history, rules:rollback', () => {
  // Odd but valid bytes (a BOM, CRLF, blanks after the end): a rollback must not normalise them.
  const first = join(state, 'first.json')
  const second = join(state, 'second.json')
  let a = ''
  let b = ''

  it('pushes two versions, the second naming the one it replaces', () => {
    writeFileSync(first, '\ufeff{"rules": [{"id": "hi", "when": {"text": ["hi"]}, "reply": {"type": "text", "text": "first"}}]}\r\n  ')
    writeFileSync(
      second,
      JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'second' } }] }, null, 2),
    )
    a = versionIn(script('rules-push', first, ...where))
    const pushed = script('rules-push', second, ...where)
    b = versionIn(pushed)
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(b).toMatch(/^[0-9a-f]{16}$/)
    expect(pushed).toContain(`it replaces ${a}`)
  })

  it('lists both, newest first, with when, from where, the rule count and which is in force', () => {
    const history = script('rules-history', ...where)
    expect(history).toContain('2 versions in local KV, newest first')
    const rows = history.split('\n').filter((line) => /[0-9a-f]{16}/.test(line))
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatch(new RegExp(`^\\*\\s+${b}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d\\s+rules:push\\s+1$`))
    expect(rows[1]).toMatch(new RegExp(`^\\s+${a}\\s+.*rules:push\\s+1$`))
  })

  it('rolls back to the first by a prefix, and KV holds its bytes exactly', () => {
    expect(script('rules-rollback', a.slice(0, 6), ...where)).toContain(`restored ${a} (1 rules) in local KV, replacing ${b}`)
    const stored = run('npx', ['wrangler', 'kv', 'key', 'get', 'rules', '--binding', 'RULES', ...where])
    expect(stored.status, stored.stderr).toBe(0)
    expect(Buffer.compare(stored.stdout, readFileSync(first))).toBe(0)
  })
})
