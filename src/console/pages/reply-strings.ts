/**
 * The words of a reply's form and its preview (pages/reply-fields.tsx), in Chinese and English.
 */
import type { Strings } from '../lang'
import type { PartType } from '../reply-form'

export const REPLY_STRINGS: Strings<{
  reply: string
  part: (n: number) => string
  types: Record<PartType, string>
  text: string
  image: string
  upload: string
  uploaded: string
  clearFile: string
  orUrl: string
  imageUrlHint: string
  mediaId: string
  advanced: string
  title: string
  description: string
  linkUrl: string
  thumb: string
  cover: string
  coverHint: string
  thumbUrl: string
  appid: string
  appidHint: string
  pagepath: string
  pagepathHint: string
  transfer: string
  addPart: string
  random: string
  choice: (n: number) => string
  addChoice: string
  removeChoice: string
  up: string
  down: string
  remove: string
  seen: string
  miniProgram: string
  noPicture: string
  transferNote: string
  mediaIdImage: string
}> = {
  zh: {
    reply: '回复',
    part: (n) => `第 ${n} 条`,
    types: { text: '文字', image: '图片', link: '图文链接', miniprogrampage: '小程序卡片', transfer: '转人工客服' },
    text: '文字',
    image: '图片',
    upload: '从电脑或手机选择图片（JPG 或 PNG）',
    uploaded: '已上传的图片',
    clearFile: '移除图片',
    orUrl: '或填写图片网址',
    imageUrlHint: 'https://…/图片.jpg',
    mediaId: 'media_id（微信素材 ID，3 天有效）',
    advanced: '更多',
    title: '标题',
    description: '描述',
    linkUrl: '点击后打开的网址',
    thumb: '缩略图',
    cover: '封面图',
    coverHint: '建议 520×416',
    thumbUrl: '或填写图片网址',
    appid: '小程序 AppID（留空为本小程序）',
    appidHint: 'wx…',
    pagepath: '页面路径',
    pagepathHint: 'pages/index/index?from=kefu',
    transfer: '把用户转给人工客服（只对用户消息有效，不能用于事件）。',
    addPart: '添加一条',
    random: '随机回复：每次从下面几组中随机选一组发送',
    choice: (n) => `第 ${n} 组`,
    addChoice: '添加一组',
    removeChoice: '删除这一组',
    up: '上移',
    down: '下移',
    remove: '删除',
    seen: '用户看到的样子',
    miniProgram: '小程序',
    noPicture: '（还没有图片）',
    transferNote: '转人工客服',
    mediaIdImage: '微信素材',
  },
  en: {
    reply: 'Reply',
    part: (n) => `Part ${n}`,
    types: { text: 'Text', image: 'Image', link: 'Link', miniprogrampage: 'Mini-program card', transfer: 'Hand to a person' },
    text: 'Text',
    image: 'Image',
    upload: 'Choose an image from your computer or phone (JPG or PNG)',
    uploaded: 'Uploaded image',
    clearFile: 'Remove the image',
    orUrl: 'or an image URL',
    imageUrlHint: 'https://…/picture.jpg',
    mediaId: 'media_id (a WeChat media id, valid 3 days)',
    advanced: 'More',
    title: 'Title',
    description: 'Description',
    linkUrl: 'URL it opens',
    thumb: 'Thumbnail',
    cover: 'Cover',
    coverHint: '520×416 suggested',
    thumbUrl: 'or an image URL',
    appid: 'Mini program AppID (empty: this one)',
    appidHint: 'wx…',
    pagepath: 'Page path',
    pagepathHint: 'pages/index/index?from=kefu',
    transfer: 'Hands the user to a person (user messages only, never events).',
    addPart: 'Add a part',
    random: 'Random: each message gets one of the groups below, picked at random',
    choice: (n) => `Group ${n}`,
    addChoice: 'Add a group',
    removeChoice: 'Delete this group',
    up: 'Up',
    down: 'Down',
    remove: 'Delete',
    seen: 'What the user sees',
    miniProgram: 'Mini program',
    noPicture: '(no picture yet)',
    transferNote: 'Handed to a person',
    mediaIdImage: 'WeChat media',
  },
}

export type ReplyText = (typeof REPLY_STRINGS)['zh']
