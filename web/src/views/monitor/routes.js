// Routes of real-time monitoring, track playback, trips and mileage, terminal health; spread into router.js's consoleRoutes.
export const monitorRoutes = [
  { path: 'monitor', name: 'monitor', component: () => import('./MonitorView.vue'), meta: { title: '实时监控', icon: 'MapLocation', menu: true, perm: 'monitor.read' } },
  { path: 'track', name: 'track', component: () => import('./TrackView.vue'), meta: { title: '轨迹回放', icon: 'Guide', menu: true, perm: 'track.read' } },
  { path: 'trips', name: 'trips', component: () => import('./TripsView.vue'), meta: { title: '行程与里程', icon: 'Odometer', menu: true, perm: 'monitor.read' } },
  { path: 'terminal-health', name: 'terminal-health', component: () => import('./HealthView.vue'), meta: { title: '终端健康', icon: 'FirstAidKit', menu: true, perm: 'monitor.read' } },
]

export default monitorRoutes
