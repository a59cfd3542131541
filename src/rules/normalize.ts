/**
 * How rules see text. Exact and `contains` rules compare folded text: trimmed, Unicode NFKC
 * (full-width `１` is `1`, `ﬁ` is `fi`) and case-folded. Regexes see trimmed NFKC text with
 * its case kept, and run case-insensitively, so `{{1}}` captures what the user typed.
 */

/**
 * Upper- then lower-casing folds more than `toLowerCase` alone (`ß` → `ss`), and final sigma
 * is mapped to σ because lower-casing Σ depends on what follows it: without this, a keyword
 * folded on its own could differ from the same letters folded inside a message.
 */
export function foldText(text: string): string {
  return foldCase(regexText(text))
}

/** The text a regex rule runs on. */
export function regexText(text: string): string {
  return text.normalize('NFKC').trim()
}

/** Case folding of text that is already NFKC and trimmed (folding keeps both true). */
export function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase().replaceAll('ς', 'σ')
}

/**
 * Regex rules only see messages up to this many UTF-16 units (after NFKC and trim); longer
 * messages skip them. With the engine's limit on program size (regex.ts) this bounds what
 * one regex rule costs a message.
 */
export const MAX_REGEX_INPUT = 200

/** Flags every rule regex runs with: Unicode-aware and case-insensitive. */
export const REGEX_FLAGS = 'iu'

/** `{{1}}` or `{{name}}` in a text reply: a regex group filled in at match time. */
export const PLACEHOLDER = /\{\{([^{}]*)\}\}/g
