/**
 * Rule publishes, one at a time per mini program. KV has no compare-and-swap: a publish reads
 * the version in force, checks it against the editor's `ifVersion`, then writes — and two
 * publishes from the same version, interleaved, would both pass the check. So every publish
 * and rollback the Worker makes (the admin API, the console) runs in its app's RulePublisher,
 * which starts each one only when the one before it has finished: the second of two from the
 * same version then finds the first's version in force and is refused as a conflict.
 *
 * One object per mini program, named by the key it guards (`rules`, or `app:<appid>:rules`
 * beyond the first, as scopedKey names it): the object reads its app's keys from its name. It
 * stores nothing of its own; the rule set and its history stay in RULES (history.ts).
 *
 * The runtime's input gate does not help here: it holds other calls back only while the
 * object waits on its own storage, and a publish waits on KV. Hence the explicit queue: each
 * call is chained after the one before, whether that one succeeded, was refused or threw.
 * The KV reads of a publish see the writes of the one before: both run in the object's
 * location, where KV usually shows a write at once (elsewhere it may take a minute).
 *
 * `rules:push` and `rules:rollback` write KV through wrangler and cannot reach the object
 * (history.ts says what that leaves open).
 *
 * The console and the admin API publish and roll back as an operator (`publishAs`,
 * `rollbackAs`): the history entry names them (`by`) and the audit log records what was done.
 */
import { DurableObject } from 'cloudflare:workers'
import { auditDone } from '../admin/audit'
import type { Operator } from '../auth/operators'
import { scopedKey } from '../settings/mini-program-state'
import { appidOf, type Env } from '../settings/env'
import { publishRules, rollbackRules, type PublishOutcome, type RollbackOutcome } from './history'
import { kvStore, scopedStore, type RulesStore } from './history-store'
import { RULES_KEY } from './keys'

/** The publisher of the mini program `env` serves (an app's view of the bindings, see settings/mini-program-state.ts). */
export function rulePublisherOf(env: Env): DurableObjectStub<RulePublisher> {
  return env.RULE_PUBLISHER.getByName(scopedKey(env, RULES_KEY))
}

/** Publishes `source` in the mini program's publisher as `actor`, and records it in the audit log. */
export async function publishAs(
  env: Env,
  actor: Operator,
  source: string | Uint8Array,
  from: 'console' | 'api',
  ifVersion?: string,
): Promise<PublishOutcome> {
  const outcome = await rulePublisherOf(env).publish(source, from, ifVersion, actor.name)
  if (outcome.ok && !outcome.unchanged) {
    const summary = `${outcome.rules} rules from ${from}, was ${outcome.previousVersion ?? 'none'}`
    await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'publish', target: outcome.version, summary })
  }
  return outcome
}

/** Rolls back to `version` in the mini program's publisher as `actor` (from the console or the API), and records it. */
export async function rollbackAs(
  env: Env,
  actor: Operator,
  version: string,
  via: 'console' | 'api',
  ifVersion?: string,
): Promise<RollbackOutcome> {
  const outcome = await rulePublisherOf(env).rollback(version, ifVersion, actor.name)
  if (outcome.ok && !outcome.unchanged) {
    const summary = `${outcome.rules} rules from the history (${via}), was ${outcome.previousVersion ?? 'none'}`
    await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'rollback', target: outcome.version, summary })
  }
  return outcome
}

export class RulePublisher extends DurableObject<Env> {
  /** The last call's turn: the next one starts when it has settled. */
  private last: Promise<unknown> = Promise.resolve()

  /** publishRules for this app, in turn; `by` names the operator in the history entry. */
  publish(source: string | Uint8Array, from: 'console' | 'api', ifVersion?: string, by?: string): Promise<PublishOutcome> {
    return this.inTurn((store) => publishRules(store, source, from, Date.now(), ifVersion, by))
  }

  /** rollbackRules for this app, in turn; `by` names the operator in the history entry. */
  rollback(version: string, ifVersion?: string, by?: string): Promise<RollbackOutcome> {
    return this.inTurn((store) => rollbackRules(store, version, Date.now(), ifVersion, by))
  }

  private inTurn<T>(run: (store: RulesStore) => Promise<T>): Promise<T> {
    const turn = this.last.then(() => run(this.rulesStore()))
    // A turn that threw (KV unavailable) ends too; its own caller gets the error.
    this.last = turn.catch(() => undefined)
    return turn
  }

  /** The app's keys in RULES, from the object's name (rulePublisherOf). */
  private rulesStore(): RulesStore {
    const name = this.ctx.id.name
    if (name === undefined || !name.endsWith(RULES_KEY)) throw new Error('a RulePublisher is named by its rule set key (rulePublisherOf)')
    return scopedStore(kvStore(this.env.RULES), name.slice(0, -RULES_KEY.length))
  }
}
