/** What the rules:* scripts share: reading, validating and compiling a rules file. */
import { readFileSync } from 'node:fs'
import { compileRules, type CompiledRules } from '../src/rules/compile'
import { issueLine, validateRuleSetText } from '../src/rules/validate'
import { ruleSetVersion } from '../src/rules/version'
import { CHECK_TEXT, type Lang } from './rules-lang'

export const DEFAULT_RULES_PATH = 'rules/rules.json'

export interface CheckedRules {
  path: string
  /** The file's exact bytes: what goes into KV, and what the version is the hash of. */
  bytes: Uint8Array<ArrayBuffer>
  version: string
  compiled: CompiledRules
}

/** Reads, validates and compiles; prints every problem (in `lang`) and returns null when there are any. */
export async function checkRulesFile(path: string, lang: Lang = 'en'): Promise<CheckedRules | null> {
  const text = CHECK_TEXT[lang]
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = new Uint8Array(readFileSync(path))
  } catch (error) {
    console.error(`${path}: ${text.unreadable((error as Error).message)}`)
    return null
  }
  const validation = validateRuleSetText(new TextDecoder().decode(bytes))
  if (!validation.ok) {
    for (const issue of validation.issues) console.error(`${path}: ${issueLine(issue, lang)}`)
    console.error(`${path}: ${text.problems(validation.issues.length)}`)
    return null
  }
  const version = await ruleSetVersion(bytes)
  return { path, bytes, version, compiled: compileRules(validation.value, version) }
}
