/**
 * What the rules page's preview found: the rule that would answer a message, its limits (once
 * per hours, the hand-off, the knowledge base's threshold), and the replies as bubbles. Nothing
 * is sent.
 */
import type { Preview } from '../../rules/preview'
import type { Lang } from '../lang'
import { replyDraftOf } from '../reply-form'
import { Bubble } from './reply-fields'
import { REPLY_STRINGS } from './reply-strings'
import type { RulesText } from './rules-strings'

export function PreviewResult(props: { t: RulesText; lang: Lang; preview: Preview }) {
  const { t, preview } = props
  const rt = REPLY_STRINGS[props.lang]
  return (
    <div data-preview-result data-rule-id={preview.ruleId ?? ''}>
      <p class="muted">
        {t.previewRule}: <code>{preview.ruleId ?? '–'}</code>
      </p>
      {preview.transfer && <p>{t.previewTransfer}</p>}
      {preview.oncePerHours !== null && (
        <p class="muted" data-preview-once>
          {t.previewOnce(preview.oncePerHours)}
        </p>
      )}
      {preview.handoffAfter !== null && (
        <p class="muted" data-preview-handoff>
          {t.previewHandoff(preview.handoffAfter)}
        </p>
      )}
      {preview.faqThreshold !== null && (
        <p class="muted" data-preview-knowledge>
          {t.previewKnowledge(preview.faqThreshold)}
        </p>
      )}
      {preview.replies.length === 0 && !preview.transfer && <p class="muted">{t.previewNone}</p>}
      <div class="chat">
        {preview.replies.map((reply) => (
          <div data-preview-reply={reply.type}>
            {/* A planned reply has the rule set's keys: read back as a part, it shows as the form's preview does. */}
            <Bubble t={rt} part={replyDraftOf(reply).choices[0]!.parts[0]!} />
          </div>
        ))}
      </div>
    </div>
  )
}
