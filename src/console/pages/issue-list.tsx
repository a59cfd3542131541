/**
 * Validation problems as the console shows them under a field: in the page's language, from
 * the catalogue `rules:check` prints from (rules/messages.ts), with the path a developer finds
 * in the JSON.
 */
import type { Child } from 'hono/jsx'
import { issueMessage } from '../../rules/messages'
import type { RuleIssue } from '../../rules/validate'
import type { Lang } from '../lang'

export function Issues(props: { issues: RuleIssue[]; lang: Lang }): Child {
  if (props.issues.length === 0) return null
  return (
    <ul class="field-error" data-rule-issues>
      {props.issues.map((issue) => (
        <li>
          {issueMessage(issue, props.lang)} <code class="muted">{issue.path}</code>
        </li>
      ))}
    </ul>
  )
}
