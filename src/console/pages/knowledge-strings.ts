/** The knowledge pages' words (knowledge.tsx, knowledge-entry.tsx), Chinese and English. */
import type { Strings } from '../lang'
import type { FileProblem, RowProblem } from '../knowledge-import'

export type KnowledgeText = {
  title: string
  intro: string
  readOnly: string
  listTitle: string
  none: string
  kind: string
  faq: string
  doc: string
  entry: string
  answer: string
  updated: string
  variantsCount: (n: number) => string
  docSize: (chars: number, passages: number) => string
  edit: string
  view: string
  tryTitle: string
  tryHint: string
  tryLabel: string
  tryButton: string
  trySource: Record<'rule' | 'faq' | 'ai' | 'none', string>
  tryAnswer: string
  tryNoAnswer: string
  tryHandoff: string
  /** The model's answer would not be sent; the fallback would. */
  tryRefused: (why: string) => string
  refusals: Record<string, string>
  aiLabel: string
  givenToModel: string
  tryEntries: string
  tryNoEntries: string
  score: string
  notSent: string
  addFaqTitle: string
  question: string
  variants: string
  variantsHint: string
  answerLabel: string
  answerHint: string
  addFaq: string
  addDocTitle: string
  docTitle: string
  docText: string
  docHint: string
  addDoc: string
  importTitle: string
  importHint: string
  importFile: string
  importSplit: string
  importButton: string
  imported: (added: number, refused: number) => string
  refusedRows: string
  row: (n: number) => string
  rowProblems: Record<RowProblem | 'store', string>
  fileProblems: Record<FileProblem | 'not_utf8' | 'no_file' | 'kind' | 'nothing', string>
  fileProblemAt: (problem: string, row: number) => string
  problems: string
  outcomes: Record<string, string>
  editTitle: Record<'faq' | 'doc', string>
  save: string
  deleteTitle: string
  deleteConfirm: string
  deleteButton: string
  back: string
  tooLarge: (kib: number) => string
}

export const KNOWLEDGE_STRINGS: Strings<KnowledgeText> = {
  zh: {
    title: '知识库',
    intro:
      '常见问题（FAQ）和文档：规则没有接住的文字先在这里找答案。FAQ 命中得分够高时，它的答案原样发出；否则（配置了模型时）AI 依据文档和问答回答，带「内容由第三方AI生成」标识，答不上时发默认回复。',
    readOnly: '你的角色只能查看知识库，不能修改或试问（试问可能调用付费的模型）。',
    listTitle: '条目',
    none: '知识库还是空的。',
    kind: '类型',
    faq: '问答',
    doc: '文档',
    entry: '问题 / 标题',
    answer: '答案 / 内容',
    updated: '更新于',
    variantsCount: (n) => `另有 ${n} 种问法`,
    docSize: (chars, passages) => `${chars.toLocaleString('en')} 字 · 分成 ${passages} 段检索`,
    edit: '编辑',
    view: '查看',
    tryTitle: '试一试',
    tryHint: '输入用户可能发来的一句话，看看会找到哪些条目、得分多少、会回复什么。只是预览，不会发送给任何人。',
    tryLabel: '用户的问题',
    tryButton: '试一试',
    trySource: { rule: '规则回答', faq: 'FAQ 回答', ai: 'AI 回答', none: '没有答案' },
    tryAnswer: '会发送的回复',
    tryNoAnswer: '没有可发送的答案。',
    tryHandoff: '会转人工客服。',
    tryRefused: (why) => `AI 的回答不会发送（${why}），改发上面的兜底回复。`,
    refusals: {
      no_answer: '资料里没有答案',
      cut_off: '回答不完整或过长',
      link: '含有资料里没有的链接',
      phone: '含有资料里没有的号码',
      price: '含有资料里没有的价格',
      ungrounded: '回答不是依据资料',
      leak: '回答泄露了提示词',
      timeout: '模型超时',
      'no model configured': '没有配置模型',
    },
    aiLabel: '发送时带「内容由第三方AI生成」标识。',
    givenToModel: '给了 AI',
    tryEntries: '找到的条目',
    tryNoEntries: '没有找到相关条目。',
    score: '得分',
    notSent: '（预览：没有发送）',
    addFaqTitle: '添加问答',
    question: '问题',
    variants: '其他问法',
    variantsHint: '每行一种',
    answerLabel: '答案',
    answerHint: '作为文字回复原样发送',
    addFaq: '添加问答',
    addDocTitle: '添加文档',
    docTitle: '标题',
    docText: '内容',
    docHint: '纯文本或 Markdown，会按段落切分后检索',
    addDoc: '添加文档',
    importTitle: '导入',
    importHint:
      'CSV：第一行是表头，需有 question 和 answer 两列（或“问题”“答案”），可选 variants 列（其他问法，每行一种）；含逗号或换行的内容用英文双引号括起来。Markdown：一个文件作为一篇文档。',
    importFile: '文件（.csv 或 .md）',
    importSplit: 'Markdown 按 # 和 ## 标题拆成多篇文档',
    importButton: '导入',
    imported: (added, refused) => (refused === 0 ? `已导入 ${added} 条。` : `已导入 ${added} 条，${refused} 行未导入：`),
    refusedRows: '未导入的行',
    row: (n) => `第 ${n} 行`,
    rowProblems: {
      columns: '字段比表头多（含逗号的内容要用双引号括起来）',
      no_question: '问题是空的',
      no_answer: '答案是空的',
      too_many: '一次最多导入 500 行，请分几次导入',
      store: '没有存进去',
    },
    fileProblems: {
      not_csv: '这不是有效的 CSV：有个双引号没有配对',
      no_header: '第一行需要是表头，包含 question 和 answer 两列（或“问题”“答案”）',
      empty: '文件是空的',
      not_utf8: '文件不是 UTF-8 编码（在 Excel 里请另存为“CSV UTF-8”）',
      no_file: '请选择一个文件',
      kind: '只能导入 .csv 或 .md 文件',
      nothing: '文件里没有可导入的内容',
    },
    fileProblemAt: (problem, row) => `${problem}（第 ${row} 行）`,
    problems: '没有保存：',
    outcomes: {
      added: '已添加。',
      changed: '已保存。',
      deleted: '已删除。',
      no_entry: '没有这个条目（可能已被删除）。',
      confirm: '要删除，请先勾选确认。',
      bad_cursor: '这个翻页链接不对或已失效，请从第一页重新翻。',
    },
    editTitle: { faq: '编辑问答', doc: '编辑文档' },
    save: '保存',
    deleteTitle: '删除',
    deleteConfirm: '确认删除这个条目（不能撤销）',
    deleteButton: '删除',
    back: '返回知识库',
    tooLarge: (kib) => `提交的内容太大（最多 ${kib} KiB）。`,
  },
  en: {
    title: 'Knowledge',
    intro:
      'FAQ entries and documents: a text no rule answered is looked up here first. An FAQ entry that matches well enough has its answer sent as written; otherwise (with a model configured) AI answers from the documents and FAQ entries, labelled as AI-written, and the default reply goes out when it cannot.',
    readOnly: 'Your role may read the knowledge base, not change it or try questions (which may call the paid model).',
    listTitle: 'Entries',
    none: 'The knowledge base is empty.',
    kind: 'Kind',
    faq: 'FAQ',
    doc: 'Document',
    entry: 'Question / title',
    answer: 'Answer / text',
    updated: 'Updated',
    variantsCount: (n) => `${n} other phrasing${n === 1 ? '' : 's'}`,
    docSize: (chars, passages) => `${chars.toLocaleString('en')} characters · ${passages} passage${passages === 1 ? '' : 's'} searched`,
    edit: 'Edit',
    view: 'View',
    tryTitle: 'Try a question',
    tryHint:
      'Type what a user might send: see the entries it finds, their scores, and the reply it would get. A preview: nothing is sent to anyone.',
    tryLabel: "The user's question",
    tryButton: 'Try',
    trySource: { rule: 'Answered by a rule', faq: 'Answered by an FAQ entry', ai: 'Answered by AI', none: 'No answer' },
    tryAnswer: 'The reply that would be sent',
    tryNoAnswer: 'No answer would be sent.',
    tryHandoff: 'It would be handed to a person.',
    tryRefused: (why) => `The model's answer would not be sent (${why}); the fallback above would.`,
    refusals: {
      no_answer: 'the knowledge base has no answer',
      cut_off: 'a cut-off or overlong answer',
      link: 'a link the passages do not hold',
      phone: 'a number the passages do not hold',
      price: 'a price the passages do not hold',
      ungrounded: 'not drawn from the passages',
      leak: 'it repeats the prompt',
      timeout: 'the model timed out',
      'no model configured': 'no model is configured',
    },
    aiLabel: 'Sent with WeChat’s label 内容由第三方AI生成 (written by AI).',
    givenToModel: 'given to AI',
    tryEntries: 'Entries found',
    tryNoEntries: 'No entry found.',
    score: 'Score',
    notSent: '(preview: not sent)',
    addFaqTitle: 'Add an FAQ entry',
    question: 'Question',
    variants: 'Other phrasings',
    variantsHint: 'one per line',
    answerLabel: 'Answer',
    answerHint: 'sent as written, as a text reply',
    addFaq: 'Add the entry',
    addDocTitle: 'Add a document',
    docTitle: 'Title',
    docText: 'Text',
    docHint: 'plain text or Markdown, split into passages for search',
    addDoc: 'Add the document',
    importTitle: 'Import',
    importHint:
      'CSV: a header row with a question and an answer column, optionally variants (other phrasings, one per line); put text with commas or line breaks in double quotes. Markdown: one file is one document.',
    importFile: 'File (.csv or .md)',
    importSplit: 'Split Markdown into one document per # and ## heading',
    importButton: 'Import',
    imported: (added, refused) =>
      refused === 0 ? `Imported ${added}.` : `Imported ${added}; ${refused} row${refused === 1 ? '' : 's'} refused:`,
    refusedRows: 'Rows refused',
    row: (n) => `Row ${n}`,
    rowProblems: {
      columns: 'more fields than the header (quote text that has commas)',
      no_question: 'the question is empty',
      no_answer: 'the answer is empty',
      too_many: 'at most 500 rows an import: import the rest separately',
      store: 'not stored',
    },
    fileProblems: {
      not_csv: 'not valid CSV: a double quote is never closed',
      no_header: 'the first row must be a header with a question and an answer column',
      empty: 'the file is empty',
      not_utf8: 'the file is not UTF-8 (in Excel, save as "CSV UTF-8")',
      no_file: 'choose a file',
      kind: 'only .csv and .md files can be imported',
      nothing: 'nothing in the file to import',
    },
    fileProblemAt: (problem, row) => `${problem} (row ${row})`,
    problems: 'Not saved:',
    outcomes: {
      added: 'Added.',
      changed: 'Saved.',
      deleted: 'Deleted.',
      no_entry: 'No such entry (it may have been deleted).',
      confirm: 'To delete, tick the confirmation first.',
      bad_cursor: 'That page link is wrong or out of date: start again from the first page.',
    },
    editTitle: { faq: 'Edit the FAQ entry', doc: 'Edit the document' },
    save: 'Save',
    deleteTitle: 'Delete',
    deleteConfirm: 'Yes, delete this entry (cannot be undone)',
    deleteButton: 'Delete',
    back: 'Back to the knowledge base',
    tooLarge: (kib) => `That is too large (at most ${kib} KiB).`,
  },
}
