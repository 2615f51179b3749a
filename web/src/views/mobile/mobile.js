// Helpers for the phone pages: Vant tag types per order and repair state, datetime-local ⇄ Date.
export const M_STATE_TAGS = {
  submitted: 'warning', returned: 'danger', approved: 'primary', pending_consent: 'warning', dispatched: 'primary',
  departed: 'success', finished: 'warning', back: 'primary', closed: 'success', cancelled: 'default', rental: 'default',
}
export const M_REPAIR_TAGS = {
  requested: 'default', estimated: 'warning', approved: 'primary', rejected: 'danger',
  assigned: 'primary', quoted: 'warning', reviewed: 'success', closed: 'success',
}

const pad = (n) => String(n).padStart(2, '0')
// Date → "YYYY-MM-DDTHH:mm" (local time) for <input type="datetime-local">.
export function toLocalInput(d) {
  if (!d) return ''
  const x = new Date(d)
  return `${x.getFullYear()}-${pad(x.getMonth() + 1)}-${pad(x.getDate())}T${pad(x.getHours())}:${pad(x.getMinutes())}`
}
// "YYYY-MM-DDTHH:mm" (local time) → RFC 3339, or null.
export function fromLocalInput(s) {
  if (!s) return null
  const d = new Date(s)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

// Vant tag type of a visitor's booking state (an order's or a ride's).
const RIDE_TAGS = { created: 'warning', accepted: 'primary', arrived: 'primary', started: 'success', finished: 'warning', paid: 'success', cancelled: 'default' }
export function visitorTag(state) {
  return RIDE_TAGS[state] || M_STATE_TAGS[state] || 'default'
}
