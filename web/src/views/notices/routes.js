// Routes of notices (通知公告, R-29(3)): the console page in the sidebar, spread into router.js.
export const noticeRoutes = [
  { path: 'notices', name: 'notices', component: () => import('./NoticesView.vue'), meta: { title: '通知公告', icon: 'Bell', menu: true, perm: 'notice.read' } },
]

export default noticeRoutes
