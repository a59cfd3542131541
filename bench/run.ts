/**
 * `npm run bench`: what a push costs, side by side with the raw-crypto floor and a Node peer
 * (issue 8). Sections: pipeline (Node micro-benchmark), rules (matching at 10 to 10,000
 * rules), e2e (loopback load through `wrangler dev`), bundle (dry-run deploy size).
 *
 *   npm run bench                                  everything (a few minutes)
 *   npm run bench -- --only pipeline,rules         some sections
 *   npm run bench -- --only e2e --pushes 1000 --openids 1000 --connections 10
 *   npm run bench -- --targets kefu-edge,floor     e2e against some targets
 *   npm run bench -- --out path.json               results elsewhere (default bench/results.json)
 *
 * Prints tables and writes a JSON file for comparing commits. Never asserts a time: the
 * targets are reported as met or not. Not part of `npm test`.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { runBundle } from './bundle'
import { runE2e, TARGETS, type TargetName } from './e2e'
import { runPipelineBench } from './pipeline'
import { installCleanup, killAllNow } from './processes'
import {
  bundleTable,
  checkTargets,
  e2eTable,
  pipelineTable,
  rulesTable,
  targetsTable,
  type Sections,
} from './report'
import { runRulesBench } from './rules'

const SECTIONS = ['pipeline', 'rules', 'e2e', 'bundle'] as const
type Section = (typeof SECTIONS)[number]

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    pushes: { type: 'string', default: '2500' },
    openids: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '200' },
    targets: { type: 'string' },
    out: { type: 'string', default: 'bench/results.json' },
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
const positive = (name: string, value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a positive integer`)
    process.exit(2)
  }
  return n
}
const e2eOptions = {
  pushes: positive('pushes', values.pushes),
  openids: positive('openids', values.openids),
  connections: positive('connections', values.connections),
  warmup: positive('warmup', values.warmup),
  targets: targets as TargetName[],
}

installCleanup()
const started = Date.now()
const sections: Sections = {}
const heading = (text: string) => console.log(`\n## ${text}\n`)

try {
  console.log(`# kefu-edge benchmarks — ${new Date().toISOString()}`)
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, commit ${commit()}`)

  if (wants('pipeline')) {
    heading('Pipeline: verify + decrypt + parse + match, one safe-mode text push (Node)')
    sections.pipeline = await runPipelineBench()
    console.log(pipelineTable(sections.pipeline))
    console.log(
      '\nfloor = node:crypto SHA-1 + AES-256-CBC decrypt only; peer = co-wechat’s steps (xml2js ×2 or JSON.parse ×2, ' +
        'wechat-crypto) + naive rule scan. Median of 7 runs; spread = (max−min)/median.',
    )
  }
  if (wants('rules')) {
    heading('Rule matching: compiled index vs naive in-order scan (100-character messages)')
    sections.rules = runRulesBench()
    console.log(rulesTable(sections.rules))
  }
  if (wants('e2e')) {
    heading(
      `End to end on loopback: ${e2eOptions.pushes} distinct pushes over ${e2eOptions.openids} openids, ` +
        `${e2eOptions.connections} connections (after ${e2eOptions.warmup} warm-up pushes)`,
    )
    sections.e2e = await runE2e(e2eOptions)
    console.log(e2eTable(sections.e2e))
    console.log(
      '\nsuccess = send → answer at the load generator; reply = send → custom/send arriving at the fake WeChat API. ' +
        'kefu-edge and floor under `wrangler dev` (with its dev proxy); co-wechat on Koa in Node.',
    )
  }
  if (wants('bundle')) {
    heading('Bundle: wrangler deploy --dry-run')
    sections.bundle = runBundle()
    console.log(bundleTable(sections.bundle))
  }

  const checks = checkTargets(sections)
  heading('Targets')
  console.log(targetsTable(checks))

  const out = resolve(values.out)
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: commit(),
        node: process.version,
        cpus: cpus().length,
        cpu: cpus()[0]?.model.trim() ?? null,
        options: { only, ...e2eOptions },
        durationS: (Date.now() - started) / 1000,
        ...sections,
        targets: checks,
      },
      null,
      2,
    )}\n`,
  )
  console.log(`\nwrote ${values.out} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
} catch (error) {
  killAllNow()
  console.error(error)
  process.exitCode = 1
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
