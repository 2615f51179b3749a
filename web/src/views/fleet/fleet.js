// Shared helpers of the vehicle & driver registry pages: the /api/fleet/meta code tables,
// money in fen, client-side plate/VIN checks, file reading and downloads.
import { reactive } from 'vue'
import { api } from '../../api'

const meta = reactive({
  loaded: false,
  categories: [],
  statuses: [],
  energy_types: [],
  exempt_reasons: [],
  markings: [],
  vehicle_classes: [],
  funding_sources: [],
  vehicle_photo_kinds: [],
  driver_photo_kinds: [],
  change_kinds: [],
})
let pending = null

// The code tables, loaded once per page load (names fall back to codes until they arrive).
export function useFleetMeta() {
  if (!meta.loaded && !pending) {
    pending = api
      .get('/fleet/meta', undefined, { silent: true })
      .then((m) => {
        Object.assign(meta, m || {}, { loaded: true })
      })
      .catch(() => {})
      .finally(() => {
        pending = null
      })
  }
  return meta
}

export function codeName(list, code) {
  if (!code) return '—'
  return (list || []).find((x) => x.code === code)?.name || code
}

// Plate and VIN, normalised the way the server does, with a Chinese reason when malformed.
const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼'
export function normalisePlate(s) {
  return String(s || '')
    .replace(/[\s.\-·•・∙⋅。]/g, '')
    .replace(/[Ａ-Ｚａ-ｚ０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .toUpperCase()
}
export function plateProblem(raw) {
  const p = normalisePlate(raw)
  if (!p) return '请填写车牌号'
  const rs = [...p]
  if (!PROVINCES.includes(rs[0])) return `第1位“${rs[0]}”不是省、自治区、直辖市简称（如“苏”）`
  if (!/^[A-Z]$/.test(rs[1] || '')) return '第2位应为发牌机关代号（大写字母，如“苏D”中的D）'
  const serial = /^[A-HJ-NP-Z0-9]$/
  if (rs[rs.length - 1] === '警') {
    return rs.length === 7 && rs.slice(2, 6).every((c) => serial.test(c)) ? '' : '警用号牌应为省份简称＋发牌机关代号＋4位号码＋“警”，如苏D1234警'
  }
  if (rs.length === 7) return rs.slice(2).every((c) => serial.test(c)) ? '' : '号牌号码只能是数字和大写字母（不使用I和O）'
  if (rs.length === 8) {
    const s = rs.slice(2).join('')
    return /^[DABCEFGHJK][A-HJ-NP-Z0-9]\d{4}$/.test(s) || /^\d{5}[DABCEFGHJK]$/.test(s)
      ? ''
      : '新能源号牌格式不对，如苏DD12345、苏D12345D'
  }
  return '位数不对：普通号牌为7位（如苏D12345），新能源号牌为8位（如苏DD12345）'
}
export function vinProblem(raw) {
  const v = String(raw || '').replace(/\s/g, '').toUpperCase()
  if (!v) return '请填写车辆识别代号（VIN）'
  if (v.length !== 17) return `车辆识别代号应为17位，实际为${v.length}位`
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(v)) return '车辆识别代号只能是数字和大写字母（不含I、O、Q）'
  return ''
}
export const ID_CARD_RE = /^\d{17}[\dX]$/i

// Reads a File as base64 (without the data: prefix) for the API's JSON upload form {file: base64}.
export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''))
    r.onerror = () => reject(r.error)
    r.readAsDataURL(file)
  })
}

// Filter booleans → the API's "true" (unset when false).
export const flag = (b) => (b ? 'true' : '')

// The server's import refusal: fields {"A3": "第3行「车牌号」：…", "row4": "第4行：…"} → table rows.
export function importErrorRows(err) {
  const rows = []
  for (const [key, msg] of Object.entries(err?.fields || {})) {
    const m = String(msg).match(/^第(\d+)行(?:「([^」]*)」)?[：:]\s*([\s\S]*)$/)
    if (m) rows.push({ row: Number(m[1]), column: m[2] || '—', cell: /^[A-Z]+\d+$/.test(key) ? key : '', message: m[3] })
    else rows.push({ row: Number((key.match(/\d+/) || [0])[0]), column: '—', cell: /^[A-Z]+\d+$/.test(key) ? key : '', message: String(msg) })
  }
  rows.sort((a, b) => a.row - b.row || a.cell.localeCompare(b.cell))
  return rows
}
