// Browser tests of the machine credentials (issue 19 item 5): a token is created with a chosen
// lifetime in 个人中心; an administrator finds it on 令牌与密钥 and revokes it, and it stops working.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, dialog, expectMessage, login, logout, menuItem, serverAndBrowser } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

const success = (text, action) => expectMessage(page, text, action)
const bearer = (token) => fetch(`${server.baseURL}/api/me`, { headers: { Authorization: `Bearer ${token}` } })

test('个人中心: a token created for 7 days shows its expiry', async () => {
  await login(page, 'jgj_dispatcher')
  await menuItem(page, '个人中心').click()
  await page.getByRole('tab', { name: 'API 令牌' }).click()
  await page.locator('[data-test=token-create]').click()
  const create = dialog(page, '新建 API 令牌')
  await create.waitFor()
  await create.locator('.el-form-item', { hasText: '名称' }).locator('input').fill('一周脚本')
  await create.locator('[data-test=token-days]').getByText('7天').click()
  await create.getByRole('button', { name: '创建' }).click()
  const secret = dialog(page, '令牌已创建')
  await secret.waitFor()
  await secret.getByRole('button', { name: '我已保存' }).click()
  const row = page.locator('.el-table__row', { hasText: '一周脚本' })
  await row.waitFor()
  const week = new Date(Date.now() + 7 * 86400e3).toLocaleDateString('sv', { timeZone: 'Asia/Shanghai' })
  assert.ok((await row.innerText()).includes(week), `expiry ${week} in ${await row.innerText()}`)
  await logout(page)
})

test('令牌与密钥: the unit administrator revokes an applicant\'s token, which then stops working', async () => {
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const created = await staff.post('/me/tokens', { name: '报表脚本' })
  assert.equal(created.status, 201)
  assert.equal((await bearer(created.data.token)).status, 200)

  await login(page, 'jgj_admin')
  await menuItem(page, '令牌与密钥').click()
  await page.waitForURL('**/credentials')
  await page.locator('input[data-test=credential-q]').fill('jgj_staff')
  await page.getByRole('button', { name: '查询' }).click()
  const row = page.locator('[data-test=credential-table] .el-table__row', { hasText: '报表脚本' })
  await row.waitFor()
  assert.match(await row.innerText(), /秦小敏（jgj_staff）[\s\S]*有效/)
  await row.getByRole('button', { name: '吊销' }).click()
  await success('已吊销', () => page.locator('.el-message-box').getByRole('button', { name: '吊销' }).click())
  await row.waitFor({ state: 'detached' }) // the list shows live credentials by default

  assert.equal((await bearer(created.data.token)).status, 401)
  // Listed as revoked, with why.
  await page.locator('.el-form-item', { hasText: '状态' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown:visible').getByText('已吊销', { exact: true }).click()
  await page.getByRole('button', { name: '查询' }).click()
  await page.locator('[data-test=credential-table] .el-table__row', { hasText: '报表脚本' }).getByText('管理员吊销').waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=credential-export]').click()])
  assert.match(download.suggestedFilename(), /\.xlsx$/)
  await logout(page)
})
