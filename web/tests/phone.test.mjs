// Browser tests of the phone pages for every role (issue 24 items 5 and 10), at 375×812, against one fresh demo
// backend:  GOVFLEET_BIN=/path/to/govfleet node --test tests/phone.test.mjs
// An approver approves and returns on /m, a dispatcher dispatches from the same suggestions as the console and
// the vehicle manager consents, the unread count opens the message centre and a message its order, an
// application carries its meeting notice, a driver follows the repair he sent, and the repair picker refuses a
// car with an unfinished job at the pick.
// The orders go to a car and a driver the file registers for itself, on a day that is no statutory holiday,
// so neither the demo's random orders nor the date decide whether the tests pass.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, beijingDay, DEMO_PASSWORD, expectMessage, idCard, serverAndBrowser, shot, workday } from './browser.mjs'
import { vinWithCheck } from './xlsx.mjs'

const PHONE = { width: 375, height: 812 }
const run = Date.now().toString(36).slice(-4)
const digits = String(Date.now()).slice(-7)

let server, b, page
let crew // the file's own car and driver
let repairCar // the file's car for the repair tests
let day // days ahead of the orders

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  await page.setViewportSize(PHONE)
  const admin = await apiSession(server.baseURL, 'jgj_admin')
  const unit = (await admin.get('/me')).data.user.scope_id
  crew = { car: await newCar(admin, unit, `苏DP${digits.slice(-4)}`), name: `手机测试驾驶员${run}` }
  const driver = await admin.post('/drivers', {
    unit_id: unit, name: crew.name, id_card: idCard(), phone: `138${digits}1`, licence_class: 'C1', licence_expiry: '2040-12-31',
  })
  want(driver, 201)
  want(await admin.put(`/drivers/${driver.data.id}/vehicles`, { vehicle_ids: [crew.car.id] }), 200)
  repairCar = await newCar(admin, unit, `苏DR${digits.slice(-4)}`)
  day = await workday(await apiSession(server.baseURL, 'jgj_staff'), 3)
})

const want = (r, status) => assert.equal(r.status, status, JSON.stringify(r.data))


let cars = 0
async function newCar(admin, unit, plate) {
  const serial = String((Number(digits) + cars++) % 1e7).padStart(7, '0')
  const car = await admin.post('/vehicles', {
    unit_id: unit, category: 'other', plate, brand: '大众', model: '帕萨特', vin: vinWithCheck(`LSVAM4187C${serial}`), seats: 5,
    energy_type: 'petrol', displacement: 1984, vehicle_class: 'small', purchase_date: '2022-03-01', status: 'available',
  })
  want(car, 201)
  return car.data
}

// An 18-digit resident ID (GB 11643) born 1985-01-01 with the given sequence number.
// "YYYY-MM-DDTHH:mm" in Shanghai, days from now at the given hour.
function shanghai(days, hour) {
  return `${beijingDay(days)}T${String(hour).padStart(2, '0')}:00`
}
const isoOf = (s) => new Date(`${s}:00+08:00`).toISOString()

// jgj_staff applies through the API; returns the order.
async function apply(reason, hour) {
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const o = await staff.post('/orders', {
    reason, passengers: '秦小敏', passenger_count: 1, contact_phone: '13900000000', pickup_place: '市机关事务管理局东门',
    destinations: ['常州市人民政府'], pickup_at: isoOf(shanghai(day, hour)), return_at: isoOf(shanghai(day, hour + 2)), out_of_city: false, category: '',
  })
  want(o, 201)
  return o.data
}

async function phoneLogin(username, password = DEMO_PASSWORD) {
  await b.context.clearCookies()
  await page.goto('/m/login')
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(password)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL((u) => /\/m\/?$/.test(u.pathname))
}

let approved // the order approved on the phone

test('an approver approves and returns applications on the phone', async () => {
  approved = await apply(`赴市政府参加安全生产会议 ${run}`, 9)
  const returned = await apply(`赴市档案馆查阅资料 ${run}`, 14)
  await phoneLogin('jgj_approver')
  const inbox = page.locator('[data-test=m-todo-inbox]', { hasText: /\d+ 单/ }) // the count, once it has come
  await inbox.waitFor()
  assert.match(await inbox.innerText(), /待审批的用车申请\s*[1-9]\d* 单/)
  await shot(page, 'm-approver-home')
  await inbox.click()
  await page.locator('[data-test=m-order-card]', { hasText: approved.no }).waitFor()
  await shot(page, 'm-approvals')
  await page.locator('[data-test=m-order-card]', { hasText: approved.no }).click()
  await page.locator('[data-test=m-approve]').click()
  await page.locator('[data-test=m-decide] textarea[name=reason]').fill('同意')
  await shot(page, 'm-approve-sheet')
  await page.locator('[data-test=m-decide-submit]').click()
  await page.locator('[data-test=m-order-state]', { hasText: '待派车' }).waitFor()
  await page.locator('[data-test=m-approve]').waitFor({ state: 'detached' })

  // A return needs its reason.
  await page.goto(`/m/orders/${returned.id}`)
  await page.locator('[data-test=m-return]').click()
  await page.locator('[data-test=m-decide-submit]').click()
  await page.locator('[data-test=m-decide]').getByText('请填写退回原因').waitFor()
  await page.locator('[data-test=m-decide] textarea[name=reason]').fill('请补充会议通知')
  await shot(page, 'm-return-sheet')
  await page.locator('[data-test=m-decide-submit]').click()
  await page.locator('[data-test=m-order-state]', { hasText: '已退回' }).waitFor()
  await page.getByText('请补充会议通知').first().waitFor()
  await shot(page, 'm-returned')
})

test('a dispatcher dispatches on the phone from the console’s suggestions; the vehicle manager consents', async () => {
  assert.ok(approved, 'the approved order of the previous test')
  // Without the vehicle manager's standing delegation the dispatch waits for its consent.
  const vm = await apiSession(server.baseURL, 'jgj_vm')
  want(await vm.put(`/dispatch/delegations/${(await vm.get('/me')).data.user.scope_id}`, { on: false }), 204)
  await phoneLogin('jgj_dispatcher')
  const todo = page.locator('[data-test=m-todo-dispatch]', { hasText: /\d+ 单/ }) // the count, once it has come
  await todo.waitFor()
  assert.match(await todo.innerText(), /待派车的订单\s*[1-9]\d* 单/)
  await shot(page, 'm-dispatcher-home')
  await todo.click()
  await page.locator('[data-test=m-order-card]', { hasText: approved.no }).waitFor()
  await shot(page, 'm-to-dispatch')
  await page.locator('[data-test=m-order-card]', { hasText: approved.no }).click()
  await page.waitForURL(new RegExp(`/m/orders/${approved.id}/dispatch$`))
  await page.locator('[data-test=m-dispatch-plate] input').fill(crew.car.plate)
  await page.locator('[data-test=m-dispatch-plate] input').press('Enter')
  const car = page.locator('[data-test=m-cand]', { hasText: crew.car.plate })
  await car.click()
  await page.locator('[data-test=m-driver]', { hasText: crew.name }).click()
  await page.locator('[data-test=m-driver].picked', { hasText: crew.name }).waitFor()
  await car.scrollIntoViewIfNeeded()
  await shot(page, 'm-dispatch-pick')
  await page.locator('[data-test=m-dispatch-submit]').click()
  await page.waitForURL(new RegExp(`/m/orders/${approved.id}$`))
  await page.locator('[data-test=m-order-state]', { hasText: '待车管同意' }).waitFor()
  await page.getByText(crew.car.plate).first().waitFor()
  await shot(page, 'm-dispatched')
  const o = (await (await apiSession(server.baseURL, 'jgj_dispatcher')).get(`/orders/${approved.id}`)).data
  assert.equal(o.plate, crew.car.plate)
  assert.equal(o.driver_name, crew.name)

  await phoneLogin('jgj_vm')
  await page.locator('[data-test=m-todo-consent]').click()
  await page.locator('[data-test=m-order-card]', { hasText: approved.no }).click()
  await page.locator('[data-test=m-consent]').click()
  await page.locator('.van-dialog').getByText(`同意派 ${crew.car.plate}（驾驶员 ${crew.name}）执行该任务？`).waitFor()
  await shot(page, 'm-consent')
  await page.locator('.van-dialog').getByRole('button', { name: '确认' }).click()
  await page.locator('[data-test=m-order-state]', { hasText: '已派车' }).waitFor()
})

test('the unread count opens the message centre, a message its order', async () => {
  assert.ok(approved, 'the approved order of the first test')
  await phoneLogin('jgj_staff')
  // The approval of the first test's order is unread; the count shows once the home page has loaded it.
  const unread = page.locator('[data-test=m-unread]', { hasText: /[1-9]\d* 条/ })
  await unread.waitFor()
  const before = Number((await unread.innerText()).match(/(\d+) 条/)[1])
  await unread.click()
  await page.waitForURL('**/m/messages')
  const msg = page.locator('[data-test=m-message].unread', { hasText: approved.no }).first()
  await msg.waitFor()
  await shot(page, 'm-messages')
  await msg.click()
  await page.waitForURL(new RegExp(`/m/orders/${approved.id}$`))
  await page.locator('[data-test=m-order-state]').waitFor()
  await page.goto('/m')
  await page.locator('[data-test=m-unread]', { hasText: `${before - 1} 条` }).waitFor()
})

test('an application on the phone carries its meeting notice', async () => {
  await phoneLogin('jgj_staff')
  await page.goto('/m/apply')
  const form = page.locator('[data-test=m-apply]')
  await form.locator('textarea[name=reason]').fill(`赴市发改委参加项目评审会 ${run}`)
  await form.locator('input[name=pickup_place]').fill('市机关事务管理局东门')
  await form.locator('input[name=destination-0]').fill('常州市发展和改革委员会')
  await form.locator('input[name=pickup_at]').fill(shanghai(day, 10))
  await form.locator('input[name=return_at]').fill(shanghai(day, 12))
  await form.locator('[data-test=m-apply-files] input[type=file]').setInputFiles({
    name: '会议通知.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
  })
  await form.locator('.van-uploader__preview').waitFor()
  await form.locator('[data-test=m-apply-files]').scrollIntoViewIfNeeded()
  await shot(page, 'm-apply-notice')
  await page.locator('[data-test=m-apply-submit]').click()
  await page.waitForURL(/\/m\/orders\/\d+$/)
  await page.locator('[data-test=m-attachment]', { hasText: '会议通知.pdf' }).waitFor()
  await page.locator('[data-test=m-attachments]').scrollIntoViewIfNeeded()
  await shot(page, 'm-order-notice')
  const id = Number(page.url().match(/orders\/(\d+)/)[1])
  const o = (await (await apiSession(server.baseURL, 'jgj_staff')).get(`/orders/${id}`)).data
  assert.deepEqual(o.attachments.map((a) => a.filename), ['会议通知.pdf'])
})

test('a driver follows the repair he sent; the picker refuses a car with an unfinished job at the pick', async () => {
  await phoneLogin('jgj_driver')
  await shot(page, 'm-driver-home')
  await page.goto('/m/repair')
  await page.locator('[data-test=m-repair-search] input').fill(repairCar.plate)
  // The search has answered (it waits for a pause in typing): the car alone is listed.
  await page.locator('[data-test=m-repair-vehicle]', { hasNotText: repairCar.plate }).first().waitFor({ state: 'detached' })
  const car = page.locator('[data-test=m-repair-vehicle]', { hasText: repairCar.plate })
  await car.click()
  await page.locator('textarea[name=problem]').fill('冷车启动困难，仪表盘发动机故障灯常亮')
  await shot(page, 'm-repair-request')
  await page.locator('[data-test=m-repair-submit]').click()
  await page.waitForURL(/\/m\/repairs\/\d+$/)
  const jobId = Number(page.url().match(/repairs\/(\d+)/)[1])
  await page.locator('[data-test=m-repair-state]', { hasText: '待估价' }).waitFor()

  // The vehicle manager estimates 800 yuan and approves it (within the unit's first tier): the driver sees it.
  const vm = await apiSession(server.baseURL, 'jgj_vm')
  want(await vm.post(`/repair-jobs/${jobId}/estimate`, { budget_fen: 80000, note: '更换点火线圈' }), 200)
  want(await vm.post(`/repair-jobs/${jobId}/approve`, { reason: '同意' }), 200)
  await page.goto('/m')
  await page.getByText('我的报修').click()
  await page.locator('[data-test=m-repair-card]', { hasText: repairCar.plate }).filter({ hasText: '待指派维修厂' }).waitFor()
  await shot(page, 'm-my-repairs')
  await page.locator('[data-test=m-repair-card]', { hasText: repairCar.plate }).click()
  await page.locator('[data-test=m-repair-state]', { hasText: '待指派维修厂' }).waitFor()
  const job = page.locator('[data-test=m-repair-job]')
  await job.getByText('800.00 元').waitFor()
  await job.getByText('车管负责人审批').waitFor()
  await page.locator('[data-test=m-repair-timeline]').getByText('更换点火线圈').waitFor()
  await shot(page, 'm-repair-progress')

  // The car now has an unfinished job: marked, and refused when picked, before 提交.
  const no = (await vm.get(`/repair-jobs/${jobId}`)).data.no
  await page.goto('/m/repair')
  await page.locator('[data-test=m-repair-search] input').fill(repairCar.plate)
  // The search has answered (it waits for a pause in typing): the car alone is listed.
  await page.locator('[data-test=m-repair-vehicle]', { hasNotText: repairCar.plate }).first().waitFor({ state: 'detached' })
  const busy = page.locator('[data-test=m-repair-vehicle]', { hasText: repairCar.plate })
  await busy.getByText(`已有未完结的维修单 ${no}（待指派维修厂）`).waitFor()
  await expectMessage(page, '完结后才能再报修', () => busy.click(), 'toast')
  await shot(page, 'm-repair-picker-busy')
  assert.equal(await busy.locator('.van-radio__icon--checked').count(), 0, 'the busy car is not picked')
})

test('the phone pages load without the console’s toolkit, and show an error as a phone toast', async () => {
  // Element Plus (the console's components, ~1 MB of script) is not a phone's to download.
  const scripts = []
  const onResponse = (r) => r.request().resourceType() === 'script' && scripts.push(r)
  page.on('response', onResponse)
  await phoneLogin('jgj_staff')
  await page.locator('[data-test=m-todo-inbox], .van-tabbar').first().waitFor()
  await shot(page, 'm-staff-home')
  page.off('response', onResponse)
  const urls = scripts.map((r) => new URL(r.url()).pathname)
  assert.ok(urls.length > 0 && !urls.some((u) => u.includes('element-plus')), urls.join(' '))
  const bytes = (await Promise.all(scripts.map(async (r) => (await r.body()).length))).reduce((a, n) => a + n, 0)
  assert.ok(bytes < 400_000, `${bytes} bytes of script for the phone's home page`)

  // An error the page leaves to the API client (here the notices' list refused by a server under maintenance) shows
  // as Vant's toast, not as the console's message.
  await page.route('**/api/notices?*', (r) => r.fulfill({ status: 503, json: { error: { code: 'unavailable', message: '系统维护中，请稍后再试' } } }))
  try {
    await expectMessage(page, '系统维护中，请稍后再试', () => page.goto('/m/notices'), 'toast')
  } finally {
    await page.unroute('**/api/notices?*')
  }
  assert.equal(await page.locator('.el-message').count(), 0)
})
