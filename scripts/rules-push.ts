/**
 * `npm run rules:push -- [file] [--local | --remote] [--persist-to dir] [--preview] [--app <appid>]`:
 * checks the file, then publishes it to the RULES namespace with wrangler, as the console
 * and the admin API publish (src/rules/history.ts): the compiled form (`rules:compiled`)
 * first, so a Worker that sees the new `rules` finds it (or, while KV catches up, compiles
 * the source itself — never a mismatch); then the file itself (`rules`) and its history
 * entry, keeping the version it replaces (`npm run rules:history`, `rules:rollback`).
 */
import { publishRules } from '../src/rules/history'
import { formatIssue } from '../src/rules/validate'
import { checkRulesFile, DEFAULT_RULES_PATH } from './rules-file'
import { parseTarget, WranglerError, wranglerStore } from './rules-kv'

const { target, positionals } = parseTarget('rules:push')
const path = positionals[0] ?? DEFAULT_RULES_PATH
const checked = await checkRulesFile(path)
if (!checked) process.exit(1)

try {
  const outcome = await publishRules(wranglerStore(target), checked.bytes, 'rules:push', Date.now())
  if (!outcome.ok) {
    // Checked above, and no ifVersion: only a validator that changed in between gets here.
    const why = outcome.problem === 'invalid' ? outcome.issues.map(formatIssue).join('\n') : outcome.problem
    console.error(`rules:push: refused (${why}); nothing was changed`)
    process.exit(1)
  }
  if (outcome.unchanged) {
    console.log(`${path} (version ${outcome.version}) already is the rule set in ${target.where} KV; nothing to publish.`)
  } else {
    if (outcome.recordedUnrecorded) {
      console.log(`kept version ${outcome.recordedUnrecorded}, put without rules:push, in the history as "unrecorded"`)
    }
    const previous = outcome.previousVersion
      ? `; it replaces ${outcome.previousVersion} (npm run rules:rollback -- ${outcome.previousVersion} undoes it)`
      : ''
    console.log(
      `pushed ${path} (${outcome.rules} rules, version ${outcome.version}) to ${target.where} KV${previous}. ` +
        'Workers pick it up within about a minute (KV propagation and a 30 s cache).',
    )
  }
} catch (error) {
  if (!(error instanceof WranglerError)) throw error
  // The compiled form is written first and `rules` with its entry in one request after it:
  // a failure before that last write leaves the rule set in force as it was.
  console.error(`rules:push: ${error.message}`)
  process.exit(1)
}
