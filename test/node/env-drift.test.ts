/**
 * wrangler.toml and the Env type agree: `wrangler types` (bindings and [vars] only, no
 * .dev.vars) against src/settings/env.ts. CI fails on a binding left out of either.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envDrift } from './env-drift'

const root = join(import.meta.dirname, '..', '..')
const envSource = readFileSync(join(root, 'src', 'settings', 'env.ts'), 'utf8')

function wranglerTypes(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-types-'))
  try {
    const out = join(dir, 'worker-configuration.d.ts')
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js'),
        'types',
        out,
        '--include-runtime=false',
        '--strict-vars=false',
        '--env-file',
        '/dev/null',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' } },
    )
    expect(run.status, run.stderr).toBe(0)
    return readFileSync(out, 'utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('Env and wrangler.toml', () => {
  it('declare the same bindings, of the same types', () => {
    const generated = wranglerTypes()
    // The comparison is not vacuous: it saw every binding.
    for (const binding of [
      'RULES: KVNamespace',
      'CACHE: KVNamespace',
      'DB: D1Database',
      'CONVERSATIONS: DurableObjectNamespace',
      'ASSETS: Fetcher',
    ]) {
      expect(generated).toContain(binding)
    }
    expect(envDrift(generated, envSource)).toEqual([])
  })

  it('catch a binding left out of either, or of another type', () => {
    const generated = `interface Env {\n\t\tRULES: KVNamespace;\n\t\tCACHE: KVNamespace;\n\t\tQUEUE: Queue;\n\t\tCONVERSATIONS: DurableObjectNamespace<import("../src/index").Conversation>;\n\t\tSESSIONS: DurableObjectNamespace<import("../src/index").Sessions>;\n\t\tRULE_PUBLISHER: DurableObjectNamespace<import("../src/index").RulePublisher>;\n\t\tDESK: DurableObjectNamespace<import("../src/index").Desk>;\n\t\tKF_ACCOUNTS: DurableObjectNamespace<import("../src/index").KfAccount>;\n\t\tRECORDER: DurableObjectNamespace<import("../src/index").Recorder>;\n\t\tDB: R2Bucket;\n\t\tMEDIA: R2Bucket;\n\t\tCAMPAIGNS: Queue;\n\t\tWEBHOOKS: Queue;\n\t\tUSER_MEDIA: Queue;\n\t\tASSETS: Fetcher;\n\t\tWECHAT_APPID: string;\n\t\tWECHAT_API_BASE: string;\n\t}`
    expect(envDrift(generated, envSource)).toEqual([
      'wrangler.toml declares QUEUE (Queue), which Env in src/settings/env.ts lacks',
      'DB is R2Bucket in wrangler.toml but D1Database in Env',
    ])
    const withoutDb = generated.replace(/\t\tDB: R2Bucket;\n/, '')
    expect(envDrift(withoutDb, envSource)).toContain('Env expects the binding DB (D1Database), which wrangler.toml does not declare')
  })
})
