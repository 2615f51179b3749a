// Browser tests of the foundation issue, run in order against one fresh demo backend:
//   npm run test:browser        (GOVFLEET_BIN=… to pick the binary, default ../bin/govfleet)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, creditCode, dialog, expectMessage, login, logout, menuItem, pickOption, serverAndBrowser, submitLogin } from './browser.mjs'

const DISTRICTS = ['天宁区', '钟楼区', '新北区', '武进区', '金坛区', '溧阳市', '常州经开区']
const run = Date.now().toString(36).slice(-5)
const UNIT_NAME = `天宁区测试单位${run}`
const USERNAME = `tester_${run}`
const REAL_NAME = '测试审核员'
const NEW_PASSWORD = 'Hy4#pTz9Wq' // not a common one (issue 19's password policy)

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

const tree = () => page.locator('[data-test=unit-tree]')
const treeNode = (name) => tree().locator('.el-tree-node__content', { has: page.locator('.node-name', { hasText: new RegExp(`^${name}$`) }) })

async function openOrg() {
  await menuItem(page, '组织机构').click()
  await page.waitForURL('**/org**')
  await tree().locator('.el-tree-node').first().waitFor()
}

test('1. city admin logs in and sees 常州市 with its 7 districts; a wrong password shows the Chinese error', async () => {
  await submitLogin(page, 'city_admin', 'Wrong#Pass1')
  const err = page.locator('[data-test=login-error]')
  await err.waitFor()
  assert.match(await err.innerText(), /用户名或密码错误/)
  assert.match(page.url(), /\/login/)

  await login(page, 'city_admin')
  await openOrg()
  await treeNode('常州市').waitFor()
  for (const d of DISTRICTS) await treeNode(d).waitFor()
  // The root is selected and its card shows the quota figures.
  await page.locator('[data-test=unit-detail]').getByText('车辆编制数').waitFor()
})

test('2. create a unit under 天宁区; a bad credit code shows the field error and creates nothing', async () => {
  const api = await apiSession(server.baseURL, 'city_admin')
  await treeNode('天宁区').click()
  await page.locator('[data-test=unit-detail] .card-title', { hasText: '天宁区' }).waitFor()
  await page.locator('[data-test=unit-create]').click()
  const dlg = dialog(page, '新增单位')
  await dlg.waitFor()
  // The parent defaults to the selected node.
  await dlg.locator('.el-form-item', { hasText: '上级单位' }).getByText('天宁区').waitFor()
  await dlg.locator('input[name=name]').fill(UNIT_NAME)
  await dlg.locator('.el-form-item', { hasText: '单位类型' }).locator('.el-select').click()
  await pickOption(page, '行政机关')
  await dlg.locator('.el-form-item', { hasText: '人员编制数' }).locator('input').fill('35')
  await dlg.locator('.el-form-item', { hasText: '车辆编制数' }).locator('input').fill('3')
  await dlg.locator('input[name=contact_phone]').fill('0519-86661234')

  const ccItem = dlg.locator('.el-form-item', { hasText: '统一社会信用代码' })
  // Client-side pattern check.
  await dlg.locator('input[name=credit_code]').fill('12345')
  await page.locator('[data-test=unit-save]').click()
  await ccItem.locator('.el-form-item__error').waitFor()
  assert.match(await ccItem.locator('.el-form-item__error').innerText(), /18位/)

  // Pattern-valid but wrong check digit: the server rejects it, the message lands under the field.
  const good = creditCode(Date.now())
  const badDigit = good.slice(0, 17) + (good[17] === '0' ? '1' : '0')
  await dlg.locator('input[name=credit_code]').fill(badDigit)
  await expectMessage(page, '校验码', () => page.locator('[data-test=unit-save]').click(), 'error')
  await ccItem.locator('.el-form-item__error').waitFor()
  assert.ok((await ccItem.locator('.el-form-item__error').innerText()).length > 0)
  assert.ok(await dlg.isVisible(), 'the dialog stays open')
  const none = await api.get(`/units?q=${encodeURIComponent(UNIT_NAME)}&active=all`)
  assert.equal(none.status, 200)
  assert.equal(none.data.total, 0, 'nothing was created')

  await dlg.locator('input[name=credit_code]').fill(good)
  await expectMessage(page, UNIT_NAME, () => page.locator('[data-test=unit-save]').click())
  await dlg.waitFor({ state: 'hidden' })
  await page.locator('[data-test=unit-table] .el-table__row', { hasText: UNIT_NAME }).waitFor()
  await treeNode(UNIT_NAME).waitFor()
  const one = await api.get(`/units?q=${encodeURIComponent(UNIT_NAME)}&active=all`)
  assert.equal(one.data.total, 1)
  assert.equal(one.data.items[0].credit_code, good)
  assert.equal(one.data.items[0].parent_name, '天宁区')
})

test('3. create a user with roles; at first login they must change the password, then land on 工作台', async () => {
  await menuItem(page, '用户管理').click()
  await page.locator('[data-test=user-table] .el-table__row').first().waitFor()
  await page.locator('[data-test=user-create]').click()
  const dlg = dialog(page, '新增用户')
  await dlg.waitFor()
  await dlg.locator('input[name=username]').fill(USERNAME)
  await dlg.locator('input[name=real_name]').fill(REAL_NAME)
  await dlg.locator('input[name=phone]').fill('13912345678')
  const picker = dlg.locator('.el-form-item', { hasText: '所属单位' }).locator('.el-select')
  await picker.click()
  await picker.locator('input').fill('市机关事务管理局')
  await page.locator('.unit-picker-popper:visible .el-tree-node__content', { hasText: /^市机关事务管理局$/ }).click()
  const roles = dlg.locator('[data-test=role-checkboxes]')
  await roles.getByText('审核员', { exact: true }).click()
  await roles.getByText('调度员', { exact: true }).click()
  await page.locator('[data-test=user-save]').click()

  const secret = dialog(page, '用户已创建')
  await secret.waitFor()
  const initial = await secret.locator('input[readonly]').inputValue()
  assert.ok(initial.length >= 8, `initial password shown: ${initial}`)
  await secret.getByRole('button', { name: '我已保存' }).click()
  const row = page.locator('[data-test=user-table] .el-table__row', { hasText: USERNAME })
  await row.waitFor()
  assert.match(await row.innerText(), /审核员/)
  assert.match(await row.innerText(), /调度员/)

  await logout(page)
  await submitLogin(page, USERNAME, initial)
  const forced = dialog(page, '首次登录请修改密码')
  await forced.waitFor()
  assert.equal(await forced.locator('.el-dialog__headerbtn').count(), 0, 'the dialog cannot be closed')
  await forced.locator('input[name=old_password]').fill(initial)
  await forced.locator('input[name=new_password]').fill(NEW_PASSWORD)
  await forced.locator('input[name=confirm]').fill(NEW_PASSWORD)
  await forced.getByRole('button', { name: '确认修改' }).click()
  await forced.waitFor({ state: 'hidden' })
  const welcome = page.locator('[data-test=welcome]')
  await welcome.waitFor()
  assert.match(await welcome.innerText(), new RegExp(REAL_NAME))
  await page.locator('.crumbs', { hasText: '工作台' }).waitFor()

  await logout(page)
  await login(page, USERNAME, NEW_PASSWORD) // the new password works, no dialog any more
  assert.equal(await dialog(page, '首次登录请修改密码').count(), 0)
  assert.equal(await menuItem(page, '审计日志').count(), 0)
  await logout(page)
})

test('4. the 天宁区 administrator cannot see 钟楼区 units and gets an error opening one by id', async () => {
  const cityApi = await apiSession(server.baseURL, 'city_admin')
  const found = await cityApi.get(`/units?q=${encodeURIComponent('钟楼区财政局')}&active=all`)
  assert.equal(found.status, 200)
  const zl = found.data.items.find((u) => u.name === '钟楼区财政局')
  assert.ok(zl, '钟楼区财政局 exists')

  await login(page, 'tn_admin')
  await openOrg()
  await treeNode('天宁区').waitFor()
  await treeNode('天宁区城市管理局').waitFor()
  const text = await tree().innerText()
  assert.ok(!text.includes('钟楼'), `tree shows no 钟楼区 unit:\n${text}`)
  assert.ok(!text.includes('常州市'), 'tree is rooted at 天宁区')
  const apiTree = await page.evaluate(() => fetch('/api/units/tree').then((r) => r.text()))
  assert.ok(!apiTree.includes('钟楼'))

  // The raw API refuses the unit…
  const res = await page.evaluate(async (id) => {
    const r = await fetch(`/api/units/${id}`)
    return { status: r.status, body: await r.json().catch(() => null) }
  }, zl.id)
  assert.ok([403, 404].includes(res.status), `status ${res.status}`)
  assert.ok(['forbidden', 'not_found'].includes(res.body?.error?.code), JSON.stringify(res.body))
  // …and so does the console's deep link, with the server's message.
  await expectMessage(page, /不在您的管辖范围内|不存在或已删除/, () => page.goto(`/org?unit=${zl.id}`), 'error')
  assert.equal(await page.locator('[data-test=unit-detail] .el-descriptions').count(), 0)
  await logout(page)
})

test('5. the audit admin sees the earlier actions; nobody else has the 审计日志 menu', async () => {
  for (const user of ['city_admin', 'tn_admin', 'city_sec', 'jgj_admin']) {
    await login(page, user)
    await menuItem(page, '工作台').waitFor()
    assert.equal(await menuItem(page, '审计日志').count(), 0, `${user} has no 审计日志 menu`)
    await logout(page)
  }
  const adminApi = await apiSession(server.baseURL, 'city_admin')
  assert.equal((await adminApi.get('/audit')).status, 403)

  await login(page, 'city_audit')
  await menuItem(page, '审计日志').click()
  const rows = page.locator('[data-test=audit-table] .el-table__row')
  await rows.first().waitFor()

  const search = async (q) => {
    await page.locator('[data-test=audit-table]').waitFor()
    await page.locator('.filter-form input[placeholder="摘要、对象编号"]').fill(q)
    await page.locator('.filter-form').getByRole('button', { name: '查询' }).click()
    await page.waitForLoadState('networkidle')
  }
  await search(UNIT_NAME)
  await rows.filter({ hasText: '新增单位' }).first().waitFor()
  await search(USERNAME)
  await rows.filter({ hasText: '新建账号' }).first().waitFor()
  await rows.filter({ hasText: '修改密码' }).first().waitFor()
  // Filter by action through the select: the wrong password of test 1.
  await page.locator('.filter-form input[placeholder="摘要、对象编号"]').fill('')
  await page.locator('.filter-form .el-form-item', { has: page.locator('.el-form-item__label', { hasText: /^操作$/ }) }).locator('.el-select').click()
  await pickOption(page, '登录失败')
  await page.locator('.filter-form').getByRole('button', { name: '查询' }).click()
  // The filtered page has arrived once no row of the earlier search is left.
  await rows.filter({ hasNotText: '登录失败' }).first().waitFor({ state: 'detached' })
  await rows.filter({ hasText: 'city_admin' }).first().waitFor()
  assert.equal(await rows.filter({ hasNotText: '登录失败' }).count(), 0)
  await page.locator('.filter-form').getByRole('button', { name: '重置' }).click()

  // The before/after drawer.
  await search(UNIT_NAME)
  await rows.filter({ hasText: '新增单位' }).first().getByRole('button', { name: '查看' }).click()
  const drawer = page.locator('.el-drawer')
  await drawer.waitFor()
  await drawer.getByText(UNIT_NAME).first().waitFor()
})
