/**
 * `npm start`: the service on this machine. Creates .dev.vars from .dev.vars.example when it
 * is absent (local-only values), then runs `wrangler dev` with local KV and Durable Objects.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars')
  console.log('Created .dev.vars from .dev.vars.example (local-only values).')
}

const child = spawn('npx', ['wrangler', 'dev', ...process.argv.slice(2)], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal))
}
child.on('exit', (code) => process.exit(code ?? 0))
