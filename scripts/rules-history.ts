/**
 * `npm run rules:history -- [--local | --remote] [--persist-to dir] [--preview] [--app <appid>]`: the rule
 * set's published versions in the RULES namespace, newest first — when, from where, how many
 * rules, and which is in force. `npm run rules:rollback -- <version>` restores one.
 */
import { listHistory } from '../src/rules/history'
import { HISTORY_LIMIT } from '../src/rules/keys'
import { localTime, parseTarget, WranglerError, wranglerStore } from './rules-kv'

const { target, positionals } = parseTarget('rules:history')
if (positionals.length > 0) {
  console.error('rules:history: takes no file or version (usage: npm run rules:history -- [--local | --remote] [--persist-to dir])')
  process.exit(2)
}

try {
  const page = await listHistory(wranglerStore(target), { limit: HISTORY_LIMIT * 2 })
  const { items, currentVersion } = page
  if (currentVersion === null) console.log(`no rule set in ${target.where} KV (key "rules")`)
  if (items.length === 0) {
    console.log(`no history in ${target.where} KV yet: rules:push, the console and the admin API record each version they publish`)
  } else {
    console.log(
      `${items.length} version${items.length === 1 ? '' : 's'} in ${target.where} KV, newest first (at most ${HISTORY_LIMIT} are kept):`,
    )
    const rows = [
      ['', 'version', 'published', 'from', 'rules'],
      ...items.map((i) => [i.current ? '*' : '', i.version, localTime(i.publishedAt), i.from, i.rules === null ? '-' : String(i.rules)]),
    ]
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)))
    for (const row of rows)
      console.log(
        row
          .map((cell, col) => (col === 4 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
          .join('  ')
          .trimEnd(),
      )
    console.log('* the rule set in force')
  }
  if (currentVersion !== null && !items.some((i) => i.current)) {
    console.log(`in force: ${currentVersion}, put without rules:push (e.g. wrangler kv key put); the next publish keeps it as "unrecorded"`)
  }
} catch (error) {
  if (!(error instanceof WranglerError)) throw error
  console.error(`rules:history: ${error.message}`)
  process.exit(1)
}
