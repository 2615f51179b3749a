// Browser tests of 行程与里程 (trips and daily mileage) and 终端健康 (terminal health, R-26) against a fresh demo
// backend: its simulated fleet comes with two hours of history, covered by orders under way, and one terminal
// that cut its main power and went silent.   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, dialog, login, menuItem, serverAndBrowser, shot } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))


test('1. a simulated vehicle has trips served by its order, daily mileage, and a link to the trip\'s track', async () => {
  const api = await apiSession(server.baseURL, 'city_admin')
  // The trip job runs at start: wait until a simulated vehicle has a trip.
  const live = (await api.get('/live/vehicles')).data.items.filter((v) => v.position)
  assert.ok(live.length > 0, 'the demo fleet has positions')
  let vehicle
  for (let i = 0; i < 60 && !vehicle; i++) {
    for (const v of live) {
      const r = await api.get(`/vehicles/${v.id}/trips`)
      if (r.status === 200 && r.data.trips.length) {
        vehicle = r.data
        break
      }
    }
    if (!vehicle) await new Promise((r) => setTimeout(r, 1000))
  }
  assert.ok(vehicle, 'a simulated vehicle has trips')
  assert.equal(vehicle.without_order, 0, 'the demo fleet drives on orders: no trip without order')

  await login(page, 'city_admin')
  await menuItem(page, '行程与里程').click()
  await page.waitForURL('**/trips')
  await page.goto(`/trips?vehicle=${vehicle.vehicle_id}`)
  await page.locator('[data-test=trips-table] .el-table__row').first().waitFor()
  assert.match(await page.locator('[data-test=trips-summary]').innerText(), new RegExp(vehicle.plate))
  assert.ok(Number(await page.locator('[data-test=trips-count]').innerText()) > 0)
  assert.ok(Number(await page.locator('[data-test=trips-km]').innerText()) > 0)
  assert.ok(await page.locator('[data-test=mileage-chart] .barcol').count(), 'daily mileage bars')
  await shot(page, 'trips')
  // The trip's order.
  const orderNo = (await page.locator('[data-test=trip-order]').first().innerText()).trim()
  assert.match(orderNo, /^YC\d+/)
  await page.locator('[data-test=trip-order]').first().click()
  await page.waitForURL('**/orders/*')
  await page.getByText(orderNo).first().waitFor()
  await page.goBack()
  // Track playback of the trip's time range: the reason is still asked.
  await page.locator('[data-test=trip-track]').first().click()
  await page.waitForURL('**/track?vehicle=*')
  await page.locator('input[data-test=track-reason], [data-test=track-reason] input').first().fill('核对行程里程')
  await page.locator('[data-test=track-query]').click()
  await page.locator('[data-test=track-summary]').waitFor()
  assert.ok(Number(await page.locator('[data-test=track-points]').innerText()) > 1)
})

test('2. the terminal cut from power and silent is a health event; request repair, then mark fixed with a note', async () => {
  await menuItem(page, '终端健康').click()
  await page.waitForURL('**/terminal-health')
  await page.locator('[data-test=health-table] .el-table__row', { hasText: '断电后失联' }).first().waitFor({ timeout: 60_000 })
  // Evidence in words: the alarm's name, not its bit number; the demo's planted events too.
  const evidence = await page.locator('[data-test=health-evidence]').allInnerTexts()
  assert.ok(evidence.length >= 3, 'events of the simulated and the planted tamper case')
  for (const e of evidence) {
    assert.ok(e.trim() && e.trim() !== '—', `evidence shown: ${JSON.stringify(evidence)}`)
    assert.doesNotMatch(e, /报警位/)
  }
  assert.ok(evidence.some((e) => /报警：终端主电源掉电/.test(e)), `the power cut named: ${JSON.stringify(evidence)}`)
  assert.ok(evidence.some((e) => /失联 \d+ 小时/.test(e)), `the planted silence in hours: ${JSON.stringify(evidence)}`)
  // At 1440 px every column — the handling notes too — fits without scrolling the table sideways.
  const overflow = await page.locator('[data-test=health-table] .el-table__body-wrapper .el-scrollbar__wrap').first()
    .evaluate((el) => el.scrollWidth - el.clientWidth)
  assert.ok(overflow <= 1, `the table scrolls sideways by ${overflow} px`)
  await page.locator('[data-test=health-count-silent_after_power_cut]').click()
  const row = page.locator('[data-test=health-table] .el-table__row', { hasText: '断电后失联' }).first()
  await row.waitFor({ timeout: 60_000 })
  assert.ok(Number(await page.locator('[data-test=health-count-silent_after_power_cut] b').innerText()) >= 1)
  assert.ok(Number(await page.locator('[data-test=health-count-power_cut] b').innerText()) >= 1)
  await shot(page, 'health')
  const plate = (await row.locator('td .plate').first().innerText()).trim()
  await row.locator('[data-test=health-repair]').click()
  let d = dialog(page, '报修')
  await d.locator('textarea').fill('已通知定点维修厂上门检查')
  await d.locator('[data-test=health-submit]').click()
  await page.locator('[data-test=health-table] .el-table__row', { hasText: '已通知定点维修厂上门检查' }).waitFor()
  const again = page.locator('[data-test=health-table] .el-table__row', { hasText: '已通知定点维修厂上门检查' }).first()
  assert.match(await again.innerText(), /已报修/)
  await again.locator('[data-test=health-fix]').click()
  d = dialog(page, '标记已修复')
  await d.locator('[data-test=health-submit]').click()
  await d.getByText('请填写处理说明').waitFor()
  await d.locator('textarea').fill('重新接通主电源并加装防拆封条')
  await d.locator('[data-test=health-submit]').click()
  await d.waitFor({ state: 'hidden' })
  // Fixed events leave the default (未修复) list; the API shows the event fixed, with who and the note.
  const api = await apiSession(server.baseURL, 'city_admin')
  const evs = (await api.get('/terminal-events?kind=silent_after_power_cut&state=fixed')).data.items
  assert.equal(evs.length, 1)
  assert.equal(evs[0].plate, plate)
  assert.equal(evs[0].note, '重新接通主电源并加装防拆封条')
  assert.ok(evs[0].fixed_by_name)
  // From a vehicle card: the list narrowed to a vehicle without events names it by its plate, not its id.
  const events = (await api.get('/terminal-events?page_size=100')).data.items
  const quiet = (await api.get('/live/vehicles')).data.items.find((v) => v.position && !events.some((e) => e.vehicle_id === v.id))
  await page.goto(`/terminal-health?vehicle=${quiet.id}`)
  await page.locator('[data-test=health-table]').getByText('没有终端健康事件').waitFor()
  await page.locator('[data-test=health-vehicle]', { hasText: quiet.plate }).waitFor()
  assert.doesNotMatch(await page.locator('[data-test=health-vehicle]').innerText(), new RegExp(`车辆 ${quiet.id}$`))
  // Leaving the track playback right after its query (test 1) threw nothing.
  assert.deepEqual(b.errors.map(String), [])
})
