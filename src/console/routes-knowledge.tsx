/**
 * 知识库 / Knowledge (`/admin/knowledge`): the mini program's FAQ entries and documents, through
 * the store the admin API uses (knowledge/store.ts). Reading needs `read`; "try a question"
 * (it may call the model, which costs money), adding, editing, deleting and importing need
 * `rules`, asked before the form is read. "Try a question" is knowledge/ask.ts, what
 * `POST /admin/api/knowledge/ask` answers: nothing is
 * recorded or sent. Each change leaves one `knowledge_change` audit entry (ids and counts,
 * never the text). An import (a CSV of question,answer pairs or a Markdown file, multipart,
 * read within IMPORT_MAX_BYTES) stores each row it can and lists each one refused, and why.
 * An entry's form is read and checked in knowledge-form.ts; the list's rows are knowledge-rows.ts.
 */
import { Hono } from 'hono/tiny'
import { MAX_DOCUMENT_BYTES } from '../admin/requests-knowledge'
import { appidOf } from '../settings/env'
import { auditDone } from '../admin/audit'
import { askWithHits } from '../knowledge/ask'
import {
  addKnowledge,
  decodeKnowledgeCursor,
  deleteKnowledge,
  ENTRY_ID,
  type EntryInput,
  getKnowledge,
  type KnowledgeEntry,
  listKnowledge,
  updateKnowledge,
} from '../knowledge/store'
import { summaryOf } from '../knowledge/audit-summary'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { readForm, textField } from './form'
import { docInput, entryFrom, faqInput, formFrom, formOf, jsonAnswer } from './knowledge-form'
import { documentsFromMarkdown, faqsFromCsv, type RefusedRow } from './knowledge-import'
import { answerText, rowOf } from './knowledge-rows'
import { langOf } from './lang'
import { type EntryForm, KnowledgeEntryPage } from './pages/knowledge-entry'
import {
  EMPTY_DOC,
  EMPTY_FAQ,
  type ImportView,
  KNOWLEDGE_OUTCOMES,
  KNOWLEDGE_PATH,
  KnowledgePage,
  type KnowledgePageProps,
  type TryView,
} from './pages/knowledge'
import { KNOWLEDGE_STRINGS } from './pages/knowledge-strings'
import { hrefOf, outcomeOf } from './pages/parts'
import { grantsOf, permit } from './permit'

export const knowledgePages = new Hono<ConsoleEnv>()

/** Entries a page of the list shows. */
const PAGE_SIZE = 30
/** An entry's form: a document's text is at most MAX_DOCUMENT_BYTES (100 KiB), urlencoded at most ×3. */
const FORM_MAX_BYTES = 3 * MAX_DOCUMENT_BYTES + 8192
/** An import: the file and the form around it. */
const IMPORT_MAX_BYTES = 1024 * 1024 + 4096
const ASK_MAX_BYTES = 8192
const DELETE_MAX_BYTES = 1024

// ---------------------------------------------------------------- the list

interface PageExtra {
  tryText?: string
  tried?: TryView | null
  faq?: KnowledgePageProps['faq']
  doc?: KnowledgePageProps['doc']
  problems?: KnowledgePageProps['problems']
  imported?: ImportView | null
}

async function listPage(c: ConsoleContext, extra: PageExtra = {}, status: 200 | 400 | 413 = 200) {
  const cursor = c.req.query('cursor') ?? ''
  const after = cursor === '' ? null : decodeKnowledgeCursor(cursor)
  if (cursor !== '' && after === null) return back(c, KNOWLEDGE_PATH, { problem: 'bad_cursor' })
  const page = await listKnowledge(c.env.DB, { appid: appidOf(c.env), limit: PAGE_SIZE, ...(after === null ? {} : { after }) })
  return renderPage(
    c,
    <KnowledgePage
      lang={langOf(c)}
      items={page.items.map(rowOf)}
      next={page.nextCursor === null ? null : hrefOf(KNOWLEDGE_PATH, { cursor: page.nextCursor })}
      first={after === null ? null : KNOWLEDGE_PATH}
      grants={grantsOf(c)}
      outcome={outcomeOf((key) => c.req.query(key), KNOWLEDGE_OUTCOMES)}
      tryText={extra.tryText ?? ''}
      tried={extra.tried ?? null}
      faq={extra.faq ?? EMPTY_FAQ}
      doc={extra.doc ?? EMPTY_DOC}
      problems={extra.problems ?? null}
      imported={extra.imported ?? null}
    />,
    status,
  )
}

knowledgePages.get(KNOWLEDGE_PATH, guard, (c) => listPage(c))

// ---------------------------------------------------------------- add

knowledgePages.post(KNOWLEDGE_PATH, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const posted = await readForm(c.req.raw, FORM_MAX_BYTES)
  if (posted === null) return listPage(c, { problems: { form: 'page', list: [tooLarge(c, FORM_MAX_BYTES)] } }, 413)
  const checked = entryFrom(posted.fields, null, langOf(c))
  if (!checked.ok) {
    const f = posted.fields
    return listPage(
      c,
      checked.kind === 'doc'
        ? { doc: { title: textField(f, 'title'), text: textField(f, 'text') }, problems: { form: 'doc', list: checked.problems } }
        : {
            faq: { question: textField(f, 'question'), variants: textField(f, 'variants'), answer: textField(f, 'answer') },
            problems: { form: 'faq', list: checked.problems },
          },
      400,
    )
  }
  const now = Date.now()
  const written = await addKnowledge(c.env.DB, appidOf(c.env), checked.input, now)
  await auditKnowledge(c, written.id, summaryOf(checked.input, 'added', written.passages), now)
  return back(c, KNOWLEDGE_PATH, { done: 'added' })
})

// ---------------------------------------------------------------- try a question

knowledgePages.post(`${KNOWLEDGE_PATH}/ask`, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const posted = await readForm(c.req.raw, ASK_MAX_BYTES)
  if (posted === null) return listPage(c, { problems: { form: 'page', list: [tooLarge(c, ASK_MAX_BYTES)] } }, 413)
  const text = textField(posted.fields, 'text').trim().slice(0, 500)
  if (text === '') return listPage(c)
  const appid = appidOf(c.env)
  // The same answer as POST /admin/api/knowledge/ask; its lookup's hits name the entries.
  const { answer, hits } = await askWithHits(c.env, appid, text)
  const named = new Map(hits.map((h) => [h.id, h]))
  const tried: TryView = {
    source: answer.source,
    answer: answer.answer === null ? null : answerText(answer.answer),
    handoff: answer.handoff,
    entries: answer.entries.map((e) => {
      const hit = named.get(e.id)
      return { id: e.id, score: e.score, kind: hit?.kind ?? null, title: hit?.question ?? hit?.title ?? null }
    }),
    sources: answer.sources ?? [],
    refused: answer.refused ?? null,
  }
  return listPage(c, { tryText: text, tried })
})

// ---------------------------------------------------------------- import

knowledgePages.post(`${KNOWLEDGE_PATH}/import`, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const t = KNOWLEDGE_STRINGS[langOf(c)]
  const posted = await readForm(c.req.raw, IMPORT_MAX_BYTES)
  if (posted === null) return listPage(c, { imported: fileProblem(tooLarge(c, IMPORT_MAX_BYTES)) }, 413)
  const file = posted.fields.file
  if (!(file instanceof File) || file.size === 0) return listPage(c, { imported: fileProblem(t.fileProblems.no_file) }, 400)
  const name = file.name.toLowerCase()
  const kind = name.endsWith('.csv') ? 'csv' : /\.(md|markdown)$/.test(name) ? 'md' : null
  if (kind === null) return listPage(c, { imported: fileProblem(t.fileProblems.kind) }, 400)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(await file.arrayBuffer())
  } catch {
    return listPage(c, { imported: fileProblem(t.fileProblems.not_utf8) }, 400)
  }

  const inputs: { row: number; input: EntryInput }[] = []
  const refusedRows: RefusedRow[] = []
  if (kind === 'csv') {
    const read = faqsFromCsv(text)
    if (!read.ok) {
      const why = t.fileProblems[read.problem]
      return listPage(c, { imported: fileProblem(read.row === undefined ? why : t.fileProblemAt(why, read.row)) }, 400)
    }
    refusedRows.push(...read.refused)
    for (const faq of read.faqs) {
      const checked = faqInput(faq)
      if (checked.ok) inputs.push({ row: faq.row, input: checked.input })
      else refusedRows.push({ row: faq.row, problem: 'store', detail: checked.problems.join('; ') })
    }
  } else {
    const parts = documentsFromMarkdown(text, file.name, textField(posted.fields, 'split') === '1')
    parts.forEach((part, index) => {
      const checked = docInput(part.title, part.text)
      if (checked.ok) inputs.push({ row: index + 1, input: checked.input })
      else refusedRows.push({ row: index + 1, problem: 'store', detail: checked.problems.join('; ') })
    })
  }
  if (inputs.length === 0 && refusedRows.length === 0) return listPage(c, { imported: fileProblem(t.fileProblems.nothing) }, 400)

  const now = Date.now()
  const appid = appidOf(c.env)
  let added = 0
  for (const { input } of inputs) {
    await addKnowledge(c.env.DB, appid, input, now)
    added++
  }
  refusedRows.sort((a, b) => a.row - b.row)
  if (added > 0) await auditKnowledge(c, null, `import ${kind}: ${added} added, ${refusedRows.length} refused`, now)
  const imported: ImportView = {
    added,
    refused: refusedRows.map((r) => ({
      row: r.row,
      why: r.detail ? `${t.rowProblems[r.problem]}: ${r.detail}` : t.rowProblems[r.problem],
    })),
    fileProblem: null,
  }
  return listPage(c, { imported })
})

const fileProblem = (why: string): ImportView => ({ added: 0, refused: [], fileProblem: why })

// ---------------------------------------------------------------- one entry

knowledgePages.get(`${KNOWLEDGE_PATH}/:id`, guard, async (c) => {
  const entry = await entryOf(c)
  if (entry === null) return back(c, KNOWLEDGE_PATH, { problem: 'no_entry' })
  return entryPage(c, entry, formOf(entry), [])
})

knowledgePages.post(`${KNOWLEDGE_PATH}/:id`, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const entry = await entryOf(c)
  if (entry === null) return back(c, KNOWLEDGE_PATH, { problem: 'no_entry' })
  const posted = await readForm(c.req.raw, FORM_MAX_BYTES)
  if (posted === null) return entryPage(c, entry, formOf(entry), [tooLarge(c, FORM_MAX_BYTES)], 413)
  // The kind is the entry's: the page edits an entry, it does not turn one into another.
  const checked = entryFrom(posted.fields, entry, langOf(c))
  if (!checked.ok) return entryPage(c, entry, formFrom(entry.kind, posted.fields), checked.problems, 400)
  const now = Date.now()
  const written = await updateKnowledge(c.env.DB, appidOf(c.env), entry.id, checked.input, now)
  if (written === null) return back(c, KNOWLEDGE_PATH, { problem: 'no_entry' })
  await auditKnowledge(c, entry.id, summaryOf(checked.input, 'updated', written.passages), now)
  return back(c, KNOWLEDGE_PATH, { done: 'changed' })
})

knowledgePages.post(`${KNOWLEDGE_PATH}/:id/delete`, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const id = c.req.param('id')
  if (!ENTRY_ID.test(id)) return back(c, KNOWLEDGE_PATH, { problem: 'no_entry' })
  const posted = await readForm(c.req.raw, DELETE_MAX_BYTES)
  if (posted === null || textField(posted.fields, 'confirm') !== '1') return back(c, `${KNOWLEDGE_PATH}/${id}`, { problem: 'confirm' })
  const entry = await getKnowledge(c.env.DB, appidOf(c.env), id)
  if (entry === null || !(await deleteKnowledge(c.env.DB, appidOf(c.env), id))) return back(c, KNOWLEDGE_PATH, { problem: 'no_entry' })
  await auditKnowledge(c, id, 'deleted', Date.now())
  return back(c, KNOWLEDGE_PATH, { done: 'deleted' })
})

async function entryOf(c: ConsoleContext): Promise<KnowledgeEntry | null> {
  const id = c.req.param('id') ?? ''
  return ENTRY_ID.test(id) ? getKnowledge(c.env.DB, appidOf(c.env), id) : null
}

const JSON_NOTE = {
  zh: '这条答案不是单条文字，而是规则格式的回复（JSON，例如通过 API 设置的图片或小程序卡片）：请按 JSON 编辑，保存前会检查。',
  en: 'This answer is not one text but a reply in the rules format (JSON, e.g. an image or a mini program card set through the API): edit it as JSON; it is checked before saving.',
}

function entryPage(c: ConsoleContext, entry: KnowledgeEntry, form: EntryForm, problems: string[], status: 200 | 400 | 413 = 200) {
  const lang = langOf(c)
  return renderPage(
    c,
    <KnowledgeEntryPage
      lang={lang}
      id={entry.id}
      entry={form}
      answerNote={jsonAnswer(entry) ? JSON_NOTE[lang] : null}
      updatedAt={entry.updatedAt}
      grants={grantsOf(c)}
      problems={problems}
    />,
    status,
  )
}

// ---------------------------------------------------------------- shared by the routes

const tooLarge = (c: ConsoleContext, bytes: number) => KNOWLEDGE_STRINGS[langOf(c)].tooLarge(Math.floor(bytes / 1024))

/** One audit entry per change: the entry's id and what happened, never its text. A failed write is logged, the change stands. */
const auditKnowledge = (c: ConsoleContext, id: string | null, summary: string, now: number) =>
  auditDone(c.env.DB, { appid: appidOf(c.env), operator: c.var.operator, action: 'knowledge_change', target: id, summary }, now)
