/** Parsing every documented push shape, in XML and in JSON, into the typed message. */
import { describe, expect, it } from 'vitest'
import { PushError } from '../../src/wechat/errors'
import { dedupKey, parseFields, sniffFormat, toInboundMessage, type InboundMessage } from '../../src/wechat/message'
import { parseXml } from '../../src/wechat/xml'
import { rejection } from '../support/helpers'

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
    const error = await rejection(
      Promise.resolve().then(() => parse(json)),
      PushError,
    )
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/^List/) })
  })

  it('a subscribe item without a field it must have is malformed, named by its path', async () => {
    const json = JSON.stringify({
      ...jsonHead,
      MsgType: 'event',
      Event: 'subscribe_msg_sent_event',
      List: [{ TemplateId: 't1', ErrorCode: 0 }],
    })
    const error = await rejection(
      Promise.resolve().then(() => parse(json)),
      PushError,
    )
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/^List\.0\.MsgID: /) })
  })
})

describe("the XML reader: WeChat's shape, nothing else", () => {
  const text = (inner: string) => `<xml>${head('text')}${inner}<MsgId>7</MsgId></xml>`
  /** The PushError parseXml throws for `xml`. */
  const refusal = (xml: string): PushError => {
    try {
      parseXml(xml)
    } catch (error) {
      expect(error).toBeInstanceOf(PushError)
      return error as PushError
    }
    throw new Error(`accepted: ${xml.slice(0, 200)}`)
  }

  it('reads text and CDATA as today: entities and character references decoded, line ends normalised', () => {
    const content = (inner: string) => parseXml(`<xml><Content>${inner}</Content></xml>`).Content
    expect(content('a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;')).toBe('a & b <c> "d" \'e\'')
    expect(content('&#20013;&#x6587;&#x1F600;&#65;')).toBe('中文😀A')
    expect(content('<![CDATA[<b>&amp;</b>]]>')).toBe('<b>&amp;</b>')
    expect(content('a<![CDATA[ b ]]>c<![CDATA[]]>&amp;')).toBe('a b c&')
    expect(content('1\r\n2\r3<![CDATA[4\r\n5\r]]>')).toBe('1\n2\n34\n5\n')
    expect(content('&#13;&#10;&#9;')).toBe('\r\n\t')
    expect(content('a]]b ]> ]')).toBe('a]]b ]> ]')
    expect(content('')).toBe('')
    expect(parseXml('<xml><Content/><Title /></xml>')).toEqual({ Content: '', Title: '' })
  })

  it('accepts a declaration, a byte order mark and whitespace between elements', () => {
    const pretty = `\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <ToUserName><![CDATA[gh_x]]></ToUserName>\r\n  <MsgId>1700827132819554304</MsgId >\n</xml >\n`
    expect(parseXml(pretty)).toEqual({ ToUserName: 'gh_x', MsgId: '1700827132819554304' })
    expect(parseXml('<xml/>')).toEqual({})
  })

  it("keeps the subscribe events' List items in order, one or many", () => {
    const item = (id: string) => `<List><TemplateId>${id}</TemplateId></List>`
    const one = parseXml(`<xml><SubscribeMsgSentEvent>${item('t1')}</SubscribeMsgSentEvent></xml>`)
    expect(one).toEqual({ SubscribeMsgSentEvent: { List: [{ TemplateId: 't1' }] } })
    const many = parseXml(`<xml><SubscribeMsgChangeEvent>\n ${item('t1')}\n ${item('t2')}<List/></SubscribeMsgChangeEvent></xml>`)
    expect(many).toEqual({ SubscribeMsgChangeEvent: { List: [{ TemplateId: 't1' }, { TemplateId: 't2' }, {}] } })
  })

  it('refuses elements where WeChat nests none, naming them', () => {
    expect(refusal(text('<Content><b>x</b></Content>')).message).toBe('XML nested too deeply: <b> inside <Content>')
    expect(refusal(text('<List><TemplateId>t</TemplateId></List>')).message).toMatch(/nested too deeply: <TemplateId> inside <List>/)
    expect(refusal('<xml><SubscribeMsgPopupEvent><Foo>1</Foo></SubscribeMsgPopupEvent></xml>').message).toMatch(
      /<Foo> inside <SubscribeMsgPopupEvent>/,
    )
    expect(refusal('<xml><SubscribeMsgPopupEvent><List><A><B/></A></List></SubscribeMsgPopupEvent></xml>').message).toMatch(
      /<B> inside <A>/,
    )
    expect(refusal('<xml><SubscribeMsgPopupEvent><SubscribeMsgPopupEvent/></SubscribeMsgPopupEvent></xml>').message).toMatch(
      /nested too deeply/,
    )
    expect(refusal(`<xml>${'<a>'.repeat(5000)}x${'</a>'.repeat(5000)}</xml>`).message).toMatch(/nested too deeply/)
  })

  it('refuses a field, a wrapper or a List item field given twice', () => {
    expect(refusal(text('<Content>a</Content><Content>b</Content>')).message).toBe('XML element <Content> appears more than once')
    expect(refusal(text('<MsgId>8</MsgId>')).message).toMatch(/<MsgId> appears more than once/)
    expect(refusal('<xml><SubscribeMsgPopupEvent/><SubscribeMsgPopupEvent/></xml>').message).toMatch(/more than once/)
    expect(
      refusal(
        '<xml><SubscribeMsgPopupEvent><List><TemplateId>a</TemplateId><TemplateId>b</TemplateId></List></SubscribeMsgPopupEvent></xml>',
      ).message,
    ).toMatch(/<TemplateId> appears more than once/)
  })

  it('refuses document types, unknown entities and malformed references', () => {
    expect(refusal('<!DOCTYPE xml [<!ENTITY a "x">]><xml><Content>&a;</Content></xml>').message).toMatch(/document type/)
    expect(refusal('<?xml version="1.0"?><!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml/>').message).toMatch(/document type/)
    expect(refusal('<xml><Content><!DOCTYPE x></Content></xml>').message).toMatch(/document type/)
    for (const bad of [
      '&nbsp;',
      '&',
      'a & b',
      '&amp',
      '&#;',
      '&#x;',
      '&#0;',
      '&#xD800;',
      '&#xFFFE;',
      '&#X41;',
      '&#x110000;',
      '&#99999999999999999999;',
      '&AMP;',
      '&constructor;',
    ]) {
      expect(refusal(`<xml><Content>${bad}</Content></xml>`).message, bad).toBe('malformed XML')
    }
  })

  it('refuses what WeChat never sends: attributes, comments, instructions, namespaces, XML 1.1', () => {
    for (const bad of [
      text('<Content lang="zh">x</Content>'),
      text('<!-- note --><Content>x</Content>'),
      text('<Content><!-- note -->x</Content>'),
      `<?pi x?>${text('')}`,
      `<?xml version="1.1"?>${text('')}`,
      `<?xml-stylesheet href="x"?>${text('')}`,
      ` <?xml version="1.0"?>${text('')}`,
      text('<a:Content>x</a:Content>'),
      text('<Content>x</Content>junk'),
      text('<中文>x</中文>'),
      text(`<${'A'.repeat(65)}>x</${'A'.repeat(65)}>`),
      text('<Content><![CDATA[x]]></Content>').replace('<xml>', '<xml>text'),
    ]) {
      expect(refusal(bad).message, bad).toBe('malformed XML')
    }
  })

  it("refuses malformed documents and characters outside XML's", () => {
    for (const bad of [
      '',
      '<xml>',
      '<xml></xml><xml></xml>',
      '<xml></xml>x',
      '<xml><Content>x</xml>',
      '<xml><Content>x</Content2></xml>',
      '<xml><Content>x</Contentx></xml>',
      '<xml><Content><![CDATA[x</Content></xml>',
      '<xml><Content>a]]>b</Content></xml>',
      '<xml><Content>\u0001</Content></xml>',
      '<xml><Content>\uffff</Content></xml>',
      '<xml><Content>\ud800</Content></xml>',
      '<xml><Content>\udc00x</Content></xml>',
      '<xml>\u0000</xml>',
      '<xml><![CDATA[x]]></xml>',
      'hello',
      '</xml>',
    ]) {
      expect(refusal(bad).message, JSON.stringify(bad)).toBe('malformed XML')
    }
    expect(refusal('<root><xml></xml></root>').message).toBe('XML root is not <xml>')
  })

  it('element names stay data: __proto__ and constructor are plain fields', () => {
    const fields = parseXml('<xml><__proto__>x</__proto__><constructor>y</constructor></xml>')
    expect(Object.getPrototypeOf(fields)).toBeNull()
    expect(Object.keys(fields)).toEqual(['__proto__', 'constructor'])
    expect(fields.constructor).toBe('y')
  })

  it('takes time linear in the input, whatever it holds', () => {
    const start = Date.now()
    for (const hostile of [
      '&'.repeat(60_000),
      '&a'.repeat(30_000),
      '&#'.repeat(30_000),
      '<![CDATA['.repeat(6_000),
      `${']]'.repeat(30_000)}>`,
    ]) {
      refusal(`<xml><Content>${hostile}</Content></xml>`)
    }
    refusal(`<xml><SubscribeMsgPopupEvent>${'<List><A>1</A></List>'.repeat(3_000)}<List><A><B/></A></List></SubscribeMsgPopupEvent></xml>`)
    // Each takes a few milliseconds; a quadratic scan would take seconds.
    expect(Date.now() - start).toBeLessThan(1_000)
  })
})

describe('dedup keys', () => {
  it('messages by MsgId, events by user, time and event', () => {
    expect(dedupKey({ ...base, type: 'text', msgId: '9', content: 'x' })).toBe('msg:9')
    expect(dedupKey({ ...base, type: 'user_enter_tempsession', sessionFrom: '' })).toBe('event:oUser:1714112445:user_enter_tempsession')
  })
})
