/**
 * A reply's picture for 微信客服: WeChat Work takes only its own media_ids (`media/upload`,
 * valid 3 days), so an image, a link's thumbnail or a card's cover — named by URL or uploaded
 * in the console — is read as for the mini program (wechat/media.ts: https only, JPEG or PNG
 * by its bytes, bounded) and uploaded to WeChat Work once, its media_id kept in KV for less
 * than its life. A mini program's own media_id means nothing to WeChat Work: refused.
 *
 * KV key (see STORAGE.md): `wecom:media:<corpid>:<sha256 of the source, hex>` {media_id, createdAt}.
 */
import { cachePut } from '../wechat/cache'
import { toHex, utf8 } from '../wechat/bytes'
import { fetchImage, MEDIA_CACHE_SECONDS, readStoredImage, type ImageSource } from '../wechat/media'
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
  const cached = await host.cache.get<{ media_id: string; createdAt: number }>(key, 'json')
  if (cached && typeof cached.media_id === 'string' && now() - cached.createdAt < MEDIA_CACHE_SECONDS * 1000) return cached.media_id
  const image = 'url' in source ? await fetchImage(source.url, host.timeoutMs) : await readStoredImage(host.files, source.file)
  const mediaId = await host.client.uploadImage(image)
  await cachePut(host.cache, key, JSON.stringify({ media_id: mediaId, createdAt: now() }), MEDIA_CACHE_SECONDS, 'media')
  return mediaId
}

async function kfMediaKey(corpid: string, source: ImageSource): Promise<string> {
  const name = 'url' in source ? source.url : `file:${source.file}`
  const digest = await crypto.subtle.digest('SHA-256', utf8.encode(name))
  return `wecom:media:${corpid}:${toHex(new Uint8Array(digest))}`
}
