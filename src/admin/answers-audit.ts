/**
 * The answer of `GET /admin/api/audit` as a valibot schema (answers.ts gathers every answer in
 * ANSWERS), and the check that fails compilation when it and the audit store's view drift apart.
 */
import * as v from 'valibot'
import type { Page } from '../record/views'
import { AUDIT_ACTIONS, type AuditView } from './audit'
import type { Same } from './answers-subscribe'

const AuditEntryAnswer = v.object({
  id: v.string(),
  at: v.pipe(v.number(), v.description('When, epoch ms.')),
  appid: v.pipe(v.string(), v.description('The mini program acted on; empty for the deployment (sign-ins, operators).')),
  operatorId: v.pipe(v.string(), v.description('Who: the operator id (`owner` for ADMIN_TOKEN); empty for a failed sign-in.')),
  operatorName: v.pipe(v.string(), v.description('Their name at the time.')),
  action: v.picklist(AUDIT_ACTIONS),
  target: v.pipe(
    v.nullable(v.string()),
    v.description('What it acted on: an openid, a send id, a rule-set version, a campaign or operator id.'),
  ),
  summary: v.pipe(v.nullable(v.string()), v.description('Ids and outcomes in a line: never message text or a secret.')),
})

export const AuditListAnswer = v.object({
  items: v.pipe(v.array(AuditEntryAnswer), v.description('Newest first.')),
  nextCursor: v.nullable(v.string()),
})

const drift: [Same<v.InferOutput<typeof AuditEntryAnswer>, AuditView>, Same<v.InferOutput<typeof AuditListAnswer>, Page<AuditView>>] = [
  true,
  true,
]
void drift
