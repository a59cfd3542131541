/**
 * The compiled rule set as bytes, the value of the KV key `rules:compiled`, written by
 * `rules:push`. Decoding builds no automaton: the tables are Int32Array views over the bytes
 * KV returned, and each rule's id and action are decoded from their own JSON slice only
 * when the rule first matches. That keeps a cold load of 10,000 rules within the Free
 * plan's 10 ms of CPU (see rules/README.md for the measurements).
 *
 *   0  u32  MAGIC ("KFR1")
 *   4  u32  FORMAT (bumped on any layout change; other formats are ignored and recompiled)
 *   8  16 × ASCII  version (the SHA-256 prefix of the `rules` value it was compiled from)
 *  24  u32  header byte length, then the header (UTF-8 JSON: hours, defaults, once_per_hours,
 *            the hand-off, the knowledge base's settings (ai), and per layer
 *            its condition, regexes, msgtypes, events and table sizes), zero-padded to 4 bytes
 *       Int32 × (rules + 1): byte offsets of each rule's entry in the entries section
 *       then for every layer (rule-set.ts), in header order:
 *         Int32 × (states, states, states, states): the automaton's double array (base, check)
 *            and its fail and out (automaton.ts; states counts positions, holes included)
 *         Int32 × slots: the exact-text hash table's slots (text-table.ts)
 *         Uint16 × alphabet: the automaton's code units by class, zero-padded to 4 bytes
 *         Uint16 × chars: the exact texts' code units, zero-padded to 4 bytes
 *       entries (UTF-8): for every rule, the JSON of [id, Answer], concatenated
 *
 * Int32Arrays are platform-endian; every Workers and Node host we run on is little-endian.
 */
import type { Automaton } from './automaton'
import { settingsOf, toLayer, type CompiledLayer, type CompiledRules, type CompiledSettings } from './compile'
import type { Answer, RuleSet } from './rule-set'
import { buildTextTable, lookupText, type TextTable } from './text-table'

const MAGIC = 0x3152464b // "KFR1" read little-endian
/**
 * 2: regexes run on the linear-time engine, which refuses some patterns format 1 accepted.
 * 3: layers per condition (during/from/until), office hours, defaults with during, random answers.
 * 4: once_per_hours and the hand-off, in the header.
 * 5: the automaton as a double array over an alphabet of classes (flat per message from 10 to
 *    10,000 rules); the longest exact text, in the header.
 * 6: the knowledge base's settings (the `ai` block), in the header.
 * 7: the model's settings with them (`ai.passage_threshold`, `persona`, …: `Knowledge.model`).
 * 8: the satisfaction rating's settings (`satisfaction`), in the header.
 * 9: replies may name an uploaded image (`file`, `thumb_file`).
 * 10: a layer's condition may name a channel (`when.channel`: miniprogram or kf).
 */
export const FORMAT = 10
const VERSION_LENGTH = 16
const HEADER_AT = 28

/** A layer's small tables as they are, and the sizes of the large ones in the tables section. */
interface LayerHeader extends Pick<CompiledLayer, 'condition' | 'regexes' | 'msgtypes' | 'events'> {
  states: number
  alphabet: number
  slots: number
  chars: number
  longest: number
}

interface Header extends CompiledSettings {
  rules: number
  layers: LayerHeader[]
}

export function encodeCompiled(compiled: CompiledRules): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(compiled.version)) throw new Error('version must be 16 hex digits')
  const layers = compiled.layers.map((layer) => ({ layer, exact: buildTextTable(layer.exact) }))
  const header: Header = {
    rules: compiled.ruleIds.length,
    oncePerHours: compiled.oncePerHours,
    handoff: compiled.handoff,
    defaults: compiled.defaults,
    hours: compiled.hours,
    knowledge: compiled.knowledge,
    satisfaction: compiled.satisfaction,
    layers: layers.map(({ layer, exact }) => ({
      condition: layer.condition,
      regexes: layer.regexes,
      msgtypes: layer.msgtypes,
      events: layer.events,
      states: layer.automaton.base.length,
      alphabet: layer.automaton.alphabet.length,
      slots: exact.slots.length,
      chars: exact.chars.length,
      longest: exact.longest,
    })),
  }
  const encoder = new TextEncoder()
  const headerBytes = encoder.encode(JSON.stringify(header))
  const entries = compiled.actions.map((action, i) => encoder.encode(JSON.stringify([compiled.ruleIds[i], action])))
  const offsets = new Int32Array(entries.length + 1)
  entries.forEach((entry, i) => {
    offsets[i + 1] = offsets[i]! + entry.length
  })

  // Each Uint16 table ends on a 4-byte boundary, so the Int32 tables after it stay aligned.
  const tables: (Int32Array | Uint16Array)[] = [offsets]
  for (const { layer, exact } of layers) {
    const a = layer.automaton
    tables.push(a.base, a.check, a.fail, a.out, exact.slots, a.alphabet, exact.chars)
  }
  const tablesAt = align4(HEADER_AT + headerBytes.length)
  const tablesLength = tables.reduce((sum, t) => sum + align4(t.byteLength), 0)
  const entriesAt = tablesAt + tablesLength
  const bytes = new Uint8Array(entriesAt + offsets[entries.length]!)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, FORMAT, true)
  bytes.set(encoder.encode(compiled.version), 8)
  view.setUint32(24, headerBytes.length, true)
  bytes.set(headerBytes, HEADER_AT)
  let at = tablesAt
  for (const table of tables) {
    bytes.set(new Uint8Array(table.buffer, table.byteOffset, table.byteLength), at)
    at += align4(table.byteLength)
  }
  at = entriesAt
  for (const entry of entries) {
    bytes.set(entry, at)
    at += entry.length
  }
  return bytes
}

/** The version a compiled value was made from, or null if it is not one we can read. */
export function compiledVersion(buffer: ArrayBuffer): string | null {
  if (buffer.byteLength < HEADER_AT) return null
  const view = new DataView(buffer)
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== FORMAT) return null
  return new TextDecoder().decode(new Uint8Array(buffer, 8, VERSION_LENGTH))
}

/** Throws on a truncated or foreign value; check compiledVersion first. */
export function decodeCompiled(buffer: ArrayBuffer): RuleSet {
  const version = compiledVersion(buffer)
  if (version === null) throw new Error('not a compiled rule set of format ' + FORMAT)
  const headerLength = new DataView(buffer).getUint32(24, true)
  const decoder = new TextDecoder()
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, HEADER_AT, headerLength))) as Header
  let at = align4(HEADER_AT + headerLength)
  const table = (length: number): Int32Array => {
    const view = new Int32Array(buffer, at, length)
    at += length * 4
    return view
  }
  const chars = (length: number): Uint16Array => {
    const view = new Uint16Array(buffer, at, length)
    at = align4(at + length * 2)
    return view
  }
  const offsets = table(header.rules + 1)
  const layers = header.layers.map((layer) => {
    const base = table(layer.states)
    const check = table(layer.states)
    const fail = table(layer.states)
    const out = table(layer.states)
    const slots = table(layer.slots)
    const alphabet = chars(layer.alphabet)
    // The same shape as buildAutomaton's, so the scan sees one kind of object.
    const automaton: Automaton = { alphabet, base, check, fail, out, classes: undefined }
    const exact: TextTable = { slots, chars: chars(layer.chars), longest: layer.longest }
    return toLayer({ ...layer, automaton, exact: { get: (text: string) => lookupText(exact, text) } })
  })
  if (buffer.byteLength !== at + offsets[header.rules]!) throw new Error('compiled rule set is truncated')
  const entriesAt = at
  const entries: ([string, Answer] | undefined)[] = new Array(header.rules)
  const entry = (index: number): [string, Answer] =>
    (entries[index] ??= JSON.parse(
      decoder.decode(new Uint8Array(buffer, entriesAt + offsets[index]!, offsets[index + 1]! - offsets[index]!)),
    ) as [string, Answer])
  return {
    version,
    size: header.rules,
    ruleId: (index) => entry(index)[0],
    action: (index) => entry(index)[1],
    ...settingsOf(header),
    layers,
  }
}

function align4(n: number): number {
  return (n + 3) & ~3
}
