// Integrated dispatch: the names of vehicle types and task kinds, the level choices, the bars of a board.
import { useUnitTree } from '../../composables/useUnitTree'
import { computed } from 'vue'

export const VEHICLE_TYPES = [
  ['coach', '大客车'],
  ['minibus', '中巴'],
  ['van', '商务车'],
  ['sedan', '轿车'],
]
export const TASK_KINDS = [
  ['event', '重大活动'],
  ['emergency', '突发事件'],
  ['sessions', '两会保障'],
  ['other', '其他保障'],
]
export const ASSIGNMENT_STATES = [
  ['notified', '已通知所属单位'],
  ['objected', '所属单位有异议'],
  ['confirmed', '已确认'],
  ['upheld', '维持调派'],
  ['withdrawn', '已撤回'],
  ['cancelled', '任务已取消'],
]
export const STATE_TAG = { confirmed: 'success', notified: 'warning', objected: 'danger', upheld: 'success', withdrawn: 'info', cancelled: 'info' }

// What holds a vehicle, as the board draws it.
export const BAR_KINDS = {
  shift: { name: '本任务班次', color: '#409eff' },
  task: { name: '其他保障任务', color: '#e6a23c' },
  order: { name: '用车订单', color: '#909399' },
  repair: { name: '维修保养', color: '#f56c6c' },
  sealed: { name: '封存', color: '#b37feb' },
  holiday: { name: '节假日封存', color: '#c0c4cc' },
}

// The city and district nodes of the caller's tree: the levels that keep pools, tasks and teams.
export function useLevels() {
  const tree = useUnitTree()
  tree.ensure()
  const levels = computed(() => {
    const out = []
    const walk = (nodes) => {
      for (const n of nodes || []) {
        if (n.kind === 'city' || n.kind === 'district') out.push({ id: n.id, name: n.name })
        walk(n.children)
      }
    }
    walk(tree.roots.value)
    return out
  })
  return levels
}

// The position of a bar on a board of days starting at from (a Date): left and width in percent.
export function barStyle(bar, from, days) {
  const span = days * 86400000
  const a = Math.max(0, new Date(bar.from) - from)
  const b = Math.min(span, new Date(bar.to) - from)
  return { left: `${(a / span) * 100}%`, width: `${Math.max(0.4, ((b - a) / span) * 100)}%`, background: BAR_KINDS[bar.kind]?.color }
}

// The first instant of a Beijing day 'YYYY-MM-DD'.
export function beijingDayStart(day) {
  return new Date(`${day}T00:00:00+08:00`)
}

export function dayLabels(from, days) {
  const out = []
  const start = beijingDayStart(from)
  for (let i = 0; i < days; i++) {
    const d = new Date(start.getTime() + i * 86400000 + 8 * 3600000)
    out.push(`${d.getUTCMonth() + 1}月${d.getUTCDate()}日`)
  }
  return out
}
