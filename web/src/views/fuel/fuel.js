// Shared bits of the fuel pages: flag names and units.
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
