// Browser tests of the live map (实时监控) and track playback (轨迹回放) against a fresh demo backend, whose
// simulated fleet reports to the gateway over real TCP:   npm run test:browser
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { apiSession, launchBrowser, login, logout, menuItem } from './browser.mjs'

let server
let b
let page
const shots = process.env.SHOTS_DIR // set to save screenshots (1440x900)

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

test('1. the live map shows the demo fleet moving, coloured by state, with a vehicle card', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '实时监控').click()
  await page.waitForURL('**/monitor')
  await page.locator('[data-test=live-map] .leaflet-marker-icon').first().waitFor()
  // The simulated fleet reports within seconds: some vehicles move.
  await page.waitForFunction(() => Number(document.querySelector('[data-test=count-moving] b')?.textContent) > 0, null, { timeout: 40_000 })
  const offline = Number(await page.locator('[data-test=count-offline] b').innerText())
  assert.ok(offline > 0, 'vehicles without a simulated terminal are offline')
  // Reference points of the offline map.
  assert.ok(await page.locator('.gf-place', { hasText: '天宁寺' }).count())
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
  await shot('monitor')
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
  await shot('monitor-card')
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
  await page.locator('[data-test=track-play]').click()
  await page.locator('[data-test=track-now]').waitFor()
  await page.waitForTimeout(600)
  await shot('track')
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
  // The end of the list is reachable and shows the last vehicle.
  await list.evaluate((e) => (e.scrollTop = e.scrollHeight))
  await page.waitForFunction((last) => [...document.querySelectorAll('[data-test=live-list] .row .plate')].some((e) => e.textContent === last), all.at(-1))
  // A vehicle clicked on the map (zoomed in until one stands alone) opens its card and its row shows selected.
  for (let i = 0; i < 8 && !(await page.locator('.gf-car').count()); i++) {
    await page.locator('.gf-cluster').first().click()
    await page.waitForTimeout(700)
  }
  const car = page.locator('.gf-car').first()
  const plate = await car.getAttribute('title')
  await car.dispatchEvent('click')
  await page.locator('[data-test=vehicle-card]').waitFor()
  assert.equal((await page.locator('[data-test=vehicle-card] .plate').innerText()).trim(), plate)
  await page.waitForFunction((p) => document.querySelector('[data-test=live-list] .row.sel .plate')?.textContent === p, plate)
  await shot('monitor-list')
})
