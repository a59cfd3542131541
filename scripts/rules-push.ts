/**
 * `npm run rules:push -- [file] [--local | --remote] [--persist-to dir] [--preview]`:
 * checks the file, then puts the compiled form (`rules:compiled`) and the file itself
 * (`rules`) into the RULES namespace with wrangler. The
 * compiled form goes first, so a Worker that sees the new `rules` finds it (or, while KV
 * catches up, compiles the source itself — never a mismatch).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeCompiled } from '../src/rules/codec'
import { COMPILED_KEY, RULES_KEY } from '../src/rules/keys'
import { checkRulesFile, DEFAULT_RULES_PATH } from './rules-file'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    local: { type: 'boolean' },
    remote: { type: 'boolean' },
    preview: { type: 'boolean' },
    'persist-to': { type: 'string' },
  },
})
if (values.local && values.remote) {
  console.error('rules:push: pass --local or --remote, not both')
  process.exit(2)
}

const path = positionals[0] ?? DEFAULT_RULES_PATH
const checked = await checkRulesFile(path)
if (!checked) process.exit(1)

const passThrough = [
  ...(values.local ? ['--local'] : []),
  ...(values.remote ? ['--remote'] : []),
  ...(values.preview ? ['--preview'] : []),
  ...(values['persist-to'] ? ['--persist-to', values['persist-to']] : []),
]
const where = values.remote ? 'remote' : 'local'

const dir = mkdtempSync(join(tmpdir(), 'kefu-rules-'))
try {
  const compiledPath = join(dir, 'rules.compiled.bin')
  writeFileSync(compiledPath, encodeCompiled(checked.compiled))
  put(COMPILED_KEY, compiledPath, [])
  put(RULES_KEY, path, [])
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(
  `pushed ${path} (${checked.compiled.ruleIds.length} rules, version ${checked.version}) to ${where} KV; ` +
    'Workers pick it up within about a minute (KV propagation and a 30 s cache).',
)

function put(key: string, file: string, extra: string[]): void {
  const args = ['wrangler', 'kv', 'key', 'put', key, '--binding', 'RULES', '--path', file, ...extra, ...passThrough]
  console.log(`$ npx ${args.join(' ')}`)
  const result = spawnSync('npx', args, { stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`rules:push: wrangler failed putting ${key}; the rule set in force is unchanged`)
    process.exit(result.status ?? 1)
  }
}
