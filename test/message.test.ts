/** Parsing every documented push shape, in XML and in JSON, into the typed message. */
import { describe, expect, it } from 'vitest'
import { PushError } from '../src/wechat/errors'
import { dedupKey, parseFields, sniffFormat, toInboundMessage, type InboundMessage } from '../src/wechat/message'
import { rejection } from './helpers'

const parse = (body: string): InboundMessage => toInboundMessage(parseFields(sniffFormat(body), body))

const head = (type: string) =>
  `<ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1714112445</CreateTime><MsgType><![CDATA[${type}]]></MsgType>`
const jsonHead = { ToUserName: 'gh_x', FromUserName: 'oUser', CreateTime: 1714112445 }
const base = { toUserName: 'gh_x', fromUserName: 'oUser', createTime: 1714112445 }

describe('user messages', () => {
  it('image', () => {
    const xml = `<xml>${head('image')}<PicUrl><![CDATA[https://mmbiz/p.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>23456789012345678</MsgId></xml>`
    const expected = { ...base, type: 'image', picUrl: 'https://mmbiz/p.jpg', mediaId: 'm1', msgId: '23456789012345678' }
    expect(parse(xml)).toEqual(expected)
    const json = JSON.stringify({ ...jsonHead, MsgType: 'image', PicUrl: 'https://mmbiz/p.jpg', MediaId: 'm1', MsgId: 0 })
    expect(parse(json.replace('"MsgId":0', '"MsgId":23456789012345678'))).toEqual(expected)
  })

  it('miniprogrampage', () => {
    const xml = `<xml>${head('miniprogrampage')}<MsgId>1</MsgId><Title><![CDATA[首页]]></Title><AppId><![CDATA[wx1234567890abcdef]]></AppId><PagePath><![CDATA[pages/index/index?a=1&b=2]]></PagePath><ThumbUrl><![CDATA[https://t/x.png]]></ThumbUrl><ThumbMediaId><![CDATA[tm]]></ThumbMediaId></xml>`
    expect(parse(xml)).toEqual({
      ...base,
      type: 'miniprogrampage',
      msgId: '1',
      title: '首页',
      appId: 'wx1234567890abcdef',
      pagePath: 'pages/index/index?a=1&b=2',
      thumbUrl: 'https://t/x.png',
      thumbMediaId: 'tm',
    })
  })

  it('text keeps XML escapes decoded and CDATA as written', () => {
    const xml = `<xml>${head('text')}<Content>a &amp; b &lt;c&gt;</Content><MsgId>7</MsgId></xml>`
    expect(parse(xml)).toMatchObject({ type: 'text', content: 'a & b <c>', msgId: '7' })
  })
})

describe('events', () => {
  it('user_enter_tempsession with and without SessionFrom', () => {
    const xml = `<xml>${head('event')}<Event><![CDATA[user_enter_tempsession]]></Event><SessionFrom><![CDATA[pay]]></SessionFrom></xml>`
    expect(parse(xml)).toEqual({ ...base, type: 'user_enter_tempsession', sessionFrom: 'pay' })
    const json = JSON.stringify({ ...jsonHead, MsgType: 'event', Event: 'user_enter_tempsession' })
    expect(parse(json)).toEqual({ ...base, type: 'user_enter_tempsession', sessionFrom: '' })
  })

  it('subscribe_msg_popup_event: XML wraps each List, JSON has one object or an array', () => {
    const xml = `<xml>${head('event')}<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[t1]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List><List><TemplateId><![CDATA[t2]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent></xml>`
    const items = [
      { templateId: 't1', status: 'accept', popupScene: 2 },
      { templateId: 't2', status: 'reject', popupScene: 2 },
    ]
    expect(parse(xml)).toEqual({ ...base, type: 'subscribe_msg_popup_event', items })
    const one = JSON.stringify({
      ...jsonHead,
      CreateTime: '1714112445',
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: { TemplateId: 't1', SubscribeStatusString: 'accept', PopupScene: '2' },
    })
    expect(parse(one)).toEqual({ ...base, type: 'subscribe_msg_popup_event', items: [items[0]] })
    const many = JSON.stringify({
      ...jsonHead,
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: [
        { TemplateId: 't1', SubscribeStatusString: 'accept', PopupScene: 2 },
        { TemplateId: 't2', SubscribeStatusString: 'reject', PopupScene: '2' },
      ],
    })
    expect(parse(many)).toEqual({ ...base, type: 'subscribe_msg_popup_event', items })
  })

  it('subscribe_msg_change_event', () => {
    const xml = `<xml>${head('event')}<Event><![CDATA[subscribe_msg_change_event]]></Event><SubscribeMsgChangeEvent><List><TemplateId><![CDATA[t1]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent></xml>`
    expect(parse(xml)).toEqual({ ...base, type: 'subscribe_msg_change_event', items: [{ templateId: 't1', status: 'reject' }] })
  })

  it('subscribe_msg_sent_event keeps the 64-bit MsgID exact, in XML and JSON', () => {
    const item = { templateId: 't1', msgId: '1700827132819554304', errorCode: 0, errorStatus: 'success' }
    const xml = `<xml>${head('event')}<Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[t1]]></TemplateId><MsgID>1700827132819554304</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>`
    expect(parse(xml)).toEqual({ ...base, type: 'subscribe_msg_sent_event', items: [item] })
    const json = `{"ToUserName":"gh_x","FromUserName":"oUser","CreateTime":1714112445,"MsgType":"event","Event":"subscribe_msg_sent_event","List":{"TemplateId":"t1","MsgID":1700827132819554304,"ErrorCode":0,"ErrorStatus":"success"}}`
    expect(parse(json)).toEqual({ ...base, type: 'subscribe_msg_sent_event', items: [item] })
  })

  it('an event or message type nobody documents is unknown, not an error', () => {
    const json = JSON.stringify({ ...jsonHead, MsgType: 'event', Event: 'debug_demo', debug_str: 'hello world' })
    expect(parse(json)).toEqual({ ...base, type: 'unknown', msgType: 'event', event: 'debug_demo' })
    expect(parse(JSON.stringify({ ...jsonHead, MsgType: 'voice' }))).toEqual({ ...base, type: 'unknown', msgType: 'voice' })
  })

  it('a subscribe event without its List is malformed', async () => {
    const json = JSON.stringify({ ...jsonHead, MsgType: 'event', Event: 'subscribe_msg_change_event' })
    const error = await rejection(Promise.resolve().then(() => parse(json)), PushError)
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/^List/) })
  })
})

describe('dedup keys', () => {
  it('messages by MsgId, events by user, time and event', () => {
    expect(dedupKey({ ...base, type: 'text', msgId: '9', content: 'x' })).toBe('msg:9')
    expect(dedupKey({ ...base, type: 'user_enter_tempsession', sessionFrom: '' })).toBe(
      'event:oUser:1714112445:user_enter_tempsession',
    )
  })
})
