/**
 * `npm run rules:test -- [--rules file] "<message>"`: which rule answers a message, and what
 * it would send. `--msgtype image|miniprogrampage` and
 * `--event user_enter_tempsession [--session-from pay]` try the other kinds;
 * `--at 2026-10-01T10:00+08:00` asks as of that time (office hours, from/until) instead of now.
 */
import { parseArgs } from 'node:util'
import { toRuleSet } from '../src/rules/compile'
import { knowledgeQuestion } from '../src/rules/faq'
import { decide } from '../src/rules/match'
import type { InboundMessage } from '../src/wechat/message'
import { checkRulesFile, DEFAULT_RULES_PATH } from './rules-file'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rules: { type: 'string', default: DEFAULT_RULES_PATH },
    msgtype: { type: 'string' },
    event: { type: 'string' },
    'session-from': { type: 'string', default: '' },
    at: { type: 'string' },
  },
})

const now = values.at === undefined ? Date.now() : Date.parse(values.at)
if (Number.isNaN(now)) {
  console.error(`--at ${values.at}: not a date-time (write it like 2026-10-01T10:00+08:00)`)
  process.exit(2)
}

const checked = await checkRulesFile(values.rules)
if (!checked) process.exit(1)

const base = { toUserName: 'gh_rules_test', fromUserName: 'oRulesTest', createTime: Math.floor(now / 1000) }
function message(): InboundMessage {
  if (values.event === 'user_enter_tempsession') {
    return { ...base, type: 'user_enter_tempsession', sessionFrom: values['session-from'] }
  }
  if (values.event === 'subscribe_msg_popup_event' || values.event === 'subscribe_msg_change_event') {
    return { ...base, type: values.event, items: [] }
  }
  if (values.event === 'subscribe_msg_sent_event') return { ...base, type: values.event, items: [] }
  if (values.event !== undefined) return { ...base, type: 'unknown', msgType: 'event', event: values.event }
  if (values.msgtype === 'image') return { ...base, type: 'image', msgId: '1', picUrl: '', mediaId: '' }
  if (values.msgtype === 'miniprogrampage') {
    return { ...base, type: 'miniprogrampage', msgId: '1', title: '', appId: '', pagePath: '', thumbUrl: '', thumbMediaId: '' }
  }
  if (values.msgtype !== undefined && values.msgtype !== 'text') {
    return { ...base, type: 'unknown', msgType: values.msgtype }
  }
  if (positionals.length === 0) {
    console.error(
      'usage: npm run rules:test -- [--rules file] [--at 2026-10-01T10:00+08:00] "<message>" | --msgtype image | --event user_enter_tempsession [--session-from pay]',
    )
    process.exit(2)
  }
  return { ...base, type: 'text', msgId: '1', content: positionals.join(' ') }
}

const ruleSet = toRuleSet(checked.compiled)
const inbound = message()
const plan = decide(ruleSet, inbound, now)
if (plan.ruleId === null) console.log('no rule matches: nothing is sent')
else console.log(`rule: ${plan.ruleId}${plan.transfer ? ' (transfers to customer service)' : ''}`)
for (const send of plan.sends) console.log(JSON.stringify(send))
// What the Conversation object adds per user, which a single message cannot show.
if (plan.oncePerHours !== undefined) console.log(`(a user gets this at most once every ${plan.oncePerHours} h)`)
if (ruleSet.knowledge !== null && knowledgeQuestion(ruleSet, inbound, plan) !== null) {
  const what = plan.ruleId === null ? 'nothing is sent' : 'the default above is sent'
  console.log(
    `(ai: the knowledge base is asked first: an FAQ entry scoring ${ruleSet.knowledge.faqThreshold} or more answers; below it ${what})`,
  )
}
if (plan.handoff !== undefined) {
  console.log(`(the ${plan.handoff.afterUnmatched}th unmatched text in a row transfers to customer service instead)`)
}
