/**
 * A reply's form (reply-form.ts names its fields) and what the user will see: each part a type
 * and that type's fields — every type's fields are on the page, and the stylesheet shows the
 * ones the chosen type uses (`data-for`, `shownFor`), so changing the type needs no script and
 * no reload where `:has()` works; elsewhere the type the page was rendered with shows its own.
 * Images are chosen from the operator's device (`<prefix>.c<k>.p<j>.upload`) and kept in MEDIA
 * when the form is posted; a URL still works.
 */
import type { Child } from 'hono/jsx'
import { mediaPath } from '../../media/uploads'
import type { RuleIssue } from '../../rules/validate'
import { MAX_RANDOM, MAX_REPLIES } from '../../rules/schema'
import type { Lang } from '../lang'
import { PART_FIELDS, PART_TYPES, partAt, type PartDraft, type PartField, type ReplyDraft } from '../reply-form'
import { Issues } from './issue-list'
import { REPLY_STRINGS, type ReplyText } from './reply-strings'

export interface ReplyFieldsProps {
  lang: Lang
  /** The reply's field prefix: `r3`, `d.e0`. */
  prefix: string
  /** The reply's path in the rule set: `rules[3].reply`, `default`. */
  path: string
  reply: ReplyDraft
  /** The issues whose path is inside this reply: each is shown under its part, or under the reply. */
  issues: RuleIssue[]
}

/**
 * A block shown for some choices of a select: `data-for` a part's types, `data-when` a rule's
 * kinds (space-separated). The block of the choice the page was rendered with is marked
 * `data-chosen`, which the stylesheet shows without `:has()`; where `:has()` works, the blocks
 * follow the select as it changes, with no script (style.ts).
 */
export function shownFor(attr: 'data-for' | 'data-when', kinds: string, chosen: string): Record<string, string> {
  return kinds.split(' ').includes(chosen) ? { [attr]: kinds, 'data-chosen': '' } : { [attr]: kinds }
}

/** An issue of one part, with the part's key it names (null: the part as a whole). */
interface PartIssue {
  issue: RuleIssue
  field: string | null
}

/** The part's keys whose problems are shown under their own input; any other key's, and the part's own, at its bottom. */
const PLACED: ReadonlySet<string> = new Set(['type', ...PART_FIELDS])

export function ReplyFields(props: ReplyFieldsProps) {
  const t = REPLY_STRINGS[props.lang]
  const { prefix, reply } = props
  const byPart = new Map<string, PartIssue[]>()
  const loose: RuleIssue[] = []
  for (const issue of props.issues) {
    const at = partAt(reply, issue.path.slice(props.path.length))
    if (at === null) loose.push(issue)
    else byPart.set(`${at.choice}.${at.part}`, [...(byPart.get(`${at.choice}.${at.part}`) ?? []), { issue, field: at.field }])
  }
  return (
    <div class="reply" data-reply={prefix}>
      <input type="hidden" name={`${prefix}.choices`} value={String(reply.choices.length)} />
      <label class="check">
        <input type="checkbox" name={`${prefix}.random`} checked={reply.random} data-random /> {t.random}
      </label>
      {reply.choices.map(({ parts, list }, k) => (
        <div class="choice" data-choice={k}>
          <input type="hidden" name={`${prefix}.c${k}.parts`} value={String(parts.length)} />
          <input type="hidden" name={`${prefix}.c${k}.list`} value={list ? 'on' : ''} />
          <div class="choice-head row" data-chosen={reply.random ? '' : undefined}>
            <b>{t.choice(k + 1)}</b>
            {reply.choices.length > 1 && (
              <button type="submit" name="op" value={`choice-delete:${prefix}.c${k}`} class="danger small">
                {t.removeChoice}
              </button>
            )}
          </div>
          {parts.map((part, j) => (
            <PartFields
              t={t}
              lang={props.lang}
              at={`${prefix}.c${k}.p${j}`}
              part={part}
              index={j}
              last={j === parts.length - 1}
              issues={byPart.get(`${k}.${j}`) ?? []}
            />
          ))}
          {parts.length < MAX_REPLIES && (
            <div class="row add-part">
              <select name={`${prefix}.c${k}.add_type`} aria-label={t.addPart}>
                {PART_TYPES.map((type) => (
                  <option value={type}>{t.types[type]}</option>
                ))}
              </select>
              <button type="submit" name="op" value={`part-add:${prefix}.c${k}`}>
                + {t.addPart}
              </button>
            </div>
          )}
          <Seen t={t} parts={parts} />
        </div>
      ))}
      {/* Shown while "random" is ticked (the stylesheet), so ticking it offers a second group at once. */}
      {reply.choices.length < MAX_RANDOM && (
        <p class="random-only">
          <button type="submit" name="op" value={`choice-add:${prefix}`}>
            + {t.addChoice}
          </button>
        </p>
      )}
      <Issues issues={loose} lang={props.lang} />
    </div>
  )
}

function PartFields(props: { t: ReplyText; lang: Lang; at: string; part: PartDraft; index: number; last: boolean; issues: PartIssue[] }) {
  const { t, at, part } = props
  // Each problem under the input its key names; the part's own (and an unknown key's) at the bottom.
  const issuesOf = (...fields: string[]) =>
    props.issues.filter(({ field }) => field !== null && fields.includes(field)).map(({ issue }) => issue)
  const rest = props.issues.filter(({ field }) => field === null || !PLACED.has(field)).map(({ issue }) => issue)
  const invalid = (...fields: string[]) => (issuesOf(...fields).length > 0 ? 'true' : undefined)
  const under = (...fields: string[]) => <Issues issues={issuesOf(...fields)} lang={props.lang} />
  const shown = (types: string) => shownFor('data-for', types, part.type)
  const input = (field: PartField, label: string, extra: Record<string, string | number> = {}) => (
    <div>
      <label for={`${at}.${field}`}>{label}</label>
      <input id={`${at}.${field}`} name={`${at}.${field}`} value={part[field]} aria-invalid={invalid(field)} {...extra} />
      {under(field)}
    </div>
  )
  return (
    <div class="part" data-part={at} aria-invalid={props.issues.length > 0 ? 'true' : undefined}>
      <div class="row part-head">
        <label for={`${at}.type`} class="inline">
          {t.part(props.index + 1)}
        </label>
        <select id={`${at}.type`} name={`${at}.type`} class="part-type">
          {PART_TYPES.map((type) => (
            <option value={type} selected={type === part.type}>
              {t.types[type]}
            </option>
          ))}
        </select>
        <span class="spacer" />
        <button type="submit" name="op" value={`part-up:${at}`} disabled={props.index === 0} class="small" title={t.up}>
          ↑
        </button>
        <button type="submit" name="op" value={`part-down:${at}`} disabled={props.last} class="small" title={t.down}>
          ↓
        </button>
        <button type="submit" name="op" value={`part-delete:${at}`} class="small danger" title={t.remove}>
          ×
        </button>
      </div>
      {under('type')}
      <div {...shown('text')}>
        <textarea id={`${at}.text`} name={`${at}.text`} rows={3} aria-label={t.text} aria-invalid={invalid('text')}>
          {part.text}
        </textarea>
        {under('text')}
      </div>
      <div {...shown('link miniprogrampage')}>{input('title', t.title)}</div>
      <div {...shown('link')}>
        <label for={`${at}.description`}>{t.description}</label>
        <textarea id={`${at}.description`} name={`${at}.description`} rows={2} aria-invalid={invalid('description')}>
          {part.description}
        </textarea>
        {under('description')}
      </div>
      <div {...shown('miniprogrampage')}>
        {input('pagepath', t.pagepath, { placeholder: t.pagepathHint })}
        {input('appid', t.appid, { placeholder: t.appidHint })}
      </div>
      <div {...shown('image link miniprogrampage')} class="picture">
        <span class="picture-label" {...shown('image')}>
          {t.image}
        </span>
        <span class="picture-label" {...shown('link')}>
          {t.thumb}
        </span>
        <span class="picture-label" {...shown('miniprogrampage')}>
          {t.cover} <span class="muted">({t.coverHint})</span>
        </span>
        <Picture t={t} part={part} at={at} />
        <label for={`${at}.upload`}>{t.upload}</label>
        {/* An uploaded file is the part's `file` or `thumb_file` (hidden below): their problems are the upload's. */}
        <input
          type="file"
          id={`${at}.upload`}
          name={`${at}.upload`}
          accept="image/jpeg,image/png"
          aria-invalid={invalid('file', 'thumb_file')}
        />
        {under('file', 'thumb_file')}
        <div {...shown('link miniprogrampage')}>{input('thumb_url', t.thumbUrl, { placeholder: t.imageUrlHint, inputmode: 'url' })}</div>
        <details
          {...shown('image miniprogrampage')}
          open={part.media_id !== '' || part.thumb_media_id !== '' || invalid('media_id', 'thumb_media_id') !== undefined || undefined}
        >
          <summary>{t.advanced}</summary>
          <div {...shown('image')}>{input('media_id', t.mediaId)}</div>
          <div {...shown('miniprogrampage')}>{input('thumb_media_id', t.mediaId)}</div>
        </details>
        <input type="hidden" name={`${at}.file`} value={part.file} />
        <input type="hidden" name={`${at}.thumb_file`} value={part.thumb_file} />
      </div>
      {/* One field for both: an image's URL, or the page a link opens. */}
      <div {...shown('image link')}>
        <label for={`${at}.url`}>
          <span {...shown('image')}>{t.orUrl}</span>
          <span {...shown('link')}>{t.linkUrl}</span>
        </label>
        <input id={`${at}.url`} name={`${at}.url`} value={part.url} placeholder="https://" inputmode="url" aria-invalid={invalid('url')} />
        {under('url')}
      </div>
      <p {...shown('transfer')} class="muted">
        {t.transfer}
      </p>
      <Issues issues={rest} lang={props.lang} />
    </div>
  )
}

/** The uploaded image of a part, if any, with a button to forget it. */
function Picture(props: { t: ReplyText; part: PartDraft; at: string }) {
  const { part } = props
  const name =
    part.type === 'image'
      ? part.file
      : part.type === 'miniprogrampage'
        ? part.thumb_file
        : part.type === 'link'
          ? ownUpload(part.thumb_url)
          : ''
  if (name === '') return null
  return (
    <div class="row uploaded" data-uploaded={name}>
      <img src={mediaPath(name)} alt={props.t.uploaded} class="thumb" />
      <button type="submit" name="op" value={`file-clear:${props.at}`} class="small danger">
        {props.t.clearFile}
      </button>
    </div>
  )
}

/** The parts as chat bubbles, as the user will see them (as of the last check: the page does not run scripts). */
function Seen(props: { t: ReplyText; parts: PartDraft[] }): Child {
  if (props.parts.length === 0) return null
  return (
    <details class="seen" open>
      <summary class="muted">{props.t.seen}</summary>
      <div class="chat" data-seen>
        {props.parts.map((part) => (
          <Bubble t={props.t} part={part} />
        ))}
      </div>
    </details>
  )
}

/** One reply as a chat bubble: text, a picture, a link card, a mini-program card, or the hand-off. */
export function Bubble(props: { t: ReplyText; part: PartDraft }): Child {
  const { t, part } = props
  switch (part.type) {
    case 'text':
      return (
        <div class="bubble out" data-bubble="text">
          {part.text}
        </div>
      )
    case 'image': {
      const src = pictureOf(part.file, part.url)
      return (
        <div class="bubble out picture-bubble" data-bubble="image">
          {src ? (
            <img src={src} alt={t.image} />
          ) : (
            <span class="muted">{part.media_id ? `${t.mediaIdImage} ${part.media_id}` : t.noPicture}</span>
          )}
        </div>
      )
    }
    case 'link': {
      const src = pictureOf(ownUpload(part.thumb_url), part.thumb_url)
      return (
        <div class="bubble link-card" data-bubble="link">
          <b>{part.title}</b>
          <div class="row">
            <span class="muted" style="flex:1">
              {part.description}
            </span>
            {src && <img src={src} alt={t.thumb} class="thumb" />}
          </div>
        </div>
      )
    }
    case 'miniprogrampage': {
      const src = pictureOf(part.thumb_file, part.thumb_url)
      return (
        <div class="bubble mp-card" data-bubble="miniprogrampage">
          <span class="muted">{t.miniProgram}</span>
          <b>{part.title}</b>
          {src ? <img src={src} alt={t.cover} /> : <span class="muted">{t.noPicture}</span>}
          <span class="muted mp-foot">{t.miniProgram}</span>
        </div>
      )
    }
    case 'transfer':
      return (
        <p class="muted" data-bubble="transfer">
          — {t.transferNote} —
        </p>
      )
  }
}

/** A link's thumbnail uploaded here has a public URL (`/media/<name>`): its name, or '' for any other URL. */
function ownUpload(url: string): string {
  return /\/media\/([0-9a-f]{64}\.(?:jpg|png))$/.exec(url)?.[1] ?? ''
}

/** What the preview can show: an uploaded file through the console, or an https image (the page's policy allows no other). */
function pictureOf(file: string, url: string): string | null {
  if (file !== '') return mediaPath(file)
  return /^https:\/\//i.test(url) ? url : null
}
