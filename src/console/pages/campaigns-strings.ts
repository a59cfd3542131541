/**
 * The campaign pages' words (pages/campaigns.tsx), in Chinese and English.
 */
import type { TargetStatus } from '../../subscribe/campaign-store'
import type { Strings } from '../lang'

export const CAMPAIGN_STRINGS: Strings<{
  title: string
  reachTitle: string
  reachHint: string
  template: string
  oneTime: string
  longTerm: string
  reachable: string
  acceptReject: string
  noTemplates: string
  startWith: string
  listTitle: string
  noCampaigns: string
  startedAt: string
  progress: string
  state: string
  running: string
  done: string
  counts: Record<TargetStatus, string>
  of: (total: number) => string
  formTitle: string
  formHint: string
  templateId: string
  page: string
  pageHint: string
  miniprogramState: string
  states: Record<string, string>
  lang: string
  langs: Record<string, string>
  data: string
  dataHint: string
  rules: string
  ruleType: string
  ruleText: string
  start: string
  problems: string
  tooLarge: string
  campaign: (id: string) => string
  message: string
  refresh: string
  targets: string
  user: string
  outcome: string
  updatedAt: string
  noTargets: string
  targetsDeleted: string
  nobodyLeft: string
  nobody: string
  started: string
  startedDone: string
  back: string
}> = {
  zh: {
    title: '群发',
    reachTitle: '每个模板能送达的用户',
    reachHint: '一次性订阅：还有发送次数的用户；长期订阅（SUBSCRIBE_LONG_TERM_TEMPLATES 里的模板）：选择了接受的用户。',
    template: '模板',
    oneTime: '一次性',
    longTerm: '长期',
    reachable: '可送达',
    acceptReject: '接受 / 拒绝',
    noTemplates: '还没有用户在小程序里回应过订阅消息。',
    startWith: '用它群发',
    listTitle: '群发记录',
    noCampaigns: '还没有群发过。',
    startedAt: '开始时间',
    progress: '进度',
    state: '状态',
    running: '进行中',
    done: '已完成',
    counts: { sent: '已发送', failed: '失败', skipped: '跳过', queued: '排队中' },
    of: (total) => `共 ${total} 人`,
    formTitle: '开始群发',
    formHint: '同一个订阅消息发给这个模板能送达的每一位用户；每人最多一次，一次性订阅会用掉对方的一次发送次数。',
    templateId: '模板 ID（template_id）',
    page: '点击后打开的页面（page，可不填）',
    pageHint: 'pages/index/index?foo=bar',
    miniprogramState: '小程序版本（miniprogram_state）',
    states: { '': '正式版（默认）', developer: '开发版 developer', trial: '体验版 trial', formal: '正式版 formal' },
    lang: '语言（lang）',
    langs: {
      '': '简体中文（默认）',
      zh_CN: '简体中文 zh_CN',
      en_US: 'English en_US',
      zh_HK: '繁體中文（香港）zh_HK',
      zh_TW: '繁體中文（台灣）zh_TW',
    },
    data: '内容：每行一个关键词，如 thing1=您的订单已发货（也可以粘贴 JSON）',
    dataHint: 'thing1=您的订单已发货\nnumber2=12345',
    rules: '各类关键词的规则',
    ruleType: '关键词',
    ruleText: '规则',
    start: '开始群发',
    problems: '没有开始群发，要先改好这些问题：',
    tooLarge: '提交的内容太大，没有开始群发。',
    campaign: (id) => `群发 ${id}`,
    message: '消息',
    refresh: '刷新进度',
    targets: '每位用户',
    user: '用户',
    outcome: '结果',
    updatedAt: '时间',
    noTargets: '还没有排到用户。',
    targetsDeleted: '每位用户的结果已在保留期后删除，上面的计数仍保留。',
    nobodyLeft: '轮到时已没有能送达的用户：没有发出任何消息。',
    nobody: '开始时没有能送达的用户：没有发出任何消息。',
    started: '群发已开始。消息会按速率限制陆续发出，刷新本页看进度。',
    startedDone: '群发已开始，现在已全部完成。',
    back: '全部群发',
  },
  en: {
    title: 'Campaigns',
    reachTitle: 'Users each template can reach',
    reachHint: 'One-time templates: users with sends left; long-term ones (listed in SUBSCRIBE_LONG_TERM_TEMPLATES): users who accepted.',
    template: 'Template',
    oneTime: 'one-time',
    longTerm: 'long-term',
    reachable: 'Reachable',
    acceptReject: 'Accepted / rejected',
    noTemplates: 'No user has answered a subscribe popup yet.',
    startWith: 'Start a campaign',
    listTitle: 'Campaigns',
    noCampaigns: 'No campaigns yet.',
    startedAt: 'Started',
    progress: 'Progress',
    state: 'State',
    running: 'running',
    done: 'done',
    counts: { sent: 'sent', failed: 'failed', skipped: 'skipped', queued: 'queued' },
    of: (total) => `of ${total}`,
    formTitle: 'Start a campaign',
    formHint: 'One subscribe message to every user the template can reach; each user gets it at most once, and a one-time grant is spent.',
    templateId: 'Template id (template_id)',
    page: 'Page a tap opens (page, optional)',
    pageHint: 'pages/index/index?foo=bar',
    miniprogramState: 'Mini program version (miniprogram_state)',
    states: { '': 'formal (default)', developer: 'developer', trial: 'trial', formal: 'formal' },
    lang: 'Language (lang)',
    langs: { '': 'zh_CN (default)', zh_CN: 'zh_CN', en_US: 'en_US', zh_HK: 'zh_HK', zh_TW: 'zh_TW' },
    data: 'Data: one keyword a line, e.g. thing1=Your order has shipped (or paste JSON)',
    dataHint: 'thing1=Your order has shipped\nnumber2=12345',
    rules: 'The rule of each keyword type',
    ruleType: 'Keyword',
    ruleText: 'Rule',
    start: 'Start the campaign',
    problems: 'Not started: fix these first:',
    tooLarge: 'That is too large: nothing was started.',
    campaign: (id) => `Campaign ${id}`,
    message: 'Message',
    refresh: 'Refresh',
    targets: 'Each user',
    user: 'User',
    outcome: 'Outcome',
    updatedAt: 'At',
    noTargets: 'No users queued yet.',
    targetsDeleted: "Each user's outcome was deleted after the retention period; the counts above are kept.",
    nobodyLeft: 'No user could be reached any more when their turn came: nothing was sent.',
    nobody: 'No user could be reached when it started: nothing was sent.',
    started: 'Started. Messages go out at the paced rate; refresh this page to follow them.',
    startedDone: 'Started, and now done.',
    back: 'All campaigns',
  },
}

export type CampaignText = (typeof CAMPAIGN_STRINGS)['zh']
