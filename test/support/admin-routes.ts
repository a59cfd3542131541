/**
 * Every admin API route, with a path and a body that change nothing when they are served
 * (an unknown id, a body that is refused): the authentication tests, the OpenAPI check and the
 * role matrix go over the same list, so a route added here is covered by all three.
 */
export const SOME_OPENID = 'oSomeOpenidForAuthTests0001'
/** A canned answer no test adds. */
export const SOME_CANNED = 'c-00000000-0000-4000-8000-000000000000'
/** A delivery id no row has: a retry with the token answers 404 and queues nothing. */
export const SOME_DELIVERY = 'wh-00000000-0000-4000-8000-000000000000'
export const SOME_VERSION = '0123456789abcdef'
export const SOME_CAMPAIGN = 'c-00000000-0000-4000-8000-000000000000'
export const SOME_OPERATOR = 'nobody000000'
export const SOME_ENTRY = 'k-00000000-0000-4000-8000-000000000000'
export const ROUTES: [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown][] = [
  ['GET', '/admin/api/conversations'],
  ['GET', `/admin/api/conversations/${SOME_OPENID}`],
  ['GET', `/admin/api/conversations/${SOME_OPENID}/state`],
  ['POST', `/admin/api/conversations/${SOME_OPENID}/reply`, { type: 'text', text: 'hi' }],
  ['GET', '/admin/api/failed'],
  ['POST', `/admin/api/failed/out:${SOME_OPENID}:1/retry`],
  ['POST', `/admin/api/failed/out:${SOME_OPENID}:1/drop`],
  ['GET', '/admin/api/rules'],
  // An invalid set and an unknown version: with the token these answer 400 / 404 and write nothing.
  ['PUT', '/admin/api/rules', { rules: 'none' }],
  ['GET', '/admin/api/rules/history'],
  ['GET', `/admin/api/rules/history/${SOME_VERSION}`],
  ['POST', '/admin/api/rules/rollback', { version: SOME_VERSION }],
  ['POST', '/admin/api/rules/preview', { message: { type: 'text', text: 'hi' } }],
  ['GET', '/admin/api/stats'],
  // Bodies that are refused (400) and an unknown campaign (404): with the token nothing is sent or started.
  ['POST', '/admin/api/subscribe/send', { touser: SOME_OPENID }],
  ['GET', `/admin/api/users/${SOME_OPENID}/subscriptions`],
  ['GET', '/admin/api/subscribe/templates'],
  ['POST', '/admin/api/subscribe/campaigns', { touser: SOME_OPENID }],
  ['GET', '/admin/api/subscribe/campaigns'],
  ['GET', `/admin/api/subscribe/campaigns/${SOME_CAMPAIGN}`],
  ['POST', '/admin/api/uniform/send', { touser: SOME_OPENID }],
  ['GET', '/admin/api/openapi.json'],
  // A nameless operator and an unknown id: with the token nothing is added, changed or removed.
  ['GET', '/admin/api/operators'],
  ['POST', '/admin/api/operators', { name: ' ', role: 'viewer' }],
  ['PATCH', `/admin/api/operators/${SOME_OPERATOR}`, { role: 'viewer' }],
  ['DELETE', `/admin/api/operators/${SOME_OPERATOR}`],
  ['GET', '/admin/api/audit'],
  // A body that is refused (no answer) and an unknown entry: with the token nothing is added, replaced or deleted.
  ['GET', '/admin/api/knowledge'],
  ['POST', '/admin/api/knowledge', { question: 'hi' }],
  ['GET', `/admin/api/knowledge/${SOME_ENTRY}`],
  ['PUT', `/admin/api/knowledge/${SOME_ENTRY}`, { question: 'hi', answer: 'hello' }],
  ['DELETE', `/admin/api/knowledge/${SOME_ENTRY}`],
  ['POST', '/admin/api/knowledge/ask', { text: 'hi' }],
  // The desk: nobody is at it, so an action finds no one (404); a refused body changes nothing.
  ['GET', '/admin/api/queue'],
  ['POST', `/admin/api/conversations/${SOME_OPENID}/claim`],
  ['POST', `/admin/api/conversations/${SOME_OPENID}/release`],
  ['POST', `/admin/api/conversations/${SOME_OPENID}/transfer`, { to: SOME_OPERATOR }],
  ['POST', `/admin/api/conversations/${SOME_OPENID}/close`],
  ['PUT', '/admin/api/desk/status', { status: 'busy' }],
  ['GET', '/admin/api/desk/figures'],
  ['GET', '/admin/api/canned'],
  ['POST', '/admin/api/canned', { title: '' }],
  ['DELETE', `/admin/api/canned/${SOME_CANNED}`],
  ['GET', `/admin/api/conversations/${SOME_OPENID}/notes`],
  ['POST', `/admin/api/conversations/${SOME_OPENID}/notes`, { text: '' }],
  // Without ?use= (and a JSON body): refused (400) before the body is read; nothing is stored.
  ['POST', '/admin/api/media', { name: 'not an image' }],
  ['GET', `/admin/api/users/${SOME_OPENID}/export`],
  ['DELETE', `/admin/api/users/${SOME_OPENID}`],
  // Without from and to: refused (400) before anything is read or audited.
  ['GET', '/admin/api/export.csv'],
  ['GET', '/admin/api/webhooks/failed'],
  ['POST', `/admin/api/webhooks/${SOME_DELIVERY}/retry`],
]
