/**
 * The reply shapes a rule set may use, taken apart the one way validation and compilation
 * both need: a rule's reply is one reply list, or (random) several; a default is a reply or
 * a list of `{ during, reply }` entries.
 */
import type { DefaultEntrySource, DefaultSource, RepliesSource, RuleReplySource } from './schema'

/** The reply lists a reply stands for, each with its path below the reply's own path. */
export function replyLists(reply: RuleReplySource): [string, RepliesSource][] {
  if (isRandom(reply)) return reply.random.map((choice, i): [string, RepliesSource] => [`.random[${i}]`, choice])
  return [['', reply]]
}

export function isRandom(reply: RuleReplySource): reply is Extract<RuleReplySource, { random: unknown }> {
  return !Array.isArray(reply) && 'random' in reply
}

/** The default's entries, each with its path from the root (the plain form is one entry). */
export function defaultEntries(source: DefaultSource): [string, DefaultEntrySource][] {
  if (Array.isArray(source) && source.length > 0 && isEntry(source[0]!)) {
    return (source as DefaultEntrySource[]).map((entry, i): [string, DefaultEntrySource] => [`default[${i}]`, entry])
  }
  return [['default', { reply: source as RuleReplySource }]]
}

function isEntry(item: object): boolean {
  return 'reply' in item
}
