// Routes of the whole life cycle (issue 6): outside companies, insurance, annual inspection, the cost
// ledger and a company's API keys; spread into router.js's consoleRoutes. Company accounts see only the entries their
// permissions allow, under the 企业工作台 landing (the dashboard).
export const lifecycleRoutes = [
  { path: 'companies', name: 'companies', component: () => import('./CompaniesView.vue'), meta: { title: '合作企业', icon: 'Suitcase', menu: true, group: '全生命周期', perm: 'company.read' } },
  { path: 'insurance/policies', name: 'policies', component: () => import('./PoliciesView.vue'), meta: { title: '保险保单', icon: 'Umbrella', menu: true, group: '全生命周期', perm: 'insurance.read' } },
  { path: 'insurance/claims', name: 'claims', component: () => import('./ClaimsView.vue'), meta: { title: '理赔记录', icon: 'Warning', menu: true, group: '全生命周期', perm: 'insurance.read' } },
  { path: 'inspection', name: 'inspection', component: () => import('./InspectionView.vue'), meta: { title: '年检管理', icon: 'Calendar', menu: true, group: '全生命周期', perm: 'inspection.read' } },
  { path: 'costs', name: 'costs', component: () => import('./CostsView.vue'), meta: { title: '费用台账', icon: 'Money', menu: true, group: '全生命周期', perm: 'cost.read' } },
  { path: 'company/keys', name: 'company-keys', component: () => import('./ApiKeysView.vue'), meta: { title: 'API密钥', icon: 'Key', menu: true, perm: 'company.keys' } },
]

export default lifecycleRoutes
