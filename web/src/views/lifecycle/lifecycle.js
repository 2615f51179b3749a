// Shared helpers of the lifecycle pages (insurance, inspection).
// Element Plus tag type and text for days left until a date.
export function daysTag(days) {
  if (days === undefined || days === null) return { type: 'info', text: '未设定' }
  if (days < 0) return { type: 'danger', text: `逾期${-days}天` }
  if (days === 0) return { type: 'warning', text: '今天到期' }
  if (days <= 30) return { type: 'warning', text: `${days}天后到期` }
  return { type: 'success', text: `${days}天` }
}
