/**
 * Targeted edits of a Wrangler TOML file that keep everything else byte for byte: comments,
 * blank lines, key order, spacing, a value's trailing comment, CRLF line ends. `npm run setup`
 * only ever sets string values (ids, the AppID) of keys in tables it finds by their header and,
 * for arrays of tables, by a key (`[[kv_namespaces]]` whose `binding` is "RULES"); TOML
 * libraries that write files drop comments, so this reads and writes the lines themselves.
 *
 * It knows enough TOML to find those keys safely: table headers, `key = value` lines, and
 * values spanning lines (multi-line strings and arrays), whose inner lines are never taken for
 * headers or keys. Dotted keys and inline tables are kept as they are, never edited.
 */

export interface Table {
  /** The header's name, `vars` for `[vars]`, `kv_namespaces` for `[[kv_namespaces]]`; '' for the top. */
  name: string
  array: boolean
  /** Line index of the header (-1 for the top-level table). */
  header: number
  /** Each key of this table: its line index. */
  keys: Map<string, number>
}

const HEADER = /^\s*(\[\[?)\s*([A-Za-z0-9_.\-"' ]+?)\s*(\]\]?)\s*(#.*)?$/
const KEY_LINE = /^(\s*)([A-Za-z0-9_-]+|"[^"\\\n]*")(\s*=\s*)(.*)$/
const BASIC_STRING = /^"((?:[^"\\]|\\.)*)"/
const LITERAL_STRING = /^'([^']*)'/

export class TomlError extends Error {}

export class TomlDocument {
  private lines: string[]
  private tableList: Table[] = []

  constructor(text: string) {
    this.lines = text.split('\n')
    this.scan()
  }

  toString(): string {
    return this.lines.join('\n')
  }

  /** The first table named `name` (with `where`'s key holding that string, for arrays of tables). */
  table(name: string, where?: { key: string; value: string }): Table | undefined {
    return this.tableList.find((table) => table.name === name && (!where || this.get(table, where.key) === where.value))
  }

  /** The top-level table (keys before any header). */
  root(): Table {
    const top = this.tableList[0]
    if (!top) throw new TomlError('no top-level table')
    return top
  }

  /** A key's string value; undefined when the key is absent or not a one-line string. */
  get(table: Table, key: string): string | undefined {
    const index = table.keys.get(key)
    if (index === undefined) return undefined
    const value = splitKeyLine(this.line(index))?.value
    return value === undefined ? undefined : parseString(value)?.text
  }

  /**
   * Sets a key to a string, in place when it exists (its indentation, the spacing around `=`
   * and a trailing comment kept), else on a new line after the table's last key. Returns
   * whether the text changed.
   */
  set(table: Table, key: string, value: string): boolean {
    const encoded = encodeString(value)
    const index = table.keys.get(key)
    if (index !== undefined) {
      const line = this.line(index)
      const cr = line.endsWith('\r') ? '\r' : ''
      const parts = splitKeyLine(cr ? line.slice(0, -1) : line)
      if (!parts) throw new TomlError(`cannot read the line of ${key}`)
      const current = parseString(parts.value)
      if (!current) throw new TomlError(`${key} is not a string on one line; edit it by hand`)
      if (current.text === value) return false
      const rest = parts.value.slice(current.length)
      this.lines[index] = `${parts.indent}${parts.key}${parts.equals}${encoded}${rest}${cr}`
      return true
    }
    const after = Math.max(table.header, ...table.keys.values())
    const indent = [...table.keys.values()].map((i) => splitKeyLine(this.line(i))?.indent).find((s) => s !== undefined) ?? ''
    const cr = this.line(Math.max(after, 0)).endsWith('\r') ? '\r' : ''
    this.lines.splice(after + 1, 0, `${indent}${key} = ${encoded}${cr}`)
    this.scan()
    return true
  }

  private line(index: number): string {
    const line = this.lines[index]
    if (line === undefined) throw new TomlError(`no line ${index + 1}`)
    return line
  }

  private scan(): void {
    const tables: Table[] = [{ name: '', array: false, header: -1, keys: new Map() }]
    /** Set while inside a value that spans lines. */
    let open: Open | null = null
    this.lines.forEach((raw, index) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
      if (open) {
        open = continueValue(line, open)
        return
      }
      const header = HEADER.exec(line)
      if (header && (header[1] === '[[') === (header[3] === ']]')) {
        const name = (header[2] ?? '')
          .split('.')
          .map((part) => part.trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2'))
          .join('.')
        tables.push({ name, array: header[1] === '[[', header: index, keys: new Map() })
        return
      }
      const parts = splitKeyLine(line)
      if (!parts) return
      const table = tables.at(-1)
      const key = parts.key.replace(/^"(.*)"$/, '$1')
      if (table && !table.keys.has(key)) table.keys.set(key, index)
      open = continueValue(parts.value, { depth: 0 })
    })
    this.tableList = tables
  }
}

function splitKeyLine(line: string): { indent: string; key: string; equals: string; value: string } | null {
  const match = KEY_LINE.exec(line)
  if (!match) return null
  const [, indent = '', key = '', equals = '', value = ''] = match
  return { indent, key, equals, value }
}

/** A string value at the start of `value`: its text and how many characters it takes. */
function parseString(value: string): { text: string; length: number } | null {
  if (value.startsWith('"""') || value.startsWith("'''")) return null
  const literal = LITERAL_STRING.exec(value)
  if (literal) return { text: literal[1] ?? '', length: literal[0].length }
  const basic = BASIC_STRING.exec(value)
  if (!basic) return null
  try {
    return { text: JSON.parse(basic[0]) as string, length: basic[0].length }
  } catch {
    return null
  }
}

/** A TOML basic string; JSON's escapes are all valid TOML. */
function encodeString(value: string): string {
  return JSON.stringify(value)
}

/** A value still open at a line's end: arrays (or inline tables) `depth` deep, maybe inside a multi-line string. */
interface Open {
  depth: number
  /** `"""` or `'''` while inside a multi-line string. */
  delimiter?: string
}

/**
 * Walks `text` (the value after `=`, or a line inside a value) from `state` and returns what
 * is still open at its end, or null when the value is complete.
 */
function continueValue(text: string, state: Open): Open | null {
  let depth = state.depth
  let i = 0
  if (state.delimiter) {
    const close = text.indexOf(state.delimiter)
    if (close < 0) return state
    i = close + 3
  }
  while (i < text.length) {
    const c = text[i]
    if (c === '#') break
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      const delimiter = text.slice(i, i + 3)
      const close = text.indexOf(delimiter, i + 3)
      if (close < 0) return { depth, delimiter }
      i = close + 3
      continue
    }
    if (c === '"') {
      const match = BASIC_STRING.exec(text.slice(i))
      i += match ? match[0].length : text.length
      continue
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1)
      i = close < 0 ? text.length : close + 1
      continue
    }
    if (c === '[' || c === '{') depth++
    if (c === ']' || c === '}') depth--
    i++
  }
  return depth > 0 ? { depth } : null
}
