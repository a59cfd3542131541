/**
 * `npm run rules:check -- [file] [--lang zh|en]`: validates a rules file (default
 * rules/rules.json); exit 1 on error. Problems are in English, or in Chinese with `--lang zh`
 * or a Chinese locale (rules-lang.ts).
 */
import { parseArgs } from 'node:util'
import { checkRulesFile, DEFAULT_RULES_PATH } from './rules-file'
import { askedLang, CHECK_TEXT } from './rules-lang'

const { values, positionals } = parseArgs({ options: { lang: { type: 'string' } }, allowPositionals: true })
const lang = askedLang(values.lang, process.env)
if (lang === null) {
  console.error(CHECK_TEXT.en.badLang(String(values.lang)))
  process.exit(2)
}
const text = CHECK_TEXT[lang]
const path = positionals[0] ?? DEFAULT_RULES_PATH
const checked = await checkRulesFile(path, lang)
if (!checked) process.exit(1)
const { compiled } = checked
console.log(`${path}: ${text.ok(compiled.ruleIds.length, checked.version)}`)
// The knowledge base is in D1, not in the file: say that it is asked, and how an FAQ answers.
if (compiled.knowledge !== null) console.log(text.ai(compiled.knowledge.faqThreshold))
