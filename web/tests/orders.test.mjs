// Browser test of 用车订单查询 against a fresh demo backend: the city's administrator and the city's
// discipline-inspection supervisor find an order of 市机关事务管理局 by its text and its place, open it with names
// (never ids) and export the filtered list; a district's supervisor does not find it.   npm run test:browser
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { apiSession, launchBrowser, login, logout, menuItem } from './browser.mjs'
import { unzip } from './xlsx.mjs'
import { readFile } from 'node:fs/promises'

const shots = process.env.SHOTS_DIR
const run = Date.now().toString(36).slice(-5)
const reason = `专项督查订单查询${run}`
const place = `查询测试报到点${run}`

let server
let b
let page

before(async () => {
  server = await startServer()
  b = await launchBrowser({ baseURL: server.baseURL })
  page = b.page
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const pickup = new Date(Date.now() + 3 * 86400000)
  const r = await staff.post('/orders', {
    reason, passengers: '秦小敏等', passenger_count: 2, pickup_place: place, destinations: ['武进区政府'],
    pickup_at: pickup.toISOString(), return_at: new Date(pickup.getTime() + 3 * 3600000).toISOString(),
  })
  assert.equal(r.status, 201, JSON.stringify(r.data))
})

after(async () => {
  if (b) {
    if (b.errors.length) console.log('uncaught page errors:', b.errors.map(String))
    await b.close()
  }
  if (server) await server.stop()
})

const shot = async (name) => shots && page.screenshot({ path: `${shots}/${name}.png` })
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
  await shot('orders-search')
  await rows().first().locator('[data-test=order-open]').click()
  const drawer = page.locator('[data-test=order-drawer]')
  await drawer.locator('[data-test=order-info]').waitFor()
  const info = await drawer.locator('[data-test=order-info]').innerText()
  for (const text of ['市机关事务管理局', '秦小敏', reason]) assert.ok(info.includes(text), `${text} in the detail`)
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=orders-export]').click()])
  assert.match(download.suggestedFilename(), /^用车订单-.*\.xlsx$/)
  const files = unzip(await readFile(await download.path()))
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
  await shot('orders-search-jw')
  await logout(page)

  await login(page, 'tn_jw')
  await search('place', place)
  await page.locator('[data-test=orders-table] .el-table__empty-text', { hasText: '暂无数据' }).waitFor()
  assert.equal(await rows().count(), 0)
  await logout(page)
})
