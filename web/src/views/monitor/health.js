// Terminal health events (internal/health) in words, for 终端健康 and the terminal's page.
import { formatTime } from '../../utils/format'
import { alarmBitNames } from './alarms'

export const KINDS = {
  offline: '离线超时', power_cut: '主电源掉电', antenna_fault: 'GNSS天线故障', silent_after_power_cut: '断电后失联', jump: '位置跳变',
  invalid_fixes: '持续无效定位', clock_off: '终端时钟偏差', clone: '疑似冒用/克隆终端',
}

const minutes = (m) => (m >= 120 ? `${Math.round(m / 60)} 小时` : `${m} 分钟`)

// clockOffset: a terminal clock's offset from the server's, in seconds, in words.
export function clockOffset(sec) {
  const a = Math.abs(sec)
  const size = a >= 86400 ? `${(a / 86400).toFixed(1)} 天` : a >= 3600 ? `${(a / 3600).toFixed(1)} 小时` : `${Math.round(a / 60)} 分钟`
  return `${sec > 0 ? '快' : '慢'} ${size}`
}

// The evidence in words (the positions' addresses come in row.places, from internal/geo): the detectors write first / last_report / silent_minutes / alarm_bits (bit numbers
// of the JT/T 808 alarm word) / distance_m, seconds, speed_kmh / count / in_a_row; the gateway writes
// offset_seconds (clock) and from, online_from, policy (a second connection).
export function evidence(row) {
  const e = row.evidence || {}
  const parts = []
  const places = row.places || {}
  const at = (s, key) => `${formatTime(s.at)} 位于${places[key] || '—'}${s.invalid ? `（${s.invalid}）` : ''}`
  if (e.first) parts.push(at(e.first, 'first'))
  if (e.last_report) parts.push(`最后定位 ${at(e.last_report, 'last_report')}`)
  if (e.silent_minutes) parts.push(`失联 ${minutes(e.silent_minutes)}`)
  if (e.distance_m) parts.push(`${e.seconds} 秒内位移 ${(e.distance_m / 1000).toFixed(1)} km（折合 ${e.speed_kmh} km/h）`)
  if (e.in_a_row) parts.push(`连续 ${e.in_a_row} 次无效定位`)
  if (e.offset_seconds) parts.push(`终端时钟${clockOffset(e.offset_seconds)}（终端按北京时间上报）`)
  if (e.from) {
    parts.push(`新连接来自 ${e.from}，在线连接来自 ${e.online_from}`)
    parts.push(e.policy === 'keep_newer' ? '已断开原连接' : '已拒绝新连接')
  }
  if (e.count) parts.push(`共 ${e.count} 次`)
  if (e.alarm_bits && e.alarm_bits.length) parts.push(`报警：${alarmBitNames(e.alarm_bits).join('、')}`)
  return parts.join('；')
}
