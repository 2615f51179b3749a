// Routes of fuel and its 私车公养 signals; spread into router.js's consoleRoutes.
// The fuel company imports; staff and supervisors read records and consumption.
export const fuelRoutes = [
  { path: 'fuel/import', name: 'fuel-import', component: () => import('./FuelImportView.vue'), meta: { title: '加油记录导入', icon: 'Upload', menu: true, group: '加油管理', perm: 'fuel.import' } },
  { path: 'fuel/records', name: 'fuel-records', component: () => import('./FuelRecordsView.vue'), meta: { title: '加油记录', icon: 'Tickets', menu: true, group: '加油管理', perm: 'fuel.read' } },
  { path: 'fuel/consumption', name: 'fuel-consumption', component: () => import('./FuelConsumptionView.vue'), meta: { title: '车辆油耗', icon: 'TrendCharts', menu: true, group: '加油管理', perm: 'fuel.read' } },
]

export default fuelRoutes
