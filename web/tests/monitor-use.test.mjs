// Browser tests of what a user of 实时监控 / 轨迹回放 reads around the map, against a fresh demo backend: the driver
// on duty of the demo fleet's orders, the audit log's account of a track view, the pages on a phone-sized window.
//   npm run test:browser
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { apiSession, launchBrowser, login, logout, menuItem } from './browser.mjs'

let server
let b
let page
const shots = process.env.SHOTS_DIR // set to save screenshots

before(async () => {
  server = await startServer()
  b = await launchBrowser({ baseURL: server.baseURL })
  page = b.page
})

after(async () => {
  if (b) {
    if (b.errors.length) console.log('uncaught page errors:', b.errors.map(String))
    await b.close()
  }
  if (server) await server.stop()
})

const shot = async (name) => shots && page.screenshot({ path: `${shots}/${name}.png` })

test('1. a car on an order under way has a driver on duty for its card', async () => {
  const admin = await apiSession(server.baseURL, 'city_admin')
  const underway = (await admin.get('/live/vehicles')).data.items.filter((v) => v.order && v.order.state === 'departed')
  assert.ok(underway.length > 0)
  assert.deepEqual(underway.filter((v) => !v.driver).map((v) => v.plate), [], 'cars on an order under way without a driver')
  // Nobody drives two of them at once.
  const drivers = underway.map((v) => `${v.driver} ${v.driver_phone}`)
  assert.equal(new Set(drivers).size, drivers.length, `a driver on two orders under way: ${drivers}`)
})

test('2. the audit log tells a track view in words: 车辆, named fields, Beijing time', async () => {
  const admin = await apiSession(server.baseURL, 'city_admin')
  const v = (await admin.get('/live/vehicles')).data.items.find((x) => x.position)
  const to = new Date()
  const from = new Date(to.getTime() - 3600_000)
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), reason: '核对派车单执行情况' })
  assert.equal((await admin.get(`/vehicles/${v.id}/track?${q}`)).status, 200)

  await login(page, 'city_audit')
  await menuItem(page, '审计日志').click()
  const row = page.locator('[data-test=audit-table] .el-table__row', { hasText: '核对派车单执行情况' }).first()
  await row.waitFor()
  assert.match(await row.innerText(), new RegExp(`车辆 #${v.id}`))
  assert.doesNotMatch(await row.innerText(), /vehicle/)
  await row.getByRole('button', { name: '查看' }).click()
  const drawer = page.locator('.el-drawer', { hasText: '审计记录详情' })
  await drawer.getByText('开始时间').waitFor()
  const detail = await drawer.innerText()
  for (const label of ['结束时间', '车牌号', '事由']) assert.match(detail, new RegExp(label))
  assert.doesNotMatch(detail, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw RFC 3339 instants')
  // from in Beijing time, to the second.
  const bj = new Date(from.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
  assert.match(detail, new RegExp(bj))
  await shot('audit-track-detail')
  await drawer.locator('.el-drawer__close-btn').click()
  // The object types of the filter name the vehicle too.
  await page.locator('.filter-form .el-form-item', { hasText: '对象类型' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown:visible').getByText('车辆', { exact: true }).waitFor()
  await page.keyboard.press('Escape')
  await logout(page)
})

test('3. on a phone-sized window the menu folds and track playback shows its map across the width', async () => {
  await page.setViewportSize({ width: 390, height: 844 })
  try {
    await login(page, 'city_admin')
    const aside = await page.locator('.aside').boundingBox()
    assert.ok(aside.width <= 64, `the menu is folded (${aside.width} px)`)
    await page.goto('/track')
    const map = page.locator('[data-test=track-map]')
    await map.locator('.leaflet-control-scale').waitFor()
    const box = await map.boundingBox()
    assert.ok(box.width >= 280 && box.x + box.width <= 391, `the map fits the phone: ${JSON.stringify(box)}`)
    assert.ok(box.height >= 300, `the map has height: ${JSON.stringify(box)}`)
    const reason = await page.locator('[data-test=track-reason]').first().boundingBox()
    assert.ok(reason.x + reason.width <= 391, `the reason field fits: ${JSON.stringify(reason)}`)
    await shot('track-phone')
    // The live map: the list above, the map below it across the width, the card inside the window.
    await page.goto('/monitor')
    const live = page.locator('[data-test=live-map]')
    await live.locator('.leaflet-marker-icon').first().waitFor()
    const lbox = await live.boundingBox()
    assert.ok(lbox.width >= 280 && lbox.x + lbox.width <= 391 && lbox.height >= 300, `the live map fits the phone: ${JSON.stringify(lbox)}`)
    await page.locator('[data-test=live-list] .row').first().click()
    const card = await page.locator('[data-test=vehicle-card]').boundingBox()
    assert.ok(card.x >= 0 && card.x + card.width <= 391, `the card fits the phone: ${JSON.stringify(card)}`)
    await shot('monitor-phone')
    await logout(page)
  } finally {
    await page.setViewportSize({ width: 1440, height: 900 })
  }
})

test('4. the card of a car in alarm says which alarm: the demo terminal that lost its main power', async () => {
  const admin = await apiSession(server.baseURL, 'city_admin')
  const cut = (await admin.get('/live/vehicles')).data.items.find((v) => v.position && v.position.alarm & 256)
  assert.ok(cut, 'the demo has a terminal whose last report has its main power cut')
  await login(page, 'city_admin')
  await menuItem(page, '实时监控').click()
  await page.locator('[data-test=live-map] .leaflet-marker-icon').first().waitFor()
  await page.locator('[data-test=live-search] input, input[data-test=live-search]').first().fill(cut.plate)
  await page.locator(`[data-test=live-row-${cut.plate}]`).click()
  const alarm = page.locator('[data-test=vehicle-card] [data-test=card-alarm]')
  await alarm.waitFor()
  assert.match(await alarm.innerText(), /终端主电源掉电/)
  await shot('monitor-alarm-card')
  await logout(page)
})
