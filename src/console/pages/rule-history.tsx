/** The publish history of the rule set: every version, what changed, and one-click rollback. */
import type { Grants } from '../permit'
import type { DiffHunk } from '../../rules/diff'
import type { HistoryDetail, HistoryPage } from '../../rules/history'
import { Layout, Notice } from '../layout'
import { formatTime, type Lang, type Strings } from '../lang'
import { Table } from './table'

const STRINGS: Strings<{
  title: string
  back: string
  version: string
  when: string
  from: string
  rules: string
  by: string
  current: string
  none: string
  next: string
  changes: string
  noChanges: string
  tooLarge: string
  first: string
  rollback: string
  rollbackHint: string
  source: string
  froms: Record<string, string>
}> = {
  zh: {
    title: '发布历史',
    back: '← 回复规则',
    version: '版本',
    when: '发布时间',
    from: '来源',
    rules: '规则数',
    by: '由',
    current: '生效中',
    none: '还没有发布记录。',
    next: '更早的 →',
    changes: '与上一版相比的改动',
    noChanges: '内容没有变化。',
    tooLarge: '规则集太大，不显示对比。',
    first: '这是保留的最早一版。',
    rollback: '回滚到这一版',
    rollbackHint: '回滚也是一次发布：之后同样可以再回滚。',
    source: '这一版的完整内容',
    froms: { console: '控制台', api: '管理 API', 'rules:push': 'rules:push', rollback: '回滚', unrecorded: '手动写入（未记录）' },
  },
  en: {
    title: 'Publish history',
    back: '← Rules',
    version: 'Version',
    when: 'Published',
    from: 'From',
    rules: 'Rules',
    by: 'By',
    current: 'in force',
    none: 'Nothing published yet.',
    next: 'Older →',
    changes: 'Changes from the version before',
    noChanges: 'Nothing changed.',
    tooLarge: 'Too large to compare.',
    first: 'This is the oldest version kept.',
    rollback: 'Roll back to this version',
    rollbackHint: 'A rollback is a publish too: it can be rolled back in turn.',
    source: 'This version in full',
    froms: {
      console: 'console',
      api: 'admin API',
      'rules:push': 'rules:push',
      rollback: 'rollback',
      unrecorded: 'put by hand (unrecorded)',
    },
  },
}

export function HistoryListPage(props: { lang: Lang; page: HistoryPage }) {
  const t = STRINGS[props.lang]
  const { page } = props
  return (
    <Layout lang={props.lang} section="rules" title={t.title}>
      <p>
        <a href="/admin/rules">{t.back}</a>
      </p>
      <div class="panel">
        <Table
          items={page.items}
          empty={t.none}
          head={[t.version, t.when, t.from, t.rules, t.by]}
          row={(item) => (
            <tr data-version={item.version} data-current={item.current ? 'true' : undefined}>
              <td>
                <a href={`/admin/rules/history/${item.version}`}>
                  <code>{item.version.slice(0, 12)}</code>
                </a>{' '}
                {item.current && <b class="ok">{t.current}</b>}
              </td>
              <td>{formatTime(item.publishedAt, props.lang, true)}</td>
              <td>{t.froms[item.from] ?? item.from}</td>
              <td>{item.rules ?? '–'}</td>
              <td>{item.by ?? '–'}</td>
            </tr>
          )}
        />
      </div>
      {page.nextCursor && (
        <p>
          <a href={`/admin/rules/history?cursor=${encodeURIComponent(page.nextCursor)}`}>{t.next}</a>
        </p>
      )}
    </Layout>
  )
}

export function HistoryEntryPage(props: {
  lang: Lang
  entry: HistoryDetail
  diff: DiffHunk[] | null
  /** The version in force, sent back with a rollback so a publish in between is not undone blindly. */
  currentVersion: string | null
  notice: string | null
  /** No rollback without `rules`. */
  grants: Grants
}) {
  const t = STRINGS[props.lang]
  const { entry, diff } = props
  return (
    <Layout lang={props.lang} section="rules" title={`${t.version} ${entry.version.slice(0, 12)}`}>
      <p>
        <a href="/admin/rules/history">← {t.title}</a>
      </p>
      {props.notice && <Notice kind="error">{props.notice}</Notice>}
      <div class="panel">
        <p>
          {t.when}: {formatTime(entry.publishedAt, props.lang, true)} · {t.from}: {t.froms[entry.from] ?? entry.from} · {t.rules}:{' '}
          {entry.rules ?? '–'}
          {entry.by !== undefined && ` · ${t.by}: ${entry.by}`} {entry.current && <b class="ok">{t.current}</b>}
        </p>
        {!entry.current && props.grants.rules && (
          <form method="post" action="/admin/rules/rollback" class="row">
            <input type="hidden" name="version" value={entry.version} />
            <input type="hidden" name="base" value={props.currentVersion ?? ''} />
            <button type="submit" class="primary" data-rollback={entry.version}>
              {t.rollback}
            </button>
            <span class="muted">{t.rollbackHint}</span>
          </form>
        )}
      </div>
      <h2>{t.changes}</h2>
      <div class="panel diff" data-diff>
        {entry.previous === null ? (
          <p class="muted">{t.first}</p>
        ) : diff === null ? (
          <p class="muted">{t.tooLarge}</p>
        ) : diff.length === 0 ? (
          <p class="muted">{t.noChanges}</p>
        ) : (
          diff.map((hunk) => (
            <pre>
              <span class="muted">{`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`}</span>
              {hunk.lines.map((line) => (
                <span class={line.op === 'added' ? 'add' : line.op === 'removed' ? 'del' : undefined}>
                  {`${line.op === 'added' ? '+' : line.op === 'removed' ? '-' : ' '} ${line.text}`}
                </span>
              ))}
            </pre>
          ))
        )}
      </div>
      <details>
        <summary>{t.source}</summary>
        <div class="panel">
          <pre>{entry.source}</pre>
        </div>
      </details>
    </Layout>
  )
}
