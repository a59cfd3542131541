/** `npm run rules:check -- [file]`: validates a rules file (default rules/rules.json); exit 1 on error. */
import { checkRulesFile, DEFAULT_RULES_PATH } from './rules-file'

const path = process.argv[2] ?? DEFAULT_RULES_PATH
const checked = await checkRulesFile(path)
if (!checked) process.exit(1)
const { compiled } = checked
console.log(`${path}: ok, ${compiled.ruleIds.length} rules, version ${checked.version}`)
// The knowledge base is in D1, not in the file: say that it is asked, and how an FAQ answers.
if (compiled.knowledge !== null) {
  console.log(`ai: texts no rule answers ask the knowledge base first (an FAQ scoring ${compiled.knowledge.faqThreshold} or more answers)`)
}
