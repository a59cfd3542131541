/**
 * How a knowledge-base change reads in the audit log, written alike by the admin API
 * (routes/admin-knowledge.ts) and the console's 知识库 page: counts, never the text.
 */
import type { EntryInput } from './store'

/** `faq added, 3 variants` / `document updated, 12 passages`: counts, never the text. */
export function summaryOf(input: EntryInput, done: 'added' | 'updated', passages: number): string {
  if (input.kind === 'faq') return `faq ${done}, ${input.variants.length} variant${input.variants.length === 1 ? '' : 's'}`
  return `document ${done}, ${passages} passage${passages === 1 ? '' : 's'}`
}
