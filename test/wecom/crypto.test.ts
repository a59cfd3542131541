/**
 * Opening the 微信客服 callback: WeChat Work's own sample vectors (the WXBizMsgCrypt samples'
 * token QDG6eK, receive id wx5823bf96d3bd56c7), notices sealed by the stand-in, and each way
 * a callback is refused.
 */
import { describe, expect, it } from 'vitest'
import { noticeXml, sealNotice, urlCheck, type CallbackKeys } from '../../dev/fake-wecom-callback'
import { importCipher } from '../../src/wechat/cipher'
import { PushError } from '../../src/wechat/errors'
import { openKfCallback, verifyKfUrl, type KfCallbackKeys } from '../../src/wecom/crypto'

const now = () => Math.floor(Date.now() / 1000)

/** WeChat Work's sample (WXBizMsgCrypt, every language's Sample file). */
const SAMPLE = { token: 'QDG6eK', corpid: 'wx5823bf96d3bd56c7', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' }

const KEYS: CallbackKeys = { corpid: 'ww0a1b2c3d4e5f6a7b', token: 'kfCryptoToken', aesKey: 'KvW5hkBIldq1UljqxuMyD7uA1W+Ttq6Yn17j0D58uYk' }

function keysFor(keys: CallbackKeys, at = now()): KfCallbackKeys {
  return { token: keys.token, cipher: () => importCipher(keys.aesKey, keys.corpid), maxAgeSeconds: 300, now: at }
}

function query(params: URLSearchParams) {
  return Object.fromEntries(params)
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PushError)
  const { status, message } = error as PushError
  return { status, message }
}

describe('verifyKfUrl (GET URL check)', () => {
  it("opens WeChat Work's sample echostr", async () => {
    const sample = {
      msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
      timestamp: '1409659589',
      nonce: '263014780',
      echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
    }
    const keys = { ...SAMPLE }
    expect(await verifyKfUrl(sample, keysFor(keys, 1409659589))).toBe('1616140317555161061')
    // The same request today is stale: refused before anything is decrypted.
    expect(await refusal(verifyKfUrl(sample, keysFor(keys)))).toEqual({ status: 401, message: 'timestamp too far from now' })
  })

  it('answers the plaintext of a stand-in check, and refuses a tampered one', async () => {
    const params = await urlCheck(KEYS, '8273645512')
    expect(await verifyKfUrl(query(params), keysFor(KEYS))).toBe('8273645512')
    params.set('msg_signature', 'a'.repeat(40))
    expect((await refusal(verifyKfUrl(query(params), keysFor(KEYS)))).status).toBe(401)
  })

  it('needs every parameter', async () => {
    const params = await urlCheck(KEYS, '1')
    params.delete('echostr')
    expect((await refusal(verifyKfUrl(query(params), keysFor(KEYS)))).status).toBe(400)
  })
})

describe('openKfCallback (POST)', () => {
  it('opens a notice sealed by the stand-in', async () => {
    const createTime = now() - 3
    const { query: params, body } = await sealNotice(KEYS, {
      syncToken: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mw',
      openKfId: 'wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw',
      createTime,
    })
    expect(body).toContain('<AgentID>')
    expect(await openKfCallback(query(params), body, keysFor(KEYS))).toEqual({
      kind: 'notice',
      notice: { token: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mw', openKfId: 'wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw', createTime },
    })
  })

  it("verifies and decrypts WeChat Work's sample POST, then refuses it: a text message is no kf notice", async () => {
    const body =
      '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>'
    const sample = { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' }
    const keys = keysFor(SAMPLE, 1409659813)
    expect(await refusal(openKfCallback(sample, body, keys))).toEqual({ status: 400, message: 'not a kf_msg_or_event notice' })
    // One character of the signature off: 401, before decryption.
    const tampered = { ...sample, msg_signature: '577715d11cdb4164915debcba66cb864d751f3e6' }
    expect((await refusal(openKfCallback(tampered, body, keys))).status).toBe(401)
  })

  it('refuses a tampered signature, body or nonce with 401', async () => {
    const { query: params, body } = await sealNotice(KEYS, { syncToken: 'T', openKfId: 'wk1' })
    const keys = keysFor(KEYS)
    const signature = params.get('msg_signature') ?? ''
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`
    expect(await refusal(openKfCallback({ ...query(params), msg_signature: flipped }, body, keys))).toEqual({
      status: 401,
      message: 'bad msg_signature',
    })
    expect((await refusal(openKfCallback({ ...query(params), nonce: '1' }, body, keys))).status).toBe(401)
    const otherBody = (await sealNotice(KEYS, { syncToken: 'T', openKfId: 'wk2' })).body
    expect((await refusal(openKfCallback(query(params), otherBody, keys))).status).toBe(401)
  })

  it('refuses a stale timestamp as /wechat does (PUSH_MAX_AGE_SECONDS), and one from the future', async () => {
    for (const timestamp of [now() - 301, now() + 301]) {
      const { query: params, body } = await sealNotice(KEYS, { syncToken: 'T', openKfId: 'wk1' }, { timestamp })
      expect(await refusal(openKfCallback(query(params), body, keysFor(KEYS)))).toEqual({
        status: 401,
        message: 'timestamp too far from now',
      })
    }
  })

  it('opens the accounts’ authorization changing, its account elements repeated', async () => {
    const xml =
      `<xml><ToUserName><![CDATA[${KEYS.corpid}]]></ToUserName><CreateTime>${now()}</CreateTime>` +
      '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_account_auth_change]]></Event>' +
      '<AuthAddOpenKfId><![CDATA[wkAdded1]]></AuthAddOpenKfId><AuthAddOpenKfId><![CDATA[wkAdded2]]></AuthAddOpenKfId>' +
      '<AuthDelOpenKfId><![CDATA[wkGone]]></AuthDelOpenKfId></xml>'
    const auth = await sealNotice(KEYS, xml)
    expect(await openKfCallback(query(auth.query), auth.body, keysFor(KEYS))).toEqual({
      kind: 'auth_change',
      added: ['wkAdded1', 'wkAdded2'],
      removed: ['wkGone'],
    })
    // Forged, it is refused before anything is read.
    const forged = await sealNotice({ ...KEYS, token: 'notTheToken' }, xml)
    expect((await refusal(openKfCallback(query(forged.query), forged.body, keysFor(KEYS)))).status).toBe(401)
  })

  it('refuses, with 400, what is neither a notice nor an authorization change', async () => {
    const keys = keysFor(KEYS)
    const other = await sealNotice(KEYS, { syncToken: 'T', openKfId: 'wk1', event: 'change_external_contact' })
    expect(await refusal(openKfCallback(query(other.query), other.body, keys))).toEqual({
      status: 400,
      message: 'not a kf_msg_or_event notice (Event change_external_contact)',
    })
    const noToken = await sealNotice(KEYS, noticeXml(KEYS.corpid, { syncToken: '', openKfId: 'wk1' }))
    expect((await refusal(openKfCallback(query(noToken.query), noToken.body, keys))).status).toBe(400)
    const notXml = await sealNotice(KEYS, '{"Event":"kf_msg_or_event"}')
    expect((await refusal(openKfCallback(query(notXml.query), notXml.body, keys))).status).toBe(400)
    const doctype = await sealNotice(KEYS, '<!DOCTYPE xml [<!ENTITY a "b">]><xml><Event>&a;</Event></xml>')
    expect((await refusal(openKfCallback(query(doctype.query), doctype.body, keys))).status).toBe(400)
  })

  it("refuses a notice sealed for another corp's receive id (400), and a body without Encrypt", async () => {
    const keys = keysFor(KEYS)
    const other = await sealNotice({ ...KEYS, corpid: 'wwffffffffffffffff' }, { syncToken: 'T', openKfId: 'wk1' })
    expect((await refusal(openKfCallback(query(other.query), other.body, keys))).status).toBe(400)
    const { query: params } = await sealNotice(KEYS, { syncToken: 'T', openKfId: 'wk1' })
    expect(await refusal(openKfCallback(query(params), '<xml><ToUserName>x</ToUserName></xml>', keys))).toEqual({
      status: 400,
      message: 'Encrypt is missing',
    })
    expect((await refusal(openKfCallback({}, '<xml/>', keys))).status).toBe(400)
  })
})
