/**
 * Whether the MEDIA bucket is bound. `Env` declares it, but a deployment whose wrangler.toml
 * lost the `[[r2_buckets]]` entry runs without it: /healthz and the doctor report that
 * (admin/health-report.ts), and a route that needs it answers "server misconfigured" (as a
 * missing setting does) rather than failing on `undefined`.
 */
import type { Env } from '../settings/env'
import { log } from '../log'
import { english, problem } from '../rules/messages'

/** In English for /healthz and the logs; the console shows the catalogue's code (`media_missing`) in the operator's language. */
export const MEDIA_MISSING = english(problem('media_missing'))

/** The bucket, or null (logged once per request as a configuration error) when it is not bound. */
export function mediaBucket(env: Env): R2Bucket | null {
  const bucket = (env as Partial<Env>).MEDIA
  if (bucket !== undefined) return bucket
  log.error('config.invalid', { setting: 'MEDIA', reason: MEDIA_MISSING })
  return null
}

/** Whether the binding is there, without logging: the health report's check. */
export const hasMediaBucket = (env: Env): boolean => (env as Partial<Env>).MEDIA !== undefined
