/**
 * The page every console route renders into (console/layout.tsx): its stylesheet reaches the
 * browser as written. Hono's JSX escapes text, and escaped CSS is still CSS the browser parses
 * (wrongly): the font stack's quoted names and every child combinator were lost without a
 * visible error, on every page.
 */
import { describe, expect, it } from 'vitest'
import { Layout } from '../../src/console/layout'
import { STYLE } from '../../src/console/style'

describe('the layout', () => {
  it('carries the stylesheet unescaped', async () => {
    const html = String(await Layout({ lang: 'zh', section: 'overview', title: '概览', children: 'hi' }))
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1]
    expect(style).toBe(STYLE)
    expect(style).toContain('"PingFang SC"')
    expect(style).not.toContain('&quot;')
    expect(style).not.toContain('&gt;')
  })
})
