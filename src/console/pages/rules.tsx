/**
 * Rules: the rule set as a form per rule — when, reply, order, and when it is in force
 * (enabled, office hours, from / until) — with the office hours and the JSON a click away;
 * checked by the same validator as `rules:check` (each problem shown on its rule and field),
 * previewed against any message, and published as `rules:push` would. One rule's fieldset is
 * rule-fields.tsx, the default reply's default-reply-fields.tsx, the preview's result rule-preview.tsx.
 */
import { NumberField } from './fields'
import type { Grants } from '../permit'
import type { Preview } from '../../rules/preview'
import { DEFAULT_FAQ_THRESHOLD, DEFAULT_RATING_MINUTES, DEFAULT_RATING_TEXT, DEFAULT_RATING_THANKS } from '../../rules/schema'
import { issueMessage } from '../../rules/messages'
import type { RuleIssue } from '../../rules/validate'
import { Layout, Notice } from '../layout'
import type { Lang } from '../lang'
import { AI_MODEL_FIELDS, type AiModelField, type Draft } from '../rule-draft'
import { issueTarget, toJson } from '../draft-rule-set'
import { localOf } from '../rule-form'
import { DefaultFields } from './default-reply-fields'
import { HoursFields } from './hours-fields'
import { Issues } from './issue-list'
import { PreviewResult } from './rule-preview'
import { RuleFields } from './rule-fields'
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
type IssueTarget = number | 'default' | 'hours' | 'handoff' | 'ai' | 'satisfaction' | 'preview' | null

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
              <li>{issueText(issue, t.setIssues, props.lang)}</li>
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
      {/* Multipart: a reply's image is chosen from the operator's device and posted with the form. */}
      <form method="post" action="/admin/rules" id="rules-form" enctype="multipart/form-data">
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
          <RuleFields t={t} lang={props.lang} rule={rule} index={i} last={i === draft.rules.length - 1} issues={byRule.get(i) ?? []} />
        ))}
        <p>
          <button type="submit" name="op" value="add">
            + {t.add}
          </button>
        </p>
        <HoursFields lang={props.lang} hours={draft.hours} issues={byRule.get('hours') ?? []} />
        <fieldset data-handoff>
          <legend>{t.handoff}</legend>
          <div class="row">
            <div>
              <label for="handoff.after">{t.handoffAfter}</label>
              <input id="handoff.after" name="handoff.after" value={draft.handoffAfter} type="number" min={1} max={100} style="width:6em" />
            </div>
            <div style="flex:1;min-width:12em">
              <label for="handoff.text">{t.handoffText}</label>
              <input id="handoff.text" name="handoff.text" value={draft.handoffText} placeholder={t.handoffHint} style="width:100%" />
            </div>
          </div>
          <Issues issues={byRule.get('handoff') ?? []} lang={props.lang} />
        </fieldset>
        <DefaultFields t={t} lang={props.lang} draft={draft} issues={byRule.get('default') ?? []} />
        <fieldset data-ai>
          <legend>{t.ai}</legend>
          <BlockSwitch name="ai" block={draft.ai.block} enabled={draft.ai.enabled} label={t.aiEnabled} />
          <NumberField
            name="ai.faq_threshold"
            label={t.aiThreshold}
            value={draft.ai.faqThreshold}
            mode="decimal"
            placeholder={String(DEFAULT_FAQ_THRESHOLD)}
            invalid={(byRule.get('ai') ?? []).length > 0}
          />
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
          <Issues issues={byRule.get('ai') ?? []} lang={props.lang} />
        </fieldset>
        <fieldset data-satisfaction>
          <legend>{t.satisfaction}</legend>
          <BlockSwitch name="satisfaction" block={draft.satisfaction.block} enabled={draft.satisfaction.enabled} label={t.satisfactionOn} />
          <label for="satisfaction.text">{t.satisfactionText}</label>
          <textarea id="satisfaction.text" name="satisfaction.text" rows={2} style="width:100%" placeholder={DEFAULT_RATING_TEXT}>
            {draft.satisfaction.text}
          </textarea>
          <div class="row">
            <NumberField
              name="satisfaction.minutes"
              label={t.satisfactionMinutes}
              value={draft.satisfaction.minutes}
              mode="numeric"
              placeholder={String(DEFAULT_RATING_MINUTES)}
            />
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
          <Issues issues={byRule.get('satisfaction') ?? []} lang={props.lang} />
        </fieldset>

        <div class="panel" data-preview>
          <h2>{t.previewTitle}</h2>
          <div class="row">
            <input name="preview_text" value={props.previewText} placeholder={t.previewPlaceholder} style="flex:1;min-width:12em" />
            <div data-preview-at>
              <input
                name="preview_at"
                type="datetime-local"
                value={localOf(props.previewAt)}
                aria-label={t.previewAt}
                title={t.previewAt}
                aria-invalid={(byRule.get('preview') ?? []).length > 0 ? 'true' : undefined}
              />
              <Issues issues={byRule.get('preview') ?? []} lang={props.lang} />
            </div>
            <button type="submit" name="op" value="preview">
              {t.preview}
            </button>
          </div>
          {props.preview && <PreviewResult t={t} lang={props.lang} preview={props.preview} />}
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

function issueText(issue: RuleIssue, setLabel: string, lang: Lang): string {
  const where = issue.path === '' ? setLabel : issue.path
  const message = issueMessage(issue, lang)
  return issue.ruleId === undefined ? `${where}: ${message}` : `${issue.ruleId} · ${where}: ${message}`
}

/**
 * A block of the rule set switched on and off (`ai`, `satisfaction`): its checkbox, and whether
 * the stored set has the block at all, so unticking keeps it as `"enabled": false`.
 */
function BlockSwitch(props: { name: string; block: boolean; enabled: boolean; label: string }) {
  return (
    <>
      <input type="hidden" name={`${props.name}.block`} value={props.block ? 'on' : ''} />
      <label>
        <input type="checkbox" name={`${props.name}.enabled`} checked={props.enabled} /> {props.label}
      </label>
    </>
  )
}
