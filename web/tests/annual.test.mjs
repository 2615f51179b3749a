// Browser test against a fresh demo backend of the printed documents and the annual report (issue 23 parts 3 and 6):
// 打印派车单 on an order downloads a PDF whose text says the order number, the plate and the people's names; the
// annual report goes from the unit to the city — the unit administrator corrects a vehicle (the registry changes),
// signs and submits; the city returns it with a reason the unit then sees; the unit signs again and the city
// accepts; the city's work report is drafted from the figures and saved, and its PDF and Excel download.
//   npm run test:browser -- tests/annual.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, beijingAt, dialog, downloaded, expectMessage, login, loginTo, logout, menuItem, pickOption, serverAndBrowser, shot, workday } from './browser.mjs'
import { pdfText } from './pdftext.mjs'

const run = Date.now().toString(36).slice(-5)
const reason = `派车单打印测试${run}`
const YEAR = 2023

let server, b, page
let order // { id, no, plate, driver }

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  // An order of 市机关事务管理局, approved and dispatched through the API.
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  // A day without a statutory holiday, so that a car is not sealed; the hour its own.
  const pickup = new Date(beijingAt(await workday(staff, 5), 7 + Math.floor(Math.random() * 12)))
  const r = await staff.post('/orders', {
    reason, passengers: '秦小敏、王建国', passenger_count: 2, pickup_place: '市行政中心', destinations: ['武进区政府'],
    pickup_at: pickup.toISOString(), return_at: new Date(pickup.getTime() + 3 * 3600000).toISOString(),
  })
  assert.equal(r.status, 201, JSON.stringify(r.data))
  order = { id: r.data.id, no: r.data.no }
  const approver = await apiSession(server.baseURL, 'jgj_approver')
  assert.equal((await approver.post(`/orders/${order.id}/approve`, { reason: '同意' })).status, 200)
  const dispatcher = await apiSession(server.baseURL, 'jgj_dispatcher')
  const sug = (await dispatcher.get(`/orders/${order.id}/suggestions`)).data.items
  const car = sug.find((c) => c.suitable && !c.sealed && c.drivers.some((d) => d.suitable))
  assert.ok(car, 'a suitable car')
  const driver = car.drivers.find((d) => d.suitable)
  const d = await dispatcher.post(`/orders/${order.id}/dispatch`, { vehicle_id: car.id, driver_id: driver.id })
  assert.equal(d.status, 200, JSON.stringify(d.data))
  Object.assign(order, { plate: car.plate, driver: driver.name })
  // The city opens a year of its own for the workflow (the demo's last year is part-way).
  const city = await apiSession(server.baseURL, 'city_admin')
  const y = await city.post('/annual-reports/years', { year: YEAR, deadline: `${YEAR + 1}-03-01` })
  assert.equal(y.status, 201, JSON.stringify(y.data))
})


async function download(locator) {
  const [dl] = await Promise.all([page.waitForEvent('download'), locator.click()])
  return { name: dl.suggestedFilename(), data: await downloaded(dl) }
}

test('1. 打印派车单 downloads the order’s PDF: number, plate, names', async () => {
  await loginTo(page, 'jgj_dispatcher', `/orders/${order.id}`)
  await page.locator('[data-test=print]', { hasText: '打印派车单' }).waitFor()
  await shot(page, 'annual-order-print')
  const pdf = await download(page.locator('[data-test=print]', { hasText: '打印派车单' }))
  assert.equal(pdf.name, `派车单-${order.no}.pdf`)
  assert.ok(pdf.data.length < 150_000, `the PDF is ${pdf.data.length} bytes: the font is subset`)
  const text = pdfText(pdf.data)
  for (const s of ['公务用车派车单', order.no, order.plate, order.driver, '秦小敏', '市机关事务管理局', reason, '沈国华', '韩永康', '调度员 签字：']) {
    assert.ok(text.includes(s), `the sheet says ${s}:\n${text}`)
  }
  await logout(page)
})

async function openReport(unitName) {
  await menuItem(page, '年度报告').click()
  await page.waitForURL('**/statistics/annual')
  await page.locator('[data-test=annual-year]').click()
  await pickOption(page, `${YEAR} 年`)
  await page.locator('input[data-test=annual-keyword]').fill(unitName)
  await page.locator('input[data-test=annual-keyword]').press('Enter')
  const link = page.locator('[data-test=annual-list] [data-test=annual-link]', { hasText: unitName }).first()
  await link.waitFor()
  // What the user sees, the report's title, is the wait: not Playwright's wait for the link's in-page navigation, which
  // twice ran out a click's 30 s in fresh-clone runs with both halves of make test at once.
  await link.click({ noWaitAfter: true })
  await page.locator('[data-test=annual-title]', { hasText: `${unitName} ${YEAR} 年度报告` }).waitFor()
}

async function sign(name) {
  await page.locator('[data-test=annual-submit]').click()
  const dlg = dialog(page, '签署并上报')
  await dlg.locator('[data-test=annual-signature]').fill(name)
  await dlg.locator('[data-test=annual-dialog-submit]').click()
  await dlg.waitFor({ state: 'hidden' })
  await page.locator('[data-test=annual-state-tag]', { hasText: '已上报' }).waitFor()
}

test('2. the annual report from the unit to the city: correct, sign, return with a reason, sign again, accept', async () => {
  const engine = `L4B${run.toUpperCase()}`
  // The unit administrator corrects a vehicle of its report and signs.
  await login(page, 'jgj_admin')
  await openReport('市机关事务管理局')
  await page.locator('[data-test=annual-overdue]').waitFor() // 2023's deadline has passed
  await page.getByRole('tab', { name: /车辆清单/ }).click()
  const firstRow = page.locator('[data-test=annual-vehicles] .el-table__body-wrapper tbody tr').first()
  const plate = (await firstRow.locator('td').first().innerText()).trim()
  await page.locator('[data-test=annual-correct]').first().click()
  const cd = dialog(page, '更正车辆信息')
  await cd.locator('[data-test=annual-correct-value]').fill(engine)
  await cd.locator('[data-test=annual-reason]').fill('与行驶证核对')
  await shot(page, 'annual-correct')
  await cd.locator('[data-test=annual-dialog-submit]').click()
  await cd.waitFor({ state: 'hidden' })
  await page.locator('[data-test=annual-vehicles]', { hasText: engine }).waitFor()
  // the registry has it
  const admin = await apiSession(server.baseURL, 'jgj_admin')
  const vs = (await admin.get(`/vehicles?q=${encodeURIComponent(plate)}`)).data
  assert.ok(JSON.stringify(vs).includes(engine), `the registry's ${plate} has ${engine}`)
  await sign('蒋文静')
  await logout(page)

  // The city returns it with a reason.
  await login(page, 'city_admin')
  await openReport('市机关事务管理局')
  await page.locator('[data-test=annual-return]').click()
  const rd = dialog(page, '退回年度报告')
  await rd.locator('[data-test=annual-reason]').fill('请补全车辆的注册登记日期后重新上报')
  await rd.locator('[data-test=annual-dialog-submit]').click()
  await rd.waitFor({ state: 'hidden' })
  await page.locator('[data-test=annual-state-tag]', { hasText: '已退回' }).waitFor()
  await logout(page)

  // The unit sees the reason and signs again; the city accepts.
  await login(page, 'jgj_admin')
  await openReport('市机关事务管理局')
  await page.locator('[data-test=annual-return-reason]', { hasText: '请补全车辆的注册登记日期后重新上报' }).waitFor()
  await shot(page, 'annual-returned')
  await sign('蒋文静')
  await logout(page)
  await login(page, 'city_admin')
  await openReport('市机关事务管理局')
  await page.locator('[data-test=annual-accept]').click()
  await page.locator('[data-test=annual-state-tag]', { hasText: '已接收' }).waitFor()
  await page.getByRole('tab', { name: '办理过程' }).click()
  const timeline = await page.locator('[data-test=annual-timeline]').innerText()
  for (const s of ['更正车辆信息', '签署上报', '退回', '接收', engine]) assert.ok(timeline.includes(s), `timeline: ${s}\n${timeline}`)
})

test('3. the city drafts its work report from the figures, saves it; its PDF and Excel download', async () => {
  await openReport('常州市')
  const text = page.locator('[data-test=annual-work-text]')
  await text.waitFor()
  assert.match(await text.inputValue(), /一、总体规模[\s\S]*实有公务用车 \d+ 辆/)
  await text.fill((await text.inputValue()) + '\n全市推进公务用车标识化管理。')
  await expectMessage(page, '工作报告已保存', () => page.locator('[data-test=annual-work-save]').click())
  // signing waits for the districts
  await page.locator('[data-test=annual-submit]').click()
  const dlg = dialog(page, '签署并上报')
  await dlg.locator('[data-test=annual-signature]').fill('周建国')
  await expectMessage(page, '下级年度报告尚未全部接收', () => dlg.locator('[data-test=annual-dialog-submit]').click(), 'error')
  await dlg.getByRole('button', { name: '取消' }).click()
  await shot(page, 'annual-city')
  const pdf = await download(page.locator('[data-test=print]', { hasText: '打印 PDF' }))
  assert.match(pdf.name, /常州市-2023年度报告\.pdf/)
  const said = pdfText(pdf.data)
  for (const s of ['常州市 2023 年度公务用车统计报告', '工作报告', '全市推进公务用车标识化管理。', '汇总', '单位基本情况']) {
    assert.ok(said.includes(s), `the city's PDF says ${s}`)
  }
  const xlsx = await download(page.locator('[data-test=annual-excel]'))
  assert.match(xlsx.name, /\.xlsx$/)
})
