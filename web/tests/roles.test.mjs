// Browser test: each role's sidebar shows what its work needs (issue 24). An applicant applies and follows
// its orders; a driver follows its repair requests (its tasks are on the phone). Neither sees the registry
// (the driver list with phone numbers), the hierarchy or the unit's orders, and a typed address of a hidden
// page leads back to the 工作台.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { login, logout, serverAndBrowser } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

const menuTitles = async () => (await page.locator('.side-menu .menu-title').allInnerTexts()).map((s) => s.trim())

for (const [user, want] of [
  ['jgj_staff', ['工作台', '用车申请', '我的申请', '消息中心', '通知公告', '个人中心']],
  ['jgj_driver', ['工作台', '车辆维修', '消息中心', '通知公告', '个人中心']],
]) {
  test(`${user}: the menu shows only the role's own entries`, async () => {
    await login(page, user)
    assert.deepEqual((await menuTitles()).sort(), [...want].sort())
    // The registry's page is not reachable by its address either.
    await page.goto('/drivers')
    await page.locator('[data-test=welcome]').waitFor()
    assert.equal(new URL(page.url()).pathname, '/')
    assert.equal(await page.locator('.el-message--error').count(), 0, 'no refused request on the way')
    await logout(page)
  })
}

test('jgj_dispatcher: the unit staff keep the registry', async () => {
  await login(page, 'jgj_dispatcher')
  const titles = await menuTitles()
  for (const t of ['车辆管理', '驾驶员管理', '调度台', '紧急用车补报']) assert.ok(titles.includes(t), `${t} in ${titles}`)
  await logout(page)
})
