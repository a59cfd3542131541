/**
 * The console's rule pages: `/admin/rules` (edit, check, preview, publish), `/admin/rules/new`
 * (a rule from an unmatched question), `/admin/rules/history[/:version]` and rollback.
 * Publishing and rollback go through rules/history.ts, as `PUT /admin/api/rules` and
 * `rules:push` do: one stored form, one history. Like the API's, they run in the mini program's
 * RulePublisher (rules/publisher.ts), one at a time, so the stale-draft check (`base`) is the
 * API's If-Match.
 *
 * The form holds as many rules as a rule set may (MAX_RULES): a stored set with more (put by
 * hand) is shown as what it is, with nothing to check, move or publish, and a form posted with
 * more is refused whole. Never is a set cut short to fit.
 */
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { ruleSetDiff } from '../rules/diff'
import { historyEntry, listHistory, logPublish, type RollbackOutcome } from '../rules/history'
import { HISTORY_CURSOR, VERSION } from '../rules/history-format'
import { readStoredRules } from '../rules/history-store'
import { previewDraft, type Preview } from '../rules/preview'
import { publishAs, rollbackAs } from '../rules/publisher'
import { DateTimeSchema } from '../rules/schema'
import { MAX_RULES, ruleCountIssue, validateRuleSet, type RuleIssue } from '../rules/validate'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { readForm, textField } from './form'
import { langOf, type Lang } from './lang'
import { HistoryEntryPage, HistoryListPage } from './pages/rule-history'
import { RulesPage } from './pages/rules'
import { applyOp, fromForm, isoOf, opOf } from './rule-form'
import { draftOf, newRule, type Draft } from './rule-draft'
import { ruleSetOf, toJson } from './draft-rule-set'
import { storeUploads } from './rule-uploads'
import { readMultipart, type PostedFields } from './rules-form-body'
import { english, problem } from '../rules/messages'
import { rulesStoreOf } from '../settings/mini-program-state'
import { UPLOAD_LIMITS, UPLOAD_MAX_BYTES } from '../media/uploads'
import { grantsOf, permit } from './permit'

export const rulePages = new Hono<ConsoleEnv>()

/** A form holds a whole rule set; the API takes drafts up to the same size. */
const RULES_MAX_BYTES = 512 * 1024
/**
 * The form's fields (every part posts every type's, so they take more than the set's JSON): as
 * much as a whole post with a few images could be before images were read apart, so no rule
 * set that could be posted then is refused now.
 */
const FIELDS_MAX_BYTES = RULES_MAX_BYTES + 3 * UPLOAD_MAX_BYTES
/**
 * A phone photo is 3–12 MB: a few chosen at once are read (rules-form-body.ts drops each past
 * UPLOAD_MAX_BYTES as it comes) and refused under their part, with the draft kept. A body past
 * this is not read at all (Cloudflare's own request limit is 100 MB).
 */
const PHOTO_MAX_BYTES = 20 * 1000 * 1000
const BODY_MAX_BYTES = FIELDS_MAX_BYTES + 3 * PHOTO_MAX_BYTES
/** The images kept from one post, each within its use's limit. */
const KEPT_MAX_BYTES = 8 * UPLOAD_MAX_BYTES
const MB = (bytes: number) => Math.floor((bytes / 1024 / 1024) * 10) / 10
const SIZES = {
  image: MB(UPLOAD_LIMITS.image.maxBytes),
  link: MB(UPLOAD_LIMITS.link.maxBytes),
  kept: MB(KEPT_MAX_BYTES),
  body: Math.floor(BODY_MAX_BYTES / 1000 / 1000),
}
/** A rollback posts two versions. */
const ROLLBACK_FORM_MAX_BYTES = 4096
const LIMIT = MAX_RULES.toLocaleString('en')

const NOTICES: Record<Lang, Record<string, string>> = {
  zh: {
    published: '已发布。新规则在一分钟内对所有用户生效。',
    rolledback: '已回滚。这一版在一分钟内对所有用户生效。',
    unchanged: '和生效中的规则完全相同，没有发布。',
    conflict: '有人在你编辑时发布了新版本。你的草稿还在下面：看过最新版本后再发布。',
    checked: '检查通过，可以发布。',
    unreadable: '存储的规则不是有效的 JSON，下面从空白开始。',
    badJson: 'JSON 有误，表单没有改动。',
    notFound: '历史里没有这个版本。',
    tooLarge: `提交的内容太大，没有读取，刚才的修改没有保存（下面是已保存的规则）。每张图片最多 ${SIZES.image} MB（链接缩略图 ${SIZES.link} MB），一次选的图片合计最多 ${SIZES.kept} MB，整个提交最多 ${SIZES.body} MB：太大的手机照片请先压缩或截图再选。规则很多时请编辑 rules/rules.json，用 npm run rules:push 发布。`,
    overLimit: `这套规则超过了每套最多 ${LIMIT} 条的上限，编辑器无法完整显示。为了不丢掉任何规则，这里不能检查、调整或发布它：请精简规则文件后用 npm run rules:push 发布，或在发布历史里回滚到更早的版本。`,
    jsonOverLimit: `这段 JSON 的规则超过了每套最多 ${LIMIT} 条的上限，表单没有改动。`,
  },
  en: {
    published: 'Published. Every user gets the new rules within a minute.',
    rolledback: 'Rolled back. Every user gets this version within a minute.',
    unchanged: 'Identical to the rules in force: nothing was published.',
    conflict: 'Someone published a new version while you were editing. Your draft is below: look at the new version, then publish.',
    checked: 'No problems: ready to publish.',
    unreadable: 'The stored rules are not valid JSON: starting from an empty set.',
    badJson: 'That JSON is not valid; the form is unchanged.',
    notFound: 'No such version in the history.',
    tooLarge: `That submit was too large to read, so your changes were not kept (below are the saved rules). An image may be at most ${SIZES.image} MB (a link's thumbnail ${SIZES.link} MB), the images chosen at once ${SIZES.kept} MB together, and a submit ${SIZES.body} MB: shrink a large phone photo (or take a screenshot of it) first. Edit a big rule set in rules/rules.json and publish it with npm run rules:push.`,
    overLimit: `This rule set is over the limit of ${LIMIT} rules a set may hold, so the editor cannot show it whole. So that no rule is lost, it cannot be checked, reordered or published here: trim the file and publish it with npm run rules:push, or roll back to an earlier version in the publish history.`,
    jsonOverLimit: `That JSON holds more rules than the limit of ${LIMIT}; the form is unchanged.`,
  },
}

interface Stored {
  draft: Draft
  version: string
  unreadable: boolean
}

async function stored(c: ConsoleContext): Promise<Stored> {
  const stored = await readStoredRules(rulesStoreOf(c.env))
  if (stored === null) return { draft: draftOf({ rules: [] }), version: '', unreadable: false }
  const { bytes, version } = stored
  try {
    return { draft: draftOf(JSON.parse(new TextDecoder().decode(bytes))), version, unreadable: false }
  } catch {
    return { draft: draftOf({ rules: [] }), version, unreadable: true }
  }
}

interface Render {
  draft: Draft
  base: string
  issues?: RuleIssue[]
  previewText?: string
  previewAt?: string
  preview?: Preview | null
  notice?: { kind: 'ok' | 'error'; text: string } | null
  focus?: number
  /** The set is over MAX_RULES: the page says so, and holds no form. */
  overLimit?: boolean
  status?: 200 | 400 | 404 | 409 | 413
}

function render(c: ConsoleContext, r: Render) {
  return renderPage(
    c,
    <RulesPage
      lang={langOf(c)}
      draft={r.draft}
      base={r.base}
      json={ruleSetOf(r.draft).value}
      issues={r.issues ?? []}
      previewText={r.previewText ?? ''}
      previewAt={r.previewAt ?? ''}
      preview={r.preview ?? null}
      notice={r.notice ?? null}
      overLimit={r.overLimit ?? false}
      grants={grantsOf(c)}
      {...(r.focus === undefined ? {} : { focus: r.focus })}
    />,
    r.status ?? 200,
  )
}

const noticeOf = (c: ConsoleContext, key: string, kind: 'ok' | 'error' = 'ok') => {
  const text = NOTICES[langOf(c)][key]
  return text === undefined ? null : { kind, text }
}

/** The page for a rule set over MAX_RULES: the limit and the validator's issue, and no form. */
function renderOverLimit(c: ConsoleContext, base: string, issue: RuleIssue, status: 200 | 413) {
  return render(c, {
    draft: draftOf({ rules: [] }),
    base,
    issues: [issue],
    notice: noticeOf(c, 'overLimit', 'error'),
    overLimit: true,
    status,
  })
}

rulePages.get('/admin/rules', guard, async (c) => {
  const { draft, version, unreadable } = await stored(c)
  const overLimit = ruleCountIssue(draft.rules.length)
  if (overLimit) return renderOverLimit(c, version, overLimit, 200)
  const done = c.req.query('done') ?? ''
  const notice = unreadable ? noticeOf(c, 'unreadable', 'error') : noticeOf(c, done)
  return render(c, { draft, base: version, notice })
})

/** "Make a rule from this": the stored set with a new rule for the question at its end. */
rulePages.get('/admin/rules/new', guard, async (c) => {
  const { draft, version } = await stored(c)
  const overLimit = ruleCountIssue(draft.rules.length)
  if (overLimit) return renderOverLimit(c, version, overLimit, 200)
  // A full set gets no new rule: the form could not post it back.
  const full = ruleCountIssue(draft.rules.length + 1)
  if (full) return render(c, { draft, base: version, issues: [full] })
  const question = (c.req.query('text') ?? '').slice(0, 200)
  const rules = [...draft.rules, newRule(draft, question)]
  return render(c, { draft: { ...draft, rules }, base: version, focus: rules.length - 1 })
})

rulePages.post('/admin/rules', guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const form = await readRulesForm(c.req.raw)
  if (form === null) {
    // Nothing of it was read: the saved rules, and what the limits are.
    const { draft, version } = await stored(c)
    return render(c, { draft, base: version, notice: noticeOf(c, 'tooLarge', 'error'), status: 413 })
  }
  const field = (name: string) => {
    const value = form[name]
    return typeof value === 'string' ? value : ''
  }
  const op = field('op')
  const base = VERSION.test(field('base')) ? field('base') : ''
  const previewText = field('preview_text').slice(0, 200)
  const previewAt = isoOf(field('preview_at').trim().slice(0, 40))
  const posted = fromForm(form)
  if (!posted.ok) return renderOverLimit(c, base, posted.issue, 413)
  // Images chosen in the form are kept first, whatever the button: the draft then names them.
  const uploaded = await storeUploads(c, posted.draft, form)
  let draft = uploaded.draft
  if (uploaded.problems.length > 0) return render(c, { draft, base, previewText, previewAt, issues: uploaded.problems, status: 400 })

  const change = opOf(op, field)
  if (change) {
    const full = change.op === 'add' ? ruleCountIssue(draft.rules.length + 1) : null
    if (full) return render(c, { draft, base, previewText, previewAt, issues: [full], status: 400 })
    return render(c, {
      draft: applyOp(draft, change),
      base,
      previewText,
      previewAt,
      ...(change.op === 'add' ? { focus: draft.rules.length } : {}),
    })
  }

  if (op === 'json') {
    let replaced: Draft
    try {
      replaced = draftOf(JSON.parse(field('json')))
    } catch (error) {
      const invalid = problem('json_invalid', { detail: (error as Error).message })
      const issue = { path: '', ...invalid, message: english(invalid) }
      return render(c, { draft, base, previewText, previewAt, issues: [issue], notice: noticeOf(c, 'badJson', 'error'), status: 400 })
    }
    const overLimit = ruleCountIssue(replaced.rules.length)
    if (overLimit)
      return render(c, {
        draft,
        base,
        previewText,
        previewAt,
        issues: [overLimit],
        notice: noticeOf(c, 'jsonOverLimit', 'error'),
        status: 400,
      })
    draft = replaced
  }

  const { value } = ruleSetOf(draft)
  const validation = validateRuleSet(value)
  if (!validation.ok)
    return render(c, { draft, base, previewText, previewAt, issues: validation.issues, status: op === 'json' ? 200 : 400 })

  const wantsPreview = op === 'preview' || (op === 'enter' && previewText.trim() !== '')
  if (wantsPreview) {
    if (previewAt !== '' && !v.is(DateTimeSchema, previewAt)) {
      const said = problem('preview_at_format', { text: previewAt })
      const issue = { path: 'preview_at', ...said, message: english(said) }
      return render(c, { draft, base, previewText, previewAt, issues: [issue], status: 400 })
    }
    const at = previewAt === '' ? Date.now() : Date.parse(previewAt)
    const preview = previewDraft(validation.value, { type: 'text', text: previewText }, at)
    return render(c, { draft, base, previewText, previewAt, preview })
  }
  if (op !== 'publish') return render(c, { draft, base, previewText, previewAt, notice: noticeOf(c, 'checked') })

  const outcome = await publishAs(c.env, c.var.operator, toJson(value), 'console', base === '' ? undefined : base)
  logPublish(outcome, 'console')
  return afterPublish(c, outcome, { draft, base, previewText, previewAt }, 'published')
})

/**
 * The posted form: multipart (as the page posts it, with its images) read as it streams in, each
 * image past UPLOAD_MAX_BYTES dropped and remembered as too large; anything else (a script's
 * urlencoded post) within FIELDS_MAX_BYTES. Null when it is too large to read.
 */
async function readRulesForm(request: Request): Promise<PostedFields | null> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType === 'multipart/form-data') {
    return readMultipart(request, {
      bodyMaxBytes: BODY_MAX_BYTES,
      textMaxBytes: FIELDS_MAX_BYTES,
      fileMaxBytes: UPLOAD_MAX_BYTES,
      filesMaxBytes: KEPT_MAX_BYTES,
    })
  }
  return (await readForm(request, FIELDS_MAX_BYTES))?.fields ?? null
}

function afterPublish(c: ConsoleContext, outcome: RollbackOutcome, r: Render, done: 'published' | 'rolledback') {
  if (outcome.ok) return back(c, '/admin/rules', { done: outcome.unchanged ? 'unchanged' : done, version: outcome.version })
  switch (outcome.problem) {
    case 'conflict':
      return render(c, { ...r, notice: noticeOf(c, 'conflict', 'error'), status: 409 })
    case 'invalid':
      return render(c, { ...r, issues: outcome.issues, status: 400 })
    case 'not_found':
      return render(c, { ...r, notice: noticeOf(c, 'notFound', 'error'), status: 404 })
  }
}

// ---------------------------------------------------------------- history

rulePages.get('/admin/rules/history', guard, async (c) => {
  const cursor = c.req.query('cursor')
  const page = await listHistory(rulesStoreOf(c.env), cursor !== undefined && HISTORY_CURSOR.test(cursor) ? { cursor } : {})
  return renderPage(c, <HistoryListPage lang={langOf(c)} page={page} />)
})

rulePages.get('/admin/rules/history/:version', guard, async (c) => {
  const version = c.req.param('version')
  const entry = VERSION.test(version) ? await historyEntry(rulesStoreOf(c.env), version) : null
  if (!entry) return renderPage(c, <HistoryListPage lang={langOf(c)} page={await listHistory(rulesStoreOf(c.env))} />, 404)
  const currentVersion = (await listHistory(rulesStoreOf(c.env), { limit: 1 })).currentVersion
  return renderPage(
    c,
    <HistoryEntryPage
      lang={langOf(c)}
      entry={entry}
      diff={entry.previous ? ruleSetDiff(entry.previous.source, entry.source) : []}
      currentVersion={currentVersion}
      notice={c.req.query('problem') === 'conflict' ? (NOTICES[langOf(c)].conflict ?? null) : null}
      grants={grantsOf(c)}
    />,
  )
})

rulePages.post('/admin/rules/rollback', guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const form = await readForm(c.req.raw, ROLLBACK_FORM_MAX_BYTES)
  if (form === null) return c.text('too large', 413)
  const version = textField(form.fields, 'version')
  const base = VERSION.test(textField(form.fields, 'base')) ? textField(form.fields, 'base') : undefined
  if (!VERSION.test(version)) return back(c, '/admin/rules/history', {})
  const outcome = await rollbackAs(c.env, c.var.operator, version, 'console', base)
  logPublish(outcome, 'rollback')
  if (outcome.ok) return back(c, '/admin/rules', { done: outcome.unchanged ? 'unchanged' : 'rolledback', version: outcome.version })
  if (outcome.problem === 'conflict') return back(c, `/admin/rules/history/${version}`, { problem: 'conflict' })
  return back(c, '/admin/rules/history', {})
})
