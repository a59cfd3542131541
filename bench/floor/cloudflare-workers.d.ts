/**
 * Just enough of `cloudflare:workers` for the floor Worker to type-check under
 * tsconfig.node.json (which has Node's types, not the Workers types). The real module is
 * workerd's; src/ is checked against the full @cloudflare/workers-types.
 */
declare module 'cloudflare:workers' {
  export interface FloorSqlStorage {
    exec(query: string, ...bindings: unknown[]): unknown
  }
  export interface FloorDurableObjectState {
    storage: { sql: FloorSqlStorage }
  }
  export abstract class DurableObject<Env = unknown> {
    protected ctx: FloorDurableObjectState
    protected env: Env
    constructor(ctx: FloorDurableObjectState, env: Env)
  }
}
