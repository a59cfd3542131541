/**
 * 队列 / Queue: the users waiting for a person (HUMAN_DESK = console), oldest first — the mini
 * program they wrote to, how long they have waited, their send window (urgent when it is
 * closing), why they are here, who has them — with claim, release, transfer and close; the agent's own status; and the agents'
 * figures. `QueueTable` is also what the live channel fetches (`?fragment=1`) on a change.
 */
import { MAX_CANNED_TEXT, MAX_CANNED_TITLE, type Canned } from '../../desk/notes'
import { CannedSection } from './queue-canned'
import type { AgentFigures, DeskItem, QueueView } from '../../desk/view'
import { Layout } from '../layout'
import type { Lang, Strings } from '../lang'
import { OutcomeNotice, shortOpenid, type Outcome } from './parts'
import { Table } from './table'

export const QUEUE_PATH = '/admin/queue'
export const QUEUE_LIVE_PATH = '/admin/queue/live'

export const QUEUE_OUTCOMES = {
  done: ['claimed', 'released', 'transferred', 'closed', 'status', 'canned_added', 'canned_deleted'],
  problem: [
    'not_at_desk',
    'held',
    'not_yours',
    'no_such_agent',
    'bad_input',
    'canned_invalid',
    'shortcut_taken',
    'canned_full',
    'no_canned',
  ],
} as const

const STRINGS: Strings<{
  title: string
  intro: string
  app: string
  wechatDesk: string
  none: string
  user: string
  waiting: string
  window: string
  reason: string
  assignee: string
  last: string
  actions: string
  reasons: Record<DeskItem['reason'], string>
  urgent: string
  overdue: string
  sendsLeft: (n: number, hours: number) => string
  closed: string
  nobody: string
  claim: string
  release: string
  close: string
  transfer: string
  transferTo: string
  you: string
  myStatus: string
  online: string
  away: string
  setStatus: string
  figures: string
  figuresNone: string
  handled: string
  firstResponse: string
  rating: string
  live: string
  outcomes: Record<string, string>
}> = {
  zh: {
    title: '人工队列',
    app: '小程序',
    intro: '转人工的用户在这里等待，最早的在最上面。接待后在会话页回复；结束后用户离开队列。设为“在线”的客服会自动分到新用户。',
    wechatDesk: '这个小程序的 HUMAN_DESK 是 wechat：转人工交给微信客服工具，不进这个队列。',
    none: '现在没有人在等。',
    user: '用户',
    waiting: '已等待',
    window: '发送窗口',
    reason: '原因',
    assignee: '接待人',
    last: '最后一条消息',
    actions: '操作',
    reasons: { transfer: '转人工', handoff: '多次未匹配', ai: 'AI 答不上' },
    urgent: '窗口快关了',
    overdue: '等待过久',
    sendsLeft: (n, hours) => `还能发 ${n} 条，${hours} 小时后关闭`,
    closed: '已关闭',
    nobody: '待接待',
    claim: '接待',
    release: '放回队列',
    close: '结束',
    transfer: '转给',
    transferTo: '转给同事',
    you: '（你）',
    myStatus: '我的状态',
    online: '在线（自动分配新用户）',
    away: '离开',
    setStatus: '更新状态',
    figures: '客服数据（14 天）',
    figuresNone: '还没有结束的会话。',
    handled: '处理会话',
    firstResponse: '首次响应（中位数 / P90）',
    rating: '满意度（平均，条数）',
    live: '实时更新',
    outcomes: {
      claimed: '已接待。',
      released: '已放回队列。',
      transferred: '已转给同事。',
      closed: '会话已结束。',
      status: '状态已更新。',
      not_at_desk: '这个用户已不在队列里。',
      held: '已经有同事在接待这个用户。',
      not_yours: '只有接待人（或管理员）可以这样做。',
      no_such_agent: '没有这个同事，或他不能回复这个小程序。',
      bad_input: '表单不完整。',
      canned_added: '快捷回复已添加。',
      canned_deleted: '快捷回复已删除。',
      canned_invalid: `没有添加：标题（最多 ${MAX_CANNED_TITLE} 字）和内容（最多 ${MAX_CANNED_TEXT} 字）都要填，快捷词要以 / 开头。`,
      shortcut_taken: '没有添加：这个快捷词已经有了。',
      canned_full: '没有添加：快捷回复已经满 200 条。',
      no_canned: '没有这条快捷回复（可能已被删除）。',
    },
  },
  en: {
    title: 'Queue',
    app: 'Mini program',
    intro:
      'Users handed to a person wait here, oldest first. Take one, reply on their conversation page, and close it when done. Agents set to online are given new users automatically.',
    wechatDesk: "This mini program's HUMAN_DESK is wechat: a transfer goes to WeChat's customer-service tool, not this queue.",
    none: 'Nobody is waiting.',
    user: 'User',
    waiting: 'Waiting',
    window: 'Send window',
    reason: 'Why',
    assignee: 'Agent',
    last: 'Last message',
    actions: 'Actions',
    reasons: { transfer: 'asked for a person', handoff: 'unanswered texts', ai: 'AI could not answer' },
    urgent: 'window closing',
    overdue: 'waiting too long',
    sendsLeft: (n, hours) => `${n} sends left, closes in ${hours} h`,
    closed: 'closed',
    nobody: 'unclaimed',
    claim: 'Take',
    release: 'Put back',
    close: 'Close',
    transfer: 'Hand to',
    transferTo: 'Hand to a colleague',
    you: ' (you)',
    myStatus: 'My status',
    online: 'Online (new users come to me)',
    away: 'Away',
    setStatus: 'Set status',
    figures: 'Agents (14 days)',
    figuresNone: 'No conversation closed yet.',
    handled: 'Handled',
    firstResponse: 'First response (median / p90)',
    rating: 'Rating (mean, count)',
    live: 'live',
    outcomes: {
      claimed: 'Taken.',
      released: 'Put back in the queue.',
      transferred: 'Handed to a colleague.',
      closed: 'Conversation closed.',
      status: 'Status set.',
      not_at_desk: 'That user is no longer in the queue.',
      held: 'A colleague already has that user.',
      not_yours: 'Only the agent who has it (or an admin) can do that.',
      no_such_agent: 'No such colleague, or they cannot reply in this mini program.',
      bad_input: 'The form was incomplete.',
      canned_added: 'Canned answer added.',
      canned_deleted: 'Canned answer deleted.',
      canned_invalid: `Not added: a title (at most ${MAX_CANNED_TITLE} characters) and a text (at most ${MAX_CANNED_TEXT}) are needed, and a shortcut starts with /.`,
      shortcut_taken: 'Not added: that shortcut is taken.',
      canned_full: 'Not added: there are already 200 canned answers.',
      no_canned: 'No such canned answer (it may have been deleted).',
    },
  },
}

type Text = (typeof STRINGS)['zh']

/** What the queue itself needs: the page's, and the live channel's fragment. */
export interface QueueTableProps {
  lang: Lang
  queue: QueueView
  /**
   * The signed-in operator: their id, whether they may act (reply), undo a colleague's hold and
   * change the canned answers (admin and up).
   */
  me: { id: string; canAct: boolean; canOverride: boolean; canEditCanned: boolean }
  /** Who a conversation may be handed to. */
  colleagues: { id: string; name: string }[]
}

export interface QueueProps extends QueueTableProps {
  figures: AgentFigures[]
  /** The mini program's canned answers. */
  canned: Canned[]
  deskMode: 'wechat' | 'console'
  outcome: Outcome | null
}

export function QueuePage(props: QueueProps) {
  const t = STRINGS[props.lang]
  const mine = props.queue.agents.find((a) => a.id === props.me.id)
  return (
    <Layout lang={props.lang} section="queue" title={t.title}>
      <script src="/admin/desk.js" defer />
      <OutcomeNotice outcome={props.outcome} text={(o) => t.outcomes[o.code] ?? o.code} />
      <p class="muted">
        {t.intro}{' '}
        <span data-live={`${QUEUE_LIVE_PATH}`} class="badge">
          {t.live}
        </span>
      </p>
      {props.deskMode === 'wechat' && <p class="warn">{t.wechatDesk}</p>}
      {props.me.canAct && (
        <form method="post" action={`${QUEUE_PATH}/status`} class="row panel" data-my-status>
          <div>
            <label for="desk-status">{t.myStatus}</label>
            <select id="desk-status" name="status">
              <option value="online" selected={mine?.status === 'online'}>
                {t.online}
              </option>
              <option value="away" selected={mine?.status !== 'online'}>
                {t.away}
              </option>
            </select>
          </div>
          <button type="submit">{t.setStatus}</button>
        </form>
      )}
      <div data-queue>
        <QueueTable {...props} />
      </div>
      <CannedSection lang={props.lang} canned={props.canned} canEdit={props.me.canEditCanned} />
      <h2>{t.figures}</h2>
      <div class="panel" data-figures>
        <Table
          items={props.figures}
          empty={t.figuresNone}
          head={[t.assignee, t.handled, t.firstResponse, t.rating]}
          row={(f) => (
            <tr data-agent={f.agent.id}>
              <td>{f.agent.name}</td>
              <td>{f.handled}</td>
              <td>{f.firstResponseMs ? `${minutes(f.firstResponseMs.median)} / ${minutes(f.firstResponseMs.p90)}` : '–'}</td>
              <td data-rating={f.rating?.mean ?? ''}>{f.rating ? `${f.rating.mean} (${f.rating.count})` : '–'}</td>
            </tr>
          )}
        />
      </div>
    </Layout>
  )
}

/** The queue itself: the page's, and the live channel's fragment. */
export function QueueTable(props: QueueTableProps) {
  const t = STRINGS[props.lang]
  const items = props.queue.items
  if (items.length === 0)
    return (
      <p class="muted panel" data-queue-empty>
        {t.none}
      </p>
    )
  return (
    <div class="panel">
      {/* Eight columns: on a phone each waiting user's row stacks its cells (class stack) rather than squeeze them. */}
      <Table
        class="stack"
        items={items}
        head={[t.user, t.app, t.waiting, t.window, t.reason, t.assignee, t.last, props.me.canAct && t.actions]}
        row={(item) => <Row t={t} item={item} props={props} now={props.queue.at} />}
      />
    </div>
  )
}

function Row(props: { t: Text; item: DeskItem; props: QueueTableProps; now: number }) {
  const { t, item } = props
  const { me, colleagues } = props.props
  const hours = Math.max(0, Math.floor((item.window.closesAt - props.now) / 3_600_000))
  const action = (move: string) => `${QUEUE_PATH}/${encodeURIComponent(item.openid)}/${move}`
  return (
    <tr
      data-queue-item={item.openid}
      data-status={item.status}
      data-assignee={item.assignee?.id ?? ''}
      data-urgent={item.window.urgent ? '1' : '0'}
      data-overdue={item.overdue ? '1' : '0'}
    >
      <td class="id">
        <a href={`/admin/conversations/${encodeURIComponent(item.openid)}`}>{shortOpenid(item.openid)}</a>
      </td>
      <td class="nowrap" data-app={item.appid}>
        {item.appid}
      </td>
      <td class="nowrap">
        {minutes(item.waitingMs)}
        {item.overdue && <span class="badge warn-badge">{t.overdue}</span>}
      </td>
      <td>
        {item.window.remaining > 0 ? t.sendsLeft(item.window.remaining, hours) : t.closed}
        {item.window.urgent && <span class="badge warn-badge">{t.urgent}</span>}
      </td>
      <td class="nowrap">{t.reasons[item.reason]}</td>
      <td class="nowrap">{item.assignee ? `${item.assignee.name}${item.assignee.id === me.id ? t.you : ''}` : t.nobody}</td>
      <td>{item.lastText}</td>
      {me.canAct && (
        // The buttons wrap (on a phone's stacked row) rather than run past the panel.
        <td>
          {item.assignee === null && (
            <form method="post" action={action('claim')} class="inline">
              <button type="submit" class="primary" data-claim>
                {t.claim}
              </button>
            </form>
          )}
          {item.assignee !== null && (item.assignee.id === me.id || me.canOverride) && (
            <form method="post" action={action('release')} class="inline">
              <button type="submit" data-release>
                {t.release}
              </button>
            </form>
          )}
          {(item.assignee === null || item.assignee.id === me.id || me.canOverride) && (
            <form method="post" action={action('close')} class="inline">
              <button type="submit" data-close>
                {t.close}
              </button>
            </form>
          )}
          {colleagues.length > 0 && (item.assignee === null || item.assignee.id === me.id || me.canOverride) && (
            <form method="post" action={action('transfer')} class="inline">
              <select name="to" aria-label={t.transferTo}>
                {colleagues
                  .filter((c) => c.id !== item.assignee?.id)
                  .map((c) => (
                    <option value={c.id}>{c.name}</option>
                  ))}
              </select>
              <button type="submit" data-transfer>
                {t.transfer}
              </button>
            </form>
          )}
        </td>
      )}
    </tr>
  )
}

/** A duration as people read it in a queue: minutes, or hours and minutes. */
function minutes(ms: number): string {
  const total = Math.floor(ms / 60_000)
  if (total < 60) return `${total} min`
  return `${Math.floor(total / 60)} h ${total % 60} min`
}
