/**
 * Turning a planned reply, as the outbox stores it, into the custom/send body WeChat
 * expects: images and card covers given by URL are uploaded first (the client caches their
 * media_id).
 */
import type { ReplyMessage } from '../replies'
import type { CustomMessage } from '../wechat/api'
import type { StoredReply } from './outbox'

export interface MediaUploader {
  uploadImage(url: string): Promise<string>
}

export async function toCustomMessage(reply: ReplyMessage, media: MediaUploader, ownAppid: string): Promise<CustomMessage> {
  switch (reply.type) {
    case 'text':
      return { msgtype: 'text', text: { content: reply.text } }
    case 'image': {
      const media_id = 'url' in reply ? await media.uploadImage(reply.url) : reply.media_id
      return { msgtype: 'image', image: { media_id } }
    }
    case 'link':
      return {
        msgtype: 'link',
        link: {
          title: reply.title,
          description: reply.description,
          url: reply.url,
          thumb_url: reply.thumb_url,
        },
      }
    case 'miniprogrampage': {
      const thumb_media_id = 'thumb_url' in reply ? await media.uploadImage(reply.thumb_url) : reply.thumb_media_id
      return {
        msgtype: 'miniprogrampage',
        miniprogrampage: {
          title: reply.title,
          pagepath: reply.pagepath,
          thumb_media_id,
          appid: reply.appid ?? ownAppid,
        },
      }
    }
  }
}

/** The image URLs a reply uploads (their media_ids come from the cache when they can). */
export function uploadedUrls(reply: ReplyMessage): string[] {
  if (reply.type === 'image' && 'url' in reply) return [reply.url]
  if (reply.type === 'miniprogrampage' && 'thumb_url' in reply) return [reply.thumb_url]
  return []
}

/** A stored reply, or null when the row cannot be read. */
export function parseReply(json: string): StoredReply | null {
  try {
    return JSON.parse(json) as StoredReply
  } catch {
    return null
  }
}
