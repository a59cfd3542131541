/**
 * The rules form's multipart body read as it streams in (src/console/rules-form-body.ts): the
 * fields and files a browser posts, read as FormData reads them, whatever the chunks; a file past
 * its limit dropped as it comes and remembered as too large; a body past a budget not read.
 */
import { describe, expect, it } from 'vitest'
import { readMultipart, type MultipartLimits, type PostedFields } from '../../src/console/rules-form-body'

const LIMITS: MultipartLimits = { bodyMaxBytes: 10_000, textMaxBytes: 1000, fileMaxBytes: 100, filesMaxBytes: 250 }

/** The request a browser would send for `form`. */
const posted = (form: FormData, headers: Record<string, string> = {}) =>
  new Request('https://kefu.example/admin/rules', { method: 'POST', body: form, headers })

/** The same body, handed over `size` bytes at a time and without a declared length. */
async function inChunks(request: Request, size: number): Promise<Request> {
  const bytes = new Uint8Array(await request.arrayBuffer())
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size))
      controller.close()
    },
  })
  return new Request(request.url, { method: 'POST', body, headers: { 'content-type': request.headers.get('content-type') ?? '' } })
}

async function textOf(value: PostedFields[string] | undefined): Promise<string | null> {
  return value instanceof File ? new TextDecoder().decode(await value.arrayBuffer()) : null
}

function form(): FormData {
  const form = new FormData()
  form.append('op', 'check')
  form.append('r0.note', '第一行\r\n第二行，"引号" & 符号')
  form.append('r0.c0.p0.upload', new File([new Uint8Array(100).fill(65)], '二维码 "1".png', { type: 'image/png' }))
  form.append('r1.c0.p0.upload', new File([], ''))
  form.append('op', 'publish')
  return form
}

describe('readMultipart', () => {
  it('reads the fields and files a browser posts, the first of a repeated name, whatever the chunks', async () => {
    for (const size of [1, 7, 70, 100_000]) {
      const fields = await readMultipart(await inChunks(posted(form()), size), LIMITS)
      expect(fields, String(size)).not.toBeNull()
      expect(fields!.op).toBe('check')
      expect(fields!['r0.note']).toBe('第一行\r\n第二行，"引号" & 符号')
      const file = fields!['r0.c0.p0.upload']
      expect(file).toBeInstanceOf(File)
      expect((file as File).name).toBe('二维码 "1".png')
      expect((file as File).type).toBe('image/png')
      expect(await textOf(file)).toBe('A'.repeat(100))
      // A file input left empty: a nameless, empty file, as FormData reads it.
      expect(fields!['r1.c0.p0.upload']).toMatchObject({ name: '', size: 0 })
    }
  })

  it('drops a file past its limit as it comes, remembering its size; the other fields are kept', async () => {
    const big = new FormData()
    big.append('r0.c0.p0.upload', new File([new Uint8Array(5000)], 'photo.jpg', { type: 'image/jpeg' }))
    big.append('r0.note', '草稿')
    const fields = await readMultipart(await inChunks(posted(big), 64), LIMITS)
    expect(fields!['r0.c0.p0.upload']).toEqual({ oversize: true, name: 'photo.jpg', bytes: 5000 })
    expect(fields!['r0.note']).toBe('草稿')
  })

  it('reads nothing of a body past a budget: its declared or read length, the text, the files kept', async () => {
    const body = new FormData()
    body.append('x', 'y'.repeat(20_000))
    expect(await readMultipart(posted(body), LIMITS)).toBeNull()
    expect(await readMultipart(await inChunks(posted(body), 4096), { ...LIMITS, textMaxBytes: 100_000 })).toBeNull()
    const text = new FormData()
    text.append('x', 'y'.repeat(1001))
    expect(await readMultipart(posted(text), LIMITS)).toBeNull()
    const files = new FormData()
    for (const name of ['a', 'b', 'c']) files.append(name, new File([new Uint8Array(100)], `${name}.png`))
    expect(await readMultipart(posted(files), LIMITS)).toBeNull()
    files.delete('c')
    expect(Object.keys((await readMultipart(posted(files), LIMITS)) ?? {})).toEqual(['a', 'b'])
  })

  it('has no fields for a body that is not multipart or does not parse', async () => {
    const plain = new Request('https://kefu.example/', { method: 'POST', body: 'op=publish', headers: { 'content-type': 'text/plain' } })
    expect(await readMultipart(plain, LIMITS)).toEqual({})
    const whole = posted(form())
    const contentType = whole.headers.get('content-type') ?? ''
    const bytes = new Uint8Array(await whole.arrayBuffer())
    const cut = new Request('https://kefu.example/', {
      method: 'POST',
      body: bytes.slice(0, 200),
      headers: { 'content-type': contentType },
    })
    expect(await readMultipart(cut, LIMITS)).toEqual({})
    const other = new Request('https://kefu.example/', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'multipart/form-data; boundary=not-this-one' },
    })
    expect(await readMultipart(other, LIMITS)).toEqual({})
  })
})
