/**
 * The RULES namespace from the terminal: a RulesStore (src/rules/history-store.ts) whose reads and
 * writes are wrangler commands, so `rules:push`, `rules:history` and `rules:rollback` run the
 * Worker's own publishing code against local (`--local`, `--persist-to`) or production
 * (`--remote`) KV. Each wrangler run costs seconds (a local one starts workerd), so the store
 * reuses a listing until it writes, and writes a publish's keys in one bulk request.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { scopedStore, type RulesStore, type StoredKey } from '../src/rules/history-store'
import { APPID } from '../src/wechat/appid'

export interface KvTarget {
  /** wrangler's flags naming the namespace's location. */
  flags: string[]
  /** `local` or `remote`, for messages. */
  where: 'local' | 'remote'
  /** `--app <appid>`: that app's keys (`app:<appid>:…`, src/settings/mini-program-state.ts); '' for the first app. */
  prefix: string
}

/** Parses `[--local | --remote] [--persist-to dir] [--preview] [--app <appid>]` and the positionals. */
export function parseTarget(script: string, args: string[] = process.argv.slice(2)): { target: KvTarget; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      local: { type: 'boolean' },
      remote: { type: 'boolean' },
      preview: { type: 'boolean' },
      'persist-to': { type: 'string' },
      app: { type: 'string' },
    },
  })
  if (values.app !== undefined && !APPID.test(values.app)) {
    console.error(`${script}: --app ${values.app} is not an appid (wx + 16 characters)`)
    process.exit(2)
  }
  if (values.local && values.remote) {
    console.error(`${script}: pass --local or --remote, not both`)
    process.exit(2)
  }
  const flags = [
    ...(values.local ? ['--local'] : []),
    ...(values.remote ? ['--remote'] : []),
    ...(values.preview ? ['--preview'] : []),
    ...(values['persist-to'] ? ['--persist-to', values['persist-to']] : []),
  ]
  // The first app's keys are unprefixed: pass --app only for an app of WECHAT_APPS.
  const prefix = values.app === undefined ? '' : `app:${values.app}:`
  return { target: { flags, where: values.remote ? 'remote' : 'local', prefix }, positionals }
}

/**
 * The project's wrangler, its CLI started as its launcher (bin/wrangler.js) would start it:
 * without npx and the launcher's own Node process, each run is a second or two shorter.
 */
function wranglerCommand(): string[] {
  try {
    const cli = createRequire(import.meta.url).resolve('wrangler')
    return [process.execPath, '--no-warnings', '--experimental-vm-modules', cli]
  } catch {
    return ['npx', 'wrangler']
  }
}
const WRANGLER = wranglerCommand()

/** What `wrangler kv key get` prints, with status 0, for a key that does not exist. */
const NOT_FOUND = 'Value not found'
const REMOTE_NOT_FOUND = /- 404: Not Found/

export class WranglerError extends Error {}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

export function wranglerStore(target: KvTarget, echo: (line: string) => void = console.log): RulesStore {
  return scopedStore(namespaceStore(target, echo), target.prefix)
}

function namespaceStore(target: KvTarget, echo: (line: string) => void): RulesStore {
  /** The last listing, reused until the next write: a rollback lists once for two reads. */
  let listing: { prefix: string; keys: StoredKey[] } | null = null
  const dir = mkdtempSync(join(tmpdir(), 'kefu-rules-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  let files = 0

  function wrangler(args: string[], write: boolean): Buffer {
    const full = [...args, '--binding', 'RULES', ...target.flags]
    if (write) echo(`$ wrangler ${full.join(' ')}`)
    const [command = 'npx', ...rest] = WRANGLER
    const result = spawnSync(command, [...rest, ...full], { maxBuffer: 256 * 1024 * 1024 })
    if (result.status !== 0) {
      const said = `${result.stderr?.toString() ?? ''}\n${result.stdout?.toString() ?? ''}`.trim()
      throw new WranglerError(`wrangler ${args.slice(0, 3).join(' ')} failed${said ? `:\n${said}` : ''}`)
    }
    return result.stdout
  }

  function file(contents: string | Uint8Array): string {
    const path = join(dir, `${++files}`)
    writeFileSync(path, contents)
    return path
  }

  return {
    async list(prefix) {
      if (listing?.prefix !== prefix) {
        listing = { prefix, keys: JSON.parse(wrangler(['kv', 'key', 'list', '--prefix', prefix], false).toString()) as StoredKey[] }
      }
      return listing.keys
    },
    async get(key) {
      let out: Buffer
      try {
        out = wrangler(['kv', 'key', 'get', key], false)
      } catch (error) {
        // Remote KV answers a missing key with a failed command ("… - 404: Not Found"); local
        // KV prints NOT_FOUND and succeeds.
        if (error instanceof WranglerError && REMOTE_NOT_FOUND.test(error.message)) return null
        throw error
      }
      // No stored rule set or entry is this text (not JSON), so it can only mean "missing".
      if (out.length <= NOT_FOUND.length + 2 && out.toString().trim() === NOT_FOUND) return null
      return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer
    },
    async putMany(entries) {
      listing = null
      // Wrangler 4.86's local bulk put stores a base64 value as UTF-8 text, so a binary
      // value (the compiled rule set) comes back with U+FFFD for every byte that is not
      // UTF-8 and the Worker can only compile the source itself. Locally the binary values go
      // in first, one `kv key put --path` each (binary-safe); the text values follow in bulk.
      const binary = target.where === 'local' ? entries.filter(({ value }) => !isUtf8(value)) : []
      for (const { key, value, metadata } of binary) {
        wrangler(['kv', 'key', 'put', key, '--path', file(value), ...(metadata ? ['--metadata', JSON.stringify(metadata)] : [])], true)
      }
      const rest = entries.filter((entry) => !binary.includes(entry))
      if (rest.length === 0) return
      const bulk = rest.map(({ key, value, metadata }) => ({
        key,
        value: Buffer.from(value).toString('base64'),
        base64: true,
        ...(metadata ? { metadata } : {}),
      }))
      wrangler(['kv', 'bulk', 'put', file(JSON.stringify(bulk))], true)
    },
    async deleteMany(keys) {
      listing = null
      wrangler(['kv', 'bulk', 'delete', file(JSON.stringify(keys)), '--force'], true)
    },
  }
}

/** `2026-12-02 10:41:07 +08:00`, in this machine's time zone. */
export function localTime(ms: number): string {
  const date = new Date(ms)
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0')
  const offset = -date.getTimezoneOffset()
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}`
}
