// Routes of the booking workflow; spread into router.js's consoleRoutes.
// meta.group puts an entry under the sidebar's 用车管理 sub-menu; meta.badge names a GET /api/booking/counts
// field (or a function of the counts) shown as the entry's badge.
export const bookingRoutes = [
  { path: 'apply', name: 'apply', component: () => import('./ApplyView.vue'), meta: { title: '用车申请', icon: 'EditPen', menu: true, group: '用车管理', perm: 'order.apply' } },
  { path: 'my-orders', name: 'my-orders', component: () => import('./MyOrdersView.vue'), meta: { title: '我的申请', icon: 'Tickets', menu: true, group: '用车管理', perm: 'order.apply', badge: 'to_rate' } },
  { path: 'approvals', name: 'approvals', component: () => import('./ApprovalsView.vue'), meta: { title: '用车审批', icon: 'Stamp', menu: true, group: '用车管理', perm: 'order.approve', badge: 'inbox' } },
  { path: 'dispatch', name: 'dispatch', component: () => import('./DispatchView.vue'), meta: { title: '调度台', icon: 'Van', menu: true, group: '用车管理', perm: 'order.dispatch', badge: (c) => c.to_dispatch + c.to_return + c.changes } },
  { path: 'dispatch-board', name: 'dispatch-board', component: () => import('./BoardView.vue'), meta: { title: '调度看板', icon: 'Calendar', menu: true, group: '用车管理', perm: 'order.dispatch' } },
  { path: 'consent', name: 'consent', component: () => import('./ConsentView.vue'), meta: { title: '派车同意', icon: 'Checked', menu: true, group: '用车管理', perm: 'order.consent', badge: 'pending_consent' } },
  { path: 'orders', name: 'orders', component: () => import('./OrderSearchView.vue'), meta: { title: '用车订单查询', icon: 'Search', menu: true, group: '用车管理', perm: 'order.read' } },
  { path: 'emergency', name: 'emergency', component: () => import('./EmergencyView.vue'), meta: { title: '紧急用车补报', icon: 'AlarmClock', menu: true, group: '用车管理', perm: 'order.read', badge: 'overdue_filings' } },
  { path: 'holiday-filings', name: 'holiday-filings', component: () => import('./HolidayFilingsView.vue'), meta: { title: '节假日用车备案', icon: 'Stamp', menu: true, group: '用车管理', perm: 'order.read' } },
  { path: 'holidays', name: 'holidays', component: () => import('./HolidaysView.vue'), meta: { title: '节假日安排', icon: 'Calendar', menu: true, group: '用车管理', perm: 'order.read' } },
  { path: 'orders/:id(\\d+)', name: 'order', component: () => import('./OrderView.vue'), meta: { title: '订单详情', perm: 'order.view' } },
  { path: 'messages', name: 'messages', component: () => import('./MessagesView.vue'), meta: { title: '消息中心', icon: 'Bell', menu: true, badge: 'unread_messages' } },
]

export default bookingRoutes
