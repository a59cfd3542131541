/**
 * The schema's messages as catalogue entries (messages.ts). valibot keeps one string per issue,
 * and other readers of the same schemas (the admin API's request bodies) show that string, so
 * it stays the English; the code and values it was rendered from are kept beside the issue
 * for validate.ts, which renders them in the operator's language.
 *
 * @example
 * v.maxLength(64, says('max_chars', { max: 64 }))
 */
import type * as v from 'valibot'
import { english, type MessageCode, type MessageValues, type Problem, problem } from './messages'

/** Issue objects are the ones valibot returns (it adds to their paths, never copies them). */
const problems = new WeakMap<v.BaseIssue<unknown>, Problem>()

/** A valibot message: the entry's English, its code remembered for problemOf. */
export function says(code: MessageCode, values: MessageValues = {}): (issue: v.BaseIssue<unknown>) => string {
  return sayProblem(problem(code, values))
}

/** says, for a problem already built (a regex's, from regexProblem). */
export function sayProblem(said: Problem): (issue: v.BaseIssue<unknown>) => string {
  return function remember(issue) {
    problems.set(issue, said)
    return english(said)
  }
}

/** The problem an issue was made with by says, or undefined for valibot's own messages. */
export function problemOf(issue: v.BaseIssue<unknown>): Problem | undefined {
  return problems.get(issue)
}
