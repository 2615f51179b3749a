// Routes of the vehicle & driver registry; spread into router.js's consoleRoutes.
// Menu entries sit in the sidebar's 车辆与驾驶员 sub-menu (meta.group); detail pages carry no meta.menu: the layout
// highlights the list's entry by the first path segment.
export const fleetRoutes = [
  { path: 'vehicles', name: 'vehicles', component: () => import('./VehiclesView.vue'), meta: { title: '车辆管理', icon: 'Van', menu: true, group: '车辆与驾驶员', perm: 'fleet.read' } },
  { path: 'vehicles/:id(\\d+)', name: 'vehicle', component: () => import('./VehicleDetailView.vue'), meta: { title: '车辆详情', perm: 'fleet.read' } },
  { path: 'drivers', name: 'drivers', component: () => import('./DriversView.vue'), meta: { title: '驾驶员管理', icon: 'Postcard', menu: true, group: '车辆与驾驶员', perm: 'fleet.read' } },
  { path: 'drivers/:id(\\d+)', name: 'driver', component: () => import('./DriverDetailView.vue'), meta: { title: '驾驶员详情', perm: 'fleet.read' } },
  { path: 'terminals', name: 'terminals', component: () => import('./TerminalsView.vue'), meta: { title: '北斗终端', icon: 'Position', menu: true, group: '车辆与驾驶员', perm: 'fleet.read' } },
  { path: 'quota', name: 'quota', component: () => import('./QuotaView.vue'), meta: { title: '编制与实有', icon: 'DataAnalysis', menu: true, group: '车辆与驾驶员', perm: 'fleet.read' } },
  { path: 'confirmations', name: 'confirmations', component: () => import('./ConfirmationsView.vue'), meta: { title: '信息确认', icon: 'Checked', menu: true, group: '车辆与驾驶员', perm: 'fleet.read' } },
]

export default fleetRoutes
