/** Webhook deliveries that kept failing (src/webhooks/), each with a retry button. */
import type { FailureRow } from '../../webhooks/store'
import { Layout } from '../layout'
import { formatTime, type Lang } from '../lang'
import { OnceField, OutcomeNotice, type Outcome } from './parts'
import { Table } from './table'
import { WEBHOOK_STRINGS, type WebhookOutcome } from './webhooks-strings'

export const WEBHOOKS_PATH = '/admin/webhooks'

export function WebhooksPage(props: { lang: Lang; on: boolean; failures: FailureRow[]; outcome: Outcome | null }) {
  const t = WEBHOOK_STRINGS[props.lang]
  return (
    <Layout lang={props.lang} section="webhooks" title={t.title}>
      <OutcomeNotice outcome={props.outcome} text={(o) => t.outcomes[o.code as WebhookOutcome]} />
      <p class="muted">{t.intro}</p>
      <p data-webhooks={props.on ? 'on' : 'off'}>{props.on ? t.on : t.off}</p>
      <div class="panel">
        <Table
          items={props.failures}
          empty={t.none}
          head={[t.event, t.when, t.attempts, t.last, t.actions]}
          row={(f) => (
            <tr data-delivery-id={f.id} data-event={f.event} data-status={f.status}>
              <td style="overflow-wrap:anywhere">
                <code>{f.event}</code>
                <br />
                <span class="muted">
                  <code>{f.id}</code>
                </span>
              </td>
              <td style="white-space:nowrap">
                {formatTime(f.failed_at, props.lang)}
                <br />
                <span class="muted">{t.occurred(formatTime(f.occurred_at, props.lang))}</span>
              </td>
              <td>{f.attempts}</td>
              <td style="min-width:10em;overflow-wrap:anywhere">
                <span class="bad">{f.last_status === null ? t.noAnswer : t.status(f.last_status)}</span>
                {f.last_reason && <span class="muted"> · {f.last_reason}</span>}
                <br />
                <span class="muted">{f.status === 'retrying' ? t.retrying : t.failed}</span>
              </td>
              <td>
                <form method="post" action={`${WEBHOOKS_PATH}/${f.id}/retry`}>
                  <OnceField />
                  <button class="primary" type="submit" data-action="retry">
                    {t.retry}
                  </button>
                </form>
              </td>
            </tr>
          )}
        />
      </div>
    </Layout>
  )
}
