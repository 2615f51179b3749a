// Routes of cross-level loans and their costs and savings (issue 21 parts 4 and 5); spread into router.js's
// consoleRoutes under the sidebar's 统筹调度 group.
export const loansRoutes = [
  { path: 'loans', name: 'loans', component: () => import('./LoansView.vue'), meta: { title: '车辆借调', icon: 'Connection', menu: true, group: '统筹调度', perm: 'loan.read' } },
  { path: 'rates', name: 'rates', component: () => import('./RatesView.vue'), meta: { title: '收费标准与市场价', icon: 'PriceTag', menu: true, group: '统筹调度', perm: 'cost.read' } },
  { path: 'settlements', name: 'settlements', component: () => import('./SettlementsView.vue'), meta: { title: '统筹用车结算单', icon: 'Document', menu: true, group: '统筹调度', perm: 'cost.read' } },
]

export default loansRoutes
