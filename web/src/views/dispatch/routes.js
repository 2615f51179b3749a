// Routes of integrated dispatch: pools, support tasks, teams; spread into router.js's consoleRoutes
// under the sidebar's 统筹调度 group.
export const dispatchRoutes = [
  { path: 'dispatch/pool', name: 'pool', component: () => import('./PoolView.vue'), meta: { title: '车辆池', icon: 'Van', menu: true, group: '统筹调度', perm: 'dispatch.read' } },
  { path: 'dispatch/tasks', name: 'support-tasks', component: () => import('./TasksView.vue'), meta: { title: '保障任务', icon: 'Flag', menu: true, group: '统筹调度', perm: 'dispatch.read' } },
  { path: 'dispatch/tasks/:id(\\d+)', name: 'support-task', component: () => import('./TaskView.vue'), meta: { title: '保障任务', perm: 'dispatch.read' } },
  { path: 'dispatch/assignments', name: 'task-assignments', component: () => import('./AssignmentsView.vue'), meta: { title: '车辆抽调', icon: 'Switch', menu: true, group: '统筹调度', perm: 'dispatch.read' } },
  { path: 'dispatch/teams', name: 'support-teams', component: () => import('./TeamsView.vue'), meta: { title: '保障班组', icon: 'UserFilled', menu: true, group: '统筹调度', perm: 'dispatch.read' } },
]

export default dispatchRoutes
