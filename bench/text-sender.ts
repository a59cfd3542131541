/**
 * The least a service does to send a text through the WeChat API: one stable_token per
 * process (or isolate), then custom/send. Shared by the floor Worker and the co-wechat peer,
 * so both pay the same for their replies. fetch only: runs in Node and in workerd.
 */
export interface TextSenderOptions {
  apiBase: string
  appid: string
  secret: string
}

export function textSender(options: TextSenderOptions): (openid: string, text: string) => Promise<void> {
  let token: Promise<string> | null = null

  function accessToken(): Promise<string> {
    token ??= fetch(`${options.apiBase}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credential', appid: options.appid, secret: options.secret }),
    })
      .then((response) => response.json() as Promise<{ access_token?: string }>)
      .then((json) => {
        if (!json.access_token) throw new Error('no access_token')
        return json.access_token
      })
    token.catch(() => {
      token = null
    })
    return token
  }

  return async (openid, text) => {
    const response = await fetch(`${options.apiBase}/cgi-bin/message/custom/send?access_token=${await accessToken()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: openid, msgtype: 'text', text: { content: text } }),
    })
    await response.arrayBuffer()
  }
}
