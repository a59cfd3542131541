/**
 * The console's CSV export (issue 31): the conversations page offers the form to the roles that
 * may export (owner, admin) with the last 7 China days, the download answers signed in with
 * the admin API's CSV, and nothing is served without a session or to a role that may not.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Role } from '../../src/auth/roles'
import { EXPORT_DOWNLOAD_PATH } from '../../src/console/pages/export-form'
import { lastDays } from '../../src/record/day'
import { CSV_BOM, EXPORT_COLUMNS } from '../../src/record/export-csv'
import { writeRecord } from '../../src/record/write'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { workerFetch } from '../support/helpers'
import { APPID } from '../support/hygiene'
import { addTestOperator, consoleSession } from '../support/operators'
import { recordSeed } from '../support/record-seed'
import { TEST_SETTINGS } from '../support/settings'

const seed = recordSeed(9_330_000_000_000_000_000n)
const page = (cookie: string, path: string) => workerFetch(path, { headers: { cookie }, redirect: 'manual' })
const sessionOf = async (role: Role) => consoleSession(role === 'owner' ? TEST_SETTINGS.ADMIN_TOKEN : (await addTestOperator(role)).token)

describe('the console export', () => {
  it.each<[Role, boolean]>([
    ['owner', true],
    ['admin', true],
    ['agent', false],
    ['viewer', false],
  ])('%s: the form is there: %s; the download answers accordingly', async (role, may) => {
    const cookie = await sessionOf(role)
    const html = await (await page(cookie, '/admin/conversations')).text()
    const days = lastDays(Date.now(), 7)
    if (may) {
      expect(html).toContain(`action="${EXPORT_DOWNLOAD_PATH}"`)
      expect(html).toContain(`name="from" value="${days[0]}"`)
      expect(html).toContain(`name="to" value="${days[6]}"`)
      expect(html).toContain('导出 CSV')
    } else {
      expect(html).not.toContain(EXPORT_DOWNLOAD_PATH)
    }
    const res = await page(cookie, `${EXPORT_DOWNLOAD_PATH}?from=2017-01-01&to=2017-01-02`)
    expect(res.status).toBe(may ? 200 : 403)
    await res.arrayBuffer()
  })

  it('downloads the CSV signed in, audited; refused without a session', async () => {
    const openid = uniqueOpenid()
    const push = seed.inbound(APPID, openid, Date.parse('2017-02-01T10:00:00+08:00'), { text: '控制台导出' })
    await writeRecord(env.DB, [push])
    const cookie = await sessionOf('owner')
    const res = await page(cookie, `${EXPORT_DOWNLOAD_PATH}?from=2017-02-01&to=2017-02-01`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="kefu-${APPID}-2017-02-01-2017-02-01.csv"`)
    const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(await res.arrayBuffer())
    expect(text.startsWith(`${CSV_BOM}${EXPORT_COLUMNS.join(',')}\r\n`)).toBe(true)
    expect(text).toContain('控制台导出')
    const audited = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit WHERE action = 'export' AND target = '2017-02-01..2017-02-01'",
    ).first<{
      n: number
    }>()
    expect(audited?.n).toBe(1)

    const anonymous = await workerFetch(`${EXPORT_DOWNLOAD_PATH}?from=2017-02-01&to=2017-02-01`, { redirect: 'manual' })
    expect(anonymous.status).not.toBe(200)
    expect(await anonymous.text()).not.toContain('控制台导出')
  })

  it('a refused range goes back to the page with the reason', async () => {
    const cookie = await sessionOf('admin')
    for (const [query, problem] of [
      ['from=2017-03-02&to=2017-03-01', 'invalid'],
      ['from=2017-01-01&to=2017-06-01', 'too_long'],
      ['to=2017-03-01', 'invalid'],
    ] as const) {
      const res = await page(cookie, `${EXPORT_DOWNLOAD_PATH}?${query}`)
      expect(res.status, query).toBe(303)
      const location = res.headers.get('location') ?? ''
      expect(location).toContain(`export=${problem}`)
      const html = await (await page(cookie, location)).text()
      expect(html).toContain(`data-export-problem="${problem}"`)
    }
  })
})
