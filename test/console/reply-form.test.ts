/**
 * A reply as form fields and back (src/console/reply-form.ts): every shape a rule's reply may
 * take survives the form unchanged, the buttons do what they say, and a validation path finds
 * the part it names.
 */
import { describe, expect, it } from 'vitest'
import {
  applyReplyOp,
  emptyPart,
  partAt,
  replyDraftOf,
  replyFields,
  replyFromForm,
  replyOf,
  type ReplyDraft,
} from '../../src/console/reply-form'

const FILE = `${'a'.repeat(64)}.png`

const REPLIES: [string, unknown][] = [
  ['a text', { type: 'text', text: '您好' }],
  ['a list of one, kept a list', [{ type: 'text', text: '您好' }]],
  ['an uploaded image', { type: 'image', file: FILE }],
  ['an image by URL', { type: 'image', url: 'https://example.com/a.png' }],
  ['an image by media_id', { type: 'image', media_id: 'MEDIA' }],
  ['a link', { type: 'link', title: 'T', description: 'D', url: 'https://e.com', thumb_url: 'https://e.com/t.png' }],
  ['a card with an uploaded cover', { type: 'miniprogrampage', title: 'T', pagepath: 'pages/a?x=1', thumb_file: FILE }],
  [
    'a card of another app',
    { type: 'miniprogrampage', title: 'T', appid: 'wx1234567890abcdef', pagepath: 'p', thumb_url: 'https://e.com/c.jpg' },
  ],
  ['several parts with a transfer', [{ type: 'text', text: '转接中' }, { type: 'transfer' }]],
  [
    'a random choice of texts and lists',
    {
      random: [
        { type: 'text', text: 'A' },
        [
          { type: 'text', text: 'B' },
          { type: 'image', file: FILE },
        ],
      ],
    },
  ],
]

/** The form as the page posts it: every field of the draft, read back by name. */
function throughForm(draft: ReplyDraft, extra: Record<string, string> = {}): ReplyDraft {
  const fields = { ...replyFields('r0', draft), ...extra }
  return replyFromForm((name) => fields[name] ?? '', 'r0')
}

describe('a reply through the form', () => {
  it.each(REPLIES)('keeps %s unchanged', (_, reply) => {
    expect(replyOf(throughForm(replyDraftOf(reply)))).toEqual(reply)
  })

  it('writes the fields a type needs even when empty, so the validator names them; trims the rest', () => {
    const link = { ...emptyPart('link'), title: ' T ', url: ' https://e.com ' }
    expect(replyOf({ random: false, choices: [{ parts: [link], list: false }] })).toEqual({
      type: 'link',
      title: 'T',
      description: '',
      url: 'https://e.com',
      thumb_url: '',
    })
    // A text keeps its spaces and lines: they are what the user reads.
    const text = { ...emptyPart('text'), text: ' 第一行\n第二行 ' }
    expect(replyOf({ random: false, choices: [{ parts: [text], list: false }] })).toEqual({ type: 'text', text: ' 第一行\n第二行 ' })
  })

  it('reads a form without counts (an older page, a script) as one text part', () => {
    const draft = replyFromForm((name) => (name === 'r0.c0.p0.text' ? '你好' : ''), 'r0')
    expect(replyOf(draft)).toEqual({ type: 'text', text: '你好' })
  })

  it('bounds the counts a form may claim', () => {
    const draft = replyFromForm((name) => (name.endsWith('.choices') || name.endsWith('.parts') ? '100000' : ''), 'r0')
    expect(draft.choices.length).toBeLessThanOrEqual(21)
    expect(draft.choices[0]!.parts.length).toBeLessThanOrEqual(6)
  })

  it('reads an unknown type as text', () => {
    const draft = throughForm(replyDraftOf({ type: 'text', text: 'x' }), { 'r0.c0.p0.type': 'script' })
    expect(draft.choices[0]!.parts[0]!.type).toBe('text')
  })
})

describe('the reply buttons', () => {
  const two = replyDraftOf([
    { type: 'text', text: '一' },
    { type: 'text', text: '二' },
  ])

  it('adds a part of the chosen type at the end', () => {
    const added = applyReplyOp(two, { op: 'part-add', choice: 0, type: 'image' })
    expect(added.choices[0]!.parts.map((p) => p.type)).toEqual(['text', 'text', 'image'])
  })

  it('moves a part up and down, and deletes one', () => {
    const texts = (draft: ReplyDraft) => draft.choices[0]!.parts.map((p) => p.text)
    expect(texts(applyReplyOp(two, { op: 'part-down', choice: 0, part: 0 }))).toEqual(['二', '一'])
    expect(texts(applyReplyOp(two, { op: 'part-up', choice: 0, part: 1 }))).toEqual(['二', '一'])
    expect(texts(applyReplyOp(two, { op: 'part-up', choice: 0, part: 0 }))).toEqual(['一', '二'])
    expect(texts(applyReplyOp(two, { op: 'part-delete', choice: 0, part: 0 }))).toEqual(['二'])
    expect(applyReplyOp(two, { op: 'part-delete', choice: 3, part: 9 })).toEqual(two)
  })

  it('adding a group makes the reply random; the last group cannot be deleted', () => {
    const random = applyReplyOp(replyDraftOf({ type: 'text', text: 'A' }), { op: 'choice-add' })
    expect(random.random).toBe(true)
    expect(random.choices).toHaveLength(2)
    const one = applyReplyOp(applyReplyOp(random, { op: 'choice-delete', choice: 0 }), { op: 'choice-delete', choice: 0 })
    expect(one.choices).toHaveLength(1)
  })

  it('forgets an uploaded image', () => {
    const image = replyDraftOf({ type: 'image', file: FILE })
    expect(applyReplyOp(image, { op: 'file-clear', choice: 0, part: 0 }).choices[0]!.parts[0]!.file).toBe('')
  })
})

describe('partAt: the part and key a validation path names', () => {
  it('finds parts in lists, random groups, and a lone part', () => {
    const list = replyDraftOf([{ type: 'text', text: 'a' }, { type: 'link' }])
    expect(partAt(list, '[1].title')).toEqual({ choice: 0, part: 1, field: 'title' })
    expect(partAt(list, '[1]')).toEqual({ choice: 0, part: 1, field: null })
    expect(partAt(list, '')).toBeNull()
    const lone = replyDraftOf({ type: 'image' })
    expect(partAt(lone, '')).toEqual({ choice: 0, part: 0, field: null })
    expect(partAt(lone, '.url')).toEqual({ choice: 0, part: 0, field: 'url' })
    const random = replyDraftOf({
      random: [
        { type: 'text', text: 'A' },
        [
          { type: 'text', text: 'B' },
          { type: 'text', text: '' },
        ],
      ],
    })
    expect(partAt(random, '.random[1][1].text')).toEqual({ choice: 1, part: 1, field: 'text' })
    expect(partAt(random, '.random[0].text')).toEqual({ choice: 0, part: 0, field: 'text' })
    expect(partAt(random, '.random[7]')).toBeNull()
  })
})
