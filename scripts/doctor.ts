/**
 * `npm run doctor -- --url https://<your-worker>`: checks a deployed Worker from outside, as
 * WeChat and an operator reach it, and prints each check with ✓ or ✗ and, for each failure,
 * its likely cause and the fix (scripts/doctor-checks.ts). Exit code 0 when every check
 * passes, 1 otherwise, 2 when it refuses to run (the admin token over plain http).
 *
 *   --token <Token>              WECHAT_TOKEN: the push Token (the URL check, the test push)
 *   --aes-key <EncodingAESKey>   WECHAT_ENCODING_AES_KEY: for a test push in safe/compatible mode
 *   --appid <AppID>              WECHAT_APPID: the same
 *   --admin-token <token>        ADMIN_TOKEN: the rule set, the test push's record, the admin API
 *   --json                       the test push as JSON (default XML)
 *   --timeout <seconds>          per request, answer included (default 10)
 *   --insecure-http              send the admin token even over plain http to a host that is
 *                                not this machine (refused otherwise: it would cross in clear)
 *
 * Each setting comes from its flag, else the environment variable of the Worker's own name,
 * else — for a local --url (localhost, 127.0.0.1) — .dev.vars. Values are never printed.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { passed, runDoctor, type CheckResult } from './doctor-checks'
import { parseDevVars } from './dev-vars'
import { plainHttpRefusal, resolveSettings, type DoctorSettings } from './doctor-settings'

const USAGE = `Usage: npm run doctor -- --url https://<your-worker>.workers.dev [--token …] [--aes-key …] [--appid …]
       [--admin-token …] [--kf-corpid … --kf-token … --kf-aes-key …] [--json] [--timeout <seconds>] [--insecure-http]
Settings not given as flags come from WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY, WECHAT_APPID,
ADMIN_TOKEN and (微信客服, optional) WECOM_CORPID, WECOM_KF_TOKEN, WECOM_KF_ENCODING_AES_KEY in the
environment, and for a local URL from .dev.vars. The admin token is not sent
over plain http to a host other than this machine unless --insecure-http is given.`

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`)
  process.exit(1)
}

let values: ReturnType<typeof parse>['values']
try {
  values = parse().values
} catch (error) {
  fail((error as Error).message)
}
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
if (!values.url) fail('--url is required.')
const timeoutSeconds = Number(values.timeout ?? '10')
if (!(timeoutSeconds > 0)) fail('--timeout must be a number of seconds above 0.')

let settings: DoctorSettings
try {
  settings = resolveSettings({ ...values, url: values.url }, process.env, () => {
    try {
      return parseDevVars(readFileSync('.dev.vars', 'utf8'))
    } catch {
      return null
    }
  })
} catch (error) {
  fail((error as Error).message)
}
const refusal = plainHttpRefusal(settings, values['insecure-http'] ?? false)
if (refusal) {
  console.error(refusal)
  process.exit(2)
}

console.log(`kefu-edge doctor: ${settings.url}`)
console.log(`  ${settings.sources.join(' · ')}`)
console.log('')
const report = await runDoctor({ fetch, timeoutMs: timeoutSeconds * 1000 }, settings)
for (const result of report.results) printResult(result)
for (const name of report.notRun) console.log(`- ${name}: not run (${report.notRunBecause ?? 'see above'})`)

const failures = report.results.filter((r) => !passed(r)).length
const total = report.results.length + report.notRun.length
const notRun = report.notRun.length > 0 ? `, ${report.notRun.length} not run` : ''
console.log('')
console.log(failures + report.notRun.length === 0 ? `All ${total} checks passed.` : `${failures} of ${total} checks failed${notRun}.`)
process.exit(failures + report.notRun.length === 0 ? 0 : 1)

function printResult(result: CheckResult): void {
  console.log(`${passed(result) ? '✓' : '✗'} ${result.title}`)
  for (const line of result.lines) console.log(`    ${line}`)
  for (const problem of result.problems) {
    console.log(`    ✗ ${problem.what}`)
    console.log(`      cause: ${problem.cause}`)
    console.log(`      fix: ${problem.fix}`)
  }
}

function parse() {
  return parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'aes-key': { type: 'string' },
      appid: { type: 'string' },
      'kf-corpid': { type: 'string' },
      'kf-token': { type: 'string' },
      'kf-aes-key': { type: 'string' },
      'admin-token': { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      'insecure-http': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
