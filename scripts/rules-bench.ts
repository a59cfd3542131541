/**
 * `npm run rules:bench`: what rule sets cost, in Node (V8, like workerd; not a timed test).
 * For 10, 1,000 and 10,000 rules (mixed exact/contains, five regexes, events; 1.5 keywords
 * per rule, 70 % CJK): check + compile as rules:push does it; a cold load from the compiled
 * form (the Worker after rules:push); a cold load from source (after a hand put); and the
 * match time per 100-character message, indexed and as a naive in-order scan. Then the
 * worst regex rules on adversarial texts (bench/regex.ts). In between, what office hours and
 * dated rules add per message (runConditionsBench). The measuring is shared with
 * `npm run bench`.
 */
import { runRegexBench } from '../bench/regex'
import { conditionsTable, regexTable, rulesTable } from '../bench/report'
import { runConditionsBench, runRulesBench } from '../bench/rules'

console.log(rulesTable(runRulesBench()))
console.log()
console.log(conditionsTable(runConditionsBench()))
console.log()
console.log(regexTable(runRegexBench()))
