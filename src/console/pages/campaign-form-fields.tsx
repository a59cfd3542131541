/**
 * The form that starts a campaign (pages/campaigns.tsx shows it under the list): the template,
 * page, state, language and data, each with the problems the check found in it.
 */
import { Choice } from './fields'
import type { Child } from 'hono/jsx'
import type { TemplateReach } from '../../subscribe/campaign-start'
import { KEYWORD_TYPES, LANGS, MINIPROGRAM_STATES } from '../../wechat/subscribe-data'
import type { CampaignField, CampaignForm } from '../campaign-form'
import type { CampaignText } from './campaigns-strings'
import { OnceField } from './parts'
import { Table } from './table'

/** The form that starts a campaign, each problem under the field it names. */
export interface CampaignFormProps {
  t: CampaignText
  /** Where the form posts: the list page's own path. */
  action: string
  form: CampaignForm
  reach: TemplateReach[]
  problemsOf: (field: CampaignField) => string[]
}

export function CampaignFormFields(props: CampaignFormProps) {
  const { t, form, problemsOf } = props
  const invalid = (field: CampaignField) => (problemsOf(field).length > 0 ? 'true' : undefined)
  return (
    <form method="post" action={props.action} class="panel" data-campaign-form>
      <OnceField />
      <p class="muted">{t.formHint}</p>
      <label for="campaign-template_id">{t.templateId}</label>
      <input
        id="campaign-template_id"
        name="template_id"
        value={form.template_id}
        list="campaign-templates"
        required
        maxlength={128}
        autocomplete="off"
        spellcheck={false}
        style="width:100%"
        aria-invalid={invalid('template_id')}
      />
      <datalist id="campaign-templates">
        {props.reach.map((r) => (
          <option value={r.templateId}>{`${t.reachable} ${r.reachable}`}</option>
        ))}
      </datalist>
      <FieldProblems field="template_id" problems={problemsOf('template_id')} />
      <label for="campaign-page">{t.page}</label>
      <input
        id="campaign-page"
        name="page"
        value={form.page}
        placeholder={t.pageHint}
        maxlength={1024}
        spellcheck={false}
        style="width:100%"
        aria-invalid={invalid('page')}
      />
      <FieldProblems field="page" problems={problemsOf('page')} />
      <div class="row">
        <Choice
          id="campaign-miniprogram_state"
          name="miniprogram_state"
          label={t.miniprogramState}
          values={['', ...MINIPROGRAM_STATES]}
          chosen={form.miniprogram_state}
          text={(state) => t.states[state] ?? state}
          invalid={invalid('miniprogram_state') !== undefined}
        />
        <Choice
          id="campaign-lang"
          name="lang"
          label={t.lang}
          values={['', ...LANGS]}
          chosen={form.lang}
          text={(lang) => t.langs[lang] ?? lang}
          invalid={invalid('lang') !== undefined}
        />
      </div>
      <FieldProblems field="miniprogram_state" problems={problemsOf('miniprogram_state')} />
      <FieldProblems field="lang" problems={problemsOf('lang')} />
      <label for="campaign-data">{t.data}</label>
      <textarea id="campaign-data" name="data" rows={4} required spellcheck={false} placeholder={t.dataHint} aria-invalid={invalid('data')}>
        {form.data}
      </textarea>
      <FieldProblems field="data" problems={problemsOf('data')} />
      <details>
        <summary>{t.rules}</summary>
        <Table
          data-keyword-rules
          items={KEYWORD_TYPES}
          head={[t.ruleType, t.ruleText]}
          row={(k) => (
            <tr>
              <td>
                <code>{k.type}</code> <span class="muted">{k.label}</span>
              </td>
              <td class="muted">{k.rule}</td>
            </tr>
          )}
        />
      </details>
      <p>
        <button class="primary" type="submit">
          {t.start}
        </button>
      </p>
    </form>
  )
}

function FieldProblems(props: { field: CampaignField; problems: string[] }): Child {
  if (props.problems.length === 0) return null
  return (
    <ul class="field-error" data-field-problems={props.field}>
      {props.problems.map((text) => (
        <li>{text}</li>
      ))}
    </ul>
  )
}
