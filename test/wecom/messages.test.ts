/**
 * Reading sync_msg's items (src/wecom/messages.ts): each documented type typed, event items'
 * account and customer taken from inside `event`, and anything unknown kept raw, never thrown.
 */
import { describe, expect, it } from 'vitest'
import { toKfMessage } from '../../src/wecom/messages'

const base = { msgid: 'm1', open_kfid: 'wk1', external_userid: 'wm1', send_time: 1615478585, origin: 3 }

describe('toKfMessage', () => {
  it('types the documented messages', () => {
    expect(toKfMessage({ ...base, msgtype: 'text', text: { content: 'hi', menu_id: '101' } })).toEqual({
      msgid: 'm1',
      openKfId: 'wk1',
      externalUserid: 'wm1',
      sendTime: 1615478585,
      origin: 3,
      msgtype: 'text',
      text: { content: 'hi', menuId: '101' },
    })
    expect(toKfMessage({ ...base, msgtype: 'image', image: { media_id: 'MEDIA' } })).toMatchObject({ image: { mediaId: 'MEDIA' } })
    expect(
      toKfMessage({ ...base, msgtype: 'location', location: { latitude: 23.1, longitude: 113.3, name: '塔', address: '广州' } }),
    ).toMatchObject({ location: { latitude: 23.1, longitude: 113.3, name: '塔', address: '广州' } })
    expect(toKfMessage({ ...base, msgtype: 'business_card', business_card: { userid: 'u1' } })).toMatchObject({
      businessCard: { userid: 'u1' },
    })
    expect(
      toKfMessage({
        ...base,
        origin: 5,
        servicer_userid: 'zhangsan',
        msgtype: 'miniprogram',
        miniprogram: { title: 't', appid: 'wx1', pagepath: 'p', thumb_media_id: 'th' },
      }),
    ).toMatchObject({ origin: 5, servicerUserid: 'zhangsan', miniprogram: { title: 't', appid: 'wx1', pagepath: 'p', thumbMediaId: 'th' } })
  })

  it('reads events, with the account and the customer from inside event', () => {
    const event = toKfMessage({
      msgid: 'e1',
      send_time: 1,
      origin: 4,
      msgtype: 'event',
      event: {
        event_type: 'session_status_change',
        open_kfid: 'wk2',
        external_userid: 'wm2',
        change_type: 3,
        old_servicer_userid: 's1',
        msg_code: 'CODE',
      },
    })
    expect(event).toEqual({
      msgid: 'e1',
      openKfId: 'wk2',
      externalUserid: 'wm2',
      sendTime: 1,
      origin: 4,
      msgtype: 'event',
      event: { eventType: 'session_status_change', changeType: 3, oldServicerUserid: 's1', msgCode: 'CODE' },
    })
    const servicer = toKfMessage({
      msgid: 'e2',
      msgtype: 'event',
      event: { event_type: 'servicer_status_change', open_kfid: 'wk2', servicer_userid: 's1', status: 2, stop_type: 1 },
    })
    expect(servicer).toMatchObject({
      externalUserid: '',
      event: { eventType: 'servicer_status_change', servicerUserid: 's1', status: 2, stopType: 1 },
    })
  })

  it('keeps unknown types and events, and known ones missing their fields, raw', () => {
    const merged = { ...base, msgtype: 'merged_msg', merged_msg: { title: 'x', item: [] } }
    expect(toKfMessage(merged)).toMatchObject({ msgtype: 'unknown', rawMsgtype: 'merged_msg', raw: merged })
    expect(toKfMessage({ ...base, msgtype: 'text', text: {} })).toMatchObject({ msgtype: 'unknown', rawMsgtype: 'text' })
    const future = { event_type: 'something_new', open_kfid: 'wk1', x: 1 }
    expect(toKfMessage({ msgid: 'e', msgtype: 'event', event: future })).toMatchObject({
      openKfId: 'wk1',
      event: { eventType: 'unknown', rawEventType: 'something_new', raw: future },
    })
    expect(toKfMessage(null)).toMatchObject({ msgid: '', msgtype: 'unknown' })
  })
})
