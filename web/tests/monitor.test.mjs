// Browser tests of the live map (实时监控) and track playback (轨迹回放) against a fresh demo backend, whose
// simulated fleet reports to the gateway over real TCP:   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, login, logout, menuItem, serverAndBrowser, shot } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))


test('1. the live map shows the demo fleet moving, coloured by state, with a vehicle card', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '实时监控').click()
  await page.waitForURL('**/monitor')
  await page.locator('[data-test=live-map] .leaflet-marker-icon').first().waitFor()
  // The simulated fleet reports within seconds: some vehicles move.
  await page.waitForFunction(() => Number(document.querySelector('[data-test=count-moving] b')?.textContent) > 0, null, { timeout: 40_000 })
  // Terminals of the demo that never reported are 未上报, not 离线 (one definition, telematics.OfflineAfter).
  const never = Number(await page.locator('[data-test=count-never] b').innerText())
  assert.ok(never > 0, 'vehicles without a simulated terminal have not reported')
  // Reference points of the offline map.
  assert.ok(await page.locator('.gf-place', { hasText: '天宁寺' }).count())
  // … on the districts of Changzhou, outlined and named (internal/geo's base map).
  assert.ok(await page.locator('.gf-district', { hasText: '钟楼区' }).count(), 'the district 钟楼区 is named')
  assert.ok((await page.locator('[data-test=live-map] .leaflet-basemap-pane path').count()) >= 6, 'the six districts are drawn')
  assert.ok(await page.locator('.leaflet-control-scale').count())
  // Filter moving vehicles and open the first one's card.
  await page.locator('[data-test=count-moving]').click()
  const row = page.locator('[data-test=live-list] .row').first()
  const plate = (await row.locator('.plate').innerText()).trim()
  await row.click()
  const card = page.locator('[data-test=vehicle-card]')
  await card.waitFor()
  assert.match(await card.innerText(), new RegExp(plate))
  assert.match(await card.locator('[data-test=card-speed]').innerText(), /km\/h/)
  await shot(page, 'monitor')
  // A live update arrives over SSE: the last report time changes.
  const before = await card.locator('[data-test=card-last]').innerText()
  await page.waitForFunction((b) => document.querySelector('[data-test=card-last]')?.textContent !== b, before, { timeout: 40_000 })
  // Query the position now (0x8201): the simulated terminal answers.
  await card.locator('[data-test=cmd-locate]').click()
  await page.locator('[data-test=cmd-result]').waitFor()
  assert.match(await page.locator('[data-test=cmd-result]').innerText(), /当前位置/)
  // Text to the driver (0x8300).
  await card.locator('[data-test=cmd-text]').click()
  await page.locator('textarea[data-test=cmd-text-input], [data-test=cmd-text-input] textarea').first().fill('请尽快返回单位')
  await page.locator('[data-test=cmd-send]').click()
  await page.waitForFunction(() => /终端已执行/.test(document.querySelector('[data-test=cmd-result]')?.textContent || ''))
  await shot(page, 'monitor-card')
})

test('2. track playback needs a reason, draws the track and records the view in the audit log', async () => {
  await page.locator('[data-test=card-track]').click()
  await page.waitForURL('**/track?vehicle=*')
  await page.locator('[data-test=track-map]').waitFor()
  await page.locator('[data-test=track-query]').click()
  await page.getByText('请填写查看轨迹的事由').waitFor()
  await page.locator('input[data-test=track-reason], [data-test=track-reason] input').first().fill('核查公车使用情况')
  await page.locator('[data-test=track-query]').click()
  await page.locator('[data-test=track-summary]').waitFor()
  assert.ok(Number(await page.locator('[data-test=track-points]').innerText()) > 0)
  // Where it started and ended in words (offline: the district and the nearest named place), on the base map.
  assert.match(await page.locator('[data-test=track-start]').innerText(), /^起点 .+(区|市|常州市外)，.+/)
  assert.match(await page.locator('[data-test=track-end]').innerText(), /^终点 .+，.+/)
  assert.ok((await page.locator('[data-test=track-map] .leaflet-basemap-pane path').count()) >= 6)
  const start = await page.locator('[data-test=track-now]').innerText()
  await page.locator('[data-test=track-play]').click()
  // The playback has moved on.
  await page.waitForFunction((start) => document.querySelector('[data-test=track-now]').innerText !== start, start)
  await shot(page, 'track')
  await logout(page)
  // The audit administrator sees who viewed which track and why.
  const audit = await apiSession(server.baseURL, 'city_audit')
  const res = await audit.get('/audit?action=track.read')
  assert.ok(res.data.items.some((e) => /核查公车使用情况/.test(e.summary)), 'the track view is in the audit log')
})

test('3. a dispatcher sees the live map but not track playback; an applicant sees neither', async () => {
  await login(page, 'jgj_dispatcher')
  assert.equal(await menuItem(page, '实时监控').count(), 1)
  assert.equal(await menuItem(page, '轨迹回放').count(), 0)
  await logout(page)
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  assert.equal((await staff.get('/live/vehicles')).status, 403)
})

test('4. the vehicle list renders only the rows in view, scrolls to the end, and follows a click on the map', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '实时监控').click()
  await page.locator('[data-test=live-map] .leaflet-marker-icon').first().waitFor()
  const all = await page.evaluate(async () => (await (await fetch('/api/live/vehicles')).json()).items.map((v) => v.plate))
  const list = page.locator('[data-test=live-list]')
  assert.match(await page.locator('.meta .muted').innerText(), new RegExp(`共 ${all.length} 辆`))
  const rendered = await list.locator('.row').count()
  assert.ok(rendered < all.length, `${rendered} rows in the page for ${all.length} vehicles`)
  // The end of the list is reachable and shows the last vehicle: scrolled to the end (again while it does not show, as
  // a person would: the list may still be settling its height under a busy machine), its last row is drawn.
  await page.waitForFunction((last) => {
    const l = document.querySelector('[data-test=live-list]')
    l.scrollTop = l.scrollHeight
    return [...l.querySelectorAll('.row .plate')].some((e) => e.textContent === last)
  }, all.at(-1), { polling: 200 })
  // A vehicle clicked on the map (zoomed in until one stands alone) opens its card and its row shows selected.
  for (let i = 0; i < 8 && !(await page.locator('.gf-car').count()); i++) {
    const cluster = await page.locator('.gf-cluster').first().elementHandle()
    await cluster.click()
    // The map has zoomed in and drawn its markers anew (a cluster's marker belongs to its zoom).
    await cluster.waitForElementState('hidden')
  }
  const car = page.locator('.gf-car').first()
  const plate = await car.getAttribute('title')
  await car.dispatchEvent('click')
  await page.locator('[data-test=vehicle-card]').waitFor()
  assert.equal((await page.locator('[data-test=vehicle-card] .plate').innerText()).trim(), plate)
  await page.waitForFunction((p) => document.querySelector('[data-test=live-list] .row.sel .plate')?.textContent === p, plate)
  await shot(page, 'monitor-list')
  await logout(page)
})

test('5. a car on an order under way has a driver on duty for its card', async () => {
  const admin = await apiSession(server.baseURL, 'city_admin')
  const underway = (await admin.get('/live/vehicles')).data.items.filter((v) => v.order && v.order.state === 'departed')
  assert.ok(underway.length > 0)
  assert.deepEqual(underway.filter((v) => !v.driver).map((v) => v.plate), [], 'cars on an order under way without a driver')
  // Nobody drives two of them at once.
  const drivers = underway.map((v) => `${v.driver} ${v.driver_phone}`)
  assert.equal(new Set(drivers).size, drivers.length, `a driver on two orders under way: ${drivers}`)
})

test('6. the audit log tells a track view in words: 车辆, named fields, Beijing time', async () => {
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
  assert.match(await row.innerText(), /车辆/)
  assert.doesNotMatch(await row.innerText(), /#\d/, 'no raw id')
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
  await shot(page, 'audit-track-detail')
  await drawer.locator('.el-drawer__close-btn').click()
  // The object types of the filter name the vehicle too.
  await page.locator('.filter-form .el-form-item', { hasText: '对象类型' }).locator('.el-select').click()
  await page.locator('.el-select-dropdown:visible').getByText('车辆', { exact: true }).waitFor()
  await page.keyboard.press('Escape')
  await logout(page)
})

test('7. on a phone-sized window the menu folds and track playback shows its map across the width', async () => {
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
    await shot(page, 'track-phone')
    // The live map: the list above, the map below it across the width, the card inside the window.
    await page.goto('/monitor')
    const live = page.locator('[data-test=live-map]')
    await live.locator('.leaflet-marker-icon').first().waitFor()
    const lbox = await live.boundingBox()
    assert.ok(lbox.width >= 280 && lbox.x + lbox.width <= 391 && lbox.height >= 300, `the live map fits the phone: ${JSON.stringify(lbox)}`)
    await page.locator('[data-test=live-list] .row').first().click()
    const card = await page.locator('[data-test=vehicle-card]').boundingBox()
    assert.ok(card.x >= 0 && card.x + card.width <= 391, `the card fits the phone: ${JSON.stringify(card)}`)
    await shot(page, 'monitor-phone')
    // Widened, the window gets its menu back; narrowed again, the menu folds.
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.waitForFunction(() => document.querySelector('.aside').getBoundingClientRect().width > 150)
    await page.setViewportSize({ width: 390, height: 844 })
    await page.waitForFunction(() => document.querySelector('.aside').getBoundingClientRect().width <= 64)
    await logout(page)
  } finally {
    await page.setViewportSize({ width: 1440, height: 900 })
  }
})

test('8. the card of a car in alarm says which alarm: the demo terminal that lost its main power', async () => {
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
  await shot(page, 'monitor-alarm-card')
  await logout(page)
})

test('9. an offline car offers no terminal commands, and says why', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '实时监控').click()
  await page.locator('[data-test=live-map] .leaflet-marker-icon').first().waitFor()
  await page.locator('[data-test=count-never]').click()
  await page.locator('[data-test=live-list] .row').first().click()
  const card = page.locator('[data-test=vehicle-card]')
  await card.waitFor()
  for (const c of ['locate', 'track', 'text', 'interval']) assert.ok(await card.locator(`[data-test=cmd-${c}]`).isDisabled(), `${c} disabled`)
  assert.match(await card.locator('[data-test=cmd-offline]').innerText(), /终端离线/)
  // A moving car's card, opened next, offers them again.
  await page.locator('[data-test=count-moving]').click()
  await page.locator('[data-test=live-list] .row').first().click()
  await page.waitForFunction(() => !document.querySelector('[data-test=cmd-locate]')?.disabled)
  assert.equal(await card.locator('[data-test=cmd-offline]').count(), 0)
  await logout(page)
})

test('10. track playback picks its vehicle by typing part of the plate', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '轨迹回放').click()
  await page.waitForURL('**/track')
  const admin = await apiSession(server.baseURL, 'city_admin')
  const v = (await admin.get('/live/vehicles')).data.items.find((x) => x.position)
  await page.locator('[data-test=track-vehicle]').click()
  await page.keyboard.type(v.plate.slice(-4))
  await page.locator('.el-select-dropdown__item:visible', { hasText: v.plate }).first().click()
  await page.locator('input[data-test=track-reason], [data-test=track-reason] input').first().fill('核查出车记录')
  await page.locator('[data-test=track-query]').click()
  await page.locator('[data-test=track-summary]', { hasText: v.plate }).waitFor()
  await logout(page)
})
