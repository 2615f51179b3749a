// ECharts options of the 统计分析 charts, from the dashboard's figures (GET /api/stats/dashboard).
const PALETTE = ['#1d4f91', '#2f9e44', '#f08c00', '#e03131', '#7048e8', '#1098ad', '#868e96', '#d6336c']

export function pie(counts, unit = '辆') {
  const data = counts.filter((c) => c.value > 0).map((c) => ({ name: c.name, value: c.value }))
  return {
    color: PALETTE,
    tooltip: { trigger: 'item', formatter: `{b}：{c} ${unit}（{d}%）` },
    legend: { type: 'scroll', bottom: 0, textStyle: { fontSize: 12 } },
    series: [{ type: 'pie', radius: ['38%', '64%'], center: ['50%', '44%'], label: { formatter: '{b}\n{c}' }, data }],
  }
}

export function bars(counts, unit = '辆') {
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${v} ${unit}` },
    grid: { left: 48, right: 16, top: 16, bottom: 32 },
    xAxis: { type: 'category', data: counts.map((c) => c.name), axisLabel: { interval: 0, fontSize: 11 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', barMaxWidth: 36, data: counts.map((c) => c.value) }],
  }
}

// The 12 months: orders and vehicle-days as bars, utilisation (%) as a line on its own axis.
export function months(ms) {
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 48, right: 48, top: 24, bottom: 48 },
    xAxis: { type: 'category', data: ms.map((m) => m.period) },
    yAxis: [{ type: 'value', name: '单/车日', minInterval: 1 }, { type: 'value', name: '使用率%', axisLabel: { formatter: '{value}' } }],
    series: [
      { name: '出车订单数', type: 'bar', data: ms.map((m) => m.orders), barMaxWidth: 18 },
      { name: '出车车日', type: 'bar', data: ms.map((m) => m.vehicle_days), barMaxWidth: 18 },
      { name: '车辆使用率（%）', type: 'line', yAxisIndex: 1, smooth: true, data: ms.map((m) => +(m.utilisation * 100).toFixed(2)) },
    ],
  }
}

export function kmMonths(ms) {
  return {
    color: ['#1098ad', '#f08c00'],
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 56, right: 56, top: 24, bottom: 48 },
    xAxis: { type: 'category', data: ms.map((m) => m.period) },
    yAxis: [{ type: 'value', name: '公里' }, { type: 'value', name: '元' }],
    series: [
      { name: '行驶里程（公里）', type: 'bar', data: ms.map((m) => m.km), barMaxWidth: 22 },
      { name: '费用（元）', type: 'line', yAxisIndex: 1, data: ms.map((m) => +(m.cost_fen / 100).toFixed(2)) },
    ],
  }
}

// The children (districts, units or vehicles) by a figure: horizontal bars, clickable to drill down.
export function children(cs, key, unit) {
  const rows = [...cs].sort((a, b) => value(a, key) - value(b, key)).slice(-15)
  return {
    color: ['#1d4f91'],
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => `${v} ${unit}` },
    grid: { left: 150, right: 24, top: 8, bottom: 24 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: rows.map((c) => c.name), axisLabel: { width: 140, overflow: 'truncate' } },
    series: [{ type: 'bar', barMaxWidth: 16, data: rows.map((c) => ({ value: value(c, key), id: c.id })) }],
  }
}

function value(c, key) {
  if (key === 'utilisation') return +(c.utilisation * 100).toFixed(2)
  if (key === 'cost_fen') return +(c.cost_fen / 100).toFixed(2)
  return c[key] || 0
}
