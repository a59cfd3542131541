/**
 * `--app <appid>` on rules:push, rules:history and rules:rollback: the app's own keys
 * (`app:<appid>:…`, as src/settings/mini-program-state.ts reads them), and nothing of another app's.
 */
import { describe, expect, it } from 'vitest'
import { parseTarget } from '../../scripts/rules-kv'
import { scopedStore, type RulesStore, type StorePut } from '../../src/rules/history-store'

function memoryStore(): RulesStore & { keys: Map<string, Uint8Array> } {
  const keys = new Map<string, Uint8Array>()
  return {
    keys,
    list: async (prefix) =>
      [...keys.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((name) => ({ name })),
    get: async (key) => (keys.has(key) ? keys.get(key)!.slice().buffer : null),
    putMany: async (entries: StorePut[]) => {
      for (const { key, value } of entries) keys.set(key, value)
    },
    deleteMany: async (names) => {
      for (const name of names) keys.delete(name)
    },
  }
}

describe('--app', () => {
  it('targets the app’s prefix; without it, the first app’s plain keys', () => {
    expect(parseTarget('rules:push', ['--local', '--app', 'wxb2c3d4e5f6a7b8c9', 'rules.json'])).toEqual({
      target: { flags: ['--local'], where: 'local', prefix: 'app:wxb2c3d4e5f6a7b8c9:' },
      positionals: ['rules.json'],
    })
    expect(parseTarget('rules:push', ['--remote']).target.prefix).toBe('')
  })

  it('an app’s store writes and lists under its prefix only', async () => {
    const kv = memoryStore()
    await kv.putMany([{ key: 'rules', value: new Uint8Array([1]) }])
    const app = scopedStore(kv, 'app:wxb2c3d4e5f6a7b8c9:')
    expect(await app.get('rules')).toBeNull()
    await app.putMany([
      { key: 'rules', value: new Uint8Array([2]) },
      { key: 'rules:history:1', value: new Uint8Array([3]) },
    ])
    expect([...kv.keys.keys()].sort()).toEqual(['app:wxb2c3d4e5f6a7b8c9:rules', 'app:wxb2c3d4e5f6a7b8c9:rules:history:1', 'rules'])
    expect((await app.list('rules:history:')).map((k) => k.name)).toEqual(['rules:history:1'])
    expect(new Uint8Array((await kv.get('rules'))!)).toEqual(new Uint8Array([1]))
  })
})
