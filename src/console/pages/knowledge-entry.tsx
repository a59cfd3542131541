/**
 * One knowledge entry (`/admin/knowledge/:id`): for a role with `rules`, its form to edit and
 * a delete that needs its confirmation ticked; for the others, the entry as it is.
 */
import type { Grants } from '../permit'
import { Layout } from '../layout'
import { formatTime, type Lang } from '../lang'
import { KNOWLEDGE_STRINGS, type KnowledgeText } from './knowledge-strings'
import { DocFields, type DocForm, FaqFields, type FaqForm, KNOWLEDGE_PATH } from './knowledge'

export type EntryForm = { kind: 'faq'; form: FaqForm } | { kind: 'doc'; form: DocForm }

export interface KnowledgeEntryPageProps {
  lang: Lang
  id: string
  entry: EntryForm
  /** The answer is a reply other than text (set through the API): the form would replace it with text. */
  answerNote: string | null
  updatedAt: number
  grants: Grants
  problems: string[]
}

export function KnowledgeEntryPage(props: KnowledgeEntryPageProps) {
  const t = KNOWLEDGE_STRINGS[props.lang]
  const path = `${KNOWLEDGE_PATH}/${encodeURIComponent(props.id)}`
  return (
    <Layout lang={props.lang} section="knowledge" title={t.editTitle[props.entry.kind]}>
      <p class="muted">
        <a href={KNOWLEDGE_PATH}>← {t.back}</a> · <code class="id">{props.id}</code> · {t.updated} {formatTime(props.updatedAt, props.lang)}
      </p>
      {props.problems.length > 0 && (
        <div class="notice error" role="alert" data-problems>
          {t.problems}
          <ul>
            {props.problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {props.answerNote !== null && <p class="warn">{props.answerNote}</p>}
      {props.grants.rules ? (
        <>
          <div class="panel" data-entry-form={props.entry.kind}>
            {props.entry.kind === 'faq' ? (
              <FaqFields t={t} form={props.entry.form} action={path} submit={t.save} />
            ) : (
              <DocFields t={t} form={props.entry.form} action={path} submit={t.save} />
            )}
          </div>
          <DeleteForm t={t} path={path} />
        </>
      ) : (
        <ReadOnly t={t} entry={props.entry} />
      )}
    </Layout>
  )
}

function DeleteForm(props: { t: KnowledgeText; path: string }) {
  const { t } = props
  return (
    <form method="post" action={`${props.path}/delete`} class="panel" data-delete>
      <b>{t.deleteTitle}</b>
      <label class="check">
        <input type="checkbox" name="confirm" value="1" required /> {t.deleteConfirm}
      </label>
      <p>
        <button type="submit" class="danger">
          {t.deleteButton}
        </button>
      </p>
    </form>
  )
}

function ReadOnly(props: { t: KnowledgeText; entry: EntryForm }) {
  const { t, entry } = props
  return (
    <div class="panel" data-entry-read-only>
      <p class="muted">{t.readOnly}</p>
      {entry.kind === 'faq' ? (
        <>
          <div class="muted" style="margin-top:6px">
            {t.question}
          </div>
          <p>
            <b>{entry.form.question}</b>
          </p>
          {entry.form.variants !== '' && (
            <>
              <div class="muted" style="margin-top:6px">
                {t.variants}
              </div>
              <pre>{entry.form.variants}</pre>
            </>
          )}
          <div class="muted" style="margin-top:6px">
            {t.answerLabel}
          </div>
          <pre>{entry.form.answer}</pre>
        </>
      ) : (
        <>
          <div class="muted" style="margin-top:6px">
            {t.docTitle}
          </div>
          <p>
            <b>{entry.form.title}</b>
          </p>
          <div class="muted" style="margin-top:6px">
            {t.docText}
          </div>
          <pre>{entry.form.text}</pre>
        </>
      )}
    </div>
  )
}
