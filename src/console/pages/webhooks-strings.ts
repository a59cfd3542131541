/**
 * The webhooks page's words (pages/webhooks.tsx), in Chinese and English.
 */
import type { Strings } from '../lang'

/** What the retry button can come back with. */
export const WEBHOOK_OUTCOMES = {
  done: ['retried'],
  problem: ['not_found', 'retrying', 'queue_failed', 'bad_id'],
} as const

export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)['done'][number] | (typeof WEBHOOK_OUTCOMES)['problem'][number]

export const WEBHOOK_STRINGS: Strings<{
  title: string
  intro: string
  on: string
  off: string
  event: string
  when: string
  attempts: string
  last: string
  actions: string
  retry: string
  none: string
  failed: string
  retrying: string
  noAnswer: string
  status: (status: number) => string
  occurred: (at: string) => string
  outcomes: Record<WebhookOutcome, string>
}> = {
  zh: {
    title: '事件推送',
    intro:
      '推送到 WEBHOOK_URL 的事件，多次重试仍未送达的列在这里（最新的在前）。重试会用同一个投递 ID 再发一轮；送达后从列表中消失。保留天数同 RETENTION_DAYS。',
    on: '事件推送已开启（WEBHOOK_URL 已设置）。',
    off: '事件推送未开启：设置 WEBHOOK_URL 和 WEBHOOK_SECRET 后，事件才会推送。',
    event: '事件 · 投递 ID',
    when: '失败时间',
    attempts: '尝试次数',
    last: '最后一次结果',
    actions: '操作',
    retry: '重试',
    none: '没有推送失败的事件。',
    failed: '失败',
    retrying: '重试中',
    noAnswer: '无响应',
    status: (status) => `HTTP ${status}`,
    occurred: (at) => `发生于 ${at}`,
    outcomes: {
      retried: '已重新排队，将用同一个投递 ID 再推送。',
      not_found: '找不到这条投递记录（可能已送达或已过保留期）。',
      retrying: '这条投递已在重试中，没有再排一次。',
      queue_failed: '没有重试：队列暂时无法接收，请稍后再试。',
      bad_id: '投递 ID 格式不对。',
    },
  },
  en: {
    title: 'Webhooks',
    intro:
      'Events posted to WEBHOOK_URL that kept failing after every retry, newest first. Retry sends one again, with the same delivery id, for a new round of attempts; once delivered it leaves this list. Kept RETENTION_DAYS.',
    on: 'Webhooks are on (WEBHOOK_URL is set).',
    off: 'Webhooks are off: set WEBHOOK_URL and WEBHOOK_SECRET to have events posted.',
    event: 'Event · delivery id',
    when: 'Failed at',
    attempts: 'Attempts',
    last: 'Last outcome',
    actions: 'Actions',
    retry: 'Retry',
    none: 'No failed deliveries.',
    failed: 'failed',
    retrying: 'retrying',
    noAnswer: 'no answer',
    status: (status) => `HTTP ${status}`,
    occurred: (at) => `happened ${at}`,
    outcomes: {
      retried: 'Queued again: it will be posted with the same delivery id.',
      not_found: 'No such delivery (it may have been delivered, or passed the retention period).',
      retrying: 'That delivery is already being retried; it was not queued again.',
      queue_failed: 'Not retried: the queue refused it for now; try again shortly.',
      bad_id: 'That is not a delivery id.',
    },
  },
}
