/**
 * Rules: the rule set as a form per rule — when, reply, order, and when it is in force
 * (enabled, office hours, from / until) — with the office hours and the JSON a click away;
 * checked by the same validator as `rules:check` (each problem shown on its rule and field),
 * previewed against any message, and published as `rules:push` would.
 */
import type { Child } from 'hono/jsx'
import { replySummary } from '../../conversation/journal'
import type { Preview } from '../../rules/preview'
import { EVENTS } from '../../rules/schema'
import type { RuleIssue } from '../../rules/validate'
import { Layout, Notice } from '../layout'
import type { Lang, Strings } from '../lang'
import {
  DURINGS,
  issueTarget,
  toJson,
  WHEN_KINDS,
  type Draft,
  type DuringDraft,
  type ReplyDraft,
  type RuleDraft,
  type RuleField,
  type WhenKind,
} from '../rule-form'

const STRINGS: Strings<{
  title: string
  history: string
  base: string
  noRules: string
  rule: string
  id: string
  note: string
  when: string
  value: string
  valueHint: Record<WhenKind, string>
  kinds: Record<WhenKind, string>
  sessionFrom: string
  disabled: string
  during: string
  durings: Record<DuringDraft, string>
  from: string
  until: string
  dateHint: string
  hours: string
  hoursHint: string
  handoff: string
  handoffAfter: string
  handoffText: string
  handoffHint: string
  oncePerHours: string
  reply: string
  replyMode: string
  modeText: string
  modeJson: string
  up: string
  down: string
  remove: string
  add: string
  fallback: string
  fallbackOn: string
  previewTitle: string
  previewPlaceholder: string
  previewAt: string
  preview: string
  previewNone: string
  previewRule: string
  previewTransfer: string
  previewOnce: (hours: number) => string
  previewHandoff: (count: number) => string
  check: string
  publish: string
  asJson: string
  applyJson: string
  issues: string
  setIssues: string
}> = {
  zh: {
    title: '回复规则',
    history: '发布历史',
    base: '正在编辑的版本',
    noRules: '还没有规则。',
    rule: '规则',
    id: '规则名（id）',
    note: '备注',
    when: '什么时候回复',
    value: '内容',
    valueHint: {
      text: '每行一个，整句相同才算',
      contains: '每行一个关键词，包含任一个就算',
      regex: '正则表达式',
      msgtype: 'text、image 或 miniprogrampage',
      event: `事件名：${EVENTS.join('、')}`,
    },
    kinds: { text: '消息等于', contains: '消息包含', regex: '正则匹配', msgtype: '消息类型', event: '事件' },
    sessionFrom: '来源（session-from，可不填）',
    disabled: '停用（留在文件里，不生效）',
    during: '时段',
    durings: { '': '任何时候', open: '上班时间', closed: '下班时间' },
    from: '开始（含）',
    until: '结束（不含）',
    dateHint: '如 2026-10-01T00:00+08:00，可不填',
    hours: '上班时间（JSON：tz、weekly、closed 节假日、open 调休上班日）',
    handoff: '转人工',
    handoffAfter: '连续未匹配几条后转人工（留空：不转）',
    handoffText: '转接时告诉用户',
    handoffHint: '正在为您转接人工客服，请稍候',
    oncePerHours: '同一用户几小时内只回复一次（留空：每次都回复）',
    hoursHint: '例：{"tz": "Asia/Shanghai", "weekly": {"mon": ["09:00-18:00"]}, "closed": ["2026-10-01"], "open": ["2026-09-27"]}',
    reply: '回复',
    replyMode: '回复方式',
    modeText: '文字',
    modeJson: 'JSON（图片、链接、小程序卡片、多条）',
    up: '上移',
    down: '下移',
    remove: '删除',
    add: '添加规则',
    fallback: '默认回复（没有规则匹配的文字消息）',
    fallbackOn: '启用默认回复',
    previewTitle: '试一试',
    previewPlaceholder: '输入用户会发的消息',
    previewAt: '时间（可不填，默认现在），如 2026-10-01T10:00+08:00',
    preview: '预览回复',
    previewNone: '没有回复。',
    previewRule: '命中规则',
    previewTransfer: '转给客服工具',
    previewOnce: (hours) => `同一用户 ${hours} 小时内只收到一次。`,
    previewHandoff: (count) => `若这是该用户连续第 ${count} 条未匹配的消息，将改为转人工客服。`,
    check: '检查',
    publish: '发布',
    asJson: '以 JSON 编辑整个规则集',
    applyJson: '用这段 JSON 替换上面的表单',
    issues: '要先改好这些问题才能发布：',
    setIssues: '规则集',
  },
  en: {
    title: 'Rules',
    history: 'Publish history',
    base: 'Editing version',
    noRules: 'No rules yet.',
    rule: 'Rule',
    id: 'Rule name (id)',
    note: 'Note',
    when: 'When to reply',
    value: 'Value',
    valueHint: {
      text: 'One per line; the whole message must equal one',
      contains: 'One keyword per line; the message contains one',
      regex: 'A regular expression',
      msgtype: 'text, image or miniprogrampage',
      event: `An event: ${EVENTS.join(', ')}`,
    },
    kinds: { text: 'Message equals', contains: 'Message contains', regex: 'Regex matches', msgtype: 'Message type', event: 'Event' },
    sessionFrom: 'Session-from (optional)',
    disabled: 'Disabled (kept in the file without effect)',
    during: 'Office hours',
    durings: { '': 'Any time', open: 'While open', closed: 'While closed' },
    from: 'From (inclusive)',
    until: 'Until (exclusive)',
    dateHint: 'e.g. 2026-10-01T00:00+08:00; optional',
    hours: 'Office hours (JSON: tz, weekly, closed holidays, open make-up days)',
    handoff: 'Hand-off',
    handoffAfter: 'Transfer after this many unmatched texts in a row (empty: never)',
    handoffText: 'Tell the user, as it happens',
    handoffHint: 'Connecting you to a person, one moment please',
    oncePerHours: 'Answer one user at most once in this many hours (empty: every time)',
    hoursHint: 'e.g. {"tz": "Asia/Shanghai", "weekly": {"mon": ["09:00-18:00"]}, "closed": ["2026-10-01"], "open": ["2026-09-27"]}',
    reply: 'Reply',
    replyMode: 'Reply as',
    modeText: 'Text',
    modeJson: 'JSON (image, link, card, several)',
    up: 'Up',
    down: 'Down',
    remove: 'Delete',
    add: 'Add a rule',
    fallback: 'Default reply (text messages no rule matched)',
    fallbackOn: 'Use a default reply',
    previewTitle: 'Try it',
    previewPlaceholder: 'A message a user might send',
    previewAt: 'At (optional, now when empty), e.g. 2026-10-01T10:00+08:00',
    preview: 'Preview',
    previewNone: 'No reply.',
    previewRule: 'Rule',
    previewTransfer: 'Handed to the customer-service tool',
    previewOnce: (hours) => `A user gets this at most once every ${hours} h.`,
    previewHandoff: (count) => `If this is the user's ${count}th unmatched text in a row, they are handed to the customer-service tool instead.`,
    check: 'Check',
    publish: 'Publish',
    asJson: 'Edit the whole rule set as JSON',
    applyJson: 'Replace the form with this JSON',
    issues: 'Fix these before publishing:',
    setIssues: 'Rule set',
  },
}

export interface RulesPageProps {
  lang: Lang
  draft: Draft
  /** The stored version the draft started from ('' when nothing is stored). */
  base: string
  /** The draft's rule set as JSON, for the JSON editor. */
  json: unknown
  issues: RuleIssue[]
  previewText: string
  /** The preview's time as typed ('' for now). */
  previewAt: string
  preview: Preview | null
  notice: { kind: 'ok' | 'error'; text: string } | null
  /** The index of a rule to scroll to (a new one). */
  focus?: number
  /** The set has more rules than a set may hold: the notice and issues say so, and there is no form. */
  overLimit: boolean
}

export function RulesPage(props: RulesPageProps) {
  const t = STRINGS[props.lang]
  const { draft } = props
  const byRule = new Map<number | 'default' | 'hours' | 'handoff' | null, RuleIssue[]>()
  for (const issue of props.issues) {
    const target = issueTarget(issue.path)
    byRule.set(target.rule, [...(byRule.get(target.rule) ?? []), issue])
  }
  return (
    <Layout lang={props.lang} section="rules" title={t.title}>
      <p class="muted">
        {t.base}: <code data-base-version>{props.base === '' ? '–' : props.base.slice(0, 12)}</code> ·{' '}
        <a href="/admin/rules/history">{t.history}</a>
      </p>
      {props.notice && <Notice kind={props.notice.kind}>{props.notice.text}</Notice>}
      {props.issues.length > 0 && (
        <div class="notice error" role="alert" data-issues>
          {t.issues}
          <ul>
            {props.issues.map((issue) => (
              <li>{issueText(issue, t.setIssues)}</li>
            ))}
          </ul>
        </div>
      )}
      {!props.overLimit && <RulesForm {...props} byRule={byRule} />}
    </Layout>
  )
}

function RulesForm(props: RulesPageProps & { byRule: Map<number | 'default' | 'hours' | 'handoff' | null, RuleIssue[]> }) {
  const t = STRINGS[props.lang]
  const { draft, byRule } = props
  return (
    <>
      <form method="post" action="/admin/rules" id="rules-form">
        {/* Enter in a field submits this first button: a check, never a move or a delete. */}
        <button type="submit" name="op" value="enter" style="position:absolute;left:-9999px" tabindex={-1} aria-hidden="true">
          {t.check}
        </button>
        <input type="hidden" name="base" value={props.base} />
        <input type="hidden" name="schema" value={draft.schema} />
        <input type="hidden" name="count" value={String(draft.rules.length)} />
        {draft.rules.length === 0 && <p class="muted">{t.noRules}</p>}
        {draft.rules.map((rule, i) => (
          <RuleFields t={t} rule={rule} index={i} last={i === draft.rules.length - 1} issues={byRule.get(i) ?? []} />
        ))}
        <p>
          <button type="submit" name="op" value="add">
            + {t.add}
          </button>
        </p>
        <fieldset data-hours>
          <legend>{t.hours}</legend>
          <textarea name="hours" rows={draft.hours === '' ? 2 : 8} spellcheck={false} style="font-family:monospace" placeholder={t.hoursHint}>
            {draft.hours}
          </textarea>
          <Issues issues={byRule.get('hours') ?? []} />
        </fieldset>
        <fieldset data-handoff>
          <legend>{t.handoff}</legend>
          <div class="row">
            <div>
              <label for="handoff.after">{t.handoffAfter}</label>
              <input id="handoff.after" name="handoff.after" value={draft.handoffAfter} inputmode="numeric" size={4} />
            </div>
            <div style="flex:1;min-width:12em">
              <label for="handoff.text">{t.handoffText}</label>
              <input id="handoff.text" name="handoff.text" value={draft.handoffText} placeholder={t.handoffHint} style="width:100%" />
            </div>
          </div>
          <Issues issues={byRule.get('handoff') ?? []} />
        </fieldset>
        <fieldset data-default-reply>
          <legend>{t.fallback}</legend>
          <label>
            <input type="checkbox" name="d.enabled" checked={draft.fallback !== null} /> {t.fallbackOn}
          </label>
          <ReplyFields t={t} prefix="d" reply={draft.fallback ?? { mode: 'text', text: '', json: '' }} />
          <Issues issues={byRule.get('default') ?? []} />
        </fieldset>

        <div class="panel" data-preview>
          <h2>{t.previewTitle}</h2>
          <div class="row">
            <input name="preview_text" value={props.previewText} placeholder={t.previewPlaceholder} style="flex:1;min-width:12em" />
            <input name="preview_at" value={props.previewAt} placeholder={t.previewAt} title={t.previewAt} style="min-width:14em" />
            <button type="submit" name="op" value="preview">
              {t.preview}
            </button>
          </div>
          {props.preview && <PreviewResult t={t} preview={props.preview} />}
        </div>

        <p class="row actions">
          <button type="submit" name="op" value="check">
            {t.check}
          </button>
          <button type="submit" name="op" value="publish" class="primary">
            {t.publish}
          </button>
        </p>

        <details>
          <summary>{t.asJson}</summary>
          <textarea name="json" rows={16} spellcheck={false} style="font-family:monospace">
            {toJson(props.json)}
          </textarea>
          <p>
            <button type="submit" name="op" value="json">
              {t.applyJson}
            </button>
          </p>
        </details>
      </form>
      {props.focus !== undefined && <a href={`#rule-${props.focus}`} data-focus={props.focus} />}
    </>
  )
}

type T = (typeof STRINGS)['zh']

function RuleFields(props: { t: T; rule: RuleDraft; index: number; last: boolean; issues: RuleIssue[] }) {
  const { t, rule, index: i } = props
  // The issues here are this rule's: each is shown under the field it names.
  const issuesOf = (field: RuleField | null) =>
    props.issues.filter((issue) => {
      const target = issueTarget(issue.path)
      return 'field' in target && target.field === field
    })
  const fieldIssue = (field: 'id' | 'when' | 'reply') => issuesOf(field).length > 0
  return (
    <fieldset id={`rule-${i}`} data-rule={rule.id} aria-invalid={props.issues.length > 0 ? 'true' : undefined}>
      <legend>
        {t.rule} {i + 1}: {rule.id || '…'}
      </legend>
      <div class="row">
        <div>
          <label for={`r${i}.id`}>{t.id}</label>
          <input id={`r${i}.id`} name={`r${i}.id`} value={rule.id} aria-invalid={fieldIssue('id') ? 'true' : undefined} />
        </div>
        <div style="flex:1">
          <label for={`r${i}.note`}>{t.note}</label>
          <input id={`r${i}.note`} name={`r${i}.note`} value={rule.note} style="width:100%" />
        </div>
      </div>
      <Issues issues={[...issuesOf('id'), ...issuesOf('note')]} />
      <div class="row">
        <div>
          <label for={`r${i}.when`}>{t.when}</label>
          <select id={`r${i}.when`} name={`r${i}.when`}>
            {WHEN_KINDS.map((kind) => (
              <option value={kind} selected={kind === rule.when}>
                {t.kinds[kind]}
              </option>
            ))}
          </select>
        </div>
        <div style="flex:1;min-width:12em">
          <label for={`r${i}.value`}>
            {t.value} <span class="muted">({t.valueHint[rule.when]})</span>
          </label>
          <textarea id={`r${i}.value`} name={`r${i}.value`} rows={2} aria-invalid={fieldIssue('when') ? 'true' : undefined}>
            {rule.value}
          </textarea>
        </div>
      </div>
      {rule.when === 'event' && (
        <div>
          <label for={`r${i}.session_from`}>{t.sessionFrom}</label>
          <input id={`r${i}.session_from`} name={`r${i}.session_from`} value={rule.sessionFrom} />
          <label for={`r${i}.once_per_hours`}>{t.oncePerHours}</label>
          <input id={`r${i}.once_per_hours`} name={`r${i}.once_per_hours`} value={rule.oncePerHours} inputmode="numeric" size={5} />
        </div>
      )}
      {rule.when !== 'event' && <input type="hidden" name={`r${i}.session_from`} value={rule.sessionFrom} />}
      {rule.when !== 'event' && <input type="hidden" name={`r${i}.once_per_hours`} value={rule.oncePerHours} />}
      <Issues issues={issuesOf('when')} />
      <div class="row" data-schedule>
        <div>
          <label for={`r${i}.during`}>{t.during}</label>
          <select id={`r${i}.during`} name={`r${i}.during`}>
            {DURINGS.map((during) => (
              <option value={during} selected={during === rule.during}>
                {t.durings[during]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for={`r${i}.from`}>{t.from}</label>
          <input id={`r${i}.from`} name={`r${i}.from`} value={rule.from} placeholder={t.dateHint} />
        </div>
        <div>
          <label for={`r${i}.until`}>{t.until}</label>
          <input id={`r${i}.until`} name={`r${i}.until`} value={rule.until} placeholder={t.dateHint} />
        </div>
        <label>
          <input type="checkbox" name={`r${i}.disabled`} checked={!rule.enabled} /> {t.disabled}
        </label>
      </div>
      <Issues issues={issuesOf('schedule')} />
      <ReplyFields t={t} prefix={`r${i}`} reply={rule.reply} invalid={fieldIssue('reply')} />
      <Issues issues={[...issuesOf('reply'), ...issuesOf(null)]} />
      <p class="row">
        <button type="submit" name="op" value={`up:${i}`} disabled={i === 0}>
          ↑ {t.up}
        </button>
        <button type="submit" name="op" value={`down:${i}`} disabled={props.last}>
          ↓ {t.down}
        </button>
        <button type="submit" name="op" value={`delete:${i}`} class="danger">
          {t.remove}
        </button>
      </p>
    </fieldset>
  )
}

function ReplyFields(props: { t: T; prefix: string; reply: ReplyDraft; invalid?: boolean }) {
  const { t, prefix, reply } = props
  return (
    <div>
      <label for={`${prefix}.reply_mode`}>{t.replyMode}</label>
      <select id={`${prefix}.reply_mode`} name={`${prefix}.reply_mode`}>
        <option value="text" selected={reply.mode === 'text'}>
          {t.modeText}
        </option>
        <option value="json" selected={reply.mode === 'json'}>
          {t.modeJson}
        </option>
      </select>
      <label for={`${prefix}.reply_${reply.mode}`}>{t.reply}</label>
      {/* The other mode's field travels along, so switching modes loses nothing. */}
      {reply.mode === 'text' ? (
        <>
          <textarea id={`${prefix}.reply_text`} name={`${prefix}.reply_text`} rows={3} aria-invalid={props.invalid ? 'true' : undefined}>
            {reply.text}
          </textarea>
          <input type="hidden" name={`${prefix}.reply_json`} value={reply.json} />
        </>
      ) : (
        <>
          <textarea
            id={`${prefix}.reply_json`}
            name={`${prefix}.reply_json`}
            rows={6}
            spellcheck={false}
            style="font-family:monospace"
            aria-invalid={props.invalid ? 'true' : undefined}
          >
            {reply.json}
          </textarea>
          <input type="hidden" name={`${prefix}.reply_text`} value={reply.text} />
        </>
      )}
    </div>
  )
}

function Issues(props: { issues: RuleIssue[] }): Child {
  if (props.issues.length === 0) return null
  return (
    <ul class="field-error" data-rule-issues>
      {props.issues.map((issue) => (
        <li>
          <code>{issue.path}</code>: {issue.message}
        </li>
      ))}
    </ul>
  )
}

function PreviewResult(props: { t: T; preview: Preview }) {
  const { t, preview } = props
  return (
    <div data-preview-result data-rule-id={preview.ruleId ?? ''}>
      <p class="muted">
        {t.previewRule}: <code>{preview.ruleId ?? '–'}</code>
      </p>
      {preview.transfer && <p>{t.previewTransfer}</p>}
      {preview.oncePerHours !== null && <p class="muted" data-preview-once>{t.previewOnce(preview.oncePerHours)}</p>}
      {preview.handoffAfter !== null && <p class="muted" data-preview-handoff>{t.previewHandoff(preview.handoffAfter)}</p>}
      {preview.replies.length === 0 && !preview.transfer && <p class="muted">{t.previewNone}</p>}
      <div class="chat">
        {preview.replies.map((reply) => (
          <div class="bubble out" data-preview-reply>
            {replySummary(reply)}
            <span class="meta">{reply.type}</span>
          </div>
        ))}
      </div>
    </div>
  )
}

function issueText(issue: RuleIssue, setLabel: string): string {
  const where = issue.path === '' ? setLabel : issue.path
  return issue.ruleId === undefined ? `${where}: ${issue.message}` : `${issue.ruleId} · ${where}: ${issue.message}`
}

