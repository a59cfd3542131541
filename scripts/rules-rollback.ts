/**
 * `npm run rules:rollback -- <version or unique prefix> [--local | --remote] [--persist-to dir]
 * [--preview] [--app <appid>]`: publishes a version from the history again, byte for byte (the version after
 * it is that version), as the console's and the admin API's rollback do; the rollback is
 * recorded too, so it can be undone the same way.
 */
import { listHistory, rollbackRules } from '../src/rules/history'
import { HISTORY_LIMIT } from '../src/rules/keys'
import { formatIssue } from '../src/rules/validate'
import { parseTarget, WranglerError, wranglerStore } from './rules-kv'

const { target, positionals } = parseTarget('rules:rollback')
const wanted = positionals[0]?.toLowerCase()
if (wanted === undefined || positionals.length > 1 || !/^[0-9a-f]{1,16}$/.test(wanted)) {
  console.error('usage: npm run rules:rollback -- <version or unique prefix> [--local | --remote] [--persist-to dir]')
  console.error('(the versions are listed by npm run rules:history)')
  process.exit(2)
}

try {
  // The store keeps this listing for the rollback's own reads: one wrangler run for both.
  const store = wranglerStore(target)
  const { items } = await listHistory(store, { limit: HISTORY_LIMIT * 2 })
  const versions = [...new Set(items.map((i) => i.version).filter((v) => v.startsWith(wanted)))]
  if (versions.length !== 1) {
    console.error(
      versions.length === 0
        ? `rules:rollback: no version in the history of ${target.where} KV starts with ${wanted} (npm run rules:history lists them)`
        : `rules:rollback: ${wanted} is the start of ${versions.length} versions (${versions.join(', ')}); give more digits`,
    )
    process.exit(1)
  }
  const version = versions[0]!
  const outcome = await rollbackRules(store, version, Date.now())
  if (!outcome.ok) {
    const why =
      outcome.problem === 'invalid'
        ? `it does not validate (a version put by hand, or one this kefu-edge refuses):\n${outcome.issues.map(formatIssue).join('\n')}`
        : outcome.problem === 'not_found'
          ? 'its entry is gone'
          : `the rule set changed meanwhile (now ${outcome.currentVersion})`
    console.error(`rules:rollback: cannot restore ${version}: ${why}; nothing was changed`)
    process.exit(1)
  }
  if (outcome.unchanged) {
    console.log(`${version} already is the rule set in ${target.where} KV; nothing changed.`)
  } else {
    console.log(
      `restored ${version} (${outcome.rules} rules) in ${target.where} KV, replacing ${outcome.previousVersion ?? 'nothing'}. ` +
        'Workers pick it up within about a minute (KV propagation and a 30 s cache).',
    )
  }
} catch (error) {
  if (!(error instanceof WranglerError)) throw error
  console.error(`rules:rollback: ${error.message}`)
  process.exit(1)
}
