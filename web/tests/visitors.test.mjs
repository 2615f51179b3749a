// Browser test of visiting officials against a fresh demo backend: on a 375 px phone a visitor registers
// with an SMS code (the demo's SMS sender writes it to the server log), waits for verification and cannot book;
// the host unit's approver verifies it on the console's 来访人员; the visitor books a platform vehicle in paid use
// and follows it. The demo's visitor sees its past rides with driver, car and fee; 网约车对账 says the provider
// (the simulator, not running yet) is unreachable and still lists the platform's records. Then the simulator
// (`govfleet ridehail-sim`, on a port of its own) starts: the visitor books a ride on the phone, a driver accepts, and
// the visitor cancels it, paying the provider's cancellation fee; the host unit's dispatcher cancels another on the
// console and the visitor is told.
//   GOVFLEET_BIN=../bin/govfleet node tests/run.mjs tests/visitors.test.mjs
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './server.mjs'
import { beijingDay, expectMessage, login, logout, menuItem, serverAndBrowser, shot } from './browser.mjs'

const PHONE = { width: 375, height: 812 }
const DESKTOP = { width: 1440, height: 900 }
const mobile = `137${String(Date.now()).slice(-8)}`
const name = `来访测试${Date.now().toString(36).slice(-3)}`
const password = 'Laifang#Test26'

let server, b, page
// the ride-hailing simulator's address: nothing listens there until test 6 starts it
const simURL = `http://127.0.0.1:${await freePort()}`
let sim

const ridehail = ['--ridehail-url', simURL, '--ridehail-client-id', 'govfleet-demo',
  '--ridehail-client-secret', 'demo-client-secret', '--ridehail-callback-secret', 'demo-callback-secret']

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
}, { args: ridehail })

after(() => {
  if (sim) sim.kill('SIGTERM')
})


async function smsCode(phone) {
  const re = new RegExp(`phone=${phone} text=\\S*验证码：(\\d{6})`)
  for (let i = 0; i < 50; i++) {
    const m = server.logs().match(re)
    if (m) return m[1]
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('no code in the SMS log')
}

const shanghai = (days, hour) => `${beijingDay(days)}T${String(hour).padStart(2, '0')}:00`

test('1. a visitor registers on the phone with an SMS code and waits for verification', async () => {
  await page.setViewportSize(PHONE)
  await page.goto('/m/login')
  await page.locator('[data-test=m-login-visitor]').click()
  await page.locator('[data-test=m-visitor-register-link]').click()
  await page.waitForURL('**/m/visitor/register')
  const form = page.locator('[data-test=m-visitor-register]')
  await form.locator('input[name=name]').fill(name)
  await form.locator('input[name=mobile]').fill(mobile)
  await page.locator('[data-test=m-visitor-send-code]').click()
  const code = await smsCode(mobile)
  await form.locator('input[name=code]').fill(code === '000000' ? '111111' : '000000') // a wrong code first
  await form.locator('input[name=home_city]').fill('南京')
  await form.locator('input[name=home_unit]').fill('南京市机关事务管理局')
  await page.locator('[data-test=m-visitor-host]').click()
  await page.locator('.van-popup input[type=search]').fill('市机关事务管理局')
  await page.locator('.van-picker__confirm').click()
  await form.locator('input[name=purpose]').fill('机关事务交流')
  await form.locator('input[name=password]').fill(password)
  await page.locator('[data-test=m-visitor-register-submit]').click()
  await page.locator('.van-field__error-message', { hasText: '验证码错误，还可尝试4次' }).waitFor()
  await shot(page, 'visitor-register-phone')
  await form.locator('input[name=code]').fill(code)
  await page.locator('[data-test=m-visitor-register-submit]').click()
  await page.waitForURL('**/m/visitor')
  await page.locator('[data-test=m-visitor-state]', { hasText: '待核验' }).waitFor()
  assert.ok(await page.locator('[data-test=m-visitor-book]').isDisabled(), 'a pending visitor cannot book')
  await shot(page, 'visitor-pending-phone')
})

test('2. the host unit\'s approver verifies the registration on the console', async () => {
  await page.context().clearCookies()
  await page.setViewportSize(DESKTOP)
  await login(page, 'jgj_approver')
  await menuItem(page, '来访人员').click()
  await page.waitForURL('**/visitors')
  await page.locator('input[data-test=visitors-q]').fill(name)
  await page.keyboard.press('Enter')
  const row = page.locator('[data-test=visitors-table] .el-table__body-wrapper tbody tr', { hasText: name })
  await row.waitFor()
  assert.match(await row.innerText(), /待核验/)
  await shot(page, 'visitors-console')
  await row.locator('[data-test=visitor-approve]').click()
  await page.locator('[data-test=visitor-decide-submit]').click()
  await page.locator('[data-test=visitors-table] tbody tr', { hasText: '已核验' }).filter({ hasText: name }).waitFor()
  await logout(page)
})

test('3. the verified visitor books a platform vehicle and follows it', async () => {
  await page.context().clearCookies()
  await page.setViewportSize(PHONE)
  await visitorLogin(mobile, password)
  await page.locator('[data-test=m-visitor-state]', { hasText: '已核验' }).waitFor()
  await page.locator('[data-test=m-visitor-book]').click()
  await page.waitForURL('**/m/visitor/book')
  await page.locator('[data-test=m-tariffs]').waitFor()
  const form = page.locator('[data-test=m-visitor-book-form]')
  await form.locator('input[name=reason]').fill('参加机关事务交流会')
  await form.locator('input[name=pickup_place]').fill('常州北站')
  await form.locator('input[name=destination]').fill('市行政中心')
  await form.locator('input[name=start_at]').fill(shanghai(3, 9))
  await form.locator('input[name=end_at]').fill(shanghai(3, 17))
  await shot(page, 'visitor-book-phone')
  await page.locator('[data-test=m-visitor-book-submit]').click()
  await page.waitForURL(/\/m\/visitor\/bookings\/\d+$/)
  await page.locator('[data-test=m-visitor-booking-state]', { hasText: '待派车' }).waitFor()
  const text = await page.locator('[data-test=m-visitor-booking-detail]').innerText()
  for (const t of ['平台车辆（有偿使用）', '常州北站', '市行政中心', '尚未派车']) assert.ok(text.includes(t), `${t} in the detail`)
  assert.doesNotMatch(text, /platform|approved|undefined/)
  await shot(page, 'visitor-booking-phone')
})

test('4. the demo visitor sees its past rides: driver, car and fee; the console lists and reconciles them', async () => {
  await page.context().clearCookies()
  await page.setViewportSize(PHONE)
  await visitorLogin('13905190201', 'Laifang#Cz2026')
  const cards = page.locator('[data-test=m-visitor-booking]')
  await cards.first().waitFor()
  assert.ok((await cards.count()) >= 4, 'past bookings of the demo')
  await shot(page, 'visitor-home-phone')
  await cards.filter({ hasText: '网约车' }).first().click()
  await page.locator('[data-test=m-visitor-car]').waitFor()
  const car = await page.locator('[data-test=m-visitor-car]').innerText()
  assert.match(car, /苏D·T3/)
  await page.locator('[data-test=m-visitor-fee]').waitFor()
  await shot(page, 'visitor-ride-phone')

  await page.context().clearCookies()
  await page.setViewportSize(DESKTOP)
  await login(page, 'city_admin')
  await menuItem(page, '来访人员').click()
  await page.getByRole('tab', { name: '来访用车' }).click()
  await page.locator('[data-test=visitor-bookings-table] tbody tr', { hasText: '网约车' }).first().waitFor()
  // A platform vehicle's paid use shows the market price it replaced and the saving (the paid-use tariff, 收费标准与市场价).
  const saving = page.locator('[data-test=visitor-bookings-table] [data-test=visitor-saving]').first()
  await saving.waitFor()
  const yuanOf = (t) => Number(t.trim().replace(/,/g, ''))
  const [market, saved] = (await saving.innerText()).split('/').map(yuanOf)
  const fee = yuanOf(await saving.locator('xpath=ancestor::td/preceding-sibling::td[1]').innerText())
  assert.ok(fee > 0 && market > fee && Math.abs(market - fee - saved) < 0.005, `market ${market} − fee ${fee} = saving ${saved}`)
  await shot(page, 'visitor-bookings-console')
  await menuItem(page, '网约车对账').click()
  await page.waitForURL('**/ridehail-reconciliation')
  await page.locator('[data-test=recon-unreachable]', { hasText: '暂时无法连接' }).waitFor()
  assert.ok((await page.locator('[data-test=recon-table] tbody tr').count()) >= 3, 'the platform\'s records are listed')
  await shot(page, 'ridehail-reconciliation-console')
})

test('5. the approver refuses a registration on the phone; the refused visitor cannot book', async () => {
  const m2 = `136${String(Date.now()).slice(-8)}`
  const post = (p, body) => fetch(`${server.baseURL}/api${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  assert.equal((await post('/visitor/code', { mobile: m2 })).status, 204)
  const reg = await post('/visitor/register', {
    name: '退回测试', mobile: m2, code: await smsCode(m2), home_city: '上海', home_unit: '上海某公司', host_unit_id: await hostUnit(), password,
  })
  assert.equal(reg.status, 201, await reg.text())

  await page.context().clearCookies()
  await page.setViewportSize(PHONE)
  await page.goto('/m/login')
  await page.locator('input[name=username]').fill('jgj_approver')
  await page.locator('input[name=password]').fill('Demo@2026')
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL(/\/m$/)
  await page.locator('[data-test=m-visitor-approvals]').click()
  const card = page.locator('[data-test=m-visitor-inbox] .m-card', { hasText: '退回测试' })
  await card.waitFor()
  await card.locator('[data-test=m-visitor-refuse]').click()
  await page.locator('[data-test=m-visitor-decide-submit]').click()
  await page.locator('.van-field__error-message', { hasText: '请填写不通过的原因' }).waitFor()
  await page.locator('.van-popup textarea[name=reason]').fill('非公职人员，不属于接待范围')
  await shot(page, 'visitor-inbox-phone')
  await page.locator('[data-test=m-visitor-decide-submit]').click()
  await card.waitFor({ state: 'detached' })

  await page.context().clearCookies()
  await page.goto('/m/login?visitor=1')
  await page.locator('input[name=mobile]').fill(m2)
  await page.locator('input[name=password]').fill(password)
  await page.locator('[data-test=m-login-submit]').click()
  await page.locator('[data-test=m-visitor-state]', { hasText: '核验未通过' }).waitFor()
  assert.match(await page.locator('[data-test=m-visitor-me]').innerText(), /非公职人员/)
  assert.ok(await page.locator('[data-test=m-visitor-book]').isDisabled())
  await page.goto('/m/visitor/book') // by its address: the server refuses and says why
  const f = page.locator('[data-test=m-visitor-book-form]')
  await f.locator('input[name=reason]').fill('试图预约')
  await f.locator('input[name=pickup_place]').fill('常州北站')
  await f.locator('input[name=destination]').fill('市行政中心')
  await f.locator('input[name=start_at]').fill(shanghai(3, 9))
  await f.locator('input[name=end_at]').fill(shanghai(3, 12))
  await page.locator('[data-test=m-visitor-book-submit]').click()
  await page.locator('.van-field__error-message', { hasText: '核验未通过' }).waitFor()
  await page.goto('/vehicles') // the console is not a visitor's
  await page.waitForURL('**/m/visitor')
})

// Logs a visitor in on the phone (mobile and password).
async function visitorLogin(m, pw) {
  await page.goto('/m/login?visitor=1')
  await page.locator('input[name=mobile]').fill(m)
  await page.locator('input[name=password]').fill(pw)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL('**/m/visitor')
}

// Books a ride on the phone, days ahead from 9:00 for two hours, up to cap yuan; waits for its page.
async function bookRide(pickup, destination, days, cap) {
  await page.goto('/m/visitor/book')
  await page.locator('[data-test=m-kind-ridehail]').click()
  const form = page.locator('[data-test=m-visitor-book-form]')
  await form.locator('input[name=pickup_place]').fill(pickup)
  await form.locator('input[name=destination]').fill(destination)
  await form.locator('input[name=start_at]').fill(shanghai(days, 9))
  await form.locator('input[name=end_at]').fill(shanghai(days, 11))
  await form.locator('input[name=cap_fen]').fill(cap)
  await page.locator('[data-test=m-visitor-book-submit]').click()
  await page.waitForURL(/\/m\/visitor\/bookings\/\d+$/)
  await page.locator('[data-test=m-visitor-booking-state]', { hasText: '待接单' }).waitFor()
}

async function hostUnit() {
  const units = await (await fetch(`${server.baseURL}/api/visitor/host-units`)).json()
  return units.find((u) => u.name === '市机关事务管理局').id
}

test('6. the visitor books a ride on the phone, a driver accepts, the visitor cancels it and pays the cancellation fee', async () => {
  const bin = process.env.GOVFLEET_BIN || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/govfleet')
  sim = spawn(bin, ['ridehail-sim', '--listen', simURL.slice('http://'.length), '--step', '0', '--demo-history=false'], { stdio: 'ignore' })
  const token = async () => {
    const r = await fetch(`${simURL}/oauth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=govfleet-demo&client_secret=demo-client-secret' }).catch(() => null)
    return r?.ok ? (await r.json()).access_token : ''
  }
  let tok = ''
  for (let i = 0; i < 100 && !tok; i++) {
    tok = await token()
    if (!tok) await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(tok, 'the simulator answers')

  await page.context().clearCookies()
  await page.setViewportSize(PHONE)
  await visitorLogin(mobile, password)
  await bookRide('常州站南广场', '市民广场', 1, '80')
  const no = (await page.locator('[data-test=m-visitor-booking-detail]').innerText()).match(/FK\w+/)[0]

  // The provider's driver accepts (the simulator, told to): the phone shows car and driver.
  const orders = await (await fetch(`${simURL}/v1/enterprise/orders?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z`, { headers: { Authorization: `Bearer ${tok}` } })).json()
  const app = orders.orders.find((o) => o.out_application_no === no)
  assert.ok(app, `the application ${no} at the provider`)
  assert.equal((await fetch(`${simURL}/sim/applications/${app.application_id}/advance`, { method: 'POST' })).status, 200)
  await page.reload()
  await page.locator('[data-test=m-visitor-booking-state]', { hasText: '司机已接单' }).waitFor()

  const box = page.locator('[data-test=m-visitor-cancel]')
  await box.scrollIntoViewIfNeeded()
  await box.getByText('取消将按服务商规定收取取消费').waitFor()
  await page.locator('[data-test=m-visitor-cancel-submit]').click()
  await page.locator('[data-test=m-visitor-cancel-error]', { hasText: '请填写取消原因' }).waitFor()
  await box.locator('textarea[name=cancel_reason]').fill('会议提前结束，不再用车')
  await shot(page, 'visitor-ride-cancel-phone')
  await page.locator('[data-test=m-visitor-cancel-submit]').click()
  await page.locator('.van-dialog').getByRole('button', { name: '取消用车' }).click()
  await page.locator('[data-test=m-visitor-booking-state]', { hasText: '已取消' }).waitFor()
  assert.match(await page.locator('[data-test=m-visitor-fee]').innerText(), /5\.00/)
  const text = await page.locator('[data-test=m-visitor-booking-detail]').innerText()
  for (const t of ['取消用车', '会议提前结束，不再用车', `来访人员${name}`]) assert.ok(text.includes(t), `${t} in the detail`)
  assert.equal(await page.locator('[data-test=m-visitor-cancel]').count(), 0, 'no second cancel')
  await shot(page, 'visitor-ride-cancelled-phone')

  // The provider's cancelled callback follows and changes nothing; its order query agrees.
  await new Promise((r) => setTimeout(r, 500))
  const after = await (await fetch(`${simURL}/v1/enterprise/orders?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z`, { headers: { Authorization: `Bearer ${tok}` } })).json()
  const o = after.orders.find((x) => x.out_application_no === no)
  assert.equal(o.status, 'cancelled')
  assert.equal(o.fee_fen, 500)
  await page.reload()
  await page.locator('[data-test=m-visitor-booking-state]', { hasText: '已取消' }).waitFor()
})

test('7. the host unit\'s dispatcher cancels a visitor\'s ride on the console; the visitor is told', async () => {
  await bookRide('常州北站', '新北区政府', 2, '60')
  const detail = page.url()

  await page.context().clearCookies()
  await page.setViewportSize(DESKTOP)
  await login(page, 'jgj_dispatcher')
  await menuItem(page, '来访人员').click()
  await page.getByRole('tab', { name: '来访用车' }).click()
  const row = page.locator('[data-test=visitor-bookings-table] .el-table__body-wrapper tbody tr', { hasText: '新北区政府' }).filter({ hasText: name })
  await row.waitFor()
  await row.locator('[data-test=visitor-booking-cancel]').click()
  await page.locator('[data-test=visitor-cancel-submit]').click()
  await page.locator('.el-form-item__error', { hasText: '请填写取消原因' }).waitFor()
  await page.locator('textarea[data-test=visitor-cancel-reason]').fill('接待安排调整，改派平台车辆')
  await shot(page, 'visitor-ride-cancel-console')
  await expectMessage(page, '已取消', () => page.locator('[data-test=visitor-cancel-submit]').click())
  await page.locator('[data-test=visitor-bookings-table] tbody tr', { hasText: '新北区政府' }).filter({ hasText: '已取消' }).waitFor()
  await logout(page)

  await page.context().clearCookies()
  await page.setViewportSize(PHONE)
  await visitorLogin(mobile, password)
  await page.goto(detail)
  await page.locator('[data-test=m-visitor-booking-state]', { hasText: '已取消' }).waitFor()
  const by = await page.locator('[data-test=m-visitor-cancelled]').innerText()
  assert.ok(by.includes('韩永康') && by.includes('接待安排调整'), by)
  await page.goto('/m/messages')
  await page.getByText('您的网约车已被取消').first().waitFor()
})
