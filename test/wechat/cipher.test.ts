import { describe, expect, it } from 'vitest'
import vectors from '../support/fixtures/wechat-vectors.json'
import { decodeAesKey, decrypt, encrypt, importCipher } from '../../src/wechat/cipher'
import { fromBase64 } from '../../src/wechat/bytes'
import { PushError } from '../../src/wechat/errors'
import { sealReply } from '../../src/wechat/reply'
import { sign } from '../../src/wechat/signature'
import { rejection } from '../support/helpers'

const hexBytes = (hex: string): Uint8Array<ArrayBuffer> => new Uint8Array(new TextEncoder().encode(hex))

describe('official vectors', () => {
  it('signs the URL check', async () => {
    const v = vectors.url_verification
    expect(await sign([v.token, v.timestamp, v.nonce])).toBe(v.signature)
  })

  it('signs and decrypts the safe-mode JSON push (a 19-byte pad)', async () => {
    const v = vectors.safe_mode_json_push
    expect(await sign([v.token, v.query.timestamp, v.query.nonce, v.body.Encrypt])).toBe(v.query.msg_signature)
    const cipher = await importCipher(v.encoding_aes_key, v.appid)
    expect(await decrypt(cipher, v.body.Encrypt)).toEqual({
      message: v.decrypted.msg,
      appid: v.decrypted.appid,
    })
  })

  it('decrypts the safe-mode XML push (a 1-byte pad)', async () => {
    const v = vectors.safe_mode_xml_push
    expect(await sign([v.token, v.timestamp, v.nonce, v.encrypt])).toBe(v.msg_signature)
    const cipher = await importCipher(v.encoding_aes_key, v.appid)
    expect((await decrypt(cipher, v.encrypt)).message).toBe(v.decrypted.msg)
  })

  it('encrypts the JSON reply byte for byte', async () => {
    const v = vectors.safe_mode_json_reply
    const cipher = await importCipher(v.encoding_aes_key, v.appid)
    expect(await encrypt(cipher, v.msg, hexBytes(v.random))).toBe(v.encrypt)
    const sealed = await sealReply(cipher, 'json', v.msg, {
      token: v.token,
      timestamp: Number(v.timestamp),
      nonce: v.nonce,
      random: hexBytes(v.random),
    })
    expect(JSON.parse(sealed)).toEqual(v.reply)
  })

  it('counts UTF-8 bytes, not characters', async () => {
    const v = vectors.utf8_encrypt
    const cipher = await importCipher(v.encoding_aes_key, v.appid)
    expect(await encrypt(cipher, v.msg, hexBytes(v.random))).toBe(v.encrypt)
    expect((await decrypt(cipher, v.encrypt)).message).toBe(v.msg)
  })
})

describe('round trip', () => {
  it('every length from 0 to 300 bytes, ASCII and multi-byte UTF-8', async () => {
    const cipher = await importCipher('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 'wxb11529c136998cb6')
    const units = ['a', '中', '😀', 'é']
    for (let length = 0; length <= 300; length++) {
      let message = ''
      for (let i = 0; new TextEncoder().encode(message).length < length; i++) {
        message += units[(length + i) % units.length]
      }
      const encrypted = await encrypt(cipher, message)
      expect(fromBase64(encrypted)!.length % 32).toBe(0)
      expect((await decrypt(cipher, encrypted)).message).toBe(message)
    }
  })
})

describe('refusals', () => {
  const key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'

  it('rejects a ciphertext for another appid', async () => {
    const ours = await importCipher(key, 'wx0000000000000001')
    const theirs = await importCipher(key, 'wx0000000000000002')
    const error = await rejection(decrypt(ours, await encrypt(theirs, 'hello')), PushError)
    expect(error).toMatchObject({ status: 400, message: 'appid does not match' })
  })

  it('rejects bad base64 and partial blocks', async () => {
    const cipher = await importCipher(key, 'wx0000000000000001')
    expect((await rejection(decrypt(cipher, '!!notbase64!!'), PushError)).status).toBe(400)
    expect((await rejection(decrypt(cipher, 'AAAA'), PushError)).message).toMatch(/blocks/)
    expect((await rejection(decrypt(cipher, ''), PushError)).status).toBe(400)
  })

  it('rejects a tampered ciphertext', async () => {
    const cipher = await importCipher(key, 'wx0000000000000001')
    const bytes = fromBase64(await encrypt(cipher, 'hello world'))!
    bytes[bytes.length - 1]! ^= 0x01
    const tampered = btoa(String.fromCharCode(...bytes))
    expect((await rejection(decrypt(cipher, tampered), PushError)).status).toBe(400)
  })

  it('rejects a length field that does not fit', async () => {
    // Build a ciphertext whose length field claims more bytes than follow.
    const cipher = await importCipher(key, 'wx0000000000000001')
    const raw = decodeAesKey(key)!
    const plain = new Uint8Array(64)
    new DataView(plain.buffer).setUint32(16, 0xffffff00)
    plain.fill(64 - 40, 40) // not a valid pad either way: pad byte 24 over the last 24 bytes
    const aes = await crypto.subtle.importKey('raw', raw, 'AES-CBC', false, ['encrypt'])
    const out = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: raw.slice(0, 16) }, aes, plain))
    const encrypted = btoa(String.fromCharCode(...out.subarray(0, 64)))
    expect(await rejection(decrypt(cipher, encrypted), PushError)).toMatchObject({
      message: 'length field does not fit',
    })
  })

  it('decodes only 43-character keys of 32 bytes', () => {
    expect(decodeAesKey(key)).toHaveLength(32)
    expect(decodeAesKey(key.slice(1))).toBeNull()
    expect(decodeAesKey(`${key.slice(1)}!`)).toBeNull()
  })
})

describe('fromBase64', () => {
  it('is strict: padded, the standard alphabet, no whitespace anywhere', () => {
    expect(fromBase64('QUJDRA==')).toEqual(new Uint8Array([65, 66, 67, 68]))
    expect(fromBase64('QUJD')).toEqual(new Uint8Array([65, 66, 67]))
    for (const bad of ['QUJDRA=', 'QUJD RA=', 'QUJD\nRA==', ' QUJDRA=', 'QUJD-A==', 'QUJD_A==', 'QU=DRA==', 'QUJDRA=a', 'QUJDR===']) {
      expect(fromBase64(bad), JSON.stringify(bad)).toBeNull()
    }
  })
})
