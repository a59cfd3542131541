/**
 * 知识库 / Knowledge: the mini program's FAQ entries and documents, paged; and, for a role with
 * `rules`, "try a question" (the entries found with their scores, and the reply that would be
 * sent, sending nothing — it may call the model, which costs money), adding an FAQ entry or a
 * document and importing a CSV or Markdown file, with each refused row and why.
 */
import { SubmitRow, TextBox } from './fields'
import type { Grants } from '../permit'
import { Layout, Notice } from '../layout'
import { formatTime, type Lang } from '../lang'
import { clip, OutcomeNotice, Pager, type Outcome } from './parts'
import { KNOWLEDGE_STRINGS, type KnowledgeText } from './knowledge-strings'
import { Table } from './table'

export const KNOWLEDGE_PATH = '/admin/knowledge'
export const KNOWLEDGE_OUTCOMES = {
  done: ['added', 'changed', 'deleted'],
  problem: ['no_entry', 'confirm', 'bad_cursor'],
} as const

/** An entry as the list shows it. */
export interface KnowledgeRow {
  id: string
  kind: 'faq' | 'doc'
  /** The question, or the document's title. */
  title: string
  variants: string[]
  /** An FAQ's answer as a line of text (a reply that is not text, summarised); '' for a document. */
  answer: string
  /** A document's size. */
  size?: { chars: number; passages: number }
  updatedAt: number
}

/** What "try a question" found: nothing was sent. */
export interface TryView {
  source: 'rule' | 'faq' | 'ai' | 'none'
  /** The reply that would be sent, as text; null when none would be. */
  answer: string | null
  handoff: boolean
  entries: { id: string; score: number; kind: 'faq' | 'doc' | null; title: string | null }[]
  /** The model was asked: the entries of the passages it was given. */
  sources: string[]
  /** Why the model's answer would not be sent (the fallback would). */
  refused: string | null
}

export interface ImportView {
  added: number
  refused: { row: number; why: string }[]
  /** The whole file refused, and why. */
  fileProblem: string | null
}

export interface FaqForm {
  question: string
  variants: string
  answer: string
}

export interface DocForm {
  title: string
  text: string
}

export const EMPTY_FAQ: FaqForm = { question: '', variants: '', answer: '' }
export const EMPTY_DOC: DocForm = { title: '', text: '' }

export interface KnowledgePageProps {
  lang: Lang
  items: KnowledgeRow[]
  next: string | null
  first: string | null
  grants: Grants
  outcome: Outcome | null
  tryText: string
  tried: TryView | null
  faq: FaqForm
  doc: DocForm
  /** The problems of the add form posted (shown on it), or of a post too large. */
  problems: { form: 'faq' | 'doc' | 'page'; list: string[] } | null
  imported: ImportView | null
}

export function KnowledgePage(props: KnowledgePageProps) {
  const t = KNOWLEDGE_STRINGS[props.lang]
  const canEdit = props.grants.rules
  return (
    <Layout lang={props.lang} section="knowledge" title={t.title}>
      <p class="muted">{t.intro}</p>
      <OutcomeNotice outcome={props.outcome} text={(o) => t.outcomes[o.code] ?? o.code} />
      {props.problems?.form === 'page' && <Problems t={t} list={props.problems.list} />}
      {props.imported && <ImportResult t={t} imported={props.imported} />}
      {canEdit && <TryPanel t={t} text={props.tryText} tried={props.tried} />}
      <h2>{t.listTitle}</h2>
      <EntryList {...props} t={t} />
      <Pager lang={props.lang} next={props.next} first={props.first} />
      {canEdit ? (
        <AddForms {...props} t={t} />
      ) : (
        <p class="muted" data-knowledge-read-only>
          {t.readOnly}
        </p>
      )}
    </Layout>
  )
}

function Problems(props: { t: KnowledgeText; list: string[] }) {
  return (
    <div class="notice error" role="alert" data-problems>
      {props.t.problems}
      <ul>
        {props.list.map((p) => (
          <li>{p}</li>
        ))}
      </ul>
    </div>
  )
}

function ImportResult(props: { t: KnowledgeText; imported: ImportView }) {
  const { t, imported } = props
  if (imported.fileProblem !== null)
    return (
      <div data-import-problem>
        <Notice kind="error">{imported.fileProblem}</Notice>
      </div>
    )
  return (
    <div
      class={imported.refused.length === 0 ? 'notice' : 'notice error'}
      role="status"
      data-imported={String(imported.added)}
      data-refused={String(imported.refused.length)}
    >
      {t.imported(imported.added, imported.refused.length)}
      {imported.refused.length > 0 && (
        <ul>
          {imported.refused.map((r) => (
            <li data-refused-row={String(r.row)}>
              {t.row(r.row)}：{r.why}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function TryPanel(props: { t: KnowledgeText; text: string; tried: TryView | null }) {
  const { t, tried } = props
  return (
    <section class="panel" data-try>
      <h2 style="margin-top:0">{t.tryTitle}</h2>
      <p class="muted">{t.tryHint}</p>
      <form method="post" action={`${KNOWLEDGE_PATH}/ask`} class="row">
        <div style="flex:1;min-width:12em">
          <label for="try-text">{t.tryLabel}</label>
          <input id="try-text" name="text" value={props.text} maxlength={500} required style="width:100%" />
        </div>
        <button type="submit" class="primary">
          {t.tryButton}
        </button>
      </form>
      {tried && (
        <div data-tried data-source={tried.source} data-handoff={tried.handoff ? '1' : '0'}>
          <p>
            <b data-try-source>{t.trySource[tried.source]}</b> <span class="muted">{t.notSent}</span>
          </p>
          {tried.answer !== null ? (
            <>
              <div class="muted" style="margin-top:6px">
                {t.tryAnswer}
              </div>
              <div class="bubble out" style="max-width:100%" data-try-answer>
                {tried.answer}
              </div>
            </>
          ) : (
            <p class="muted" data-try-no-answer>
              {t.tryNoAnswer}
            </p>
          )}
          {tried.source === 'ai' && (
            <p class="muted" data-try-ai-label>
              {t.aiLabel}
            </p>
          )}
          {tried.refused !== null && (
            <p class="warn" data-try-refused={tried.refused}>
              {t.tryRefused(t.refusals[tried.refused] ?? tried.refused)}
            </p>
          )}
          {tried.handoff && <p class="warn">{t.tryHandoff}</p>}
          <div class="muted" style="margin-top:6px">
            {t.tryEntries}
          </div>
          <Table
            items={tried.entries}
            empty={t.tryNoEntries}
            head={[t.score, t.kind, t.entry]}
            row={(e) => (
              <tr data-try-entry={e.id} data-score={e.score.toFixed(3)} data-source={tried.sources.includes(e.id) ? '1' : '0'}>
                <td class="nowrap">
                  <progress max="1" value={String(Math.max(0, Math.min(1, e.score)))} /> <b>{e.score.toFixed(2)}</b>
                </td>
                <td class="nowrap">{e.kind === null ? '–' : e.kind === 'faq' ? t.faq : t.doc}</td>
                <td class="id">
                  <a href={`${KNOWLEDGE_PATH}/${encodeURIComponent(e.id)}`}>{e.title ?? e.id}</a>
                  {tried.sources.includes(e.id) && <span class="badge">{t.givenToModel}</span>}
                </td>
              </tr>
            )}
          />
        </div>
      )}
    </section>
  )
}

function EntryList(props: KnowledgePageProps & { t: KnowledgeText }) {
  const { t } = props
  return (
    <div class="panel">
      <Table
        items={props.items}
        empty={t.none}
        emptyMark="data-no-knowledge"
        class="stack"
        head={[t.kind, t.entry, t.answer, t.updated, '']}
        row={(item) => (
          <tr data-entry={item.id} data-kind={item.kind}>
            <td class="nowrap">
              <span class={item.kind === 'faq' ? 'ok' : 'warn'}>{item.kind === 'faq' ? t.faq : t.doc}</span>
            </td>
            <td style="min-width:10em;overflow-wrap:anywhere">
              <b>{item.title}</b>
              {item.variants.length > 0 && (
                <span class="muted" title={item.variants.join('\n')}>
                  <br />
                  {t.variantsCount(item.variants.length)}
                </span>
              )}
            </td>
            <td class="muted" style="overflow-wrap:anywhere">
              {item.size ? t.docSize(item.size.chars, item.size.passages) : clip(item.answer, 80)}
            </td>
            <td class="muted nowrap">{formatTime(item.updatedAt, props.lang)}</td>
            <td class="nowrap">
              <a class="button" href={`${KNOWLEDGE_PATH}/${encodeURIComponent(item.id)}`} data-edit>
                {props.grants.rules ? t.edit : t.view}
              </a>
            </td>
          </tr>
        )}
      />
    </div>
  )
}

function AddForms(props: KnowledgePageProps & { t: KnowledgeText }) {
  const { t, problems } = props
  return (
    <>
      <details open class="panel" data-add-faq>
        <summary>
          <b>{t.addFaqTitle}</b>
        </summary>
        {problems?.form === 'faq' && <Problems t={t} list={problems.list} />}
        <FaqFields t={t} form={props.faq} action={KNOWLEDGE_PATH} submit={t.addFaq} />
      </details>
      <details open={problems?.form === 'doc'} class="panel" data-add-doc>
        <summary>
          <b>{t.addDocTitle}</b>
        </summary>
        {problems?.form === 'doc' && <Problems t={t} list={problems.list} />}
        <DocFields t={t} form={props.doc} action={KNOWLEDGE_PATH} submit={t.addDoc} />
      </details>
      <details open={props.imported !== null} class="panel" data-import>
        <summary>
          <b>{t.importTitle}</b>
        </summary>
        <p class="muted">{t.importHint}</p>
        <form method="post" action={`${KNOWLEDGE_PATH}/import`} enctype="multipart/form-data">
          <label for="import-file">{t.importFile}</label>
          <input id="import-file" type="file" name="file" accept=".csv,.md,.markdown,text/csv,text/markdown" required />
          <label class="check">
            <input type="checkbox" name="split" value="1" /> {t.importSplit}
          </label>
          <p>
            <button type="submit" class="primary">
              {t.importButton}
            </button>
          </p>
        </form>
      </details>
    </>
  )
}

/** The FAQ entry's fields: question, other phrasings, answer (the add form and the edit page). */
export function FaqFields(props: { t: KnowledgeText; form: FaqForm; action: string; submit: string }) {
  const { t, form } = props
  return (
    <form method="post" action={props.action} data-faq-form>
      <input type="hidden" name="kind" value="faq" />
      <label for="faq-question">{t.question}</label>
      <input id="faq-question" name="question" value={form.question} required style="width:100%" />
      <TextBox id="faq-variants" name="variants" label={t.variants} hint={t.variantsHint} rows={3} value={form.variants} />
      <TextBox id="faq-answer" name="answer" label={t.answerLabel} hint={t.answerHint} rows={4} required value={form.answer} />
      <SubmitRow label={props.submit} />
    </form>
  )
}

/** The document's fields: title and text. */
export function DocFields(props: { t: KnowledgeText; form: DocForm; action: string; submit: string }) {
  const { t, form } = props
  return (
    <form method="post" action={props.action} data-doc-form>
      <input type="hidden" name="kind" value="doc" />
      <label for="doc-title">{t.docTitle}</label>
      <input id="doc-title" name="title" value={form.title} required style="width:100%" />
      <TextBox id="doc-text" name="text" label={t.docText} hint={t.docHint} rows={8} required value={form.text} />
      <SubmitRow label={props.submit} />
    </form>
  )
}
