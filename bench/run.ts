/**
 * `npm run bench`: what a push costs, side by side with the raw-crypto floor and a Node peer
 * (issue 8). Sections: pipeline (micro-benchmark in Node, and the same cases inside workerd
 * through bench/pipeline-worker/), rules (matching at 10 to 10,000
 * rules), apps (a push with 20 mini programs served against one), bill (what one message costs
 * on Workers per flow, counted from the running code and priced), e2e (loopback load through `wrangler dev`), bundle (dry-run deploy size), record (what
 * the D1 record adds per push, and the admin API's queries over 100,000 messages in a local
 * D1 through bench/record-worker/), ai (what an answer by the model costs next to an FAQ answer:
 * rows, requests, the stand-in model's tokens priced, push → reply over 200 users each), desk (the
 * human desk's live channel: 200 open consoles on WebSockets while users ask for a person, each
 * event's delivery to all of them, workerd's memory), kf (微信客服 as a channel: a customer's
 * message priced as the bill prices one, and message → reply through notice, pull and send).
 *
 *   npm run bench                                  everything (a few minutes)
 *   npm run bench -- --only pipeline,rules         some sections
 *   npm run bench -- --only record                 the D1 record (about a minute)
 *   npm run bench -- --only pipeline --pipeline-in workerd   the pipeline in workerd only
 *                                                  (node, workerd or both — the default)
 *   npm run bench -- --only e2e --pushes 1000 --openids 1000 --connections 10
 *   npm run bench -- --only ai --ai-pushes 200 --ai-concurrency 10
 *   npm run bench -- --only desk --desk-clients 200 --desk-users 100 --desk-rounds 3 --desk-concurrency 1
 *                                                  (--desk-returning: the same users every round)
 *   npm run bench -- --only kf --kf-customers 200 --kf-concurrency 10
 *   npm run bench -- --tmpfs                       the persisted state on a RAM disk (/dev/shm): runs compare
 *                                                  work, not disks (results to bench/results-tmpfs.json)
 *   npm run bench -- --only e2e --pairs 5          kefu-edge and the floor alternating, median of 5 runs each
 *   npm run bench -- --only e2e --profile          a CPU profile of kefu-edge under the load, by source file
 *                                                  (the raw profile beside the results, for Chrome DevTools)
 *   npm run bench -- --targets kefu-edge,floor     e2e against some targets
 *   npm run bench -- --out path.json               results elsewhere (default bench/results.json)
 *
 * Prints tables and writes a JSON file for comparing commits. Never asserts a time: the
 * targets are reported as met or not. Not part of `npm test`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { runAiBench } from './ai'
import { runAppsBench } from './apps'
import { runBillBench } from './bill'
import { MODEL_PRICES, PRICES } from './prices'
import { runBundle } from './bundle'
import { runColdStart } from './cold-start'
import { type DeskResult, deskTable, deskTargets, runDeskBench } from './desk'
import { runKfBench } from './kf'
import { runE2e, TARGETS, type TargetName } from './e2e'
import { runPipelineBench } from './pipeline'
import { runPipelineWorkerd } from './pipeline-workerd'
import { installCleanup, killAllNow } from './processes'
import {
  aiTable,
  appsTable,
  billItemsTable,
  billTable,
  bundleTable,
  coldStartTable,
  checkTargets,
  e2eTable,
  kfLatencyTable,
  profileTable,
  pipelineTable,
  recordTable,
  regexTable,
  rulesTable,
  targetsTable,
  workerdPipelineTable,
  type Sections,
} from './report'
import { runRecordBench } from './record'
import { runRegexBench } from './regex'
import { runRulesBench } from './rules'
import { fmt } from './timing'

const SECTIONS = ['pipeline', 'rules', 'apps', 'e2e', 'bundle', 'record', 'bill', 'ai', 'desk', 'kf'] as const
type Section = (typeof SECTIONS)[number]

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    pushes: { type: 'string', default: '2500' },
    openids: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '200' },
    'ai-pushes': { type: 'string', default: '200' },
    'ai-concurrency': { type: 'string', default: '10' },
    'desk-clients': { type: 'string', default: '200' },
    'desk-users': { type: 'string', default: '100' },
    'desk-rounds': { type: 'string', default: '3' },
    'desk-concurrency': { type: 'string', default: '1' },
    'desk-returning': { type: 'boolean', default: false },
    'kf-customers': { type: 'string', default: '200' },
    'kf-concurrency': { type: 'string', default: '10' },
    targets: { type: 'string' },
    tmpfs: { type: 'boolean', default: false },
    pairs: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    'pipeline-in': { type: 'string', default: 'node,workerd' },
    out: { type: 'string' },
  },
})

const only = values.only?.split(',').map((s) => s.trim()) ?? [...SECTIONS]
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name)) {
    console.error(`bench: unknown section ${name}; use ${SECTIONS.join(', ')}`)
    process.exit(2)
  }
}
const wants = (section: Section) => only.includes(section)
const targets = values.targets?.split(',').map((s) => s.trim()) ?? TARGETS
for (const t of targets) {
  if (!(TARGETS as string[]).includes(t)) {
    console.error(`bench: unknown target ${t}; use ${TARGETS.join(', ')}`)
    process.exit(2)
  }
}
const PIPELINE_RUNTIMES = ['node', 'workerd'] as const
type PipelineRuntime = (typeof PIPELINE_RUNTIMES)[number]
const pipelineIn = values['pipeline-in'].split(',').map((s) => s.trim())
for (const r of pipelineIn) {
  if (!(PIPELINE_RUNTIMES as readonly string[]).includes(r)) {
    console.error(`bench: unknown --pipeline-in ${r}; use ${PIPELINE_RUNTIMES.join(', ')}`)
    process.exit(2)
  }
}
const pipelineWants = (runtime: PipelineRuntime) => pipelineIn.includes(runtime)
const positive = (name: string, value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a positive integer`)
    process.exit(2)
  }
  return n
}
const outPath = values.out ?? (values.tmpfs ? 'bench/results-tmpfs.json' : 'bench/results.json')
const e2eOptions = {
  pairs: positive('pairs', values.pairs),
  ...(values.profile ? { profile: `${outPath.replace(/\.json$/, '')}.cpuprofile` } : {}),
  pushes: positive('pushes', values.pushes),
  openids: positive('openids', values.openids),
  connections: positive('connections', values.connections),
  warmup: positive('warmup', values.warmup),
  targets: targets as TargetName[],
}
const aiOptions = {
  pushes: positive('ai-pushes', values['ai-pushes']),
  concurrency: positive('ai-concurrency', values['ai-concurrency']),
}
const deskOptions = {
  clients: positive('desk-clients', values['desk-clients']),
  users: positive('desk-users', values['desk-users']),
  rounds: positive('desk-rounds', values['desk-rounds']),
  concurrency: positive('desk-concurrency', values['desk-concurrency']),
  returning: values['desk-returning'],
}
const kfOptions = {
  customers: positive('kf-customers', values['kf-customers']),
  concurrency: positive('kf-concurrency', values['kf-concurrency']),
}

if (values.tmpfs) {
  // Every temp dir the sections make (their persisted state, workerd's own files) on the RAM
  // disk: os.tmpdir() and the children they start read TMPDIR.
  const shm = '/dev/shm'
  if (!existsSync(shm)) {
    console.error('bench: --tmpfs needs /dev/shm (a RAM disk)')
    process.exit(2)
  }
  process.env.TMPDIR = mkdtempSync(join(shm, 'kefu-bench-'))
}

installCleanup()
const started = Date.now()
const sections: Sections & { desk?: DeskResult } = values.tmpfs ? { tmpfs: true } : {}
const heading = (text: string) => console.log(`\n## ${text}\n`)

try {
  console.log(`# kefu-edge benchmarks — ${new Date().toISOString()}`)
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, commit ${commit()}`)

  if (wants('pipeline') && pipelineWants('node')) {
    heading('Pipeline: verify + decrypt + parse + match, one safe-mode text push (Node)')
    sections.pipeline = await runPipelineBench()
    console.log(pipelineTable(sections.pipeline))
    console.log(
      '\nfloor = node:crypto SHA-1 + AES-256-CBC decrypt only; peer = co-wechat’s steps (xml2js ×2 or JSON.parse ×2, ' +
        'wechat-crypto) + naive rule scan. Median of 7 runs; spread = (max−min)/median.',
    )
    console.log(
      'Note: in Node each of ours’ 3 WebCrypto calls (SHA-1, the padding-block encrypt, the decrypt) is an async ' +
        'thread-pool hop of ~60–80 µs, so "ours" here mostly prices Node’s WebCrypto glue; the deployed Worker runs on ' +
        'workerd, where WebCrypto is synchronous BoringSSL — see the workerd table for the cost users pay.',
    )
  }
  if (wants('pipeline') && pipelineWants('workerd')) {
    heading('Pipeline inside workerd: the same cases, ours vs the node:crypto floor (bench/pipeline-worker under wrangler dev)')
    sections.pipelineWorkerd = await runPipelineWorkerd()
    console.log(workerdPipelineTable(sections.pipelineWorkerd))
    console.log(
      '\nours = openPush + decide (WebCrypto, in workerd); floor = node:crypto (nodejs_compat) SHA-1 + AES-256-CBC decrypt ' +
        'only, synchronous. workerd’s clocks stand still during CPU work, so each op is timed from Node: ' +
        '(wall-clock of a request running K ops − median of n=0 requests) / K, median of 15 pairs; ' +
        'best = fastest pair (other load only adds time); spread = (max−min)/median. No peer here: co-wechat is a Node middleware.',
    )
  }
  if (wants('rules')) {
    heading('Rule matching: compiled index vs naive in-order scan (100-character messages)')
    sections.rules = runRulesBench()
    console.log(rulesTable(sections.rules))
    heading('Regex rules at their worst: adversarial texts at the 200-character cap (decide, linear-time engine)')
    sections.regex = runRegexBench()
    console.log(regexTable(sections.regex))
  }
  if (wants('bill')) {
    heading('The bill per message: counted from the running Worker and Conversation object (bench/bill-worker under wrangler dev)')
    sections.bill = await runBillBench()
    console.log(billTable(sections.bill))
    console.log('\nUSD per million messages, by item:\n')
    console.log(billItemsTable(sections.bill))
    const sources = [...new Set(Object.values(PRICES).map((p) => `${p.source} (as of ${p.asOf})`))]
    console.log(
      '\nWorkers Paid list prices beyond the included amounts (bench/prices.ts): ' +
        sources.join(', ') +
        '. ' +
        'Subrequests are not billed. CPU is priced at the request time Node saw (an upper bound: workerd’s clocks stand ' +
        'still while code runs). DO duration is not counted here: it is the wall-clock of each request, mostly waiting ' +
        'for WeChat’s API; at 150 ms per WeChat call it adds 0.125 GB × 0.15 s × $12.50/M GB-s ≈ $0.23 per million calls. ' +
        'Median of 5 users per flow, each a user who wrote once before (but "first message").',
    )
  }
  if (wants('ai')) {
    heading(
      `An answer by the model, next to an FAQ answer: the bill, the tokens, and push → reply over ${aiOptions.pushes} users ` +
        `(${aiOptions.concurrency} at a time), against the stand-in model and the fake WeChat (bench/bill-worker under wrangler dev)`,
    )
    sections.ai = await runAiBench(aiOptions)
    console.log(aiTable(sections.ai))
    console.log(
      `\nCounts per push on a warm conversation, median of 5 users, as the bill counts them (subreq: the model, the typing ` +
        `indicator and custom/send). Tokens: the stand-in's usage (one per CJK character, one per 4 other characters) for ` +
        `the Worker's real prompt, checked against the total the Worker wrote to D1 (messages.tokens); priced at ` +
        `${MODEL_PRICES.model}: $${fmtUsd(MODEL_PRICES.input.usd * 1e6)} per million input and $${fmtUsd(MODEL_PRICES.output.usd * 1e6)} ` +
        `per million output tokens (${MODEL_PRICES.input.source}, as of ${MODEL_PRICES.input.asOf}) — an assumption: off-peak ` +
        'is half, cache hits on the system prompt cost ~2 %, and DeepSeek’s tokenizer counts Chinese lower than the stand-in. ' +
        'success = push → "success"; reply = push → custom/send arriving at the fake WeChat (in this process). The stand-in ' +
        'answers at once: a real model adds its own 0.5–3 s to the AI reply; WeChat’s typing indicator covers the wait.',
    )
  }
  if (wants('apps')) {
    heading('Several mini programs: a push when the Worker serves 1 app and when it serves 20 (Node)')
    sections.apps = await runAppsBench()
    console.log(appsTable(sections.apps))
    console.log(
      '\nresolve = the app’s view of the bindings (built once per isolate) + its token, mode and cached cipher; ' +
        'push = resolve + verify + decrypt + parse + decide, 1 KB safe-mode XML, round-robin over the apps. The cases interleaved, median of 9 runs.',
    )
  }
  if (wants('e2e')) {
    heading(
      `End to end on loopback: ${e2eOptions.pushes} distinct pushes over ${e2eOptions.openids} openids, ` +
        `${e2eOptions.connections} connections (after ${e2eOptions.warmup} warm-up pushes)`,
    )
    const e2e = await runE2e(e2eOptions)
    sections.e2e = e2e.rows
    console.log(e2eTable(sections.e2e))
    console.log(
      '\nsuccess = send → answer at the load generator; reply = send → custom/send arriving at the fake WeChat API. ' +
        'kefu-edge and floor under `wrangler dev` (with its dev proxy); co-wechat on Koa in Node.' +
        (values.tmpfs ? ' State on tmpfs.' : ' State on disk.'),
    )
    if (e2e.profile) {
      sections.profile = e2e.profile
      heading(
        `Where kefu-edge's CPU went during the measured load: V8's sampling profile in workerd, self time by source file ` +
          `(${fmt(e2e.profile.busyMs / 1000, 1)} s busy of ${fmt(e2e.profile.wallMs / 1000, 1)} s)`,
      )
      console.log(profileTable(e2e.profile))
      console.log(
        `\n(program) = workerd outside JavaScript (I/O, SQLite, crypto, the DO and D1 plumbing); raw profile: ${e2e.profile.file ?? '–'}`,
      )
    }
  }
  if (wants('bundle')) {
    heading('Bundle: wrangler deploy --dry-run')
    const bundle = runBundle()
    sections.bundle = bundle.result
    console.log(bundleTable(sections.bundle))
    heading('Cold start: workerd started on each bundle alone, to its first answer')
    sections.coldStart = await runColdStart(bundle.code)
    console.log(coldStartTable(sections.coldStart))
    console.log(
      `\n${sections.coldStart.rounds} rounds, the three alternating. The push path alone is src/index.ts without the console ` +
        'and the admin API: what this Worker would be if those moved to a second Worker. workerd compiles and runs every module ' +
        'of a Worker as it starts; on Cloudflare an isolate starts from cached compiled code, so the times there are smaller.',
    )
  }

  if (wants('record')) {
    heading('The D1 record: per push, and the admin API over 100,000 stored messages (local D1)')
    sections.record = await runRecordBench()
    console.log(recordTable(sections.record))
    console.log(
      '\nLocal numbers: workerd’s SQLite behind the local D1 simulator (wrangler dev), timed inside the bench Worker ' +
        'around src/record’s own functions: 30 runs after one untimed run; workerd’s clock moves in whole milliseconds, so ' +
        'p50/p95 are whole ms and the mean (the loop’s time over the runs) is the finer number. On Cloudflare each route ' +
        'makes one D1 call (one query or one batch), which also pays the network round trip to the database; rows read ' +
        '(D1’s rows_read, what it bills) are the same anywhere. The record is written after delivery (waitUntil), never ' +
        'ahead of a push’s answer; recordStatements = building the statements (pure JS, no I/O).',
    )
  }
  if (wants('desk')) {
    heading(
      `The human desk live: ${deskOptions.clients} open consoles (WebSockets to /admin/queue/live) while ` +
        `${deskOptions.users} ${deskOptions.returning ? 'returning' : 'new'} users a round (${deskOptions.rounds} rounds, ` +
        `${deskOptions.concurrency} at a time) push "人工" then a text`,
    )
    sections.desk = await runDeskBench(deskOptions)
    console.log(deskTable(sections.desk))
    console.log(
      '\nsuccess = push → "success" at the pusher; first / all = push → the first / the last console having the event ' +
        'naming it ("人工": the queue listing the user; the text: the message event). Lost = console × push pairs without ' +
        'it after 10 s. Each round ends with the owner closing its users (admin API). RSS = the workerd processes under ' +
        'wrangler dev (ps), one Desk object holding every socket (hibernation API).',
    )
  }
  if (wants('kf')) {
    heading(
      `微信客服 as a channel: a customer's message priced, and message → reply over ${kfOptions.customers} customers ` +
        `(1 and ${kfOptions.concurrency} at a time), against the 微信客服 stand-in (bench/bill-worker under wrangler dev)`,
    )
    sections.kf = await runKfBench(kfOptions)
    const textReply = sections.bill?.find((row) => row.flow === 'text reply')
    console.log(billTable(textReply ? [textReply, ...sections.kf.bill] : sections.kf.bill))
    console.log('\nUSD per million messages, by item:\n')
    console.log(billItemsTable(sections.kf.bill))
    console.log(`\n${kfLatencyTable(sections.kf.latency)}`)
    console.log(
      '\nEach flow: the notice the Worker answers (one Worker request), the account object’s pull (one DO request: ' +
        'kf/sync_msg from its cursor, the msgid remembered) and the customer’s Conversation object (kf/send_msg); ' +
        'median of 5 customers, priced as the bill prices a message' +
        (textReply ? ' (the mini program’s "text reply" from the bill section above it, for comparison)' : '') +
        '. The account’s catch-up alarm (one DO request every 2 minutes while it is active) is per account, not per ' +
        'message: not included. notice = POST /wecom/kf → its 200 (the pull runs after, under waitUntil); reply = the ' +
        'message at the stand-in → kf/send_msg arriving there; pulls / msg = kf/sync_msg calls per message (notices ' +
        'during a pull are coalesced into one more pull).',
    )
  }

  const checks = checkTargets(sections)
  if (sections.desk) checks.push(...deskTargets(sections.desk))
  heading('Targets')
  console.log(targetsTable(checks))

  const out = resolve(outPath)
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: commit(),
        node: process.version,
        cpus: cpus().length,
        cpu: cpus()[0]?.model.trim() ?? null,
        options: { only, pipelineIn, tmpfs: values.tmpfs, ...e2eOptions, ai: aiOptions, desk: deskOptions, kf: kfOptions },
        durationS: (Date.now() - started) / 1000,
        ...sections,
        targets: checks,
      },
      null,
      2,
    )}\n`,
  )
  console.log(`\nwrote ${outPath} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
} catch (error) {
  killAllNow()
  console.error(error)
  process.exitCode = 1
} finally {
  if (values.tmpfs && process.env.TMPDIR && !process.env.BENCH_KEEP) rmSync(process.env.TMPDIR, { recursive: true, force: true })
}

function fmtUsd(value: number): string {
  return value.toFixed(2)
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim()
    return dirty ? `${sha}+dirty` : sha
  } catch {
    return 'unknown'
  }
}
