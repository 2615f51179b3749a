// Routes of 统计分析 (issue 23, R-10): the dashboards of a node and data extraction; spread into router.js's consoleRoutes.
export const statsRoutes = [
  { path: 'stats', name: 'stats', component: () => import('./StatsView.vue'), meta: { title: '统计看板', icon: 'DataAnalysis', menu: true, group: '统计分析', perm: 'stats.read' } },
  { path: 'extract', name: 'stats-extract', component: () => import('./ExtractView.vue'), meta: { title: '数据提取', icon: 'Download', menu: true, group: '统计分析', perm: 'extract.run' } },
]

export default statsRoutes
