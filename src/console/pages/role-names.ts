/** The roles (auth/roles.ts) and the audit log's actions (admin/audit.ts) in the operator's words. */
import type { AuditAction } from '../../admin/audit'
import type { Role } from '../../auth/roles'
import type { Strings } from '../lang'

export const ROLE_NAMES: Strings<Record<Role, string>> = {
  zh: { owner: '所有者', admin: '管理员', agent: '客服', viewer: '只读' },
  en: { owner: 'Owner', admin: 'Admin', agent: 'Agent', viewer: 'Viewer' },
}

/** What each role may do, one line each (the members page's legend). */
export const ROLE_HINTS: Strings<Record<Role, string>> = {
  zh: {
    owner: '全部，包括成员、审计和在所有设备上退出',
    admin: '回复规则、知识库、群发、人工回复',
    agent: '会话：查看、人工回复、重发或放弃发送失败的消息',
    viewer: '只能查看',
  },
  en: {
    owner: 'Everything, members, the audit log and signing everyone out included',
    admin: 'Rules, knowledge, campaigns, replies',
    agent: 'Conversations: read, reply by hand, retry or drop a failed send',
    viewer: 'Read only',
  },
}

export const ACTION_NAMES: Strings<Record<AuditAction, string>> = {
  zh: {
    sign_in: '登录',
    sign_in_failed: '登录失败',
    sign_out_everywhere: '在所有设备上退出',
    publish: '发布规则',
    rollback: '回滚规则',
    reply: '人工回复',
    retry: '重发',
    drop: '放弃发送',
    subscribe_send: '订阅消息',
    uniform_send: '统一服务消息',
    campaign_start: '开始群发',
    knowledge_change: '修改知识库',
    operator_add: '添加成员',
    operator_change: '修改成员',
    operator_remove: '移除成员',
    desk_claim: '接待会话',
    desk_release: '放回队列',
    desk_transfer: '转给同事',
    desk_close: '结束会话',
    desk_status: '更改在线状态',
    desk_note: '添加备注',
    desk_canned: '修改快捷回复',
    media_upload: '上传图片',
    user_export: '导出用户数据',
    user_delete: '删除用户数据',
    export: '导出 CSV',
    webhook_retry: '重发事件推送',
  },
  en: {
    sign_in: 'Signed in',
    sign_in_failed: 'Failed sign-in',
    sign_out_everywhere: 'Signed out everywhere',
    publish: 'Published rules',
    rollback: 'Rolled back rules',
    reply: 'Replied by hand',
    retry: 'Retried a send',
    drop: 'Dropped a send',
    subscribe_send: 'Subscribe message',
    uniform_send: 'Uniform message',
    campaign_start: 'Started a campaign',
    knowledge_change: 'Changed the knowledge base',
    operator_add: 'Added a member',
    operator_change: 'Changed a member',
    operator_remove: 'Removed a member',
    desk_claim: 'Took a conversation',
    desk_release: 'Put back in the queue',
    desk_transfer: 'Handed to a colleague',
    desk_close: 'Closed a conversation',
    desk_status: 'Changed their status',
    desk_note: 'Added a note',
    desk_canned: 'Changed canned answers',
    media_upload: 'Uploaded an image',
    user_export: "Exported a user's data",
    user_delete: "Deleted a user's data",
    export: 'Exported CSV',
    webhook_retry: 'Retried a webhook delivery',
  },
}
