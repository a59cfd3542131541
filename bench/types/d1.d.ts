/**
 * Just enough of D1's binding types for src/record to type-check under tsconfig.node.json
 * (Node's types, not the Workers types), so bench/record.ts can run the record's own
 * functions against a local D1 from `getPlatformProxy`. src/ is checked against the full
 * @cloudflare/workers-types; these mirror its shapes for the members src/record uses.
 */
interface D1Meta {
  duration: number
  changes: number
  rows_read: number
  rows_written: number
  size_after: number
}

interface D1Result<T = Record<string, unknown>> {
  results: T[]
  success: true
  meta: D1Meta & Record<string, unknown>
}

interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement
  first<T = Record<string, unknown>>(): Promise<T | null>
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>
}

interface D1Database {
  prepare(query: string): D1PreparedStatement
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>
}
