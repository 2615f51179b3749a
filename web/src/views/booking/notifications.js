// Live notifications: one EventSource on GET /api/notifications/stream (`event: notification`)
// while the console or the phone pages are open; new messages refresh the to-do counts.
import { onBeforeUnmount } from 'vue'
import api from '../../api'
import { refreshCounts } from './booking'

let source = null
let users = 0
const listeners = new Set()

export function connectNotifications() {
  users++
  if (source) return
  source = new EventSource('/api/notifications/stream')
  source.addEventListener('notification', (ev) => {
    let n = null
    try {
      n = JSON.parse(ev.data)
    } catch {
      return
    }
    refreshCounts()
    for (const fn of listeners) fn(n)
  })
  // The browser reconnects by itself; an expired session answers 401 and ends it for good. A
  // session ended while streaming (logout elsewhere, lock) gets `event: ended`: stop, and let the
  // session check send the user to the login page.
  source.addEventListener('ended', endedStream)
}

// endedStream closes a stream the server ended and asks who we are: an ended session answers 401,
// which sends the page to the login (api.js); a session still valid reconnects.
function endedStream() {
  source.close()
  source = null
  api.get('/me', null, { silent: true }).then(
    () => {
      if (users > 0 && !source) {
        users--
        connectNotifications()
      }
    },
    () => {},
  )
}

export function disconnectNotifications() {
  users = Math.max(0, users - 1)
  if (users === 0 && source) {
    source.close()
    source = null
  }
}

// Calls fn(notification) for each new message while the calling component is mounted.
export function onNotification(fn) {
  listeners.add(fn)
  onBeforeUnmount(() => listeners.delete(fn))
}
