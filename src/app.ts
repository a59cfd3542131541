/**
 * The Hono app: the push path (push-path.ts), then the console and the admin API under /admin.
 */
import { Hono } from 'hono/tiny'
import { consoleApp } from './console/app'
import { answerError, notFound, pushPath } from './push-path'
import { adminApi } from './routes/admin-api'
import type { Env } from './settings/env'

export const app = new Hono<{ Bindings: Env }>()

app.route('/', pushPath)
// The console before the bearer-token routes: it answers /admin pages without a token.
app.route('/', consoleApp)
app.route('/', adminApi)

app.notFound(notFound)
app.onError(answerError)
