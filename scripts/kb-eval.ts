/**
 * `npm run kb:eval`: how well the knowledge base answers the example shop's customers. Asks
 * each labelled question of knowledge/eval.jsonl (paraphrases, typos, traditional characters,
 * English, off-topic and hostile ones) through `POST /admin/api/knowledge/ask` — the Worker's
 * own retrieval on local D1, nothing sent — and prints retrieval hit@1 and hit@3, how often a
 * direct FAQ answer was the right one, how often an unanswerable question got no FAQ answer,
 * per kind and overall, and the same across thresholds 0.40…0.90 (scripts/kb-eval-report.ts).
 * With a model configured (`npm start` runs the stand-in, dev/fake-llm.ts), /ask also asks it:
 * the report then judges the final answers — FAQ, AI or rule — against the labels (right,
 * wrong, held back), and counts how often the model was asked, answered and refused, and why.
 *
 *   npm run kb:eval                      starts the service as `npm start` does (free ports, a
 *                                        fresh state folder, the example knowledge base loaded),
 *                                        asks, stops it
 *   npm run kb:eval -- --url http://127.0.0.1:8787
 *                                        against a running service (the token: --token, else
 *                                        ADMIN_TOKEN from .dev.vars); loads knowledge/ first
 *                                        when its knowledge base is empty
 *   flags: --app <appid>, --threshold 0.6, --limit <n> (the first n questions of each kind),
 *          --file knowledge/eval.jsonl, --misses (list what was not found first, and the final
          answers that were wrong or missing), --json
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEV_VARS, DEV_VARS_EXAMPLE, parseDevVars } from './dev-vars'
import {
  DEFAULT_THRESHOLD,
  type Found,
  formatMisses,
  formatModelMisses,
  formatReport,
  type LabelledQuestion,
  type Outcome,
  parseQuestions,
  report,
  sliceQuestions,
} from './kb-eval-report'
import { type AdminApi, adminJson, type ListedEntry, loadKnowledge, readExampleKnowledge } from './kb-example'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    app: { type: 'string' },
    threshold: { type: 'string', default: String(DEFAULT_THRESHOLD) },
    limit: { type: 'string' },
    file: { type: 'string', default: join('knowledge', 'eval.jsonl') },
    misses: { type: 'boolean' },
    json: { type: 'boolean' },
  },
})

const threshold = Number(values.threshold)
if (!(threshold >= 0 && threshold <= 1)) fail('--threshold: a number from 0 to 1')
const limit = values.limit === undefined ? null : Number(values.limit)
if (limit !== null && !(Number.isInteger(limit) && limit > 0)) fail('--limit: a whole number over 0')
const all = parseQuestions(readFileSync(values.file, 'utf8'))
const questions = limit === null ? all : sliceQuestions(all, limit)
const knowledge = readExampleKnowledge()

const service = values.url ? null : await startService()
try {
  const api: AdminApi = {
    url: values.url ?? service?.url ?? '',
    token: values.token ?? devToken(),
    ...(values.app ? { app: values.app } : {}),
  }
  const { entries } = await loadKnowledge(api, knowledge)
  const byId = new Map(entries.map((entry) => [entry.id, entry]))
  // The FAQ entry a `faq` answer came from, by its answer as written (the example's, for its entries).
  const faqByAnswer = new Map<string, string>()
  for (const faq of knowledge.faqs) {
    const id = entries.find((entry) => entry.kind === 'faq' && entry.label === faq.question)?.id
    if (id !== undefined) faqByAnswer.set(JSON.stringify(faq.answer), id)
  }
  const outcomes: Outcome[] = []
  for (const question of questions) outcomes.push(await ask(api, question, entries, byId, faqByAnswer))
  const result = report(outcomes, threshold, (id) => byId.get(id)?.label ?? id)
  if (values.json) console.log(JSON.stringify(result, null, 2))
  else {
    console.log(`${questions.length} questions against ${entries.length} entries (${api.url}${api.app ? `, app ${api.app}` : ''})\n`)
    console.log(formatReport(result))
    if (values.misses) {
      console.log(`\nNot found first, or answered directly by the FAQ though it has no answer:\n${formatMisses(result)}`)
      console.log(`\nWith the model in the loop, answered wrongly or not at all:\n${formatModelMisses(result)}`)
    }
  }
} catch (error) {
  console.error(`kb:eval: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await service?.stop()
}

/** One question through /ask: what it found, each entry marked FAQ or document from the list. */
async function ask(
  api: AdminApi,
  question: LabelledQuestion,
  entries: readonly ListedEntry[],
  byId: ReadonlyMap<string, ListedEntry>,
  faqByAnswer: ReadonlyMap<string, string>,
): Promise<Outcome> {
  const expectId =
    question.expect === null
      ? null
      : (entries.find((entry) => entry.id === question.expect || (entry.kind === 'faq' && entry.label === question.expect))?.id ??
        missing(`"${question.q}" expects "${question.expect}", which is no FAQ entry of the knowledge base`))
  const docId =
    question.doc === undefined
      ? null
      : (entries.find((entry) => entry.kind === 'doc' && (entry.id === question.doc || entry.label === question.doc))?.id ??
        missing(`"${question.q}" expects the document "${question.doc}", which is no document of the knowledge base`))
  const answer = await adminJson(api, 'POST', '/admin/api/knowledge/ask', { text: question.q })
  if (typeof answer !== 'object' || answer === null || !('entries' in answer) || !Array.isArray(answer.entries))
    throw new Error('POST /admin/api/knowledge/ask: no entries in the answer')
  const found: Found[] = []
  for (const entry of answer.entries as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue
    const { id, score } = entry as { id?: unknown; score?: unknown }
    if (typeof id === 'string' && typeof score === 'number') found.push({ id, score, kind: byId.get(id)?.kind ?? 'doc' })
  }
  const said = answer as { source?: unknown; handoff?: unknown; answer?: unknown; sources?: unknown; refused?: unknown }
  const source = typeof said.source === 'string' ? said.source : 'unknown'
  const text =
    said.answer === null || said.answer === undefined ? null : typeof said.answer === 'string' ? said.answer : JSON.stringify(said.answer)
  const bestFaq = [...found].filter((f) => f.kind === 'faq').sort((a, b) => b.score - a.score)[0]
  return {
    question,
    expectId,
    docId,
    found,
    source,
    handoff: said.handoff === true,
    answer: text,
    answeredId: source === 'faq' ? (faqByAnswer.get(JSON.stringify(said.answer)) ?? bestFaq?.id ?? null) : null,
    ...(Array.isArray(said.sources) ? { sources: said.sources.filter((id): id is string => typeof id === 'string') } : {}),
    ...(typeof said.refused === 'string' ? { refused: said.refused } : {}),
  }
}

/** The local ADMIN_TOKEN (the one `npm start` runs with). */
function devToken(): string {
  const file = existsSync(DEV_VARS) ? DEV_VARS : DEV_VARS_EXAMPLE
  return parseDevVars(readFileSync(file, 'utf8')).ADMIN_TOKEN ?? missing(`no ADMIN_TOKEN in ${file}: pass --token`)
}

/** `npm start` on free ports with a fresh state folder; resolves once it printed the console's address. */
async function startService(): Promise<{ url: string; stop(): Promise<void> }> {
  const [port, apiPort, inspectorPort] = [await freePort(), await freePort(), await freePort()]
  const state = mkdtempSync(join(tmpdir(), 'kefu-kb-eval-'))
  const args = ['--port', port, '--api-port', apiPort, '--inspector-port', inspectorPort, '--persist-to', state]
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args.map(String)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `http://localhost:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid, 'SIGINT')
      await exited
    }
    rmSync(state, { recursive: true, force: true })
  }
  process.on('SIGINT', () => void stop().then(() => process.exit(130)))
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes(`Console: ${url}/admin`)) {
          clearInterval(timer)
          resolve()
        }
      }, 100)
      child.once('exit', (code) => {
        clearInterval(timer)
        reject(new Error(`npm start exited (${code}):\n${output}`))
      })
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, stop }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** A failure once the service runs: thrown, so that it is stopped. */
function missing(message: string): never {
  throw new Error(message)
}

function fail(message: string): never {
  console.error(`kb:eval: ${message}`)
  process.exit(2)
}
