// Display helpers shared by every page: the one home of money (integer fen shown as yuan) and of
// Beijing dates and times (instants are UTC on the wire, shown in Asia/Shanghai).
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

// The Beijing wall-clock fields of an instant (RFC 3339 string, Date or epoch ms) as zero-padded
// strings { year, month, day, hour, minute, second }; null when the value is empty or not a time.
export function beijingParts(value) {
  if (value === undefined || value === null || value === '') return null
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return null
  return Object.fromEntries(shanghai.formatToParts(d).filter((x) => x.type !== 'literal').map((x) => [x.type, x.value]))
}

// RFC 3339 (UTC) → "YYYY-MM-DD HH:mm" in Asia/Shanghai (with seconds: "YYYY-MM-DD HH:mm:ss");
// '' / null → '—'; what is not a time is shown as it is.
export function formatTime(value, { seconds = false } = {}) {
  if (!value) return '—'
  const p = beijingParts(value)
  if (!p) return String(value)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`
}

// An instant → its Beijing calendar day "YYYY-MM-DD"; '' / null → '—'.
export function formatDate(value) {
  if (!value) return '—'
  const p = beijingParts(value)
  return p ? `${p.year}-${p.month}-${p.day}` : String(value)
}

// An instant → its Beijing month "YYYY-MM"; '' / null → '—'.
export function formatMonth(value) {
  if (!value) return '—'
  const p = beijingParts(value)
  return p ? `${p.year}-${p.month}` : String(value)
}

// Today in Beijing as "YYYY-MM-DD", or the day plusDays from it (-6: six days ago).
export function beijingToday(plusDays = 0, now = Date.now()) {
  return formatDate(now + plusDays * 86400000)
}

// This month in Beijing as "YYYY-MM", or the month plusMonths from it (-1: last month).
export function beijingMonth(plusMonths = 0, now = Date.now()) {
  const p = beijingParts(now)
  const d = new Date(Date.UTC(Number(p.year), Number(p.month) - 1 + plusMonths, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

// "YYYY-MM-DD" (a Shanghai calendar day) → RFC 3339 UTC instant of its start, or of the start of the
// day plusDays later.
export function shanghaiDayStart(day, plusDays = 0) {
  if (!day) return ''
  const d = new Date(`${day}T00:00:00+08:00`)
  d.setUTCDate(d.getUTCDate() + plusDays)
  return d.toISOString().replace('.000Z', 'Z')
}

// How long ago an instant was, in Chinese ("45秒前", "3分钟前", "2小时前", "5天前"); '' / null → ''.
export function formatAgo(value, now = Date.now()) {
  if (!value) return ''
  const s = Math.max(0, Math.round((now - new Date(value).getTime()) / 1000))
  if (s < 60) return `${s}秒前`
  if (s < 3600) return `${Math.round(s / 60)}分钟前`
  if (s < 86400) return `${Math.round(s / 3600)}小时前`
  return `${Math.round(s / 86400)}天前`
}

// Integer fen → yuan with two decimals and thousands grouping: 123456 → "1,234.56", 0 → "0.00",
// -1230 → "-12.30"; { symbol: true } → "¥1,234.56" / "-¥12.30". A fraction of a fen is rounded half
// away from zero. null / undefined / '' / not a number → '—' (a page that shows 0 as unset tests it).
export function yuan(fen, { symbol = false } = {}) {
  if (fen === undefined || fen === null || fen === '') return '—'
  const n = Number(fen)
  if (!Number.isFinite(n)) return '—'
  const abs = Math.round(Math.abs(n))
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = String(abs % 100).padStart(2, '0')
  return `${n < 0 && abs > 0 ? '-' : ''}${symbol ? '¥' : ''}${whole}.${cents}`
}

// Integer fen → yuan text for an input, without grouping: 21980050 → "219800.50"; null → ''.
export function fenToYuanText(fen) {
  if (fen === null || fen === undefined) return ''
  return yuan(fen).replace(/,/g, '')
}

// "219800.5" (yuan typed by the user, up to 2 decimals, commas allowed) → 21980050 fen; '' → null;
// NaN when malformed.
export function yuanToFen(v) {
  if (v === null || v === undefined || String(v).trim() === '') return null
  const s = String(v).trim().replace(/,/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN
  const [i, d = ''] = s.split('.')
  return Number(i) * 100 + Number((d + '00').slice(0, 2))
}

// Yuan from a number input (el-input-number) → integer fen; empty → 0.
export const toFen = (y) => Math.round(Number(y || 0) * 100)

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
