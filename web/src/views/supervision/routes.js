// Routes of supervision (issue 7: findings, cases, rules; ); spread into router.js's consoleRoutes.
export const supervisionRoutes = [
  { path: 'supervision', name: 'supervision', component: () => import('./SupDashboardView.vue'), meta: { title: '监督总览', icon: 'DataAnalysis', menu: true, group: '监督检查', perm: 'supervision.read' } },
  { path: 'supervision/cases', name: 'sup-cases', component: () => import('./CasesView.vue'), meta: { title: '问题线索', icon: 'Warning', menu: true, group: '监督检查', perm: 'supervision.read' } },
  { path: 'supervision/cases/:id', name: 'sup-case', component: () => import('./CaseView.vue'), meta: { title: '案件详情', perm: 'supervision.read' } },
  { path: 'supervision/rules', name: 'sup-rules', component: () => import('./RulesView.vue'), meta: { title: '监督规则', icon: 'SetUp', menu: true, group: '监督检查', perm: 'supervision.rules' } },
]

export default supervisionRoutes
