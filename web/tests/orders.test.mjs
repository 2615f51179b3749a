// Browser test against a fresh demo backend of 用车订单查询: the city's administrator and the city's
// discipline-inspection supervisor find an order of 市机关事务管理局 by its text and its place, open it with names
// (never ids) and export the filtered list; a district's supervisor does not find it. And of 节假日用车备案:
// a sealed car dispatched on a holiday is filed with the city, which returns it with a reason the unit then sees.
//   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, beijingDay, downloaded, login, loginTo, logout, menuItem, serverAndBrowser, shot } from './browser.mjs'
import { unzip } from './xlsx.mjs'

const run = Date.now().toString(36).slice(-5)
const reason = `专项督查订单查询${run}`
const place = `查询测试报到点${run}`

let server, b, page

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const pickup = new Date(Date.now() + 3 * 86400000)
  const r = await staff.post('/orders', {
    reason, passengers: '秦小敏等', passenger_count: 2, pickup_place: place, destinations: ['武进区政府'],
    pickup_at: pickup.toISOString(), return_at: new Date(pickup.getTime() + 3 * 3600000).toISOString(),
  })
  assert.equal(r.status, 201, JSON.stringify(r.data))
})

const rows = () => page.locator('[data-test=orders-table] .el-table__body-wrapper tbody tr')

async function search(field, text) {
  await menuItem(page, '用车订单查询').click()
  await page.waitForURL('**/orders')
  await page.locator(`input[data-test=orders-${field}]`).fill(text)
  await page.locator('[data-test=orders-search]').click()
}

test('1. the city administrator finds an order of a unit, opens it and exports the filtered list', async () => {
  await login(page, 'city_admin')
  await search('q', reason)
  await rows().filter({ hasText: reason }).waitFor()
  await page.waitForFunction(() => document.querySelectorAll('[data-test=orders-table] tbody tr').length === 1)
  const row = await rows().first().innerText()
  for (const text of ['市机关事务管理局', '秦小敏', place, '武进区政府', '待审批', '未派车']) assert.ok(row.includes(text), `${text} in ${row}`)
  await shot(page, 'orders-search')
  await rows().first().locator('[data-test=order-open]').click()
  const drawer = page.locator('[data-test=order-drawer]')
  await drawer.locator('[data-test=order-info]').waitFor()
  const info = await drawer.locator('[data-test=order-info]').innerText()
  for (const text of ['市机关事务管理局', '秦小敏', reason]) assert.ok(info.includes(text), `${text} in the detail`)
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=orders-export]').click()])
  assert.match(download.suggestedFilename(), /^用车订单-.*\.xlsx$/)
  const files = unzip(await downloaded(download))
  const sheet = files.find((f) => f.name === 'xl/worksheets/sheet1.xml').data.toString('utf8')
  const dataRows = sheet.match(/<row r="\d+"/g).length - 1
  assert.equal(dataRows, 1, 'the export holds the filtered order only')
  for (const text of [reason, '市机关事务管理局', '秦小敏', '待审批']) assert.ok(sheet.includes(text), `${text} in the export`)
  await logout(page)
})

test('2. the discipline-inspection supervisor finds it by place; a district supervisor does not', async () => {
  await login(page, 'city_jw')
  await search('place', place)
  await rows().filter({ hasText: reason }).waitFor()
  assert.equal(await page.locator('[data-test=orders-export]').isVisible(), true)
  await shot(page, 'orders-search-jw')
  await logout(page)

  await login(page, 'tn_jw')
  await search('place', place)
  await page.locator('[data-test=orders-table] .el-table__empty-text', { hasText: '暂无数据' }).waitFor()
  assert.equal(await rows().count(), 0)
  await logout(page)
})

test('3. the authority returns a holiday use filed with it; the unit sees why', async () => {
  // jgj_staff's order on the next statutory holiday, dispatched on a sealed car with a filing.
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const year = Number(beijingDay(0).slice(0, 4))
  const days = [...(await staff.get(`/calendar?year=${year}`)).data, ...(await staff.get(`/calendar?year=${year + 1}`)).data]
  const soon = beijingDay(2)
  let holiday = days.find((d) => d.kind === 'holiday' && d.day > soon)
  if (!holiday) {
    // Late in the year, before next year's schedule is published: the city's administrator marks one.
    holiday = { day: beijingDay(60) }
    const set = await (await apiSession(server.baseURL, 'city_admin')).put(`/calendar/${holiday.day}`, { kind: 'holiday', name: '测试假日' })
    assert.equal(set.status, 204, JSON.stringify(set.data))
  }
  const pickup = new Date(`${holiday.day}T14:${String(parseInt(run.slice(-2), 36) % 60).padStart(2, '0')}:00+08:00`)
  const r = await staff.post('/orders', {
    reason: `节假日保障${run}`, passenger_count: 1, pickup_place: '市行政中心', destinations: ['市应急管理局'],
    pickup_at: pickup.toISOString(), return_at: new Date(pickup.getTime() + 3600000).toISOString(),
  })
  assert.equal(r.status, 201, JSON.stringify(r.data))
  const order = r.data
  assert.equal((await (await apiSession(server.baseURL, 'jgj_approver')).post(`/orders/${order.id}/approve`, {})).status, 200)
  const dispatcher = await apiSession(server.baseURL, 'jgj_dispatcher')
  // Sealed cars rank after the others: page through the dispatcher's whole scope.
  let car
  for (let p = 1; !car; p++) {
    const { items, total } = (await dispatcher.get(`/orders/${order.id}/suggestions?page=${p}&page_size=200`)).data
    car = items.find((c) => c.suitable && c.sealed && c.drivers.some((d) => d.suitable))
    if (p * 200 >= total) break
  }
  assert.ok(car, 'a suitable sealed car')
  const reason = `防汛值守${run}`
  const d = await dispatcher.post(`/orders/${order.id}/dispatch`, { vehicle_id: car.id, driver_id: car.drivers.find((x) => x.suitable).id, sealed_filing: reason })
  assert.equal(d.status, 200, JSON.stringify(d.data))

  await login(page, 'city_admin')
  await menuItem(page, '节假日用车备案').click()
  await page.waitForURL('**/holiday-filings')
  const row = page.locator('[data-test=holiday-filings] .el-table__body-wrapper tbody tr', { hasText: reason })
  await row.waitFor()
  const text = await row.innerText()
  for (const t of [order.no, '市机关事务管理局', car.plate, '待审核', '报常州市']) assert.ok(text.includes(t), `${t} in ${text}`)
  await shot(page, 'holiday-filings')
  await row.locator('[data-test=holiday-return]').click()
  const box = page.locator('.el-message-box:visible')
  await box.locator('textarea').fill('防汛值守应使用应急保障车辆')
  await box.getByRole('button', { name: '确定' }).click()
  await row.waitFor({ state: 'detached' })
  await page.locator('[data-test=holiday-tabs]').getByText('已退回', { exact: true }).click()
  const back = page.locator('[data-test=holiday-filings] .el-table__body-wrapper tbody tr', { hasText: reason })
  await back.getByText('防汛值守应使用应急保障车辆').waitFor()
  assert.equal(await back.locator('[data-test=holiday-return]').count(), 0)
  await logout(page)

  // The unit sees the outcome on the order.
  await loginTo(page, 'jgj_dispatcher', `/orders/${order.id}`)
  const filing = page.locator('[data-test=order-holiday-filing]')
  await filing.getByText('已退回').waitFor()
  assert.match(await filing.innerText(), /防汛值守应使用应急保障车辆/)
  await shot(page, 'holiday-filing-order')
  await logout(page)
})
