// Routes; meta.menu puts a page in the sidebar, meta.perm hides it from those without the permission, meta.city from
// those below the city's level.
import { createRouter, createWebHistory } from 'vue-router'
import { useSession } from './stores/session'
import { fleetRoutes } from './views/fleet/routes'
import { bookingRoutes } from './views/booking/routes'
import { mobileRoutes } from './views/mobile/routes'
import { monitorRoutes } from './views/monitor/routes'
import { fuelRoutes } from './views/fuel/routes'
import { supervisionRoutes } from './views/supervision/routes'
import { lifecycleRoutes } from './views/lifecycle/routes'
import { maintenanceRoutes } from './views/maintenance/routes'
import { rentalRoutes } from './views/rental/routes'
import { partnerRoutes } from './views/partner/routes'
import { noticeRoutes } from './views/notices/routes'
import { savingsRoutes } from './views/savings/routes'
import { visitorRoutes } from './views/visitors/routes'
import { loansRoutes } from './views/loans/routes'
import { dispatchRoutes } from './views/dispatch/routes'
import { statsRoutes } from './views/stats/routes'
import { annualRoutes } from './views/annual/routes'

export const consoleRoutes = [
  { path: '', name: 'home', component: () => import('./views/DashboardView.vue'), meta: { title: '工作台', icon: 'HomeFilled', menu: true } },
  ...statsRoutes,
  { path: 'org', name: 'org', component: () => import('./views/org/OrgView.vue'), meta: { title: '组织机构', icon: 'OfficeBuilding', menu: true, perm: 'org.read' } },
  ...fleetRoutes,
  ...bookingRoutes,
  ...monitorRoutes,
  ...fuelRoutes,
  ...supervisionRoutes,
  ...lifecycleRoutes,
  ...maintenanceRoutes,
  ...rentalRoutes,
  ...partnerRoutes,
  ...noticeRoutes,
  ...savingsRoutes,
  ...visitorRoutes,
  ...loansRoutes,
  ...dispatchRoutes,
  ...annualRoutes,
  { path: 'users', name: 'users', component: () => import('./views/users/UsersView.vue'), meta: { title: '用户管理', icon: 'User', menu: true, perm: 'users.read' } },
  { path: 'password-resets', name: 'password-resets', component: () => import('./views/users/PasswordResetsView.vue'), meta: { title: '密码重置审批', icon: 'Key', menu: true, perm: 'users.manage' } },
  { path: 'credentials', name: 'credentials', component: () => import('./views/users/CredentialsView.vue'), meta: { title: '令牌与密钥', icon: 'Tickets', menu: true, perm: 'credentials.manage' } },
  { path: 'role-filings', name: 'role-filings', component: () => import('./views/RoleFilingsView.vue'), meta: { title: '角色备案', icon: 'Stamp', menu: true, perm: 'filings.read' } },
  { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { title: '审计日志', icon: 'Tickets', menu: true, perm: 'audit.read' } },
  { path: 'policy', name: 'policy', component: () => import('./views/PolicyView.vue'), meta: { title: '安全策略', icon: 'Lock', menu: true, perm: 'policy.write' } },
  { path: 'profile', name: 'profile', component: () => import('./views/ProfileView.vue'), meta: { title: '个人中心', icon: 'Avatar', menu: true } },
  { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
]

const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { title: '登录', public: true } },
    ...mobileRoutes,
    { path: '/', component: () => import('./layout/ConsoleLayout.vue'), children: consoleRoutes },
  ],
})

router.beforeEach(async (to) => {
  const session = useSession()
  if (!session.loaded) await session.loadMe()
  if (to.meta.public) {
    if (to.name === 'login' && session.loggedIn) return { name: 'home' }
    if (to.name === 'm-login' && session.loggedIn) return { path: '/m' }
    return true
  }
  if (!session.loggedIn) {
    if (to.meta.mobile) return { name: 'm-login', query: to.fullPath !== '/m' ? { redirect: to.fullPath } : {} }
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  // A visiting official has its own phone pages and nothing else.
  const own = to.path === '/m/visitor' || to.path.startsWith('/m/visitor/') || to.name === 'm-messages'
  if (session.can('visitor.self') && !own) return { path: '/m/visitor' }
  // The forced password change or second-factor binding happens in the console (the phone pages link there).
  if (to.meta.mobile && session.restricted) return { path: '/' }
  // meta.city: a page only the city's level reads (the partner statements).
  if (((to.meta.perm && !session.can(to.meta.perm)) || (to.meta.city && session.user?.scope_kind !== 'city')) && !session.restricted) {
    return { name: 'home' }
  }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - 常州市公务用车信息化平台` : '常州市公务用车信息化平台'
})

export default router
