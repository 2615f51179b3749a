// Routes of notices (通知公告, R-29(3)): the console page in the sidebar, and the periodic report's print page
// (outside the console layout: A4, nothing around it), spread into router.js.
export const noticeRoutes = [
  { path: 'notices', name: 'notices', component: () => import('./NoticesView.vue'), meta: { title: '通知公告', icon: 'Bell', menu: true, perm: 'notice.read' } },
]

export const noticePrintRoutes = [
  { path: '/notices/:id(\\d+)/print', name: 'notice-print', component: () => import('./NoticePrint.vue'), meta: { title: '打印用车情况报告', perm: 'notice.read' } },
]

export default noticeRoutes
