// Routes of visiting officials (R-19, issue 22); spread into router.js's consoleRoutes under the sidebar's 跨区域协作 group.
export const visitorRoutes = [
  { path: 'visitors', name: 'visitors', component: () => import('./VisitorsView.vue'), meta: { title: '来访人员', icon: 'Guide', menu: true, group: '跨区域协作', perm: 'visitor.read' } },
  { path: 'ridehail-reconciliation', name: 'ridehail-reconciliation', component: () => import('./RideReconcileView.vue'), meta: { title: '网约车对账', icon: 'Finished', menu: true, group: '跨区域协作', perm: 'ridehail.reconcile' } },
]

export default visitorRoutes
