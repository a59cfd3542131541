/**
 * The bill bench Worker (see wrangler.toml): the deployed Worker's own code — its Hono app
 * and its Conversation object — with every binding metered (meter.ts). bench/bill.ts plays
 * WeChat against it and reads the meters between flows:
 *
 * - `POST /__setup` `{ rules, statements }`: the rule set into RULES and the record's tables
 *   into DB (unmetered);
 * - `POST /__forget-media`: the cached media_ids go, so the next image reply uploads;
 * - `GET /__meter?take=1`: what the Worker's requests used since the last take, and the
 *   subrequests (fetches) of the Worker and its objects;
 * - `GET /__meter/do?openid=…&take=1`: what the user's Conversation object used (a 微信客服
 *   customer's: `openid=<external_userid>&kf=<open_kfid>`);
 * - `GET /__meter/kf?open_kfid=…&take=1`: what a 微信客服 account's object (the pulls) used;
 * - `GET /__meter/recorder?take=1`: what the Recorders (the copies to D1, many users' per batch) used;
 * - anything else: the Worker itself, one metered request.
 */
import { Conversation } from '../../src/conversation/conversation'
import type { Env } from '../../src/settings/env'
import worker from '../../src/index'
import { kfObjectName } from '../../src/settings/kf-view'
import { KfAccount } from '../../src/wecom/account'
import { Recorder } from '../../src/record/recorder'
export { Sessions } from '../../src/auth/sessions'
export { RulePublisher } from '../../src/rules/publisher'

import { Meter, meteredD1, meteredKv, meteredQueue, meteredState, type Counts } from './meter'

function meteredEnv(env: Env, meter: Meter): Env {
  return {
    ...env,
    RULES: meteredKv(env.RULES, meter, 'RULES'),
    CACHE: meteredKv(env.CACHE, meter, 'CACHE'),
    DB: meteredD1(env.DB, meter),
    CAMPAIGNS: meteredQueue(env.CAMPAIGNS, meter),
  }
}

/**
 * An object's meter, its storage and bindings metered. The runtime's base class takes only
 * its own state object: the metered views shadow `ctx` and `env` on the instance, which is
 * all the object's code reads.
 */
function meterObject(object: object, state: DurableObjectState, env: Env): Meter {
  const meter = new Meter()
  Object.defineProperty(object, 'ctx', { value: meteredState(state, meter) })
  Object.defineProperty(object, 'env', { value: meteredEnv(env, meter) })
  return meter
}

/** The Conversation object, its storage and bindings metered; alarms counted as requests. */
export class MeteredConversation extends Conversation {
  private readonly meter: Meter

  constructor(state: DurableObjectState, env: Env) {
    super(state, env)
    this.meter = meterObject(this, state, env)
  }

  override async alarm(): Promise<void> {
    this.meter.add('do.alarms')
    return super.alarm()
  }

  // Every RPC method call is a billed request: counted here, on the object's side (a proxy
  // around the caller's stub cannot pass calls on: the runtime refuses to clone through it).
  override record(...args: Parameters<Conversation['record']>) {
    return this.request(() => super.record(...args))
  }
  // receive, replyByHand and retryFailed deliver through the base class's own methods: what
  // they do inside is no further request.
  override receive(...args: Parameters<Conversation['receive']>) {
    return this.request(() => super.receive(...args))
  }
  override flush() {
    return this.request(() => super.flush())
  }
  override replyByHand(...args: Parameters<Conversation['replyByHand']>) {
    return this.request(() => super.replyByHand(...args))
  }
  override retryFailed(...args: Parameters<Conversation['retryFailed']>) {
    return this.request(() => super.retryFailed(...args))
  }
  override dropFailed(...args: Parameters<Conversation['dropFailed']>) {
    return this.request(() => super.dropFailed(...args))
  }
  override subscriptions() {
    return this.request(() => super.subscriptions())
  }
  override sendSubscribe(...args: Parameters<Conversation['sendSubscribe']>) {
    return this.request(() => super.sendSubscribe(...args))
  }
  override state() {
    return this.request(() => super.state())
  }

  private request<T>(call: () => Promise<T>): Promise<T> {
    this.meter.add('do.requests')
    return call()
  }

  meterReport(take: boolean): Counts {
    return take ? this.meter.take() : this.meter.peek()
  }
}

/** The 微信客服 account's object, metered as the Conversation object is: a pull is one request, and so is its alarm. */
export class MeteredKfAccount extends KfAccount {
  private readonly meter: Meter

  constructor(state: DurableObjectState, env: Env) {
    super(state, env)
    this.meter = meterObject(this, state, env)
  }

  override async alarm(): Promise<void> {
    this.meter.add('do.alarms')
    return super.alarm()
  }

  override pull(...args: Parameters<KfAccount['pull']>) {
    this.meter.add('do.requests')
    return super.pull(...args)
  }

  meterReport(take: boolean): Counts {
    return take ? this.meter.take() : this.meter.peek()
  }
}

/**
 * The Recorders, metered together: a batch carries many users' copies, so its D1 rows are
 * shared out by the bench (bill.ts divides a flow's counts by the users in it).
 */
const recorderMeter = new Meter()

export class MeteredRecorder extends Recorder {
  constructor(state: DurableObjectState, env: Env) {
    super(state, env)
    Object.defineProperty(this, 'env', { value: { ...env, DB: meteredD1(env.DB, recorderMeter) } })
  }

  override write(...args: Parameters<Recorder['write']>) {
    recorderMeter.add('do.requests')
    return super.write(...args)
  }
}

const workerMeter = new Meter()

/**
 * Subrequests, the Worker's and its objects' alike: locally workerd runs a service's Worker
 * and its Durable Objects in one isolate, so one module-level count sees every fetch.
 */
const subrequests = new Meter()
const realFetch = globalThis.fetch
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  subrequests.add('subrequests')
  return realFetch(input, init)
}
/** One metered Env for the isolate, as the deployed Worker has one Env: caches keyed by it stay warm. */
let metered: Env | null = null

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)
    const take = url.searchParams.get('take') === '1'
    if (url.pathname === '/__setup') {
      const { rules, statements } = await request.json<{ rules: string; statements: string[] }>()
      await env.RULES.put('rules', rules)
      for (const sql of statements) await env.DB.prepare(sql).run()
      return Response.json({ ok: true })
    }
    if (url.pathname === '/__forget-media') {
      // The next image reply uploads its image again (unmetered: bench set-up).
      const { keys } = await env.CACHE.list({ prefix: 'wechat:media:' })
      for (const { name } of keys) await env.CACHE.delete(name)
      return Response.json({ forgotten: keys.length })
    }
    if (url.pathname === '/__meter') {
      return Response.json(take ? { ...workerMeter.take(), ...subrequests.take() } : { ...workerMeter.peek(), ...subrequests.peek() })
    }
    if (url.pathname === '/__meter/do') {
      const openid = url.searchParams.get('openid') ?? ''
      const kf = url.searchParams.get('kf')
      const name = kf === null ? openid : kfObjectName(kf, openid)
      const stub = env.CONVERSATIONS.getByName(name) as unknown as DurableObjectStub<MeteredConversation>
      try {
        return Response.json(await stub.meterReport(take))
      } catch (error) {
        return new Response(`meterReport failed: ${String(error)}\n${(error as Error).stack ?? ''}`, { status: 500 })
      }
    }
    if (url.pathname === '/__meter/recorder') return Response.json(take ? recorderMeter.take() : recorderMeter.peek())
    if (url.pathname === '/__meter/kf') {
      const stub = env.KF_ACCOUNTS.getByName(url.searchParams.get('open_kfid') ?? '') as unknown as DurableObjectStub<MeteredKfAccount>
      return Response.json(await stub.meterReport(take))
    }
    workerMeter.add('worker.requests')
    metered ??= meteredEnv(env, workerMeter)
    return worker.fetch(request, metered, ctx)
  },
}
