// Browser tests of the whole life cycle's pages (issue 6): the inspection company records a result from its 企业工作台,
// the insurer creates an API key in its console and its system pushes a signed policy that the vehicle manager then
// finds on the staff page, and the cost ledger shows the fee:   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { apiSession, dialog, expectMessage, login, logout, menuItem, serverAndBrowser, shot } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

test('1. the inspection company sees only its functions and records a result; the due date moves on', async () => {
  await login(page, 'co_inspect')
  await page.locator('[data-test=company-workbench]').waitFor()
  assert.match(await page.locator('[data-test=company-workbench]').innerText(), /企业工作台 · .*检测站/)
  // Only its own entries: no registry, no booking, no insurance.
  assert.equal(await menuItem(page, '车辆管理').count(), 0)
  assert.equal(await menuItem(page, '保险保单').count(), 0)
  await menuItem(page, '年检管理').click()
  await page.waitForURL('**/inspection')
  const table = page.locator('[data-test=inspection-table]')
  await table.locator('.el-table__row').first().waitFor()
  // The demo has vehicles overdue: flagged in red.
  await page.locator('[data-test=inspection-view]').getByText('已逾期').click()
  await table.locator('.el-tag--danger', { hasText: '逾期' }).first().waitFor()
  await shot(page, 'inspection-overdue')
  const row = table.locator('.el-table__row').first()
  const plate = (await row.locator('td').first().innerText()).trim()
  await table.locator('.el-table__fixed-right [data-test=inspection-record], [data-test=inspection-record]').first().click()
  const d = dialog(page, '登记年检结果')
  await d.waitFor()
  await shot(page, 'inspection-record')
  await expectMessage(page, `已登记 ${plate} 的年检结果`, () => d.locator('[data-test=result-save]').click())
  // No longer overdue: look it up among all vehicles.
  await page.locator('[data-test=inspection-view]').getByText('全部车辆').click()
  await page.locator('input[data-test=inspection-q], [data-test=inspection-q] input').first().fill(plate)
  await page.locator('[data-test=inspection-search]').click()
  await page.waitForFunction((p) => {
    const rows = document.querySelectorAll('[data-test=inspection-table] .el-table__body-wrapper .el-table__row')
    return rows.length === 1 && rows[0].textContent.includes(p) && rows[0].textContent.includes('合格')
  }, plate)
  assert.doesNotMatch(await table.locator('[data-test=due-tag]').first().innerText(), /逾期/)
  await shot(page, 'inspection-recorded')
  await logout(page)
})

test('2. the insurer creates an API key; its signed policy appears on the vehicle manager\'s page', async () => {
  await login(page, 'co_insurer')
  await menuItem(page, 'API密钥').click()
  await page.waitForURL('**/company/keys')
  await page.locator('input[data-test=key-name], [data-test=key-name] input').first().fill('核心业务系统')
  await page.locator('[data-test=key-create]').click()
  const secretDialog = dialog(page, 'API密钥已创建')
  await secretDialog.waitFor()
  const secret = await secretDialog.locator('input[readonly]').inputValue()
  const keyId = (await secretDialog.locator('b.mono').innerText()).trim()
  assert.match(keyId, /^gfk_/)
  await shot(page, 'api-key')
  await secretDialog.getByRole('button', { name: '我已保存' }).click()
  await logout(page)

  // The insurer's system: a vehicle of 市机关事务管理局, a policy ending in 20 days, signed.
  const city = await apiSession(server.baseURL, 'jgj_vm')
  const vs = await city.get('/vehicles?page_size=1')
  const plate = vs.data.items[0].plate
  const day = (n) => new Date(Date.now() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10)
  const policyNo = `PDZA-BROWSER-${Date.now()}`
  const body = JSON.stringify({ policy_no: policyNo, kind: 'compulsory', plate, starts_on: day(-345), ends_on: day(20), premium_fen: 95000, coverage: [] })
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = crypto.randomBytes(16).toString('hex')
  const hash = crypto.createHash('sha256').update(body).digest('hex')
  const sig = crypto.createHmac('sha256', secret).update(`POST\n/api/insurance/policies\n${ts}\n${nonce}\n${hash}`).digest('hex')
  const res = await fetch(`${server.baseURL}/api/insurance/policies`, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', 'X-Key-Id': keyId, 'X-Timestamp': ts, 'X-Nonce': nonce, 'X-Signature': sig, 'Idempotency-Key': policyNo },
  })
  assert.equal(res.status, 201, await res.text())

  await login(page, 'jgj_vm')
  await menuItem(page, '保险保单').click()
  await page.waitForURL('**/insurance/policies')
  await page.locator('input[data-test=policy-q], [data-test=policy-q] input').first().fill(policyNo)
  await page.locator('[data-test=policy-search]').click()
  const row = page.locator('[data-test=policy-table] .el-table__row', { hasText: policyNo })
  await row.waitFor()
  assert.match(await row.innerText(), new RegExp(plate))
  assert.match(await row.innerText(), /即将到期/)
  await shot(page, 'policies')
  // The cost ledger carries the unit's premiums: the year the pushed policy starts in, which holds its premium
  // whatever the date (the demo's costs of the current year may be none yet in early January).
  const year = day(-345).slice(0, 4)
  await menuItem(page, '费用台账').click()
  await page.waitForURL('**/costs')
  await page.locator('[data-test=cost-total]').waitFor()
  const yearInput = page.locator('.el-date-editor--year input')
  await yearInput.click()
  await yearInput.fill(year)
  await yearInput.press('Enter')
  await page.locator('[data-test=cost-totals]').click() // close the panel
  await page.locator('[data-test=cost-totals] .label', { hasText: `${year} 合计` }).waitFor()
  assert.notEqual(await page.locator('[data-test=cost-total]').innerText(), '0.00')
  const download = page.waitForEvent('download')
  await page.locator('[data-test=cost-export]').click()
  assert.match((await download).suggestedFilename(), /费用台账-\d{4}\.xlsx/)
  await shot(page, 'costs')
  await logout(page)
})
