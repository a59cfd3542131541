/**
 * Whether the user is at the human desk (`meta.at_desk`): set when the push route queues them
 * there, cleared when an agent closes their conversation. While it is set, each push the object
 * records is also shown to the consoles watching the desk (the route tells the desk), and a
 * delivery pass that sent something tells the desk the window it left (delivery.ts).
 */

export function atDesk(sql: SqlStorage): boolean {
  return sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'at_desk'").toArray()[0]?.value === '1'
}

export function setAtDesk(sql: SqlStorage, value: boolean): void {
  if (value) sql.exec("INSERT INTO meta (key, value) VALUES ('at_desk', '1') ON CONFLICT (key) DO UPDATE SET value = '1'")
  else sql.exec("DELETE FROM meta WHERE key = 'at_desk'")
}
