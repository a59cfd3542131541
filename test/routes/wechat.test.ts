import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import { encrypt, importCipher } from '../../src/wechat/cipher'
import { sign } from '../../src/wechat/signature'
import { BASE, captureLogs, post, push, pushOptions, testCipher } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const logs = captureLogs()
const OPENID = 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY'
const now = () => Math.floor(Date.now() / 1000)

describe('GET /wechat (URL check)', () => {
  async function check(overrides: Record<string, string> = {}) {
    const timestamp = String(now())
    const nonce = '1514711492'
    const query = new URLSearchParams({
      signature: await sign([TEST_SETTINGS.WECHAT_TOKEN, timestamp, nonce]),
      timestamp,
      nonce,
      echostr: '4375120948345356249',
      ...overrides,
    })
    return exports.default.fetch(`${BASE}/wechat?${query}`)
  }

  it('echoes echostr as text/plain when the signature holds', async () => {
    const res = await check()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toBe('4375120948345356249')
  })

  it('answers 401 and echoes nothing for a bad signature', async () => {
    const res = await check({ signature: 'f'.repeat(40) })
    expect(res.status).toBe(401)
    const body = await res.text()
    expect(body).not.toContain('4375120948345356249')
    expect(body).not.toContain(TEST_SETTINGS.WECHAT_TOKEN)
  })

  it('answers 400 when a parameter is missing and 401 for a stale timestamp', async () => {
    expect((await check({ echostr: '' })).status).toBe(200)
    const noNonce = await exports.default.fetch(`${BASE}/wechat?signature=a&timestamp=1&echostr=x`)
    expect(noNonce.status).toBe(400)
    const stale = String(now() - 3600)
    const res = await check({
      timestamp: stale,
      signature: await sign([TEST_SETTINGS.WECHAT_TOKEN, stale, '1514711492']),
    })
    expect(res.status).toBe(401)
  })
})

describe('POST /wechat: every mode and format', () => {
  for (const mode of ['plaintext', 'compatible', 'safe'] as const) {
    for (const format of ['xml', 'json'] as const) {
      it(`${mode} ${format}: answers success and logs the message`, async () => {
        const res = await push(textMessage(OPENID, '你好 <b>&amp;', '9223372036854775807'), mode, format)
        expect(res.status).toBe(200)
        expect(await res.text()).toBe('success')
        const received = logs.events().find((e) => e.event === 'push.received')
        expect(received).toMatchObject({
          openid: OPENID,
          msgType: 'text',
          msgId: '9223372036854775807',
          format,
          encrypted: mode !== 'plaintext',
        })
      })
    }
  }

  it('detects the format from the body, not the content type', async () => {
    const { query, body } = await buildPush(textMessage(OPENID, 'hi', '1'), await pushOptions('safe', 'json'))
    const res = await post(query, body, { 'content-type': 'text/xml' })
    expect(res.status).toBe(200)
  })

  it('trusts the decrypted FromUserName, not the openid query parameter', async () => {
    const { query, body } = await buildPush(textMessage(OPENID, 'hi', '2'), await pushOptions('safe', 'xml'))
    query.set('openid', 'oSomeoneElse')
    expect((await post(query, body)).status).toBe(200)
    expect(logs.events().find((e) => e.event === 'push.received')?.openid).toBe(OPENID)
  })

  it('answers success to an unknown message type and logs it', async () => {
    const res = await push({ ...textMessage(OPENID, '', '3'), MsgType: 'video' })
    expect(await res.text()).toBe('success')
    expect(logs.events().find((e) => e.event === 'push.unknown')).toMatchObject({
      msgType: 'video',
      openid: OPENID,
    })
  })
})

describe('POST /wechat: refusals', () => {
  async function refused(res: Response, status: number, reason: RegExp) {
    expect(res.status).toBe(status)
    expect(await res.text()).toMatch(reason)
    expect(logs.events().some((e) => e.event === 'push.received')).toBe(false)
  }

  it('a bad signature (plaintext)', async () => {
    const { query, body } = await buildPush(textMessage(OPENID, 'hi', '1'), await pushOptions('plaintext', 'xml'))
    query.set('signature', '0'.repeat(40))
    await refused(await post(query, body), 401, /bad signature/)
  })

  it('a bad msg_signature (safe)', async () => {
    const { query, body } = await buildPush(textMessage(OPENID, 'hi', '1'), await pushOptions('safe', 'json'))
    query.set('msg_signature', '0'.repeat(40))
    await refused(await post(query, body), 401, /bad msg_signature/)
  })

  it('a push signed with another token', async () => {
    await refused(await push(textMessage(OPENID, 'hi', '1'), 'safe', 'xml', { token: 'someOtherToken' }), 401, /signature/)
  })

  async function sealedBody(encrypted: string, format: 'xml' | 'json' = 'xml') {
    const timestamp = String(now())
    const nonce = '42'
    const query = new URLSearchParams({
      timestamp,
      nonce,
      encrypt_type: 'aes',
      msg_signature: await sign([TEST_SETTINGS.WECHAT_TOKEN, timestamp, nonce, encrypted]),
    })
    const body =
      format === 'json'
        ? JSON.stringify({ ToUserName: 'gh_x', Encrypt: encrypted })
        : `<xml><ToUserName>gh_x</ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`
    return post(query, body)
  }

  it('a tampered ciphertext, correctly signed', async () => {
    const encrypted = await encrypt(await testCipher(), '<xml><MsgType>text</MsgType></xml>')
    const tampered = `${encrypted.slice(0, 10)}${encrypted[10] === 'A' ? 'B' : 'A'}${encrypted.slice(11)}`
    const res = await sealedBody(tampered)
    expect(res.status).toBe(400)
  })

  it('bad base64', async () => {
    await refused(await sealedBody('***not base64***'), 400, /base64/)
  })

  it('a ciphertext for another appid', async () => {
    const other = await importCipher(TEST_SETTINGS.WECHAT_ENCODING_AES_KEY, 'wx0000000000000000')
    const sent = await encrypt(other, JSON.stringify(textMessage(OPENID, 'hi', '1')))
    await refused(await sealedBody(sent, 'json'), 400, /appid/)
  })

  it('a stale timestamp (a replayed push)', async () => {
    await refused(await push(textMessage(OPENID, 'hi', '1'), 'safe', 'xml', { timestamp: now() - 301 }), 401, /timestamp/)
  })

  it('an oversized body, with and without Content-Length', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1)
    const { query } = await buildPush(textMessage(OPENID, 'hi', '1'), await pushOptions('plaintext', 'xml'))
    await refused(await post(query, big), 413, /too large/)
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 17; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(65536)))
        controller.close()
      },
    })
    await refused(await post(query, stream), 413, /too large/)
  })

  it('malformed XML and JSON, in plaintext and inside the ciphertext', async () => {
    await refused(await push('<xml><ToUserName>a</xml>', 'plaintext', 'xml'), 400, /XML/)
    await refused(await push('{"ToUserName":', 'plaintext', 'json'), 400, /JSON/)
    await refused(await push('<xml><ToUserName>a</xml>', 'safe', 'xml'), 400, /XML/)
    await refused(await push('[1,2]', 'safe', 'json'), 400, /neither XML nor JSON/)
    await refused(await push('{"MsgType":null}', 'safe', 'json'), 400, /ToUserName/)
    await refused(await push('hello', 'plaintext', 'xml'), 400, /neither XML nor JSON/)
  })

  it('an XML entity bomb, without expanding it', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>`
    await refused(await push(bomb, 'plaintext', 'xml'), 400, /document type/)
    await refused(await push(bomb, 'safe', 'xml'), 400, /document type/)
    const undeclared = '<xml><Content>&ext;</Content></xml>'
    await refused(await push(undeclared, 'plaintext', 'xml'), 400, /XML/)
  })

  it('deep nesting', async () => {
    const deep = `<xml>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</xml>`
    await refused(await push(deep, 'plaintext', 'xml'), 400, /deeply/)
  })

  it('missing and mistyped fields, naming the field', async () => {
    const { MsgId: _, ...noId } = textMessage(OPENID, 'hi', '1')
    await refused(await push(noId, 'safe', 'json'), 400, /MsgId/)
    await refused(await push({ ...textMessage(OPENID, 'hi', '1'), CreateTime: 'soon' }, 'safe', 'json'), 400, /CreateTime/)
    await refused(await push('{"MsgType":"text"}', 'safe', 'json'), 400, /ToUserName/)
    await refused(await push(textMessage('o/../../etc', 'hi', '1'), 'safe', 'xml'), 400, /FromUserName: is not an openid/)
    await refused(await push(textMessage('o'.repeat(65), 'hi', '1'), 'plaintext', 'json'), 400, /FromUserName/)
    await refused(
      await push('{"ToUserName":"a","FromUserName":"b","CreateTime":1,"MsgType":"text","Content":{"x":1},"MsgId":1}', 'plaintext', 'json'),
      400,
      /Content/,
    )
  })

  it('a safe-mode push without Encrypt or msg_signature', async () => {
    const { query, body } = await buildPush(textMessage(OPENID, 'hi', '1'), await pushOptions('safe', 'xml'))
    query.delete('msg_signature')
    await refused(await post(query, body), 400, /msg_signature/)
    const q2 = new URLSearchParams(query)
    q2.set('msg_signature', 'x')
    await refused(await post(q2, '<xml><ToUserName>gh</ToUserName></xml>'), 400, /Encrypt/)
  })
})
