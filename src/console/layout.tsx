/** The frame of every console page: the header with its sections, the language switch, sign-out. */
import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { Permission } from '../auth/roles'
import type { Lang, Strings } from './lang'
import { SWITCHER_SLOT } from './mini-program-choice'
import { STYLE } from './style'

export type Section =
  | 'overview'
  | 'conversations'
  | 'queue'
  | 'failed'
  | 'unmatched'
  | 'knowledge'
  | 'rules'
  | 'campaigns'
  | 'webhooks'
  | 'status'
  | 'operators'
  | 'audit'

/**
 * Where the layout leaves room for what depends on who is signed in (renderPage fills them,
 * as the switcher's slot): the sections a role may or may not open at the end of the nav, and
 * the name and role in the header's tools. Comments no page text can produce (JSX escapes `<`).
 */
export const GATED_NAV_SLOT = '<!--kefu-gated-nav-->'
export const WHO_SLOT = '<!--kefu-who-->'

/**
 * The sections whose pages need more than `read`: shown only to a role that may open them
 * (the others' pages every role may read).
 */
export const GATED_SECTIONS: { id: 'webhooks' | 'operators' | 'audit'; href: string; needs: Permission }[] = [
  { id: 'webhooks', href: '/admin/webhooks', needs: 'campaigns' },
  { id: 'operators', href: '/admin/operators', needs: 'operators' },
  { id: 'audit', href: '/admin/audit', needs: 'operators' },
]

const SECTIONS: { id: Section; href: string }[] = [
  { id: 'overview', href: '/admin' },
  { id: 'conversations', href: '/admin/conversations' },
  { id: 'queue', href: '/admin/queue' },
  { id: 'failed', href: '/admin/failed' },
  { id: 'unmatched', href: '/admin/unmatched' },
  { id: 'knowledge', href: '/admin/knowledge' },
  { id: 'rules', href: '/admin/rules' },
  { id: 'campaigns', href: '/admin/campaigns' },
  { id: 'status', href: '/admin/status' },
]

export const LAYOUT_STRINGS: Strings<Record<Section | 'brand' | 'signOut' | 'switchLang', string>> = {
  zh: {
    brand: '客服控制台',
    overview: '概览',
    conversations: '会话',
    queue: '人工队列',
    failed: '发送失败',
    unmatched: '未匹配问题',
    knowledge: '知识库',
    rules: '回复规则',
    campaigns: '群发',
    webhooks: '事件推送',
    status: '状态',
    operators: '成员',
    audit: '审计',
    signOut: '退出',
    switchLang: 'English',
  },
  en: {
    brand: 'Customer service console',
    overview: 'Overview',
    conversations: 'Conversations',
    queue: 'Queue',
    failed: 'Failed sends',
    unmatched: 'Unmatched questions',
    knowledge: 'Knowledge',
    rules: 'Rules',
    campaigns: 'Campaigns',
    webhooks: 'Webhooks',
    status: 'Status',
    operators: 'Members',
    audit: 'Audit',
    signOut: 'Sign out',
    switchLang: '中文',
  },
}

export function Document(props: { lang: Lang; title: string; children: Child }) {
  // Without the doctype browsers render in quirks mode (forms and tables lay out differently).
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang={props.lang === 'zh' ? 'zh-CN' : 'en'}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{props.title} · kefu-edge</title>
          {/* The stylesheet is ours, a constant: raw, or its quotes and > would be escaped into it. */}
          <style>{raw(STYLE)}</style>
        </head>
        <body>{props.children}</body>
      </html>
    </>
  )
}

/** `section` null: a page of no section (a refusal), nothing marked current. */
export function Layout(props: { lang: Lang; section: Section | null; title: string; children: Child }) {
  const t = LAYOUT_STRINGS[props.lang]
  const other = props.lang === 'zh' ? 'en' : 'zh'
  return (
    <Document lang={props.lang} title={props.title}>
      <header>
        <span class="brand">kefu-edge · {t.brand}</span>
        <nav>
          {SECTIONS.map((s) => (
            <a href={s.href} aria-current={s.id === props.section ? 'page' : undefined}>
              {t[s.id]}
            </a>
          ))}
          {raw(GATED_NAV_SLOT)}
        </nav>
        <span class="tools">
          {raw(WHO_SLOT)}
          {raw(SWITCHER_SLOT)}
          <a href={`?lang=${other}`} class="button" data-lang-switch>
            {t.switchLang}
          </a>
          <form method="post" action="/admin/logout">
            <button type="submit">{t.signOut}</button>
          </form>
        </span>
      </header>
      <main>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  )
}

/** A result of an action, shown at the top of the page it returned to. */
export function Notice(props: { kind: 'ok' | 'error'; children: Child }) {
  return (
    <p class={props.kind === 'error' ? 'notice error' : 'notice'} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  )
}
