// Display helpers shared by every page.
const shanghai = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

// RFC 3339 (UTC) → "YYYY-MM-DD HH:mm" in Asia/Shanghai (with seconds: "YYYY-MM-DD HH:mm:ss");
// '' / null → '—'.
export function formatTime(value, { seconds = false } = {}) {
  if (!value) return '—'
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return String(value)
  const p = Object.fromEntries(shanghai.formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`
}

// "YYYY-MM-DD" (a Shanghai calendar day) → RFC 3339 UTC instant of its start, or of the next day's start.
export function shanghaiDayStart(day, plusDays = 0) {
  if (!day) return ''
  const d = new Date(`${day}T00:00:00+08:00`)
  d.setUTCDate(d.getUTCDate() + plusDays)
  return d.toISOString().replace('.000Z', 'Z')
}

export function dash(v) {
  return v === undefined || v === null || v === '' ? '—' : v
}

// Copies text; falls back to execCommand where the Clipboard API is unavailable (plain http).
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    /* fall through */
  }
  const ta = document.createElement('textarea')
  ta.value = text
  ta.setAttribute('readonly', '')
  ta.style.position = 'fixed'
  ta.style.opacity = '0'
  document.body.appendChild(ta)
  ta.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  document.body.removeChild(ta)
  return ok
}

export const PHONE_RE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$/
export const CREDIT_CODE_RE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/
