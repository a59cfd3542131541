/**
 * Rule publishes, one at a time per mini program (being built: issue 25 item 11).
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'

export class RulePublisher extends DurableObject<Env> {}
