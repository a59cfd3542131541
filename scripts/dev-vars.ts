/**
 * `.dev.vars`, the local settings file, read one way by every script and test: KEY=value
 * lines, as wrangler reads them (comments and blank lines skipped, quotes dropped).
 */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line)
    if (match?.[1] && !line.trimStart().startsWith('#')) out[match[1]] = match[2] ?? ''
  }
  return out
}
