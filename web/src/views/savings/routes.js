// Routes of the savings rate (节支率, issue 23 part 4), in the sidebar's 统计分析 group.
export const savingsRoutes = [
  { path: 'savings', name: 'savings', component: () => import('./SavingsView.vue'), meta: { title: '节支率', icon: 'TrendCharts', menu: true, group: '统计分析', perm: 'cost.read' } },
]

export default savingsRoutes
