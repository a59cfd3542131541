/**
 * `rules:check` and `rules:push` hold a file to the same rule limit as the Worker (MAX_RULES,
 * rules/validate.ts), with the same issue: a file one rule over is refused before anything is
 * written (the push never starts wrangler), and one at the limit checks.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_RULES } from '../../src/rules/validate'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'kefu-rules-limit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const OVER_LIMIT = `rules: has ${(MAX_RULES + 1).toLocaleString('en')} rules, over the limit of ${MAX_RULES.toLocaleString('en')}`

function file(name: string, count: number): string {
  const path = join(dir, name)
  const rules = Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    when: { contains: [`词${i}`] },
    reply: { type: 'text', text: `回复 ${i}` },
  }))
  writeFileSync(path, JSON.stringify({ rules }))
  return path
}

/** `npm run <name> -- …`, without npm's own lines: the script through tsx. */
function script(name: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], { cwd: root, timeout: 90_000 })
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}

describe('the rule limit in the scripts', () => {
  it('refuses a file one rule over, in rules:check and rules:push alike', () => {
    const over = file('over.json', MAX_RULES + 1)
    for (const name of ['rules-check', 'rules-push']) {
      const result = script(name, over, ...(name === 'rules-push' ? ['--local', '--persist-to', join(dir, 'state')] : []))
      expect(result.status, `${name}: ${result.stdout}`).toBe(1)
      expect(result.stderr).toContain(`${over}: ${OVER_LIMIT}\n`)
      expect(result.stderr).toContain('1 problem; nothing was changed')
    }
  })

  it('checks a file at the limit', () => {
    const full = file('full.json', MAX_RULES)
    const result = script('rules-check', full)
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain(`${MAX_RULES} rules`)
  })
})
