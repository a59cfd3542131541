/**
 * Statements as plain data: the builders in this folder are pure (SQL text and its
 * parameters), so tests can run `EXPLAIN QUERY PLAN` on exactly what a route runs, and the
 * executors only bind and send them.
 */

export type SqlValue = string | number | null

export interface Statement {
  sql: string
  params: SqlValue[]
}

export function statement(sql: string, params: SqlValue[]): Statement {
  return { sql, params }
}

export function prepare(db: D1Database, { sql, params }: Statement): D1PreparedStatement {
  return db.prepare(sql).bind(...params)
}

export async function all<Row>(db: D1Database, query: Statement): Promise<Row[]> {
  const { results } = await prepare(db, query).all<Row>()
  return results
}

export function first<Row>(db: D1Database, query: Statement): Promise<Row | null> {
  return prepare(db, query).first<Row>()
}
