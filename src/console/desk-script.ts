/**
 * The console's one script, served as a file (`/admin/desk.js`; the CSP allows scripts from
 * the console's own origin only, never inline): the live channel of the human desk. A page
 * that wants it has an element with `data-live` (the WebSocket's path). On the queue page, a
 * change fetches the queue again as the server renders it (`?fragment=1`) and puts it in
 * place, so the markup has one author; on a conversation page (`data-live-openid`), a message
 * of that user is added as a bubble, its text set as text. A canned answer picked from the
 * reply form's list (`select[data-canned]`) is put into the reply box, and so is one whose
 * shortcut (its option's `data-shortcut`, like `/退货`) is typed there followed by a space or
 * a line break: the shortcut is replaced by the text. Without the script, or with the channel
 * down, every page is what it was: a reload shows everything.
 */
export const DESK_SCRIPT_PATH = '/admin/desk.js'

export const DESK_SCRIPT = `(() => {
  const shortcuts = new Map()
  for (const option of document.querySelectorAll('select[data-canned] option[data-shortcut]')) {
    shortcuts.set(option.getAttribute('data-shortcut'), option.value)
  }
  const replyBox = document.getElementById('reply-text')
  if (replyBox && shortcuts.size > 0) {
    replyBox.addEventListener('input', (event) => {
      if (event.isComposing) return
      const end = replyBox.selectionStart
      const typed = /(?:^|\\s)(\\/[^\\s\\/]+)\\s$/u.exec(replyBox.value.slice(0, end))
      const text = typed && shortcuts.get(typed[1])
      if (text === undefined || text === null) return
      const start = end - typed[1].length - 1
      replyBox.value = replyBox.value.slice(0, start) + text + replyBox.value.slice(end)
      replyBox.selectionStart = replyBox.selectionEnd = start + text.length
    })
  }
  for (const select of document.querySelectorAll('select[data-canned]')) {
    select.addEventListener('change', () => {
      const box = document.getElementById('reply-text')
      if (!box || !select.value) return
      box.value = box.value ? box.value + '\\n' + select.value : select.value
      select.value = ''
      box.focus()
    })
  }
  const root = document.querySelector('[data-live]')
  if (!root) return
  const url = new URL(root.getAttribute('data-live'), location.href)
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const openid = root.getAttribute('data-live-openid')
  let retry = 1000
  let refreshing = false
  let again = false
  const refresh = async () => {
    const target = document.querySelector('[data-queue]')
    if (!target) return
    if (refreshing) { again = true; return }
    refreshing = true
    try {
      const answer = await fetch(location.pathname + '?fragment=1', { credentials: 'same-origin' })
      if (answer.ok) target.innerHTML = await answer.text()
    } finally {
      refreshing = false
      if (again) { again = false; refresh() }
    }
  }
  const bubble = (event) => {
    const chat = document.querySelector('.chat')
    if (!chat || event.openid !== openid) return
    const div = document.createElement('div')
    div.className = event.direction === 'out' ? 'bubble out' : 'bubble'
    div.setAttribute('data-live-message', event.direction)
    div.textContent = event.text
    const meta = document.createElement('span')
    meta.className = 'meta'
    meta.textContent = new Date(event.at).toLocaleString([], { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    div.appendChild(meta)
    chat.appendChild(div)
  }
  const connect = () => {
    const socket = new WebSocket(url)
    let ping = 0
    socket.onopen = () => {
      retry = 1000
      root.setAttribute('data-live-state', 'open')
      ping = setInterval(() => socket.send('ping'), 25000)
    }
    socket.onmessage = (message) => {
      if (message.data === 'pong') return
      const event = JSON.parse(message.data)
      if (event.type === 'queue') refresh()
      if (event.type === 'message') bubble(event)
    }
    socket.onclose = () => {
      clearInterval(ping)
      root.setAttribute('data-live-state', 'closed')
      setTimeout(connect, retry)
      retry = Math.min(retry * 2, 30000)
    }
  }
  connect()
})()
`
