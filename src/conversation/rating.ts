/**
 * The satisfaction rating after a close at the human desk (`meta.rating`, issue 29): the
 * object asked the user (`askRating`, a send through the outbox like any reply, inside the
 * window only) and remembers until when a reply of 1–5 is their rating, and whose. The next
 * text that is a rating within that time is taken (`takeRating`, in the push's transaction): it
 * is answered with the thanks, not by the rules, and the route tells the desk.
 */

export interface RatingAsked {
  /** A rating replied by then (epoch ms) counts. */
  until: number
  agent: { id: string; name: string }
  thanks: string
}

export interface Rating {
  score: number
  agent: { id: string; name: string }
  thanks: string
}

/** "5", " 4 分", "3星": a score of 1 to 5, and nothing else. */
const SCORE = /^\s*([1-5])\s*(?:分|星)?\s*[。.!！]?\s*$/u

export function scoreOf(text: string): number | null {
  const match = SCORE.exec(text)
  return match ? Number(match[1]) : null
}

export function rememberRating(sql: SqlStorage, asked: RatingAsked): void {
  sql.exec(
    "INSERT INTO meta (key, value) VALUES ('rating', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    JSON.stringify(asked),
  )
}

/**
 * The push's text as a rating, if one is awaited, still in time, and the text is a score; the
 * question is then forgotten (answered, or too late). Another text inside the time leaves it.
 */
export function takeRating(sql: SqlStorage, kind: string, text: string, now: number): Rating | null {
  const stored = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'rating'").toArray()[0]?.value
  if (stored === undefined) return null
  const asked = JSON.parse(stored) as RatingAsked
  if (now > asked.until) {
    sql.exec("DELETE FROM meta WHERE key = 'rating'")
    return null
  }
  const score = kind === 'text' ? scoreOf(text) : null
  if (score === null) return null
  sql.exec("DELETE FROM meta WHERE key = 'rating'")
  return { score, agent: asked.agent, thanks: asked.thanks }
}
