/** The parts of wechat-crypto 0.0.2 (WXBizMsgCrypt for Node, used by co-wechat) the benchmarks call. */
declare module 'wechat-crypto' {
  class WXBizMsgCrypt {
    constructor(token: string, encodingAESKey: string, id: string)
    getSignature(timestamp: string, nonce: string, encrypt: string): string
    decrypt(text: string): { message: string; id: string }
    encrypt(text: string): string
  }
  export = WXBizMsgCrypt
}
