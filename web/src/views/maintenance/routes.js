// Routes of maintenance; spread into router.js's consoleRoutes under the sidebar's 维修与租赁 group.
export const maintenanceRoutes = [
  { path: 'repairs', name: 'repairs', component: () => import('./RepairsView.vue'), meta: { title: '车辆维修', icon: 'Tools', menu: true, group: '维修与租赁', perm: 'repair.read' } },
  { path: 'repairs/:id(\\d+)', name: 'repair', component: () => import('./RepairView.vue'), meta: { title: '维修单', perm: 'repair.read' } },
  { path: 'vehicles/:id(\\d+)/repairs', name: 'vehicle-repairs', component: () => import('./VehicleRepairsView.vue'), meta: { title: '车辆维修记录', perm: 'repair.read' } },
  { path: 'repair-thresholds', name: 'repair-thresholds', component: () => import('./ThresholdsView.vue'), meta: { title: '维修审批额度', icon: 'Coin', menu: true, group: '维修与租赁', perm: 'repair.rules' } },
]

export default maintenanceRoutes
