/**
 * A reply's picture for 微信客服: WeChat Work takes only its own media_ids (`media/upload`,
 * valid 3 days), so an image, a link's thumbnail or a card's cover — named by URL or uploaded
 * in the console — is read as for the mini program (wechat/media.ts: https only, JPEG or PNG
 * by its bytes, bounded) and uploaded to WeChat Work once, its media_id kept in KV for less
 * than its life. A mini program's own media_id means nothing to WeChat Work: refused.
 *
 * KV key (see STORAGE.md): `wecom:media:<corpid>:<sha256 of the source, hex>` {media_id, createdAt}.
 */
import { toHex, utf8 } from '../wechat/bytes'
import { fetchImage, readCachedMedia, readStoredImage, writeCachedMedia, type ImageSource } from '../wechat/media'
import type { KfClient } from './client'

export interface KfMediaHost {
  client: KfClient
  corpid: string
  cache: KVNamespace
  files: R2Bucket | undefined
  timeoutMs: number
  now?: () => number
}

export async function kfMediaId(host: KfMediaHost, source: ImageSource): Promise<string> {
  const now = host.now ?? Date.now
  const key = await kfMediaKey(host.corpid, source)
  // The mini program's media_id cache, under WeChat Work's own keys.
  const cached = await readCachedMedia(host.cache, key, now())
  if (cached) return cached
  const image = 'url' in source ? await fetchImage(source.url, host.timeoutMs) : await readStoredImage(host.files, source.file)
  const mediaId = await host.client.uploadImage(image)
  await writeCachedMedia(host.cache, key, { media_id: mediaId, createdAt: now() })
  return mediaId
}

async function kfMediaKey(corpid: string, source: ImageSource): Promise<string> {
  const name = 'url' in source ? source.url : `file:${source.file}`
  const digest = await crypto.subtle.digest('SHA-256', utf8.encode(name))
  return `wecom:media:${corpid}:${toHex(new Uint8Array(digest))}`
}
