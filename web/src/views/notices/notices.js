// Shared by the notices' console and phone pages: tags of a notice's state, its paragraphs (the text is plain:
// shown with {{ }}, never as HTML), the attachment link and the opening of a notice (which confirms reading).
import { reactive } from 'vue'
import { api } from '../../api'

export const STATE_TAGS = { 草稿: 'info', 已发布: 'success', 已过期: 'warning' }

export function paragraphs(body) {
  return String(body || '')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
}

export function attachmentURL(n, a) {
  return `/api/notices/${n.id}/attachments/${a.id}`
}

export function sizeText(bytes) {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`
  return `${Math.max(1, Math.round(bytes / 1024))} KB`
}

// The caller's unread count, shown on the workbench panel and the phone home.
export const unread = reactive({ count: 0 })
export async function loadUnread() {
  try {
    unread.count = (await api.get('/notices/unread', undefined, { silent: true }))?.count || 0
  } catch {
    unread.count = 0
  }
}

// open loads a notice and, when it reaches the caller unread, confirms reading.
export async function openNotice(id) {
  let n = await api.get(`/notices/${id}`)
  if (n && !n.read_at && n.state === 'published' && !n.expired) {
    try {
      n = await api.post(`/notices/${id}/read`, undefined, { silent: true })
      loadUnread()
    } catch {
      /* a publisher outside the recipients: nothing to confirm */
    }
  }
  return n
}
