/**
 * Console sessions and the sign-in limit (being built: issue 25 items 1 and 2).
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'

export class Sessions extends DurableObject<Env> {}
