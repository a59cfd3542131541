/**
 * Rules: the rule set as a form per rule — when, reply, order, and when it is in force
 * (enabled, office hours, from / until) — with the office hours and the JSON a click away;
 * checked by the same validator as `rules:check` (each problem shown on its rule and field),
 * previewed against any message, and published as `rules:push` would.
 */
import type { Grants } from '../permit'
import type { Child } from 'hono/jsx'
import { replySummary } from '../../conversation/journal'
import type { Preview } from '../../rules/preview'
import { DEFAULT_FAQ_THRESHOLD, DEFAULT_RATING_MINUTES, DEFAULT_RATING_TEXT, DEFAULT_RATING_THANKS } from '../../rules/schema'
import { AI_MODEL_FIELDS, type AiModelField } from '../rule-form'
import type { RuleIssue } from '../../rules/validate'
import { Layout, Notice } from '../layout'
import type { Lang } from '../lang'
import { DURINGS, issueTarget, toJson, WHEN_KINDS, type Draft, type ReplyDraft, type RuleDraft, type RuleField } from '../rule-form'
import { RULES_STRINGS, type RulesText } from './rules-strings'

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
  /** Without `rules` (agent, viewer): the rule set as it is, no form. */
  grants: Grants
}

/** Where the page shows an issue: a rule's fieldset, a block's, or the list at the top. */
type IssueTarget = number | 'default' | 'hours' | 'handoff' | 'ai' | 'satisfaction' | null

const MODEL_FIELDS = Object.keys(AI_MODEL_FIELDS) as AiModelField[]

export function RulesPage(props: RulesPageProps) {
  const t = RULES_STRINGS[props.lang]
  const byRule = new Map<IssueTarget, RuleIssue[]>()
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
      {!props.grants.rules ? <ReadOnly t={t} json={props.json} /> : !props.overLimit && <RulesForm {...props} byRule={byRule} />}
    </Layout>
  )
}

/** The rules for a role that may only read them: the set as JSON, and why there is no form. */
function ReadOnly(props: { t: RulesText; json: unknown }) {
  return (
    <div data-rules-read-only>
      <p class="muted">{props.t.readOnly}</p>
      <div class="panel">
        <pre>{toJson(props.json)}</pre>
      </div>
    </div>
  )
}

function RulesForm(props: RulesPageProps & { byRule: Map<IssueTarget, RuleIssue[]> }) {
  const t = RULES_STRINGS[props.lang]
  const { draft, byRule } = props
  return (
    <>
      <form method="post" action="/admin/rules" id="rules-form">
        {/* Enter in a field submits this first button: a check, never a move or a delete. */}
        {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: tabindex -1 keeps it out of the tab order (Biome exempts React's tabIndex, not Hono's tabindex); hidden from screen readers, it is not read as a second Check button */}
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
          <textarea
            name="hours"
            rows={draft.hours === '' ? 2 : 8}
            spellcheck={false}
            style="font-family:monospace"
            placeholder={t.hoursHint}
          >
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
        <fieldset data-ai>
          <legend>{t.ai}</legend>
          <input type="hidden" name="ai.block" value={draft.ai.block ? 'on' : ''} />
          <input type="hidden" name="ai.rest" value={draft.ai.rest} />
          <label>
            <input type="checkbox" name="ai.enabled" checked={draft.ai.enabled} /> {t.aiEnabled}
          </label>
          <div>
            <label for="ai.faq_threshold">{t.aiThreshold}</label>
            <input
              id="ai.faq_threshold"
              name="ai.faq_threshold"
              value={draft.ai.faqThreshold}
              inputmode="decimal"
              size={5}
              placeholder={String(DEFAULT_FAQ_THRESHOLD)}
              aria-invalid={(byRule.get('ai') ?? []).length > 0 ? 'true' : undefined}
            />
          </div>
          <p class="muted">{t.aiHint}</p>
          <details data-ai-model open={MODEL_FIELDS.some((key) => draft.ai.model[key] !== '') || undefined}>
            <summary>{t.aiModel}</summary>
            <p class="muted">{t.aiModelHint}</p>
            {MODEL_FIELDS.map((key) => (
              <div>
                <label for={`ai.${key}`}>{t.aiFields[key]}</label>
                {AI_MODEL_FIELDS[key] === 'choice' ? (
                  <select id={`ai.${key}`} name={`ai.${key}`}>
                    {(['', 'answer', 'fallback'] as const).map((choice) => (
                      <option value={choice} selected={draft.ai.model[key] === choice}>
                        {t.offHours[choice]}
                      </option>
                    ))}
                  </select>
                ) : AI_MODEL_FIELDS[key] === 'text' ? (
                  <textarea id={`ai.${key}`} name={`ai.${key}`} rows={2} style="width:100%" placeholder={t.aiPlaceholders[key]}>
                    {draft.ai.model[key]}
                  </textarea>
                ) : (
                  <input
                    id={`ai.${key}`}
                    name={`ai.${key}`}
                    value={draft.ai.model[key]}
                    inputmode="decimal"
                    size={6}
                    placeholder={t.aiPlaceholders[key]}
                  />
                )}
              </div>
            ))}
          </details>
          <Issues issues={byRule.get('ai') ?? []} />
        </fieldset>
        <fieldset data-satisfaction>
          <legend>{t.satisfaction}</legend>
          <input type="hidden" name="satisfaction.block" value={draft.satisfaction.block ? 'on' : ''} />
          <label>
            <input type="checkbox" name="satisfaction.enabled" checked={draft.satisfaction.enabled} /> {t.satisfactionOn}
          </label>
          <label for="satisfaction.text">{t.satisfactionText}</label>
          <textarea id="satisfaction.text" name="satisfaction.text" rows={2} style="width:100%" placeholder={DEFAULT_RATING_TEXT}>
            {draft.satisfaction.text}
          </textarea>
          <div class="row">
            <div>
              <label for="satisfaction.minutes">{t.satisfactionMinutes}</label>
              <input
                id="satisfaction.minutes"
                name="satisfaction.minutes"
                value={draft.satisfaction.minutes}
                inputmode="numeric"
                size={5}
                placeholder={String(DEFAULT_RATING_MINUTES)}
              />
            </div>
            <div style="flex:1;min-width:12em">
              <label for="satisfaction.thanks">{t.satisfactionThanks}</label>
              <input
                id="satisfaction.thanks"
                name="satisfaction.thanks"
                value={draft.satisfaction.thanks}
                style="width:100%"
                placeholder={DEFAULT_RATING_THANKS}
              />
            </div>
          </div>
          <Issues issues={byRule.get('satisfaction') ?? []} />
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
      {props.focus !== undefined && (
        <p>
          <a href={`#rule-${props.focus}`} data-focus={props.focus}>
            {t.toNewRule}
          </a>
        </p>
      )}
    </>
  )
}

function RuleFields(props: { t: RulesText; rule: RuleDraft; index: number; last: boolean; issues: RuleIssue[] }) {
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

function ReplyFields(props: { t: RulesText; prefix: string; reply: ReplyDraft; invalid?: boolean }) {
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

function PreviewResult(props: { t: RulesText; preview: Preview }) {
  const { t, preview } = props
  return (
    <div data-preview-result data-rule-id={preview.ruleId ?? ''}>
      <p class="muted">
        {t.previewRule}: <code>{preview.ruleId ?? '–'}</code>
      </p>
      {preview.transfer && <p>{t.previewTransfer}</p>}
      {preview.oncePerHours !== null && (
        <p class="muted" data-preview-once>
          {t.previewOnce(preview.oncePerHours)}
        </p>
      )}
      {preview.handoffAfter !== null && (
        <p class="muted" data-preview-handoff>
          {t.previewHandoff(preview.handoffAfter)}
        </p>
      )}
      {preview.faqThreshold !== null && (
        <p class="muted" data-preview-knowledge>
          {t.previewKnowledge(preview.faqThreshold)}
        </p>
      )}
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
