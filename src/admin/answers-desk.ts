/**
 * The desk API's answers (issue 29) as valibot schemas, for the OpenAPI document's components
 * (beside answers.ts's ANSWERS), and the checks that fail compilation when they and the desk's
 * views (desk/view.ts) drift apart.
 */
import * as v from 'valibot'
import type { Canned, Note } from '../desk/notes'
import type { AgentFigures, DeskItem, QueueView } from '../desk/view'
import type { Same } from './answers-subscribe'

const Who = v.object({ id: v.pipe(v.string(), v.description("The operator's id (`owner` for ADMIN_TOKEN).")), name: v.string() })

const AgentAnswer = v.object({
  id: v.string(),
  name: v.string(),
  status: v.optional(v.pipe(v.picklist(['online', 'away']), v.description('online: takes conversations; away: does not.'))),
})

export const DeskItemAnswer = v.object({
  appid: v.pipe(v.string(), v.description('The mini program the user wrote to.')),
  openid: v.string(),
  status: v.pipe(v.picklist(['waiting', 'claimed', 'closed']), v.description('Waiting for a person, taken by one, or done.')),
  reason: v.pipe(
    v.picklist(['transfer', 'handoff', 'ai']),
    v.description("Why the user is at the desk: a transfer rule, the rule set's hand-off, or the model gave up."),
  ),
  assignee: v.pipe(v.nullable(Who), v.description('Who has it; null while it waits.')),
  queuedAt: v.pipe(v.number(), v.description('When the user asked for a person (epoch ms).')),
  waitingMs: v.pipe(v.number(), v.description('How long ago that was.')),
  lastText: v.pipe(v.string(), v.description("The user's last message (its first 200 characters).")),
  lastAt: v.number(),
  window: v.pipe(
    v.object({ closesAt: v.number(), remaining: v.number(), urgent: v.boolean() }),
    v.description('The send window: when it closes, the sends left, and urgent when it closes within 2 hours or one send is left.'),
  ),
  overdue: v.pipe(v.boolean(), v.description('Waiting past DESK_ALERT_MINUTES (default 10).')),
  firstResponseAt: v.pipe(v.nullable(v.number()), v.description("An agent's first reply by hand (epoch ms); null until then.")),
})

export const QueueAnswer = v.object({
  items: v.pipe(v.array(DeskItemAnswer), v.description('Who is waiting or being served, the oldest wait first.')),
  agents: v.pipe(v.array(AgentAnswer), v.description('Agents who have set a status, and the status.')),
  at: v.pipe(v.number(), v.description('When the view was taken (epoch ms).')),
})

export const DeskActionAnswer = v.object({ item: DeskItemAnswer })

export const DeskConflictAnswer = v.object({
  error: v.pipe(
    v.picklist(['held', 'not_yours']),
    v.description('`held`: another agent has it (a claim); `not_yours`: only its holder, or an admin, may do that.'),
  ),
  holder: v.pipe(v.nullable(Who), v.description('Who holds it.')),
})

export const DeskStatusAnswer = v.object({ agents: v.pipe(v.array(AgentAnswer), v.description('Every agent with a status, by name.')) })

const FiguresRow = v.object({
  agent: Who,
  handled: v.pipe(v.number(), v.description('Conversations they closed.')),
  firstResponseMs: v.pipe(
    v.nullable(v.object({ median: v.number(), p90: v.number() })),
    v.description('From the user asking to the first reply by hand (ms), median and 90th percentile; null without any reply.'),
  ),
  rating: v.pipe(
    v.nullable(v.object({ mean: v.number(), count: v.number() })),
    v.description(
      "The users' satisfaction ratings (1–5) after a close, with `satisfaction` in the rule set: their mean (one decimal) and count; null without any.",
    ),
  ),
})

export const DeskFiguresAnswer = v.object({
  days: v.number(),
  agents: v.pipe(v.array(FiguresRow), v.description('Per agent, the most conversations handled first.')),
})

const CannedAnswer = v.object({
  id: v.pipe(v.string(), v.description('c-<uuid>')),
  title: v.string(),
  text: v.string(),
  shortcut: v.nullable(v.string()),
  updatedAt: v.number(),
})

export const CannedListAnswer = v.object({ items: v.pipe(v.array(CannedAnswer), v.description('By title.')) })

export const NoteListAnswer = v.object({
  items: v.pipe(
    v.array(v.object({ id: v.pipe(v.string(), v.description('n-<uuid>')), operator: Who, text: v.string(), at: v.number() })),
    v.description('Newest first, the last 50.'),
  ),
})

export const CreatedAnswer = v.object({ id: v.string() })

const drift: [
  Same<v.InferOutput<typeof DeskItemAnswer>, DeskItem>,
  Same<v.InferOutput<typeof QueueAnswer>, QueueView>,
  Same<v.InferOutput<typeof FiguresRow>, AgentFigures>,
  Same<v.InferOutput<typeof CannedAnswer>, Canned>,
  Same<v.InferOutput<typeof NoteListAnswer>['items'][number], Note>,
] = [true, true, true, true, true]
void drift

/** The desk API's answers, for the OpenAPI document's components. */
export const DESK_ANSWERS = {
  QueueAnswer,
  DeskActionAnswer,
  DeskConflictAnswer,
  DeskStatusAnswer,
  DeskFiguresAnswer,
  CannedListAnswer,
  NoteListAnswer,
  CreatedAnswer,
}
