/**
 * Drift between wrangler.toml and the `Env` type the code is checked against: what
 * `wrangler types` generates from the config, compared with `export interface Env` in
 * src/settings/env.ts. A binding in one and not the other, or of another type, is drift: the code would
 * type-check against a binding the deployment lacks, or never use one it has.
 */

/** `NAME: Type` members of the first `interface <name> {…}` block of a TypeScript source. */
export function interfaceMembers(commented: string, name: string): Map<string, { type: string; optional: boolean }> {
  // Comments may hold braces (a URL template): they are not the interface's.
  const source = commented.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const start = source.search(new RegExp(`interface ${name}\\s*\\{`))
  if (start < 0) throw new Error(`no interface ${name}`)
  const body = source.slice(source.indexOf('{', start) + 1, source.indexOf('}', start))
  const members = new Map<string, { type: string; optional: boolean }>()
  for (const line of body.split('\n')) {
    const member = /^\s*(\w+)(\?)?:\s*(.+?);?\s*$/.exec(line)
    if (member) members.set(member[1]!, { type: normalize(member[3]!), optional: member[2] === '?' })
  }
  return members
}

/** The generated file names classes by import path; src/settings/env.ts by the imported name. */
function normalize(type: string): string {
  return type.replace(/import\("[^"]*"\)\./g, '')
}

/** `wrangler types` cannot know a queue's message type: `Queue` there is `Queue<Task>` in Env. */
function sameType(generated: string, ours: string): boolean {
  return generated === ours || (!generated.includes('<') && ours.replace(/<.*>$/, '') === generated)
}

/** Each disagreement, in words; empty when the two agree. */
export function envDrift(generated: string, envSource: string): string[] {
  const toml = interfaceMembers(generated, 'Env')
  const env = interfaceMembers(envSource, 'Env')
  const problems: string[] = []
  for (const [name, { type }] of toml) {
    const ours = env.get(name)
    if (!ours) problems.push(`wrangler.toml declares ${name} (${type}), which Env in src/settings/env.ts lacks`)
    else if (type !== 'string' && !sameType(type, ours.type)) problems.push(`${name} is ${type} in wrangler.toml but ${ours.type} in Env`)
  }
  for (const [name, { type }] of env) {
    // Settings are strings, most of them secrets or optional: only bindings must be declared.
    if (type !== 'string' && !toml.has(name))
      problems.push(`Env expects the binding ${name} (${type}), which wrangler.toml does not declare`)
  }
  return problems
}
