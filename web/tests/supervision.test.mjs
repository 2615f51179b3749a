// Browser test of supervision (issue 7) against a fresh demo backend: the engine runs at serve start and turns the
// demo's planted violations into cases; a discipline supervisor finds them, opens one down to its evidence; the unit
// explains; the authority escalates it to discipline inspection.   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, login, loginTo, logout, menuItem, serverAndBrowser, shot } from './browser.mjs'

let server, b, page
let caseID

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  // The first run of the rules starts with the server: wait for its cases.
  const jw = await apiSession(server.baseURL, 'city_jw')
  for (let i = 0; i < 60; i++) {
    const r = await jw.get('/supervision/cases?rule=no_order')
    if (r.status === 200 && r.data.total > 0) {
      caseID = r.data.items[0].id
      break
    }
    await new Promise((res) => setTimeout(res, 1000))
  }
  assert.ok(caseID, 'the planted weekend trip became a case')
})


test('1. a discipline supervisor sees the planted cases on the dashboard and the evidence of one, read-only', async () => {
  await login(page, 'city_jw')
  await menuItem(page, '监督总览').click()
  await page.waitForURL('**/supervision')
  const byRule = page.locator('[data-test=sup-by-rule]')
  for (const name of ['无单出车', '夜间未回指定停放点', '终端断电或疑似人为破坏', '终端长时间离线']) {
    await byRule.getByText(name, { exact: true }).waitFor()
  }
  await shot(page, 'supervision-dashboard')
  await byRule.getByText('无单出车', { exact: true }).click()
  await page.waitForURL('**/supervision/cases?*rule=no_order*')
  await page.locator('[data-test=case-link]').first().click()
  await page.waitForURL(`**/supervision/cases/${caseID}`)
  const finding = page.locator('[data-test=finding]').first()
  await finding.waitFor()
  // The demo's trip without an order carries its filing, left open past its 48 hours.
  assert.match(await finding.innerText(), /无派车单出车.*应急用车备案逾期未办/)
  const evidence = await page.locator('[data-test=evidence]').first().innerText()
  assert.match(evidence, /行程[\s\S]*定位点数/)
  assert.match(evidence, /来源\s*出车无订单/)
  assert.doesNotMatch(evidence, /来源\s*trip|状态\s*open/, 'coded values are shown in words')
  assert.equal(await page.locator('[data-test=case-state]').innerText(), '待单位说明')
  // Read-only: no explain or decide actions for a supervisor.
  assert.equal(await page.locator('[data-test=explain-card]').count(), 0)
  assert.equal(await page.locator('[data-test=decide-card]').count(), 0)
  // Down to the track: the playback page opens for the vehicle and period, and asks for a reason.
  await page.locator('[data-test=case-track]').first().click()
  await page.waitForURL('**/track?vehicle=*')
  await page.locator('[data-test=track-query]').click()
  await page.getByText('请填写查看轨迹的事由').waitFor()
  await page.locator('input[data-test=track-reason], [data-test=track-reason] input').first().fill('核查无单出车线索')
  await page.locator('[data-test=track-query]').click()
  await page.locator('[data-test=track-summary]').waitFor()
  assert.ok(Number(await page.locator('[data-test=track-points]').innerText()) > 100)
  await logout(page)
})

test('2. the unit explains the case', async () => {
  await loginTo(page, 'jgj_vm', `/supervision/cases/${caseID}`)
  await page.locator('[data-test=explain-card]').waitFor()
  await page.locator('[data-test=explain-submit]').click()
  await page.getByText('请填写情况说明').waitFor()
  await page.locator('textarea[data-test=explain-text], [data-test=explain-text] textarea').first().fill('周六司机私自用车外出，已批评教育，责令书面检查')
  await page.locator('[data-test=explain-submit]').click()
  await page.waitForFunction(() => document.querySelector('[data-test=case-state]')?.textContent.trim() === '待核查')
  assert.match(await page.locator('[data-test=case-explanation]').innerText(), /私自用车/)
  await logout(page)
})

test('3. the authority escalates it to discipline inspection; the timeline shows every step', async () => {
  await loginTo(page, 'city_admin', `/supervision/cases/${caseID}`)
  await page.locator('[data-test=decide-card]').waitFor()
  await page.locator('[data-test=escalate-to]').getByText('纪检监察').click()
  await page.locator('textarea[data-test=escalate-reason], [data-test=escalate-reason] textarea').first().fill('承认公车私用，移送纪检监察处理')
  await page.locator('[data-test=escalate-submit]').click()
  await page.locator('[data-test=case-discipline]').waitFor()
  const tl = await page.locator('[data-test=timeline]').innerText()
  assert.match(tl, /系统立案[\s\S]*单位说明[\s\S]*升级[\s\S]*移送纪检监察/)
  await shot(page, 'supervision-case')
  await logout(page)
  // The supervisor sees it among the referred cases.
  const jw = await apiSession(server.baseURL, 'city_jw')
  const r = await jw.get('/supervision/cases?discipline=1&rule=no_order')
  assert.equal(r.data.items[0].id, caseID)
})
