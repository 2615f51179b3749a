// Routes of rental (R-21, R-29(2)); spread into router.js's consoleRoutes under the sidebar's 维修与租赁 group.
export const rentalRoutes = [
  { path: 'rental-orders', name: 'rental-orders', component: () => import('./RentalOrdersView.vue'), meta: { title: '租赁用车', icon: 'Van', menu: true, group: '维修与租赁', perm: 'rental.read' } },
  { path: 'rental-fleet', name: 'rental-fleet', component: () => import('./RentalFleetView.vue'), meta: { title: '租赁车辆与驾驶员', icon: 'Postcard', menu: true, group: '维修与租赁', perm: 'rental.operate' } },
  { path: 'rental-assessments', name: 'rental-assessments', component: () => import('./AssessmentsView.vue'), meta: { title: '租赁公司考核', icon: 'DataAnalysis', menu: true, group: '维修与租赁', perm: 'rental.read' } },
]

export default rentalRoutes
