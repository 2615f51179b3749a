// Screenshot helper: logs in and saves a 1440x900 PNG of each main page to tests/screenshots/.
//   npm run screenshots                         (starts its own backend, like the tests)
//   GOVFLEET_URL=http://127.0.0.1:8080 npm run screenshots   (uses a running server)
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServer } from './server.mjs'
import { apiSession, launchBrowser, login, settled, submitLogin } from './browser.mjs'

const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots')
await mkdir(outDir, { recursive: true })

const server = await startServer()
const b = await launchBrowser({ baseURL: server.baseURL })
const { page } = b
const shot = async (name) => {
  await settled(page)
  await page.screenshot({ path: path.join(outDir, `${name}.png`) })
  console.log('wrote', path.join(outDir, `${name}.png`))
}
try {
  await page.goto('/login')
  await shot('01-login')
  await submitLogin(page, 'city_admin', 'wrong-password')
  await page.locator('[data-test=login-error]').waitFor()
  await shot('02-login-error')

  await login(page, 'city_admin')
  await shot('03-dashboard')
  await page.goto('/org')
  await page.locator('[data-test=unit-tree] .el-tree-node').first().waitFor()
  await page.waitForLoadState('networkidle')
  await shot('04-org')
  await page.locator('[data-test=unit-tree]').getByText('天宁区', { exact: true }).click()
  await page.waitForLoadState('networkidle')
  await shot('05-org-district')
  await page.locator('[data-test=unit-create]').click()
  await page.locator('.el-dialog:visible').waitFor()
  await shot('06-org-unit-form')
  // Server-side field error: a credit code with a wrong check digit.
  const dlg = page.locator('.el-dialog:visible')
  await dlg.locator('input[name=name]').fill('天宁区示例单位')
  await dlg.locator('input[name=credit_code]').fill('11320402MB1234567X')
  await dlg.locator('.el-form-item', { hasText: '单位类型' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown:visible').getByText('行政机关', { exact: true }).click()
  await page.locator('[data-test=unit-save]').click()
  await dlg.locator('.el-form-item__error').first().waitFor()
  await shot('06b-org-unit-form-error')
  await page.keyboard.press('Escape')

  await page.goto('/users')
  await page.waitForLoadState('networkidle')
  await shot('07-users')
  await page.locator('[data-test=user-create]').click()
  await page.locator('.el-dialog:visible').waitFor()
  await shot('08-user-form')
  await page.keyboard.press('Escape')

  await page.goto('/role-filings')
  await page.waitForLoadState('networkidle')
  await shot('09-role-filings')
  await page.goto('/profile')
  await page.waitForLoadState('networkidle')
  await shot('10-profile')

  await page.context().clearCookies()
  await login(page, 'city_audit')
  await page.goto('/audit')
  await page.waitForLoadState('networkidle')
  await shot('11-audit')
  const rows = page.locator('[data-test=audit-table] .el-table__body-wrapper .el-table__row')
  const withDiff = rows.filter({ hasText: '新建账号' })
  const idx = (await withDiff.count()) ? await rows.evaluateAll((els) => els.findIndex((e) => e.innerText.includes('新建账号'))) : 0
  await page.locator('[data-test=audit-table] .el-table__row').filter({ hasText: '查看' }).nth(Math.max(idx, 0)).getByRole('button', { name: '查看' }).click()
  await page.locator('.el-drawer').waitFor()
  await shot('12-audit-detail')

  await page.context().clearCookies()
  await login(page, 'city_sec')
  await page.goto('/policy')
  await page.waitForLoadState('networkidle')
  await shot('13-policy')

  await page.context().clearCookies()
  await login(page, 'tn_admin')
  await page.goto('/org')
  await page.waitForLoadState('networkidle')
  await shot('14-org-district-admin')

  // A new account's first login: the mandatory password dialog.
  const admin = await apiSession(server.baseURL, 'city_admin')
  const tree = (await admin.get('/units/tree')).data
  const name = `shot_${Date.now().toString(36)}`
  const created = await admin.post('/users', { username: name, real_name: '新用户', phone: '13900000000', scope_id: tree[0].id, roles: ['approver'] })
  await page.context().clearCookies()
  await submitLogin(page, name, created.data.initial_password)
  await page.locator('.el-dialog:visible').waitFor()
  await shot('15-forced-password')
  if (b.errors.length) console.log('page errors:', b.errors.map(String))
} finally {
  await b.close()
  await server.stop()
}
