/**
 * Structured logs: one JSON object per line, with an `event` name first, so `wrangler tail`
 * and Workers Logs can filter on it. Callers pass ids (openid, MsgId, rule id, errcode),
 * never secrets or access tokens.
 */

export type LogFields = Record<string, string | number | boolean | null | undefined>

type Level = 'info' | 'warn' | 'error'

function write(level: Level, event: string, fields: LogFields): void {
  const line = JSON.stringify({ event, level, ...fields })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}

export const log = {
  info: (event: string, fields: LogFields = {}): void => write('info', event, fields),
  warn: (event: string, fields: LogFields = {}): void => write('warn', event, fields),
  error: (event: string, fields: LogFields = {}): void => write('error', event, fields),
}
