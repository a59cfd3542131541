/** The rules page's default reply: the fieldset of its entries, each a reply and when it is sent. */
import { Choice } from './fields'
import type { RuleIssue } from '../../rules/validate'
import type { Lang } from '../lang'
import { textReply } from '../reply-form'
import { DURINGS, type Draft } from '../rule-draft'
import { repliesOf } from '../rule-form'
import { Issues } from './issue-list'
import { ReplyFields } from './reply-fields'
import type { RulesText } from './rules-strings'

/** The default reply: one entry for any time, or several tried in order (e.g. one while open, one while closed). */
export function DefaultFields(props: { t: RulesText; lang: Lang; draft: Draft; issues: RuleIssue[] }) {
  const { t, lang, draft } = props
  const entries = draft.fallback?.entries ?? [{ during: '' as const, reply: textReply() }]
  const paths = new Map(repliesOf(draft).map((reply) => [reply.prefix, reply.path]))
  const claimed = new Set<RuleIssue>()
  return (
    <fieldset data-default-reply>
      <legend>{t.fallback}</legend>
      <label class="check">
        <input type="checkbox" name="d.enabled" checked={draft.fallback !== null} data-default-on /> {t.fallbackOn}
      </label>
      <div class="entries">
        <input type="hidden" name="d.entries" value={String(entries.length)} />
        {entries.map((entry, m) => {
          const path = paths.get(`d.e${m}`) ?? 'default'
          const mine = props.issues.filter((issue) => issue.path.startsWith(path) && !claimed.has(issue))
          for (const issue of mine) claimed.add(issue)
          return (
            <div class="entry" data-entry={m}>
              <div class="row">
                <Choice
                  name={`d.e${m}.during`}
                  label={t.during}
                  values={DURINGS}
                  chosen={entry.during}
                  text={(during) => t.durings[during]}
                />
                {entries.length > 1 && (
                  <button type="submit" name="op" value={`entry-delete:${m}`} class="small danger">
                    {t.remove}
                  </button>
                )}
              </div>
              <ReplyFields lang={lang} prefix={`d.e${m}`} path={path} reply={entry.reply} issues={mine} />
            </div>
          )
        })}
        <p>
          <button type="submit" name="op" value="entry-add" class="small">
            + {t.addEntry}
          </button>
        </p>
      </div>
      <Issues issues={props.issues.filter((issue) => !claimed.has(issue))} lang={lang} />
    </fieldset>
  )
}
