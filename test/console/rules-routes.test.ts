/**
 * The console's rules editor, as an operator uses it through forms: the stored set shown a
 * form per rule; problems named on their rule and field; a preview of what a message would
 * get; publish (the stored bytes and history as `rules:push` leaves them), a stale draft
 * refused; moves and deletes; a rule made from an unmatched question; the history with its
 * diff, and rollback to the exact bytes; sets of every size up to the validator's MAX_RULES
 * kept whole, and a set over it shown as such, never cut short. Real local KV.
 */
import { consoleSession } from '../support/operators'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { draftOf } from '../../src/console/rule-draft'
import { formFields, fromForm } from '../../src/console/rule-form'
import { ruleSetOf, toJson } from '../../src/console/draft-rule-set'
import example from '../../rules/rules.json'
import { STYLE } from '../../src/console/style'
import { listHistory } from '../../src/rules/history'
import { issueMessage } from '../../src/rules/messages'
import { MAX_RULES, ruleCountIssue } from '../../src/rules/validate'
import { ruleSetVersion } from '../../src/rules/version'
import { BASE, workerFetch } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const SET = {
  rules: [
    { id: 'hello', when: { text: ['你好', 'hi'] }, reply: { type: 'text', text: '您好！' } },
    { id: 'order', when: { regex: '^订单\\s*(\\d{6,})$' }, reply: { type: 'text', text: '查询订单 {{1}}' } },
    {
      id: 'app',
      when: { contains: ['下载'] },
      reply: [
        {
          type: 'link',
          title: '下载 App',
          description: '注册领红包',
          url: 'https://example.com/app',
          thumb_url: 'https://example.com/t.png',
        },
      ],
    },
  ],
  default: { type: 'text', text: '回复 1 下载 App' },
}
const STORED = JSON.stringify(SET)

let cookie = ''

/** Signs in with ADMIN_TOKEN: the session cookie. */
const signIn = () => consoleSession(TEST_SETTINGS.ADMIN_TOKEN)

async function page(path: string): Promise<{ status: number; text: string }> {
  const res = await workerFetch(path, { headers: { cookie } })
  return { status: res.status, text: await res.text() }
}

async function submit(path: string, fields: Record<string, string>): Promise<{ status: number; text: string; location: string | null }> {
  const res = await workerFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, cookie },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  })
  return { status: res.status, text: await res.text(), location: res.headers.get('location') }
}

/** The form as the page would post it for `set`, edited from the stored version. */
async function formOf(set: unknown, extra: Record<string, string>): Promise<Record<string, string>> {
  const base = await ruleSetVersion(new TextEncoder().encode(STORED))
  return { ...formFields(draftOf(set)), base, ...extra }
}

const storedText = () => env.RULES.get('rules', 'text')

beforeEach(async () => {
  cookie ||= await signIn()
  await env.RULES.put('rules', STORED)
})

describe('the rules editor', () => {
  it('shows each stored rule as a form: a text reply as its text, a link as its title, description, URL and thumbnail', async () => {
    const { status, text } = await page('/admin/rules')
    expect(status).toBe(200)
    for (const id of ['hello', 'order', 'app']) expect(text).toContain(`data-rule="${id}"`)
    expect(text).toContain('你好\nhi</textarea>')
    expect(text).toContain('查询订单 {{1}}</textarea>')
    // Rule 2's reply is a list of one link: its part's fields, each with the stored value.
    expect(text).toMatch(/<select id="r2.c0.p0.type" name="r2.c0.p0.type"[^>]*>[\s\S]*?<option value="link" selected="">/)
    expect(text).toMatch(/<input id="r2.c0.p0.title" name="r2.c0.p0.title" value="下载 App"/)
    expect(text).toMatch(/<textarea id="r2.c0.p0.description" name="r2.c0.p0.description"[^>]*>注册领红包<\/textarea>/)
    expect(text).toMatch(/<input id="r2.c0.p0.url" name="r2.c0.p0.url" value="https:\/\/example.com\/app"/)
    expect(text).toMatch(/<input id="r2.c0.p0.thumb_url" name="r2.c0.p0.thumb_url" value="https:\/\/example.com\/t.png"/)
  })

  it('has one field that takes JSON, the whole set’s (json); no other field’s value is JSON', async () => {
    // Every kind of when, reply, schedule and block the editor knows.
    const every = { ...SCHEDULED, rules: [...SCHEDULED.rules, ...SET.rules, ...example.rules], ai: { enabled: true, faq_threshold: 0.7 } }
    await env.RULES.put('rules', JSON.stringify(every))
    const { text } = await page('/admin/rules')
    const decode = (value: string) =>
      value
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
    const isJson = (value: string) => {
      try {
        const parsed: unknown = JSON.parse(decode(value))
        return typeof parsed === 'object' && parsed !== null
      } catch {
        return false
      }
    }
    const textareas = [...text.matchAll(/<textarea[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)].map(([, name, value]) => ({
      name,
      value: value ?? '',
    }))
    const inputs = [...text.matchAll(/<input\b[^>]*>/g)].map(([tag]) => ({
      name: /\bname="([^"]*)"/.exec(tag)?.[1],
      value: /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '',
    }))
    expect(textareas.length).toBeGreaterThan(10)
    expect(inputs.length).toBeGreaterThan(100)
    expect(textareas.filter(({ name }) => name === 'json')).toHaveLength(1)
    expect([...textareas, ...inputs].filter(({ value }) => isJson(value)).map(({ name }) => name)).toEqual(['json'])
  })

  it('names a problem on its rule and field, and publishes nothing', async () => {
    const broken = structuredClone(SET)
    broken.rules[1]!.when = { regex: '(a*)\\1' }
    const answer = await submit('/admin/rules', await formOf(broken, { op: 'publish' }))
    expect(answer.status).toBe(400)
    expect(answer.text).toMatch(/data-rule="order" aria-invalid="true"/)
    expect(answer.text).toContain('rules[1].when.regex')
    // In the operator's language, from the catalogue rules:check prints from.
    expect(answer.text).toContain('反向引用')
    expect(await storedText()).toBe(STORED)
  })

  it('previews what a message would get from the draft, without publishing it', async () => {
    const draft = structuredClone(SET)
    draft.rules[1]!.reply = { type: 'text', text: '订单号 {{1}} 正在处理' }
    const answer = await submit('/admin/rules', await formOf(draft, { op: 'preview', preview_text: '订单 1234567' }))
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('data-rule-id="order"')
    expect(answer.text).toContain('订单号 1234567 正在处理')
    expect(await storedText()).toBe(STORED)
  })

  it('previews as of an optional time: office hours, dates, enabled: false', async () => {
    const at = async (text: string, previewAt: string) =>
      (await submit('/admin/rules', await formOf(SCHEDULED, { op: 'preview', preview_text: text, preview_at: previewAt }))).text
    expect(await at('人工', '2026-09-28T10:00+08:00')).toContain('data-rule-id="human"')
    expect(await at('人工', '2026-10-01T10:00+08:00')).toContain('data-rule-id="night"')
    expect(await at('优惠', '2026-09-28T10:00+08:00')).toContain('data-rule-id="default"')
    expect(await at('优惠', '2026-10-02T10:00+08:00')).toContain('data-rule-id="sale"')
    expect(await at('?', '2026-10-01T10:00+08:00')).toContain('休息中')
    const page = await submit('/admin/rules', await formOf(SCHEDULED, { op: 'check' }))
    expect(page.text).toContain('name="r1.during"')
    expect(page.text).toMatch(/name="r0.once_per_hours" value="24"/)
    expect(page.text).toMatch(/name="handoff.after" value="3"/)
    expect(await at('?', '2026-09-28T10:00+08:00')).toContain('data-preview-handoff')
    const badOnce = await submit('/admin/rules?lang=en', {
      ...(await formOf(SCHEDULED, { op: 'check' })),
      'r0.once_per_hours': 'daily',
      'handoff.after': '0',
    })
    expect(badOnce.status).toBe(400)
    expect(badOnce.text).toContain('rules[0].once_per_hours')
    expect(badOnce.text).toContain('handoff.after_unmatched: must be at least 1')
    // Dates show in China time, as the console shows every time.
    expect(page.text).toContain('name="r3.until" value="2026-10-08T00:00" type="datetime-local"')
    expect(page.text).toMatch(/name="r4.disabled" checked/)
    expect(page.text).toContain('Asia/Shanghai')
    const bad = await submit('/admin/rules', await formOf(SCHEDULED, { op: 'preview', preview_text: 'x', preview_at: 'tomorrow' }))
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('preview_at')
    const badHours = await submit(
      '/admin/rules',
      await formOf({ ...SCHEDULED, hours: { tz: 'Nowhere/Here', weekly: {} } }, { op: 'check' }),
    )
    expect(badHours.status).toBe(400)
    expect(badHours.text).toContain('hours.tz')
    expect(await storedText()).toBe(STORED)
  })

  it('names a preview time it cannot read under the preview time input, in the operator’s language', async () => {
    const form = await formOf(SET, { op: 'preview', preview_text: '你好', preview_at: 'tomorrow' })
    const under = (text: string) =>
      /<div data-preview-at="true"><input name="preview_at"[^>]*aria-invalid="true"[^>]*\/?><ul class="field-error"[^>]*>([\s\S]*?)<\/ul>/.exec(
        text,
      )?.[1]
    const zh = await submit('/admin/rules', form)
    expect(zh.status).toBe(400)
    expect(under(zh.text)).toContain('&quot;tomorrow&quot; 不是有效的日期时间')
    expect(under(zh.text)).toContain('preview_at')
    const en = await submit('/admin/rules?lang=en', form)
    expect(under(en.text)).toContain('&quot;tomorrow&quot; is not a date-time with an offset')
    expect(await storedText()).toBe(STORED)
  })

  it('publishes the draft as rules:push would store it, with the previous version kept in the history', async () => {
    const draft = structuredClone(SET)
    draft.rules[0]!.reply = { type: 'text', text: '您好，有什么可以帮您？' }
    const answer = await submit('/admin/rules', await formOf(draft, { op: 'publish' }))
    expect(answer.status).toBe(303)
    expect(answer.location).toMatch(/^\/admin\/rules\?done=published&version=[0-9a-f]{16}$/)
    expect(await storedText()).toBe(toJson(draft))
    const history = await listHistory(env.RULES)
    expect(history.items[0]).toMatchObject({ from: 'console', current: true, rules: 3 })
    expect(history.items[1]).toMatchObject({ version: await ruleSetVersion(new TextEncoder().encode(STORED)) })
    expect((await page(answer.location!)).text).toContain('已发布')
  })

  it('refuses to publish over a version published meanwhile, keeping the draft on the page', async () => {
    const form = await formOf(SET, { op: 'publish', 'r0.c0.p0.text': '我的草稿' })
    await env.RULES.put('rules', JSON.stringify({ rules: [] }))
    const answer = await submit('/admin/rules', form)
    expect(answer.status).toBe(409)
    expect(answer.text).toContain('我的草稿')
    expect(await storedText()).toBe(JSON.stringify({ rules: [] }))
  })

  it('moves, deletes and adds rules in the draft only', async () => {
    const moved = await submit('/admin/rules', await formOf(SET, { op: 'down:0' }))
    expect(moved.text.indexOf('data-rule="order"')).toBeLessThan(moved.text.indexOf('data-rule="hello"'))
    const deleted = await submit('/admin/rules', await formOf(SET, { op: 'delete:1' }))
    expect(deleted.text).not.toContain('data-rule="order"')
    const added = await submit('/admin/rules', await formOf(SET, { op: 'add' }))
    expect(added.text).toContain('data-rule="rule-4"')
    expect(await storedText()).toBe(STORED)
  })

  it('makes a rule from an unmatched question', async () => {
    const { text } = await page(`/admin/rules/new?text=${encodeURIComponent('怎么退款')}`)
    expect(text).toContain('data-rule="rule-4"')
    expect(text).toContain('怎么退款</textarea>')
  })

  it('replaces the form from the JSON, and says so when the JSON is broken', async () => {
    const replaced = await submit(
      '/admin/rules',
      await formOf(SET, {
        op: 'json',
        json: JSON.stringify({ rules: [{ id: 'only', when: { text: ['x'] }, reply: { type: 'text', text: 'y' } }] }),
      }),
    )
    expect(replaced.text).toContain('data-rule="only"')
    expect(replaced.text).not.toContain('data-rule="hello"')
    const broken = await submit('/admin/rules', await formOf(SET, { op: 'json', json: '{"rules": [' }))
    expect(broken.status).toBe(400)
    expect(broken.text).toContain('data-rule="hello"')
    expect(broken.text).toContain('JSON 有误')
  })
})

/** Office hours, a default per hours, and rules with during, dates, enabled: false and random replies. */
const SCHEDULED = {
  hours: { tz: 'Asia/Shanghai', weekly: { mon: ['09:00-18:00'] }, closed: ['2026-10-01'], open: ['2026-09-27'] },
  handoff: { after_unmatched: 3, text: '正在为您转接人工客服' },
  rules: [
    { id: 'welcome', when: { event: 'user_enter_tempsession' }, once_per_hours: 24, reply: { type: 'text', text: '欢迎' } },
    { id: 'human', during: 'open', when: { text: ['人工'] }, reply: { type: 'transfer' } },
    { id: 'night', during: 'closed', when: { text: ['人工'] }, reply: { type: 'text', text: '下班了' } },
    {
      id: 'sale',
      from: '2026-10-01T00:00+08:00',
      until: '2026-10-08T00:00+08:00',
      when: { contains: ['优惠'] },
      reply: { random: [{ type: 'text', text: 'A' }, [{ type: 'text', text: 'B' }]] },
    },
    { id: 'old', enabled: false, note: 'kept for next year', when: { contains: ['优惠'] }, reply: { type: 'text', text: 'old' } },
  ],
  default: [{ during: 'closed', reply: { type: 'text', text: '休息中' } }, { reply: { type: 'text', text: '请稍候' } }],
}

describe('the form', () => {
  it('carries a rule set through its fields unchanged (the example rules, every kind of when and reply)', () => {
    for (const set of [example, SET, SCHEDULED]) {
      const posted = fromForm(formFields(draftOf(set)))
      if (!posted.ok) throw new Error(posted.issue.message)
      expect(ruleSetOf(posted.draft).value).toEqual(set)
    }
  })
})

describe('the fields of the chosen type and kind, without :has()', () => {
  it('marks the blocks of the type and kind the page was rendered with, which the stylesheet shows without :has()', async () => {
    const { text } = await page('/admin/rules')
    // Rule 2 (contains, a link): the link's blocks are marked, the text's and the card's are not.
    const part = /<div class="part" data-part="r2.c0.p0"[\s\S]*?<div class="row add-part">/.exec(text)?.[0] ?? ''
    expect(part).toMatch(/<div data-for="link miniprogrampage" data-chosen=""><div><label for="r2.c0.p0.title">/)
    expect(part).toMatch(/<div data-for="link" data-chosen=""><label for="r2.c0.p0.description">/)
    expect(part).toMatch(/<div data-for="image link" data-chosen=""><label for="r2.c0.p0.url">/)
    expect(part).toMatch(/<div data-for="text"><textarea id="r2.c0.p0.text"/)
    expect(part).toMatch(/<div data-for="miniprogrampage"><div><label for="r2.c0.p0.pagepath">/)
    // Rule 0 (text, a text reply): its text box and its keywords.
    expect(text).toMatch(/<div data-for="text" data-chosen=""><textarea id="r0.c0.p0.text"/)
    expect(text).toMatch(/data-when="text contains regex" data-chosen=""><label for="r0.value">/)
    expect(text).toMatch(/<div data-when="event"><label for="r0.event">/)
    // Nothing is hidden by markup alone (no hidden attribute, no inline display).
    expect(part).not.toMatch(/\shidden[\s>=]|display:\s*none/)

    // The stylesheet: without :has(), only blocks not marked are hidden; every rule that reads
    // the select (:has) is inside @supports selector(:has(a)), which such a browser skips whole.
    const supported = '@supports selector(:has(a)){'
    const start = STYLE.indexOf(supported)
    expect(start).toBeGreaterThan(-1)
    const end = STYLE.indexOf('\n}\n', start)
    const without = STYLE.slice(0, start) + STYLE.slice(end + 3)
    const fallback = /@supports not selector\(:has\(a\)\)\{([^{}]*)\{display:none\}\}/.exec(without)?.[1] ?? ''
    expect(fallback.split(',')).toEqual([
      '.part [data-for]:not([data-chosen])',
      '.rule [data-when]:not([data-chosen])',
      '.choice-head:not([data-chosen])',
    ])
    // The page escapes the stylesheet's text: the form's rules hold nothing that escaping would break.
    const served = /<style>([\s\S]*?)<\/style>/.exec(text)?.[1] ?? ''
    for (const line of served.split('\n').filter((l) => /data-for|data-when|data-choice|choice|dates|period/.test(l)))
      expect(line).not.toMatch(/&quot;|&gt;|&#39;/)
    for (const rule of without.split('}')) {
      const selector = rule.slice(0, rule.indexOf('{'))
      if (/data-for|data-when|choice-head/.test(selector)) expect(selector).toContain(':not([data-chosen])')
      if (/\[data-(for|when)/.test(selector)) expect(selector).not.toContain(':has(')
    }
  })

  it('marks a random reply’s group heads; a plain reply’s are hidden until random is ticked', async () => {
    await env.RULES.put('rules', JSON.stringify(SCHEDULED))
    const { text } = await page('/admin/rules')
    expect(text).toMatch(/<div class="choice" data-choice="1">[\s\S]*?<div class="choice-head row" data-chosen="">/)
    expect(text).toMatch(/data-reply="r0"[\s\S]*?<div class="choice-head row">/)
  })
})

describe('each problem under its own field', () => {
  /** The list of problems right after the field named `name` (its input, textarea or select), or undefined. */
  const under = (text: string, name: string) =>
    new RegExp(
      `name="${name.replace(/[.[\]]/g, '\\$&')}"[^>]*aria-invalid="true"[^>]*>(?:[^<]*</textarea>|<button[^>]*>[^<]*</button></span>)?\\s*<ul class="field-error"[^>]*>([\\s\\S]*?)</ul>`,
    ).exec(text)?.[1]
  /** What a part shows at its bottom, after all its fields. */
  const bottom = (text: string, at: string) =>
    new RegExp(`data-part="${at}"[\\s\\S]*?<p data-for="transfer"[^>]*>[^<]*</p>([\\s\\S]*?)</div>`).exec(text)?.[1]

  it('a reply part’s under the input its path names (title, url, text…); the part’s own at its bottom', async () => {
    const set = {
      rules: [
        {
          id: 'link',
          when: { contains: ['a'] },
          reply: { type: 'link', title: '标'.repeat(65), description: 'D', url: 'ftp://x', thumb_url: 'https://e.com/t.png' },
        },
        { id: 'pic', when: { contains: ['b'] }, reply: [{ type: 'text', text: '{{1}}' }, { type: 'image' }] },
      ],
    }
    const answer = await submit('/admin/rules', await formOf(set, { op: 'check' }))
    expect(answer.status).toBe(400)
    expect(under(answer.text, 'r0.c0.p0.title')).toContain('最多 64 个字符')
    expect(under(answer.text, 'r0.c0.p0.url')).toContain('必须是 http:// 或 https:// 开头的网址')
    expect(under(answer.text, 'r0.c0.p0.description')).toBeUndefined()
    expect(bottom(answer.text, 'r0.c0.p0')).not.toContain('field-error')
    expect(under(answer.text, 'r1.c0.p0.text')).toContain('{{1}}')
    // Image, url, media_id or file: exactly one — the part's own problem, at its bottom.
    expect(bottom(answer.text, 'r1.c0.p1')).toContain('图片需要恰好一个')
    expect(under(answer.text, 'r1.c0.p1.url')).toBeUndefined()
  })

  it('once_per_hours under its own input, shown whatever the kind while it holds a value', async () => {
    const set = {
      rules: [
        { id: 'a', when: { contains: ['x'] }, once_per_hours: 24, reply: { type: 'text', text: 'y' } },
        { id: 'b', when: { event: 'subscribe_msg_popup_event', session_from: 's' }, reply: { type: 'text', text: 'y' } },
      ],
    }
    const answer = await submit('/admin/rules', await formOf(set, { op: 'check' }))
    expect(answer.status).toBe(400)
    expect(under(answer.text, 'r0.once_per_hours')).toContain('（欢迎语）一起用')
    expect(under(answer.text, 'r1.session_from')).toContain('user_enter_tempsession')
    // The schedule row (during, from, until) says nothing of it.
    expect(/<div class="row" data-schedule[\s\S]*?<p class="muted">[^<]*<\/p>\s*<ul class="field-error"/.test(answer.text)).toBe(false)
    // The event row is not hidden with the kind: the stray values can be seen and cleared.
    expect(answer.text).toMatch(/<div class="row"><div><label for="r0.session_from">/)
    const welcome = {
      rules: [{ id: 'w', when: { event: 'user_enter_tempsession' }, once_per_hours: 0, reply: { type: 'text', text: 'y' } }],
    }
    const zero = await submit('/admin/rules', await formOf(welcome, { op: 'check' }))
    expect(under(zero.text, 'r0.once_per_hours')).toContain('不能小于 1')
  })

  it('office hours: the time zone, a holiday and a make-up day each beside its input; a list’s own under the list', async () => {
    const hours = { tz: 'Nowhere/Here', weekly: { mon: ['09:00-18:00'] }, closed: ['2026-10-01', '2026-02-30'], open: ['2026-10-01'] }
    // A blank date slot before the bad one: the rule set's closed[1] is the form's third.
    const answer = await submit(
      '/admin/rules',
      await formOf(
        { rules: [], hours },
        { op: 'check', 'hours.closed.count': '3', 'hours.closed.0': '2026-10-01', 'hours.closed.1': '', 'hours.closed.2': '2026-02-30' },
      ),
    )
    expect(answer.status).toBe(400)
    expect(answer.text).toMatch(
      /name="hours.tz"[^>]*aria-invalid="true"[^>]*>(?:<datalist[\s\S]*?<\/datalist>)\s*<ul class="field-error"[^>]*><li>&quot;Nowhere\/Here&quot; 不是可识别的时区/,
    )
    expect(under(answer.text, 'hours.closed.2')).toContain('不是有效的日期')
    expect(under(answer.text, 'hours.closed.0')).toBeUndefined()
    expect(under(answer.text, 'hours.open.0')).toContain('同时也在休息日')
    // Nothing left for the bottom of the block.
    expect(/<fieldset data-hours="true">[\s\S]*?<\/fieldset>/.exec(answer.text)?.[0]).toMatch(/<\/div><\/fieldset>$/)

    const makeUp = await submit(
      '/admin/rules',
      await formOf({ rules: [], hours: { tz: 'Asia/Shanghai', weekly: { tue: ['09:00-18:00'] }, open: ['2026-10-08'] } }, { op: 'check' }),
    )
    expect(makeUp.text).toMatch(/value="date-add:open"[^>]*>[^<]*<\/button><ul class="field-error"[^>]*><li>调休上班日需要营业时间/)
  })
})

describe('the knowledge base (ai) in the editor', () => {
  const WITH_AI = { ...SET, ai: { enabled: true, faq_threshold: 0.75 } }

  it('carries the ai block through the form unchanged: on, off, the default threshold, absent, and a key it does not know', () => {
    const sets = [
      WITH_AI,
      { ...SET, ai: { enabled: true } },
      { ...SET, ai: { enabled: false, faq_threshold: 0 } },
      { ...SET, ai: { enabled: false } },
      { ...SET, ai: { enabled: true, faq_threshold: 1, persona: '客服小美' } },
      SET,
    ]
    for (const set of sets) {
      const posted = fromForm(formFields(draftOf(set)))
      if (!posted.ok) throw new Error(posted.issue.message)
      expect(ruleSetOf(posted.draft).value).toEqual(set)
    }
  })

  it('shows the checkbox ticked and the threshold of the stored set', async () => {
    await env.RULES.put('rules', JSON.stringify(WITH_AI))
    const { text } = await page('/admin/rules')
    expect(text).toContain('用知识库回答未匹配的问题')
    expect(text).toMatch(/<input type="checkbox" name="ai.enabled" checked="" ?\/?>/)
    expect(text).toMatch(/name="ai.faq_threshold" value="0.75"/)
  })

  it('ticking the box publishes "ai": { "enabled": true }; unticking keeps the block, off', async () => {
    const on = await submit('/admin/rules', await formOf(SET, { op: 'publish', 'ai.enabled': 'on' }))
    expect(on.status).toBe(303)
    expect(JSON.parse((await storedText())!)).toEqual({ ...SET, ai: { enabled: true } })
    const stored = await storedText()
    const base = await ruleSetVersion(new TextEncoder().encode(stored!))
    const form = { ...formFields(draftOf(JSON.parse(stored!))), base, op: 'publish', 'ai.faq_threshold': '0.8' }
    delete (form as Record<string, string>)['ai.enabled']
    expect((await submit('/admin/rules', form)).status).toBe(303)
    expect(JSON.parse((await storedText())!)).toEqual({ ...SET, ai: { enabled: false, faq_threshold: 0.8 } })
  })

  it('the model’s settings are form fields: typed, published as numbers, texts and a choice, shown again; a bad one is named', async () => {
    const posted = await submit(
      '/admin/rules',
      await formOf(SET, {
        op: 'publish',
        'ai.enabled': 'on',
        'ai.passage_threshold': '0.4',
        'ai.persona': '你是「示例小店」的客服小美。\n语气亲切。',
        'ai.max_answer_chars': '200',
        'ai.daily_budget': '5',
        'ai.off_hours': 'fallback',
        'ai.fallback': '这个问题我先记下，客服上班后回复您。',
      }),
    )
    expect(posted.status).toBe(303)
    expect(JSON.parse((await storedText())!).ai).toEqual({
      enabled: true,
      passage_threshold: 0.4,
      persona: '你是「示例小店」的客服小美。\n语气亲切。',
      max_answer_chars: 200,
      daily_budget: 5,
      off_hours: 'fallback',
      fallback: '这个问题我先记下，客服上班后回复您。',
    })
    const { text } = await page('/admin/rules')
    expect(text).toMatch(/name="ai.passage_threshold" value="0.4"/)
    expect(text).toMatch(/<option value="fallback" selected="">/)
    expect(text).toContain('客服小美')
    // Round trip: the form holds the block exactly, nothing in the hidden rest.

    const bad = await submit(
      '/admin/rules?lang=en',
      await formOf(SET, { op: 'publish', 'ai.enabled': 'on', 'ai.max_answer_chars': '5000' }),
    )
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/must be at most 600 <code class="muted">ai.max_answer_chars<\/code>/)
  })

  it('the satisfaction rating is a form: ticked and typed, published, shown again; a bad minutes is named', async () => {
    const posted = await submit(
      '/admin/rules',
      await formOf(SET, { op: 'publish', 'satisfaction.enabled': 'on', 'satisfaction.minutes': '15', 'satisfaction.thanks': '谢谢您！' }),
    )
    expect(posted.status).toBe(303)
    expect(JSON.parse((await storedText())!).satisfaction).toEqual({ enabled: true, minutes: 15, thanks: '谢谢您！' })
    const { text } = await page('/admin/rules')
    expect(text).toMatch(/<input type="checkbox" name="satisfaction.enabled" checked="" ?\/?>/)
    expect(text).toMatch(/name="satisfaction.minutes" value="15"/)
    const bad = await submit(
      '/admin/rules?lang=en',
      await formOf(SET, { op: 'publish', 'satisfaction.enabled': 'on', 'satisfaction.minutes': '0' }),
    )
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(
      /<fieldset data-satisfaction="true">[\s\S]*must be at least 1 <code class="muted">satisfaction.minutes<\/code>/,
    )
  })

  it('names a bad threshold on the knowledge base’s fields, and publishes nothing', async () => {
    const answer = await submit('/admin/rules?lang=en', await formOf(SET, { op: 'publish', 'ai.enabled': 'on', 'ai.faq_threshold': '1.5' }))
    expect(answer.status).toBe(400)
    expect(answer.text).toMatch(
      /<fieldset data-ai="true">[\s\S]*must be at most 1 <code class="muted">ai.faq_threshold<\/code>[\s\S]*<\/fieldset>/,
    )
    expect(answer.text).toMatch(/name="ai.faq_threshold" value="1.5"[^>]*aria-invalid="true"/)
    expect(await storedText()).toBe(STORED)
  })

  it('the preview says an unmatched text asks the knowledge base first; a matched one does not', async () => {
    const unmatched = await submit('/admin/rules', await formOf(WITH_AI, { op: 'preview', preview_text: '发票抬头写错了' }))
    expect(unmatched.text).toContain('data-rule-id="default"')
    expect(unmatched.text).toContain('data-preview-knowledge')
    expect(unmatched.text).toContain('匹配度 ≥ 0.75 的常见问题直接回答')
    const matched = await submit('/admin/rules', await formOf(WITH_AI, { op: 'preview', preview_text: '你好' }))
    expect(matched.text).toContain('data-rule-id="hello"')
    expect(matched.text).not.toContain('data-preview-knowledge')
    const off = await submit('/admin/rules', await formOf(SET, { op: 'preview', preview_text: '发票抬头写错了' }))
    expect(off.text).not.toContain('data-preview-knowledge')
  })
})

describe('the history', () => {
  it('lists versions with a diff, and rolls back to the exact bytes', async () => {
    const draft = structuredClone(SET)
    draft.rules.splice(2, 1)
    expect((await submit('/admin/rules', await formOf(draft, { op: 'publish' }))).status).toBe(303)
    const oldVersion = await ruleSetVersion(new TextEncoder().encode(STORED))

    const list = await page('/admin/rules/history')
    expect(list.text).toContain(`data-version="${oldVersion}"`)
    const entry = await page(`/admin/rules/history/${oldVersion}`)
    expect(entry.status).toBe(200)
    expect(entry.text).toContain(`data-rollback="${oldVersion}"`)
    const current = (await listHistory(env.RULES)).items[0]!
    const diff = await page(`/admin/rules/history/${current.version}`)
    expect(diff.text).toMatch(/class="del">- .*下载 App/)

    const rolled = await submit('/admin/rules/rollback', { version: oldVersion, base: current.version })
    expect(rolled.status).toBe(303)
    expect(await storedText()).toBe(STORED)
    expect((await listHistory(env.RULES)).items[0]).toMatchObject({ version: oldVersion, from: 'rollback', current: true })
  })

  it('answers an unknown or malformed version with the list (404), and a stale rollback changes nothing', async () => {
    expect((await page('/admin/rules/history/0123456789abcdef')).status).toBe(404)
    expect((await page('/admin/rules/history/nope')).status).toBe(404)
    const oldVersion = await ruleSetVersion(new TextEncoder().encode(STORED))
    const stale = await submit('/admin/rules/rollback', { version: oldVersion, base: 'ffffffffffffffff' })
    expect(stale.status).toBe(303)
    expect(await storedText()).toBe(STORED)
  })
})

/** `n` distinct rules, one keyword and a text reply each. */
const manyRules = (n: number) => ({
  rules: Array.from({ length: n }, (_, i) => ({ id: `r${i}`, when: { contains: [`词${i}`] }, reply: { type: 'text', text: `回复 ${i}` } })),
})
const OVER_LIMIT = `rules: ${issueMessage(ruleCountIssue(MAX_RULES + 1)!, 'zh')}`

describe('the rule-count limit (MAX_RULES, as the validator holds every way in to it)', () => {
  it('keeps every rule of a set over 500 through check, reorder and publish', async () => {
    const set = manyRules(510)
    const text = JSON.stringify(set)
    await env.RULES.put('rules', text)
    const shown = await page('/admin/rules')
    expect(shown.text).toContain('name="count" value="510"')
    expect(shown.text).toContain('data-rule="r509"')

    const form = { ...formFields(draftOf(set)), base: await ruleSetVersion(new TextEncoder().encode(text)) }
    const checked = await submit('/admin/rules', { ...form, op: 'check' })
    expect(checked.status).toBe(200)
    expect(checked.text).toContain('data-rule="r509"')
    const moved = await submit('/admin/rules', { ...form, op: 'down:508' })
    expect(moved.text.indexOf('data-rule="r509"')).toBeLessThan(moved.text.indexOf('data-rule="r508"'))
    expect(moved.text).toContain('name="count" value="510"')

    const published = await submit('/admin/rules', { ...form, op: 'publish', 'r509.c0.p0.text': '最后一条' })
    expect(published.status).toBe(303)
    const after = JSON.parse((await storedText())!) as ReturnType<typeof manyRules>
    expect(after.rules).toHaveLength(510)
    expect(after.rules[509]!.reply.text).toBe('最后一条')
    expect((await listHistory(env.RULES)).items.slice(0, 2).map((i) => [i.from, i.rules])).toEqual([
      ['console', 510],
      ['unrecorded', 510],
    ])
    // Four pages of 510 rules, each part with every type's fields (the form switches types without a script).
  }, 30_000)

  it('shows a stored set over the limit with the validator’s issue and no form, and refuses a form that holds more', async () => {
    const over = JSON.stringify(manyRules(MAX_RULES + 1))
    await env.RULES.put('rules', over)
    const history = (await listHistory(env.RULES)).items
    for (const path of ['/admin/rules', '/admin/rules/new?text=x']) {
      const shown = await page(path)
      expect(shown.status, path).toBe(200)
      expect(shown.text).toContain(OVER_LIMIT)
      expect(shown.text).toContain('编辑器无法完整显示')
      expect(shown.text).not.toContain('id="rules-form"')
      expect(shown.text).not.toContain('data-rule=')
    }
    // A form saying it holds more than a set may (a page from before the limit, or a script):
    // refused whole, whatever it asks.
    const base = await ruleSetVersion(new TextEncoder().encode(over))
    for (const op of ['publish', 'check', 'preview', 'down:0', 'delete:0', 'add', 'json']) {
      const answer = await submit('/admin/rules', {
        ...formFields(draftOf(SET)),
        count: String(MAX_RULES + 1),
        base,
        op,
        preview_text: '你好',
        json: '{"rules": []}',
      })
      expect(answer.status, op).toBe(413)
      expect(answer.text).toContain(OVER_LIMIT)
      expect(answer.text).not.toContain('id="rules-form"')
    }
    expect(await storedText()).toBe(over)
    expect((await listHistory(env.RULES)).items).toEqual(history)
  })

  it('keeps the form as it was when JSON over the limit would replace it', async () => {
    // Empty rules are invalid too, but the count is what the validator names first and alone.
    const json = JSON.stringify({ rules: Array.from({ length: MAX_RULES + 1 }, () => ({})) })
    const answer = await submit('/admin/rules', await formOf(SET, { op: 'json', json }))
    expect(answer.status).toBe(400)
    expect(answer.text).toContain(OVER_LIMIT)
    expect(answer.text).toContain('表单没有改动')
    expect(answer.text).toContain('data-rule="hello"')
    expect(answer.text).toContain('name="count" value="3"')
    expect(await storedText()).toBe(STORED)
  })

  // A page of 10,000 rules (about 25 MB of HTML) takes seconds to render.
  it('adds no rule to a full set: the form could not hold it', { timeout: 30_000 }, async () => {
    await env.RULES.put('rules', JSON.stringify(manyRules(MAX_RULES)))
    const shown = await page('/admin/rules/new?text=x')
    expect(shown.status).toBe(200)
    expect(shown.text).toContain(`name="count" value="${MAX_RULES}"`)
    expect(shown.text).toContain(OVER_LIMIT)
    expect(shown.text).toContain('id="rules-form"')
  })
})
