/**
 * What `npm start` prints about signing in to the local console (scripts/dev-vars.ts,
 * signInLine): the ADMIN_TOKEN itself only when it is the made-up one of .dev.vars.example;
 * any other value may be a real token, so only where it is.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDevVars, signInLine } from '../../scripts/dev-vars'

const root = join(import.meta.dirname, '..', '..')
const madeUp = parseDevVars(readFileSync(join(root, '.dev.vars.example'), 'utf8')).ADMIN_TOKEN

describe('npm start: signing in to the local console', () => {
  it('shows the made-up token of .dev.vars.example, as browser tests and a first run read it', () => {
    expect(madeUp).toBe('local-admin-token-change-me')
    expect(signInLine('.dev.vars', madeUp, madeUp)).toBe('  sign in with the local ADMIN_TOKEN from .dev.vars: local-admin-token-change-me')
  })

  it('never shows another token: only where it is', () => {
    const real = 'prod-admin-token-0123456789abcdef'
    const line = signInLine('.dev.vars', real, madeUp)
    expect(line).toBe('  sign in with the ADMIN_TOKEN from .dev.vars (not shown: it is not the made-up one of .dev.vars.example)')
    expect(line).not.toContain(real)
    // .dev.vars.example gone: nothing is known to be made up.
    expect(signInLine('/tmp/x/.dev.vars', madeUp, undefined)).not.toContain(String(madeUp))
  })

  it('says to set one when there is none', () => {
    expect(signInLine('.dev.vars', undefined, madeUp)).toBe('  set ADMIN_TOKEN in .dev.vars to sign in')
    expect(signInLine('.dev.vars', '', madeUp)).toBe('  set ADMIN_TOKEN in .dev.vars to sign in')
  })
})
