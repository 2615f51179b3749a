// Routes of real-time monitoring and track playback; spread into router.js's consoleRoutes.
export const monitorRoutes = [
  { path: 'monitor', name: 'monitor', component: () => import('./MonitorView.vue'), meta: { title: '实时监控', icon: 'MapLocation', menu: true, perm: 'monitor.read' } },
  { path: 'track', name: 'track', component: () => import('./TrackView.vue'), meta: { title: '轨迹回放', icon: 'Guide', menu: true, perm: 'track.read' } },
]

export default monitorRoutes
