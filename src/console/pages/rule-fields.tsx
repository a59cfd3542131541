/**
 * One rule of the rules page's form, as a fieldset: its id and note, when it answers (the
 * kind, keywords or pattern, channel, message type or event), when it is in force (office
 * hours, from / until, enabled), its reply, and the buttons that move or delete it. Each
 * issue is shown under the field it names.
 */
import { Choice } from './fields'
import type { RuleIssue } from '../../rules/validate'
import type { Lang } from '../lang'
import { CHANNEL_CHOICES, DURINGS, WHEN_KINDS, type RuleDraft } from '../rule-draft'
import { issueTarget, WHEN_CHOICES, type RuleField } from '../draft-rule-set'
import { localOf } from '../rule-form'
import { Issues } from './issue-list'
import { ReplyFields, shownFor } from './reply-fields'
import type { RulesText } from './rules-strings'

export function RuleFields(props: { t: RulesText; lang: Lang; rule: RuleDraft; index: number; last: boolean; issues: RuleIssue[] }) {
  const { t, rule, index: i, lang } = props
  // The issues here are this rule's: each is shown under the field it names.
  const issuesOf = (field: RuleField | null) =>
    props.issues.filter((issue) => {
      const target = issueTarget(issue.path)
      return 'field' in target && target.field === field
    })
  // `when.session_from` has its own input, in the event row.
  const sessionFrom = issuesOf('when').filter((issue) => issue.path.endsWith('.when.session_from'))
  const whenIssues = issuesOf('when').filter((issue) => !sessionFrom.includes(issue))
  return (
    <fieldset id={`rule-${i}`} class="rule" data-rule={rule.id} aria-invalid={props.issues.length > 0 ? 'true' : undefined}>
      <legend>
        {t.rule} {i + 1}: {rule.id || '…'}
      </legend>
      <div class="row">
        <div>
          <label for={`r${i}.id`}>{t.id}</label>
          <input id={`r${i}.id`} name={`r${i}.id`} value={rule.id} aria-invalid={issuesOf('id').length > 0 ? 'true' : undefined} />
        </div>
        <div style="flex:1">
          <label for={`r${i}.note`}>{t.note}</label>
          <input id={`r${i}.note`} name={`r${i}.note`} value={rule.note} style="width:100%" />
        </div>
      </div>
      <Issues issues={[...issuesOf('id'), ...issuesOf('note')]} lang={lang} />
      <div class="row top">
        <Choice
          name={`r${i}.when`}
          label={t.when}
          values={WHEN_KINDS}
          chosen={rule.when}
          text={(kind) => t.kinds[kind]}
          class="when-kind"
        />
        {/* Every kind's field is on the page; the stylesheet shows the chosen kind's (data-when, shownFor). */}
        <div style="flex:1;min-width:12em" {...shownFor('data-when', 'text contains regex', rule.when)}>
          <label for={`r${i}.value`}>{t.value}</label>
          <textarea
            id={`r${i}.value`}
            name={`r${i}.value`}
            rows={2}
            aria-invalid={whenIssues.length > 0 ? 'true' : undefined}
            placeholder={t.valueHint[rule.when === 'msgtype' || rule.when === 'event' ? 'contains' : rule.when]}
          >
            {rule.when === 'msgtype' || rule.when === 'event' ? '' : rule.value}
          </textarea>
        </div>
        <Choice
          name={`r${i}.channel`}
          label={t.channel}
          values={CHANNEL_CHOICES}
          chosen={rule.channel}
          text={(channel) => t.channels[channel]}
        />
        {(['msgtype', 'event'] as const).map((kind) => (
          <div {...shownFor('data-when', kind, rule.when)}>
            <label for={`r${i}.${kind}`}>{t.kinds[kind]}</label>
            <select id={`r${i}.${kind}`} name={`r${i}.${kind}`}>
              {WHEN_CHOICES[kind].map((choice) => (
                <option value={choice} selected={rule.when === kind && rule.value === choice}>
                  {t.choiceNames[choice] ?? choice}
                </option>
              ))}
            </select>
          </div>
        ))}
      </div>
      {/* A welcome's options: shown with the event kind, and whatever the kind while once_per_hours holds a value (a
          kind changed from event keeps it, and the validator's problem with it is shown where it can be cleared). */}
      <div class="row" {...(rule.when === 'event' || rule.oncePerHours === '' ? shownFor('data-when', 'event', rule.when) : {})}>
        <div>
          <label for={`r${i}.session_from`}>{t.sessionFrom}</label>
          <input
            id={`r${i}.session_from`}
            name={`r${i}.session_from`}
            value={rule.sessionFrom}
            aria-invalid={sessionFrom.length > 0 ? 'true' : undefined}
          />
          <Issues issues={sessionFrom} lang={lang} />
        </div>
        <div>
          <label for={`r${i}.once_per_hours`}>{t.oncePerHours}</label>
          <input
            id={`r${i}.once_per_hours`}
            name={`r${i}.once_per_hours`}
            value={rule.oncePerHours}
            type="number"
            min={1}
            max={8760}
            style="width:7em"
            aria-invalid={issuesOf('once_per_hours').length > 0 ? 'true' : undefined}
          />
          <Issues issues={issuesOf('once_per_hours')} lang={lang} />
        </div>
      </div>
      <Issues issues={whenIssues} lang={lang} />
      <div class="row" data-schedule>
        <Choice name={`r${i}.during`} label={t.during} values={DURINGS} chosen={rule.during} text={(during) => t.durings[during]} />
        <div>
          <label for={`r${i}.from`}>{t.from}</label>
          <input id={`r${i}.from`} name={`r${i}.from`} value={localOf(rule.from)} type="datetime-local" />
        </div>
        <div>
          <label for={`r${i}.until`}>{t.until}</label>
          <input id={`r${i}.until`} name={`r${i}.until`} value={localOf(rule.until)} type="datetime-local" />
        </div>
        <label class="check">
          <input type="checkbox" name={`r${i}.disabled`} checked={!rule.enabled} /> {t.disabled}
        </label>
      </div>
      <p class="muted">{t.dateHint}</p>
      <Issues issues={issuesOf('schedule')} lang={lang} />
      <ReplyFields lang={lang} prefix={`r${i}`} path={`rules[${i}].reply`} reply={rule.reply} issues={issuesOf('reply')} />
      <Issues issues={issuesOf(null)} lang={lang} />
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
