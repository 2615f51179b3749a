// Routes of the annual report (年度报告, R-10, R-11; issue 23 part 3), under 统计分析; spread into router.js's consoleRoutes.
export const annualRoutes = [
  { path: 'statistics/annual', name: 'annual', component: () => import('./AnnualListView.vue'), meta: { title: '年度报告', icon: 'Notebook', menu: true, group: '统计分析', perm: 'annual.read' } },
  { path: 'statistics/annual/:id(\\d+)', name: 'annual-report', component: () => import('./AnnualReportView.vue'), meta: { title: '年度报告详情', perm: 'annual.read' } },
]

export default annualRoutes
