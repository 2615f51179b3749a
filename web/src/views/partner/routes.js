// Routes of cross-region bookings between partner cities; spread into router.js's consoleRoutes under the
// sidebar's 跨区域协作 group. The statements are the city's with its partners: meta.city, only the city's level reads them.
export const partnerRoutes = [
  { path: 'partner/cities', name: 'partner-cities', component: () => import('./PartnersView.vue'), meta: { title: '合作城市', icon: 'Connection', menu: true, group: '跨区域协作', perm: 'partner.read' } },
  { path: 'partner/bookings', name: 'partner-bookings', component: () => import('./PartnerBookingsView.vue'), meta: { title: '异地用车', icon: 'Guide', menu: true, group: '跨区域协作', perm: 'partner.read' } },
  { path: 'partner/settlements', name: 'partner-settlements', component: () => import('./SettlementsView.vue'), meta: { title: '异地用车结算单', icon: 'Money', menu: true, group: '跨区域协作', perm: 'partner.read', city: true } },
]

export default partnerRoutes
