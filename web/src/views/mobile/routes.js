// Phone pages (Vant, 375 px wide), outside the console layout; same login session.
// meta.mobile sends a logged-out visitor to the phone login page.
export const mobileRoutes = [
  { path: '/m/login', name: 'm-login', component: () => import('./MLogin.vue'), meta: { title: '登录', public: true, mobile: true } },
  { path: '/m/visitor/register', name: 'm-visitor-register', component: () => import('./MVisitorRegister.vue'), meta: { title: '来访人员注册', public: true, mobile: true } },
  {
    path: '/m',
    component: () => import('./MobileShell.vue'),
    meta: { mobile: true },
    children: [
      { path: '', name: 'm-home', component: () => import('./MHome.vue'), meta: { title: '公务用车', tab: 'home' } },
      { path: 'apply', name: 'm-apply', component: () => import('./MApply.vue'), meta: { title: '申请用车', tab: 'apply', back: true } },
      { path: 'orders', name: 'm-orders', component: () => import('./MOrders.vue'), meta: { title: '我的订单', tab: 'orders' } },
      { path: 'orders/:id(\\d+)', name: 'm-order', component: () => import('./MOrder.vue'), meta: { title: '订单详情', back: true } },
      { path: 'orders/:id(\\d+)/dispatch', name: 'm-dispatch-order', component: () => import('./MDispatch.vue'), meta: { title: '派车', back: true } },
      { path: 'approvals', name: 'm-approvals', component: () => import('./MInbox.vue'), meta: { title: '待我审批', back: true, inbox: 'approvals' } },
      { path: 'dispatch', name: 'm-dispatch', component: () => import('./MInbox.vue'), meta: { title: '待派车', back: true, inbox: 'dispatch' } },
      { path: 'consent', name: 'm-consent', component: () => import('./MInbox.vue'), meta: { title: '待同意派车', back: true, inbox: 'consent' } },
      { path: 'tasks', name: 'm-tasks', component: () => import('./MTasks.vue'), meta: { title: '我的任务', tab: 'tasks' } },
      { path: 'support', name: 'm-support', component: () => import('./MSupport.vue'), meta: { title: '我的保障任务', back: true } },
      { path: 'tasks/:id(\\d+)', name: 'm-task', component: () => import('./MTask.vue'), meta: { title: '出车任务', back: true } },
      { path: 'notices', name: 'm-notices', component: () => import('./MNotices.vue'), meta: { title: '通知公告', back: true } },
      { path: 'notices/:id(\\d+)', name: 'm-notice', component: () => import('./MNotice.vue'), meta: { title: '通知公告', back: true } },
      { path: 'messages', name: 'm-messages', component: () => import('./MMessages.vue'), meta: { title: '消息中心', tab: 'messages' } },
      { path: 'repair', name: 'm-repair', component: () => import('./MRepair.vue'), meta: { title: '报修', back: true } },
      { path: 'repairs', name: 'm-repairs', component: () => import('./MRepairs.vue'), meta: { title: '我的报修', back: true } },
      { path: 'repairs/:id(\\d+)', name: 'm-repair-job', component: () => import('./MRepairJob.vue'), meta: { title: '报修进度', back: true } },
      // Visiting officials.
      { path: 'visitor', name: 'm-visitor', component: () => import('./MVisitor.vue'), meta: { title: '来访用车', tab: 'visitor' } },
      { path: 'visitor/book', name: 'm-visitor-book', component: () => import('./MVisitorBook.vue'), meta: { title: '预约用车', back: true } },
      { path: 'visitor-approvals', name: 'm-visitor-approvals', component: () => import('./MVisitorInbox.vue'), meta: { title: '来访核验', back: true } },
      { path: 'visitor/bookings/:id(\\d+)', name: 'm-visitor-booking', component: () => import('./MVisitorBooking.vue'), meta: { title: '用车详情', back: true } },
    ],
  },
]

export default mobileRoutes
