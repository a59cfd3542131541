/**
 * The deployable bundle: `wrangler deploy --dry-run --outdir <tmp> --metafile` with the
 * project's own wrangler.toml (so exactly what `npm run deploy` would upload), its size raw
 * and gzipped, and the biggest contributors from esbuild's metafile — grouped by npm package,
 * or by directory under src/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { runToEnd, WRANGLER } from './processes'

const ROOT = resolve(import.meta.dirname, '..')

export interface BundleResult {
  file: string
  rawBytes: number
  gzipBytes: number
  /** Biggest first: bytes each package or src/ directory puts into the output. */
  contributors: { name: string; bytes: number; share: number }[]
  /** The operator console: src/console and the parts of Hono only it uses (JSX, cookies, CSRF, body limit). */
  console: { bytes: number; share: number }
}

/** Inputs that are in the bundle for the console alone. */
const CONSOLE_INPUT =
  /(?:^|\/)src\/console\/|node_modules\/hono\/dist\/(?:jsx\/|helper\/(?:cookie|html)\/|middleware\/(?:csrf|body-limit)\/|utils\/(?:html|cookie)\.js)/

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>
}

/**
 * `wrangler deploy --dry-run` of a config (the project's when left out) into `dir`, as
 * `npm run deploy` would build it; with esbuild's metafile (`bundle-meta.json`) when asked.
 */
export function dryRunBuild(dir: string, options: { config?: string; metafile?: boolean } = {}): void {
  runToEnd(
    process.execPath,
    [
      WRANGLER,
      'deploy',
      '--dry-run',
      '--outdir',
      dir,
      ...(options.config ? ['--config', options.config] : []),
      ...(options.metafile ? ['--metafile'] : []),
    ],
    ROOT,
  )
}

/** The deployed bundle's size and what makes it up; `code`, the bundle itself, for the cold start to run. */
export function runBundle(): { result: BundleResult; code: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bundle-'))
  try {
    dryRunBuild(dir, { metafile: true })
    const meta = JSON.parse(readFileSync(join(dir, 'bundle-meta.json'), 'utf8')) as Metafile
    const entry = Object.entries(meta.outputs).find(([path]) => path.endsWith('.js'))
    if (!entry) throw new Error('wrangler wrote no .js output')
    const [outPath, output] = entry
    const fileName = outPath.slice(outPath.lastIndexOf('/') + 1)
    const code = readFileSync(join(dir, fileName))
    const groups = new Map<string, number>()
    let consoleBytes = 0
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (CONSOLE_INPUT.test(input)) consoleBytes += bytesInOutput
      const name = groupOf(input)
      groups.set(name, (groups.get(name) ?? 0) + bytesInOutput)
    }
    const total = [...groups.values()].reduce((a, b) => a + b, 0)
    const result: BundleResult = {
      file: fileName,
      rawBytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      contributors: [...groups].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes, share: bytes / total })),
      console: { bytes: consoleBytes, share: consoleBytes / total },
    }
    return { result, code }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `node_modules/<pkg>/…` → the package; `src/<dir>/…` → `src/<dir>`; else the path. */
function groupOf(input: string): string {
  const modules = input.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const rest = input.slice(modules + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const src = /(?:^|\/)src\/([^/]+)\//.exec(input)
  if (src) return `src/${src[1]}`
  return input.replace(/^(\.\.\/)+/, '')
}
