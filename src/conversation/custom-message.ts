/**
 * Turning a planned reply, as the outbox stores it, into the custom/send body WeChat
 * expects: images and card covers given by URL are uploaded first (the client caches their
 * media_id).
 */
import type { ReplyMessage } from '../replies'
import type { CustomMessage } from '../wechat/api'
import type { ImageSource } from '../wechat/media'
import type { StoredReply } from './outbox'

export interface MediaUploader {
  uploadImage(source: ImageSource): Promise<string>
}

export async function toCustomMessage(reply: ReplyMessage, media: MediaUploader, ownAppid: string): Promise<CustomMessage> {
  switch (reply.type) {
    case 'text':
      return { msgtype: 'text', text: { content: reply.text } }
    case 'image': {
      const media_id =
        'media_id' in reply ? reply.media_id : await media.uploadImage('url' in reply ? { url: reply.url } : { file: reply.file })
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
      const thumb_media_id =
        'thumb_media_id' in reply
          ? reply.thumb_media_id
          : await media.uploadImage('thumb_url' in reply ? { url: reply.thumb_url } : { file: reply.thumb_file })
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

/** The images a reply uploads (their media_ids come from the cache when they can). */
export function uploadedImages(reply: ReplyMessage): ImageSource[] {
  if (reply.type === 'image' && 'url' in reply) return [{ url: reply.url }]
  if (reply.type === 'image' && 'file' in reply) return [{ file: reply.file }]
  if (reply.type === 'miniprogrampage' && 'thumb_url' in reply) return [{ url: reply.thumb_url }]
  if (reply.type === 'miniprogrampage' && 'thumb_file' in reply) return [{ file: reply.thumb_file }]
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
