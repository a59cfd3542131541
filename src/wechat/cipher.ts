/**
 * WXBizMsgCrypt, WeChat's message encryption, on WebCrypto.
 *
 * Key = base64(EncodingAESKey + "="), AES-256-CBC with IV = key[0..16]. The plaintext is
 * random(16) + length(4, big-endian) + message + appid, padded with PKCS#7 to a 32-byte block.
 * WebCrypto only speaks 16-byte PKCS#7, which rejects or half-strips WeChat's 17..32-byte pads,
 * so both directions work around it (see decryptRaw and encryptRaw).
 */
import { badRequest } from './errors'
import { fromBase64, toBase64, utf8, utf8Strict } from './bytes'

const BLOCK = 32
const AES_BLOCK = 16
const RANDOM_BYTES = 16
const HEADER = RANDOM_BYTES + 4

export interface Cipher {
  readonly appid: string
  readonly key: CryptoKey
  readonly iv: Uint8Array<ArrayBuffer>
}

export interface Decrypted {
  /** The inner message (XML or JSON text). */
  message: string
  /** The appid carried after the message; equals the cipher's appid when decrypt returns. */
  appid: string
}

/** An EncodingAESKey is 43 base64 characters that decode to 32 bytes; null if not. */
export function decodeAesKey(encodingAesKey: string): Uint8Array<ArrayBuffer> | null {
  if (encodingAesKey.length !== 43) return null
  const key = fromBase64(`${encodingAesKey}=`)
  return key?.length === 32 ? key : null
}

const cipherCache = new Map<string, Promise<Cipher>>()

/**
 * Importing a key costs about as much as a decrypt, so a warm isolate keeps one per
 * key/appid pair. Throws on a malformed key: callers check settings first.
 */
export function importCipher(encodingAesKey: string, appid: string): Promise<Cipher> {
  const cacheKey = `${appid}\u0000${encodingAesKey}`
  let cipher = cipherCache.get(cacheKey)
  if (!cipher) {
    cipher = createCipher(encodingAesKey, appid)
    cipherCache.set(cacheKey, cipher)
    cipher.catch(() => cipherCache.delete(cacheKey))
  }
  return cipher
}

async function createCipher(encodingAesKey: string, appid: string): Promise<Cipher> {
  const raw = decodeAesKey(encodingAesKey)
  if (!raw) throw new Error('WECHAT_ENCODING_AES_KEY is not 43 base64 characters')
  const key = await crypto.subtle.importKey('raw', raw, 'AES-CBC', false, ['encrypt', 'decrypt'])
  return { appid, key, iv: raw.slice(0, AES_BLOCK) }
}

/** Decrypts an Encrypt field; a PushError(400) for anything that is not our ciphertext. */
export async function decrypt(cipher: Cipher, encrypted: string): Promise<Decrypted> {
  const bytes = fromBase64(encrypted)
  if (!bytes) throw badRequest('Encrypt is not base64')
  if (bytes.length === 0 || bytes.length % BLOCK !== 0) {
    throw badRequest('Encrypt is not a whole number of blocks')
  }
  const plain = unpad(await decryptRaw(cipher, bytes))
  if (plain.length < HEADER) throw badRequest('ciphertext too short')

  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength)
  const length = view.getUint32(RANDOM_BYTES)
  if (length > plain.length - HEADER) throw badRequest('length field does not fit')

  const appidBytes = plain.subarray(HEADER + length)
  let message: string
  let appid: string
  try {
    message = utf8Strict.decode(plain.subarray(HEADER, HEADER + length))
    appid = utf8Strict.decode(appidBytes)
  } catch {
    throw badRequest('decrypted text is not UTF-8')
  }
  if (appid !== cipher.appid) throw badRequest('appid does not match')
  return { message, appid }
}

/**
 * Encrypts a message for WeChat. `random` is 16 bytes (tests pin it to reproduce the
 * official vectors); by default it comes from crypto.getRandomValues.
 */
export async function encrypt(
  cipher: Cipher,
  message: string,
  random: Uint8Array<ArrayBuffer> = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)),
): Promise<string> {
  if (random.length !== RANDOM_BYTES) throw new Error('random must be 16 bytes')
  const body = utf8.encode(message)
  const appid = utf8.encode(cipher.appid)
  const length = HEADER + body.length + appid.length
  const pad = BLOCK - (length % BLOCK)
  const plain = new Uint8Array(length + pad)
  plain.set(random, 0)
  new DataView(plain.buffer).setUint32(RANDOM_BYTES, body.length)
  plain.set(body, HEADER)
  plain.set(appid, HEADER + body.length)
  plain.fill(pad, length)
  return toBase64(await encryptRaw(cipher, plain))
}

/**
 * Raw CBC decryption through WebCrypto's padded AES-CBC: encrypting an empty plaintext with
 * the last ciphertext block as IV yields the one block that decrypts to a valid 16-byte pad.
 * Appended, it makes WebCrypto strip exactly that block and leave WeChat's padding intact.
 */
async function decryptRaw(cipher: Cipher, bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const lastBlock = bytes.subarray(bytes.length - AES_BLOCK)
  const padBlock = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: lastBlock }, cipher.key, new Uint8Array(0)))
  const extended = new Uint8Array(bytes.length + AES_BLOCK)
  extended.set(bytes)
  extended.set(padBlock, bytes.length)
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: cipher.iv }, cipher.key, extended))
}

/** Raw CBC encryption of already padded input: WebCrypto's own pad block is dropped. */
async function encryptRaw(cipher: Cipher, padded: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const out = await crypto.subtle.encrypt({ name: 'AES-CBC', iv: cipher.iv }, cipher.key, padded)
  return new Uint8Array(out, 0, padded.length)
}

/** Strips WeChat's PKCS#7 padding (1..32 bytes, every pad byte equal to the pad length). */
function unpad(plain: Uint8Array): Uint8Array {
  const pad = plain[plain.length - 1] ?? 0
  if (pad < 1 || pad > BLOCK || pad > plain.length) throw badRequest('bad padding')
  for (let i = plain.length - pad; i < plain.length; i++) {
    if (plain[i] !== pad) throw badRequest('bad padding')
  }
  return plain.subarray(0, plain.length - pad)
}
