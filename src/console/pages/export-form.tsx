/**
 * The conversations page's "导出 CSV" form (issue 31): two China days, the last 7 by default,
 * downloaded from the console's EXPORT_DOWNLOAD_PATH with the admin API's own answer
 * (admin/export.ts). Shown to the roles that may export (the `users` permission); a refused
 * range comes back to the page as `?export=<problem>`.
 */
import { EXPORT_MAX_ROWS } from '../../record/export'
import { MAX_STATS_DAYS } from '../../record/stats'
import { Notice } from '../layout'
import type { Lang, Strings } from '../lang'

export const EXPORT_DOWNLOAD_PATH = '/admin/export.csv'
export const EXPORT_PROBLEMS = ['invalid', 'too_long', 'too_many'] as const
export type ExportProblem = (typeof EXPORT_PROBLEMS)[number]

const STRINGS: Strings<{
  title: string
  from: string
  to: string
  download: string
  hint: string
  problems: Record<ExportProblem, string>
}> = {
  zh: {
    title: '导出 CSV',
    from: '从',
    to: '到',
    download: '导出 CSV',
    hint: `按北京时间的日期，含首尾两天，最多 ${MAX_STATS_DAYS} 天；每条消息（收到和发出）一行，含用户的文字（保留期内）。导出会记入审计。`,
    problems: {
      invalid: '请选择开始和结束日期，结束日期不能早于开始日期。',
      too_long: `最多导出 ${MAX_STATS_DAYS} 天，请缩短日期范围。`,
      too_many: `这段日期的消息超过 ${EXPORT_MAX_ROWS} 条，请缩短日期范围（或用管理 API 分段导出）。`,
    },
  },
  en: {
    title: 'Export CSV',
    from: 'From',
    to: 'to',
    download: 'Export CSV',
    hint: `China days, both included, at most ${MAX_STATS_DAYS}; one line per message in or out, with users' texts (within the retention period). Exports are audited.`,
    problems: {
      invalid: 'Choose a first and a last day; the last may not be before the first.',
      too_long: `At most ${MAX_STATS_DAYS} days at a time: choose a shorter range.`,
      too_many: `More than ${EXPORT_MAX_ROWS} messages in these days: choose a shorter range (or page through them with the admin API).`,
    },
  },
}

export interface ExportFormProps {
  lang: Lang
  from: string
  to: string
  problem: ExportProblem | null
}

export function ExportForm(props: ExportFormProps) {
  const t = STRINGS[props.lang]
  return (
    <div class="panel" data-export-form>
      <form method="get" action={EXPORT_DOWNLOAD_PATH} aria-label={t.title}>
        <label class="inline">
          {t.from} <input type="date" name="from" value={props.from} required />
        </label>{' '}
        <label class="inline">
          {t.to} <input type="date" name="to" value={props.to} required />
        </label>{' '}
        <button type="submit" class="small">
          {t.download}
        </button>
      </form>
      <p class="muted">{t.hint}</p>
      {props.problem && (
        <div data-export-problem={props.problem}>
          <Notice kind="error">{t.problems[props.problem]}</Notice>
        </div>
      )}
    </div>
  )
}
