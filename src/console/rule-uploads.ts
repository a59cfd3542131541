/**
 * The images chosen in the rules form, kept before anything else happens to the post: each
 * part's `upload` file is checked for its use (media/uploads.ts), stored in MEDIA, and the
 * part then names it — an image's `file`, a card's `thumb_file`, a link's public `thumb_url`
 * (WeChat's client fetches a link's thumbnail itself) — instead of any other source it had.
 * A refused file is a problem under its part, in the operator's language; the draft keeps
 * what it had. Each image kept leaves an audit entry (`media_upload`), as the admin API's upload does.
 */
import { auditUpload } from '../admin/upload-audit'
import { english, problem } from '../rules/messages'
import type { RuleIssue } from '../rules/validate'
import { log } from '../log'
import { mediaBucket } from '../media/bucket'
import { publicMediaUrl, saveUpload, UPLOAD_LIMITS, type MediaUse } from '../media/uploads'
import type { ConsoleContext } from './context'
import { repliesOf, withReply } from './rule-form'
import type { Draft } from './rule-draft'
import type { PartDraft, PartType } from './reply-form'
import type { PostedFields } from './rules-form-body'

const USES: Partial<Record<PartType, MediaUse>> = { image: 'image', miniprogrampage: 'card', link: 'link' }
/** Where each use's image goes in the rule set. */
const TARGET = { image: 'file', card: 'thumb_file', link: 'thumb_url' } as const

export async function storeUploads(c: ConsoleContext, draft: Draft, form: PostedFields): Promise<{ draft: Draft; problems: RuleIssue[] }> {
  const problems: RuleIssue[] = []
  let out = draft
  for (const { prefix, path, reply } of repliesOf(draft)) {
    for (const [k, { parts, list }] of reply.choices.entries()) {
      for (const [j, part] of parts.entries()) {
        const file = form[`${prefix}.c${k}.p${j}.upload`]
        const use = USES[part.type]
        if (typeof file === 'string' || file === undefined || use === undefined) continue
        // A file input left empty posts a nameless, empty file: nothing was chosen.
        if (!('oversize' in file) && file.size === 0 && file.name === '') continue
        const where = `${path}${reply.random ? `.random[${k}]` : ''}${parts.length > 1 || list ? `[${j}]` : ''}.${TARGET[use]}`
        const bucket = mediaBucket(c.env)
        if (!bucket) {
          const missing = problem('media_missing')
          problems.push({ path: where, ...missing, message: english(missing) })
          continue
        }
        if ('oversize' in file) {
          // Past every use's limit, its bytes were dropped as they came (rules-form-body.ts).
          const refused = problem('upload_too_large', { max: UPLOAD_LIMITS[use].maxBytes })
          problems.push({ path: where, ...refused, message: english(refused) })
          continue
        }
        const bytes = new Uint8Array(await file.arrayBuffer())
        const saved = await saveUpload(bucket, bytes, use, c.var.operator.id)
        if (!saved.ok) {
          const refused = problem(saved.problem.code, saved.problem.code === 'upload_too_large' ? { max: saved.problem.max } : {})
          problems.push({ path: where, ...refused, message: english(refused) })
          continue
        }
        await auditUpload(c.env, c.var.operator, { name: saved.name, use, bytes: bytes.byteLength })
        log.info('console.media.uploaded', { operator: c.var.operator.id, name: saved.name, use, bytes: bytes.byteLength })
        const source = sourceOf(use, saved.name, new URL(c.req.url).origin)
        out = withReply(out, prefix, (current) => ({
          ...current,
          choices: current.choices.map((choice, kk) => ({
            ...choice,
            parts: choice.parts.map((p, jj) => (kk === k && jj === j ? { ...p, ...source } : p)),
          })),
        }))
      }
    }
  }
  return { draft: out, problems }
}

/** The part's image sources once a file is kept: the new one, the others emptied (a reply takes exactly one). */
function sourceOf(use: MediaUse, name: string, origin: string): Partial<PartDraft> {
  switch (use) {
    case 'image':
      return { file: name, url: '', media_id: '' }
    case 'card':
      return { thumb_file: name, thumb_url: '', thumb_media_id: '' }
    case 'link':
      return { thumb_url: publicMediaUrl(origin, name) }
  }
}
