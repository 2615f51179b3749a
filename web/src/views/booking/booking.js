// Shared pieces of the booking workflow: state and category names, the to-do
// counts behind the menu badges and the bell, and which actions the current user may take.
import { reactive } from 'vue'
import { api } from '../../api'

export const STATE_TAGS = {
  submitted: 'warning',
  returned: 'danger',
  approved: 'primary',
  pending_consent: 'warning',
  dispatched: 'primary',
  departed: 'success',
  finished: 'warning',
  back: 'primary',
  closed: 'success',
  cancelled: 'info',
  rental: 'info',
  partner: 'primary',
}

export const STATE_NAMES = {
  submitted: '待审批', returned: '已退回', approved: '待派车', pending_consent: '待车管同意', dispatched: '已派车',
  departed: '执行中', finished: '待回场', back: '待评价', closed: '已完成', cancelled: '已取消', rental: '转租赁',
  partner: '异地办理中', // handled by a partner city's platform
}

// R-4 vehicle categories an order may ask for.
export const CATEGORIES = [
  { code: 'confidential', name: '机要通信' },
  { code: 'emergency', name: '应急保障' },
  { code: 'law_enforcement', name: '执法执勤' },
  { code: 'special', name: '特种专业技术' },
  { code: 'retiree', name: '离退休干部服务' },
  { code: 'other', name: '其他' },
]
export const categoryName = (c) => CATEGORIES.find((x) => x.code === c)?.name || c || '—'

export const ACTION_NAMES = {
  submit: '提交申请', approve: '审批通过', return: '退回', resubmit: '重新提交', cancel: '取消',
  dispatch: '派车', consent: '车管负责人同意', refuse: '车管负责人不同意', depart: '出车',
  change: '途中变更', ack_change: '调度确认变更', finish: '任务结束', back: '回场', rate: '评价',
  rental: '转租赁', attach: '添加附件',
  // what a partner city's platform reported, and a partner's request arriving.
  partner_request: '合作城市来单', partner_accept: '合作城市受理', partner_refuse: '合作城市拒绝', partner_assign: '合作城市派车',
  partner_start: '合作城市出车', partner_finish: '合作城市任务结束', partner_fee: '合作城市计费', partner_cancel: '合作城市取消',
}

// The kinds of message (notify.Message.Kind), for the message centres.
export const MESSAGE_KINDS = {
  approval: '审批', dispatch: '调度', consent: '派车同意', order: '订单', task: '出车任务', change: '途中变更', rate: '评价',
  filing: '紧急补报', repair: '维修', case: '督办', rental: '租赁', insurance: '保险', inspection: '年检', notice: '通知公告',
}

export const CANCELLABLE = ['submitted', 'returned', 'approved', 'pending_consent', 'dispatched', 'partner'] // partner: an outbound order, cancelled at the partner too

// What the signed-in user may do with an order now (the server checks again).
export function allowedActions(o, session) {
  if (!o) return {}
  const me = session.user?.id
  const mine = o.applicant_id === me
  const can = (p) => session.can(p)
  return {
    approve: o.state === 'submitted' && can('order.approve') && !mine,
    ret: o.state === 'submitted' && can('order.approve') && !mine,
    resubmit: o.state === 'returned' && mine,
    cancel: CANCELLABLE.includes(o.state) && (mine || can('order.dispatch')),
    dispatch: o.state === 'approved' && can('order.dispatch'),
    rental: o.state === 'approved' && can('order.dispatch'),
    consent: o.state === 'pending_consent' && can('order.consent'),
    depart: o.state === 'dispatched' && can('order.drive'),
    change: o.state === 'departed' && can('order.drive'),
    finish: o.state === 'departed' && can('order.drive'),
    back: o.state === 'finished' && can('order.dispatch'),
    rate: o.state === 'back' && mine,
  }
}

// To-do numbers (GET /api/booking/counts), shared by the menu badges, the bell and the pages; loaded is
// false until the first answer, so that a page never shows a 0 it has not been told.
export const counts = reactive({
  inbox: 0, to_dispatch: 0, pending_consent: 0, to_return: 0, changes: 0, my_tasks: 0, to_rate: 0,
  overdue_filings: 0, unread_messages: 0, loaded: false,
})
let pending = null
// refreshCounts asks for the numbers again; fresh (a shell opening, maybe for another user than the last)
// first forgets the old ones, so that nothing shows until this user's have come.
export function refreshCounts({ fresh = false } = {}) {
  if (fresh) counts.loaded = false
  if (pending) return pending
  pending = api
    .get('/booking/counts', undefined, { silent: true })
    .then((c) => Object.assign(counts, c || {}, { loaded: true }))
    .catch(() => {})
    .finally(() => {
      pending = null
    })
  return pending
}

// A menu badge: a counts key, or a function of counts.
export function badgeValue(badge) {
  if (!badge) return 0
  return typeof badge === 'function' ? badge(counts) : counts[badge] || 0
}

// Date (from a picker) → RFC 3339 for the API.
export function iso(d) {
  if (!d) return null
  const x = d instanceof Date ? d : new Date(d)
  return Number.isNaN(x.getTime()) ? null : x.toISOString()
}

export function humanSize(n) {
  if (!n && n !== 0) return '—'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export const ATTACH_ACCEPT = '.pdf,.jpg,.jpeg,.png,.webp,.doc,.docx,.xls,.xlsx,.ppt,.pptx'

export function uploadAttachment(orderId, file) {
  const fd = new FormData()
  fd.append('file', file, file.name)
  return api.post(`/orders/${orderId}/attachments`, fd, { silent: true })
}
