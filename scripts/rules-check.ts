/** `npm run rules:check -- [file]`: validates a rules file (default rules/rules.json); exit 1 on error. */
import { checkRulesFile, DEFAULT_RULES_PATH } from './rules-file'

const path = process.argv[2] ?? DEFAULT_RULES_PATH
const checked = await checkRulesFile(path)
if (!checked) process.exit(1)
const { compiled } = checked
console.log(`${path}: ok, ${compiled.ruleIds.length} rules, version ${checked.version}`)
