// Shared bits of the fuel pages: flag names, units, months.
export const FLAGS = [
  { code: 'over_tank', name: '超油箱容量', type: 'danger' },
  { code: 'sealed', name: '封存期加油', type: 'danger' },
  { code: 'holiday', name: '节假日加油', type: 'warning' },
  { code: 'above_baseline', name: '油耗远超基线', type: 'warning' },
]

export function flagList(flags) {
  const set = new Set((flags || '').split(',').filter(Boolean))
  return FLAGS.filter((f) => set.has(f.code))
}

export const litres = (ml) => (ml / 1000).toFixed(2)
export const yuan = (fen) => (fen / 100).toFixed(2)

// YYYY-MM of a month relative to this one in Beijing (-1: last month).
export function monthOf(delta = 0) {
  const now = new Date(Date.now() + 8 * 3600 * 1000)
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + delta, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}
