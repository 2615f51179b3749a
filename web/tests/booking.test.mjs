// Browser tests of the booking workflow, run in order against one fresh demo backend:
//   GOVFLEET_BIN=/path/to/govfleet npm run test:browser
// (1) the whole life of an order across the console (1440×900) and the phone pages (375×812);
// (2) illegal steps are refused with a clear message and change nothing.
// The orders that get a vehicle go to a car and a driver the file registers for itself, on days that are no
// statutory holiday: the demo's own future orders fill 市机关事务管理局's cars at hours that change with the
// date, and a holiday seals the cars — neither may decide whether these tests pass (issue 18).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, beijingDay, DEMO_PASSWORD, dialog, idCard, login, logout, menuItem, serverAndBrowser, settled, shot, workday } from './browser.mjs'
import { vinWithCheck } from './xlsx.mjs'

const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 375, height: 812 }
const run = Date.now().toString(36).slice(-4)

let server, b, page
let crew // the file's own car and driver
let day2 // days ahead of test 2's orders

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  crew = await registerCrew()
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  day2 = await workday(staff, 3)
})


// "YYYY-MM-DD HH:mm" in Shanghai, days from now at the given hour.
function shanghai(days, hour, minute = 0) {
  return `${beijingDay(days)} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`
}
// "YYYY-MM-DD HH:mm" in Shanghai, minutes from now (to the next 5 minutes).
function soon(minutes) {
  const d = new Date(Math.ceil((Date.now() + minutes * 60000) / 300000) * 300000)
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}
const isoOf = (s) => new Date(`${s.replace(' ', 'T')}:00+08:00`).toISOString()

// An 18-digit resident ID (GB 11643) born 1985-01-01 with the given sequence number.
// jgj_admin registers a car of 市机关事务管理局 and its only driver, whose account (password CREW_PASSWORD)
// drives it on the phone; no demo order knows either.
// The crew's own password: the demo's is too common for the password policy (issue 19).
const CREW_PASSWORD = 'Lz8#qWv3Rm'

async function registerCrew() {
  const admin = await apiSession(server.baseURL, 'jgj_admin')
  const unit = (await admin.get('/me')).data.user.scope_id
  const digits = String(Date.now()).slice(-8)
  const want = (r, status) => assert.equal(r.status, status, JSON.stringify(r.data))
  const name = `测试驾驶员${run}`
  const username = `bk_driver_${run}`
  const phone = `139${digits}`
  const user = await admin.post('/users', { username, real_name: name, phone, scope_id: unit, roles: ['driver'] })
  want(user, 201)
  const initial = user.data.initial_password
  const pw = await (await apiSession(server.baseURL, username, initial)).post('/me/password', { old_password: initial, new_password: CREW_PASSWORD })
  assert.ok(pw.status < 300, JSON.stringify(pw.data))
  const plate = `苏DB${digits.slice(-4)}`
  const car = await admin.post('/vehicles', {
    unit_id: unit, category: 'other', plate, brand: '大众', model: '帕萨特', vin: vinWithCheck(`LSVAM4187C${digits.slice(-7)}`), seats: 5,
    energy_type: 'petrol', displacement: 1984, vehicle_class: 'small', purchase_date: '2022-03-01', status: 'available',
  })
  want(car, 201)
  const driver = await admin.post('/drivers', {
    unit_id: unit, name, id_card: idCard(), phone, licence_class: 'C1', licence_expiry: '2040-12-31', user_id: user.data.user.id,
  })
  want(driver, 201)
  want(await admin.put(`/drivers/${driver.data.id}/vehicles`, { vehicle_ids: [car.data.id] }), 200)
  return { username, name, plate, password: CREW_PASSWORD }
}

// wj_admin registers a car of 武进区政府办公室 (parked in 武进, about 12 km from the city's units) and its driver.
async function registerDistrictCar() {
  const admin = await apiSession(server.baseURL, 'wj_admin')
  const want = (r, status) => assert.equal(r.status, status, JSON.stringify(r.data))
  const units = await admin.get(`/units?q=${encodeURIComponent('武进区政府办公室')}`)
  want(units, 200)
  const unit = units.data.items[0].id
  const digits = String(Date.now() + 7).slice(-8)
  const plate = `苏DW${digits.slice(-4)}`
  const car = await admin.post('/vehicles', {
    unit_id: unit, category: 'other', plate, brand: '别克', model: 'GL8', vin: vinWithCheck(`LSGUA8183C${digits.slice(-7)}`), seats: 7,
    energy_type: 'petrol', displacement: 1998, vehicle_class: 'small', purchase_date: '2023-05-01', status: 'available',
    parking_name: '武进区政府停车场', parking_lat: 31.7185, parking_lng: 119.9405, parking_radius: 200,
  })
  want(car, 201)
  const driver = await admin.post('/drivers', {
    unit_id: unit, name: `武进驾驶员${run}`, id_card: idCard(), phone: `138${digits}`, licence_class: 'C1', licence_expiry: '2040-12-31',
  })
  want(driver, 201)
  want(await admin.put(`/drivers/${driver.data.id}/vehicles`, { vehicle_ids: [car.data.id] }), 200)
  return { plate, id: car.data.id, driverId: driver.data.id }
}

// Types a plate into the dispatch dialog's candidate search and waits for its rows.
async function searchPlate(dd, plate) {
  await dd.locator('[data-test=candidate-filters] input[name=plate]').fill(plate)
  await dd.locator('[data-test=candidate-search]').click()
  await dd.locator('[data-test=suggestions] .el-table__row', { hasText: plate }).first().waitFor()
}

async function typeDate(name, value) {
  const input = page.locator(`input[name=${name}]`)
  await input.click()
  await input.fill(value)
  await input.press('Enter')
  await page.locator('.el-form-item__label', { hasText: '用车事由' }).click() // close the panel
}

async function messageBoxConfirm(text) {
  const box = page.locator('.el-message-box:visible')
  await box.waitFor()
  if (text !== undefined) await box.locator('textarea, input').first().fill(text)
  await box.getByRole('button', { name: /确定|授权|撤销/ }).click()
  await box.waitFor({ state: 'hidden' })
}

async function phoneLogin(username, password = DEMO_PASSWORD) {
  await page.setViewportSize(PHONE)
  await b.context.clearCookies() // a previous test may have stopped while logged in
  await page.goto('/m/login')
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(password)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL((u) => /\/m\/?$/.test(u.pathname))
}

async function phoneLogout() {
  await page.goto('/m')
  await page.locator('[data-test=m-logout]').click()
  await page.locator('.van-dialog').getByRole('button', { name: '确认' }).click()
  await page.waitForURL('**/m/login')
}

async function desktopLogin(username) {
  await page.setViewportSize(DESKTOP)
  await b.context.clearCookies()
  await login(page, username)
}

let orderNo = ''
let orderId = 0

test('1. apply → approve → dispatch → consent → (phone) depart, change, finish → return → (phone) rate → 已完成', async () => {
  // 申请人 applies on the console.
  await desktopLogin('jgj_staff')
  await page.locator('[data-test=menu-apply]').click()
  const form = page.locator('[data-test=apply-form]')
  await form.waitFor()
  await form.locator('textarea[name=reason]').fill(`赴市政府参加全市安全生产工作会议 ${run}`)
  await form.locator('input[name=passengers]').fill('秦小敏、王立')
  await form.locator('.el-form-item', { hasText: '用车人数' }).locator('input').fill('2')
  await form.locator('input[name=pickup_place]').fill('市机关事务管理局东门')
  await form.locator('input[name=destination-0]').fill('常州市人民政府')
  await page.locator('[data-test=add-dest]').click()
  await form.locator('input[name=destination-1]').fill('常州市应急管理局')
  // Within the departure window (R-13(4)): the driver may not depart days before the pick-up time.
  await typeDate('pickup_at', soon(40))
  await typeDate('return_at', soon(220))
  await shot(page, 'b01-apply-form')
  await page.locator('[data-test=apply-submit]').click()
  const done = page.locator('[data-test=apply-done]')
  await done.waitFor()
  orderNo = (await done.innerText()).match(/YC\d+/)[0]
  // Attach the meeting notice.
  await page.locator('[data-test=attach-upload] input[type=file]').setInputFiles({
    name: '会议通知.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
  })
  await done.getByText('会议通知.pdf').waitFor()
  await shot(page, 'b02-apply-done')
  await page.locator('[data-test=view-order]').click()
  await page.waitForURL(/\/orders\/\d+/)
  orderId = Number(page.url().match(/orders\/(\d+)/)[1])
  await page.locator('[data-test=order-state]', { hasText: '待审批' }).waitFor()
  await logout(page)

  // 审核员 approves from the inbox.
  await desktopLogin('jgj_approver')
  await page.locator('[data-test=menu-approvals]').click()
  const row = page.locator('[data-test=approvals] .el-table__row', { hasText: orderNo })
  await row.waitFor()
  await shot(page, 'b03-approvals')
  await row.getByRole('button', { name: orderNo }).click()
  const drawer = page.locator('[data-test=order-drawer]')
  await drawer.getByRole('link', { name: '会议通知.pdf' }).waitFor()
  await shot(page, 'b04-approval-drawer')
  await drawer.locator('[data-test=act-approve]').click()
  await messageBoxConfirm('同意')
  await drawer.locator('[data-test=order-state]', { hasText: '待派车' }).waitFor()
  await page.keyboard.press('Escape')
  await logout(page)

  // 调度员 dispatches through the suggestions dialog.
  await desktopLogin('jgj_dispatcher')
  await page.locator('[data-test=menu-dispatch]').click()
  const drow = page.locator('[data-test=dispatch-list] .el-table__row', { hasText: orderNo })
  await drow.waitFor()
  await drow.locator('[data-test=act-dispatch]').click()
  const dd = dialog(page, '派车')
  await dd.locator('.cand-ok').first().waitFor()
  // Pick the file's own car, whose driver has an account.
  const dname = crew.name
  const sug = (await (await apiSession(server.baseURL, 'jgj_dispatcher')).get(`/orders/${orderId}/suggestions?plate=${encodeURIComponent(crew.plate)}`)).data.items
  const mine = sug.find((c) => c.suitable && c.plate === crew.plate && c.drivers.some((d) => d.suitable && d.name === dname))
  assert.ok(mine, `${crew.plate} suitable with ${dname}`)
  await searchPlate(dd, mine.plate)
  await dd.locator('.cand-ok', { hasText: mine.plate }).click()
  await dd.locator('[data-test=drivers] .el-radio', { hasText: dname }).click()
  await dd.locator('[data-test=drivers] .el-radio.is-checked', { hasText: dname }).waitFor()
  // On a statutory holiday the car is sealed: the dispatch then files the use.
  if (mine.sealed) await dd.locator('textarea[name=sealed_filing]').fill('节假日值班保障')
  await shot(page, 'b05-dispatch-dialog')
  await dd.locator('[data-test=dispatch-confirm]').click()
  await dd.waitFor({ state: 'hidden' })
  await logout(page)

  // 车管负责人 consents.
  await desktopLogin('jgj_vm')
  await page.locator('[data-test=menu-consent]').click()
  const crow = page.locator('[data-test=consent-list] .el-table__row', { hasText: orderNo })
  await crow.waitFor()
  await shot(page, 'b06-consent')
  await crow.locator('[data-test=act-consent]').click()
  await crow.waitFor({ state: 'detached' })
  await logout(page)

  // 驾驶员 on the phone: depart, report a change, finish.
  await phoneLogin(crew.username, crew.password)
  await shot(page, 'm01-driver-home')
  await page.goto('/m/tasks')
  const task = page.locator('[data-test=m-task]', { hasText: orderNo })
  await task.waitFor()
  await shot(page, 'm02-driver-tasks')
  await task.click()
  await page.locator('[data-test=m-depart]').click()
  await page.locator('[data-test=m-sheet] input[name=odometer]').fill('12000')
  await shot(page, 'm03-driver-depart')
  await page.locator('[data-test=m-sheet-submit]').click()
  await page.locator('[data-test=m-order-state]', { hasText: '执行中' }).waitFor()
  await page.locator('[data-test=m-change]').click()
  await page.locator('[data-test=m-sheet] input[name=destination]').fill('常州市行政中心')
  await page.locator('[data-test=m-sheet] textarea[name=note]').fill('会议地点临时调整')
  await page.locator('[data-test=m-sheet-submit]').click()
  await page.getByText('常州市行政中心').first().waitFor()
  await page.locator('[data-test=m-finish]').click()
  await page.locator('[data-test=m-sheet] input[name=odometer]').fill('12036')
  await page.locator('[data-test=m-sheet-submit]').click()
  await page.locator('[data-test=m-order-state]', { hasText: '待回场' }).waitFor()
  await shot(page, 'm04-driver-task-finished')
  await phoneLogout()

  // 调度员 acknowledges the change and records the return.
  await desktopLogin('jgj_dispatcher')
  await page.goto('/dispatch?tab=finished')
  const rrow = page.locator('[data-test=dispatch-list] .el-table__row', { hasText: orderNo })
  await rrow.waitFor()
  await rrow.getByRole('button', { name: orderNo }).click()
  const drw = page.locator('[data-test=order-drawer]')
  const [acked] = await Promise.all([
    page.waitForResponse((r) => /\/changes\/\d+\/ack$/.test(r.url())),
    drw.locator('[data-test=ack-change]').click(),
  ])
  assert.equal(acked.status(), 200, `acknowledging the change: ${await acked.text()}`)
  await drw.getByText(/已确认/).waitFor()
  await page.keyboard.press('Escape')
  await rrow.locator('[data-test=act-back]').click()
  const back = dialog(page, '回场登记')
  await back.waitFor()
  await back.locator('input[name=parking_place]').fill('市机关事务管理局机关停车场')
  await shot(page, 'b07-return-dialog')
  await back.locator('[data-test=dlg-confirm]').click()
  await rrow.waitFor({ state: 'detached' })
  await logout(page)

  // 用车人 rates on the phone.
  await phoneLogin('jgj_staff')
  await page.goto('/m/orders')
  // Newest pick-up first: the demo's later orders may come before this one (picked up today); scroll to it.
  const rated = page.locator('[data-test=m-order]', { hasText: orderNo })
  await page.locator('[data-test=m-order]').first().waitFor()
  await page.mouse.move(187, 400)
  for (let i = 0; i < 20 && !(await rated.count()); i++) {
    await page.mouse.wheel(0, 4000)
    await settled(page)
  }
  await rated.filter({ hasText: '待评价' }).waitFor()
  await shot(page, 'm05-my-orders')
  await page.locator('[data-test=m-order]', { hasText: orderNo }).click()
  await page.locator('[data-test=m-rate] .van-rate__item').nth(4).click()
  await page.locator('[data-test=m-rate] textarea[name=comment]').fill('驾驶平稳，准时到达')
  await shot(page, 'm06-rate')
  await page.locator('[data-test=m-rate-submit]').click()
  await page.locator('[data-test=m-order-state]', { hasText: '已完成' }).waitFor()
  await shot(page, 'm07-order-closed')
  await phoneLogout()

  // The order shows 已完成 with the full timeline on the console.
  await desktopLogin('jgj_staff')
  await page.goto(`/orders/${orderId}`)
  await page.locator('[data-test=order-state]', { hasText: '已完成' }).waitFor()
  const tl = await page.locator('[data-test=timeline]').innerText()
  for (const step of ['提交申请', '添加附件', '审批通过', '派车', '车管负责人同意', '出车', '途中变更', '调度确认变更', '任务结束', '回场', '评价']) {
    assert.ok(tl.includes(step), `timeline has ${step}:\n${tl}`)
  }
  assert.match(tl, /5星 驾驶平稳/)
  await page.locator('[data-test=changes]').getByText('常州市行政中心').waitFor()
  await shot(page, 'b08-order-closed')
  await logout(page)
})

test('2. illegal steps are refused with a clear message and change nothing', async () => {
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const before = (await staff.get('/my/orders?page_size=1')).data.total

  // A pick-up time in the past: the field error under 报到时间, nothing created.
  await desktopLogin('jgj_staff')
  await page.goto('/apply')
  const form = page.locator('[data-test=apply-form]')
  await form.locator('textarea[name=reason]').fill('过期的申请')
  await form.locator('input[name=pickup_place]').fill('东门')
  await form.locator('input[name=destination-0]').fill('武进区')
  await typeDate('pickup_at', shanghai(-1, 9))
  await typeDate('return_at', shanghai(-1, 11))
  await page.locator('[data-test=apply-submit]').click()
  const item = form.locator('.el-form-item', { hasText: '报到时间' })
  await item.locator('.el-form-item__error', { hasText: '报到时间已过' }).waitFor()
  await shot(page, 'b09-apply-past-error')
  assert.equal((await staff.get('/my/orders?page_size=1')).data.total, before)
  await logout(page)

  // Two approved orders at overlapping times.
  const approver = await apiSession(server.baseURL, 'jgj_approver')
  const mk = async (h) => {
    const r = await staff.post('/orders', {
      reason: `并发派车测试 ${h} ${run}`, passengers: '秦小敏', passenger_count: 1, pickup_place: '东门', destinations: ['钟楼区'],
      pickup_at: isoOf(shanghai(day2, h)), return_at: isoOf(shanghai(day2, h + 3)), out_of_city: false,
    })
    assert.equal(r.status, 201, JSON.stringify(r.data))
    const a = await approver.post(`/orders/${r.data.id}/approve`, { reason: '' })
    assert.equal(a.status, 200, JSON.stringify(a.data))
    return r.data
  }
  const first = await mk(9)
  const second = await mk(10)

  // jgj_dispatcher opens the dialog for the second one and picks the file's car …
  await desktopLogin('jgj_dispatcher')
  await page.goto('/dispatch')
  const row = page.locator('[data-test=dispatch-list] .el-table__row', { hasText: second.no })
  await row.locator('[data-test=act-dispatch]').click()
  const dd = dialog(page, '派车')
  await searchPlate(dd, crew.plate)
  const pick = dd.locator('.cand-ok', { hasText: crew.plate })
  await pick.waitFor()
  const plate = (await pick.locator('.plate').innerText()).trim()
  await pick.click()
  await dd.locator('[data-test=drivers] .el-radio.is-checked').waitFor()

  // … while city_dispatcher assigns the same vehicle to the first one.
  const city = await apiSession(server.baseURL, 'city_dispatcher')
  const sug = (await city.get(`/orders/${first.id}/suggestions?plate=${encodeURIComponent(plate)}`)).data.items
  const v = sug.find((c) => c.plate === plate)
  assert.ok(v && v.suitable, `vehicle ${plate} suitable for the first order`)
  const drv = v.drivers.find((d) => d.suitable)
  const r1 = await city.post(`/orders/${first.id}/dispatch`, { vehicle_id: v.id, driver_id: drv.id, sealed_filing: v.sealed ? '测试' : '' })
  assert.equal(r1.status, 200, JSON.stringify(r1.data))

  await dd.locator('[data-test=dispatch-confirm]').click()
  const err = dd.locator('[data-test=dispatch-error]')
  await err.waitFor()
  assert.match(await err.innerText(), /该时段已有任务/)
  await shot(page, 'b10-dispatch-conflict')
  const after = (await staff.get(`/orders/${second.id}`)).data
  assert.equal(after.state, 'approved')
  assert.equal(after.vehicle_id, null)
  await page.keyboard.press('Escape')

  // Its driver cannot finish the order before departing (server refuses, nothing changes).
  const driver = await apiSession(server.baseURL, crew.username, crew.password)
  const fin = await driver.post(`/orders/${first.id}/finish`, { odometer: 100 })
  assert.ok(fin.status >= 400, `finish refused: ${fin.status}`)
  assert.equal((await staff.get(`/orders/${first.id}`)).data.state, r1.data.state)
  await logout(page)
})

test('3. the other booking pages render (board, emergency filings, holidays, messages, bell)', async () => {
  await desktopLogin('jgj_dispatcher')
  await page.locator('[data-test=bell]').waitFor()
  await page.goto('/dispatch-board')
  await page.locator('[data-test=board] .row').nth(1).waitFor()
  await shot(page, 'b11-board')
  await page.goto('/emergency')
  await page.locator('[data-test=filings]').waitFor()
  await page.locator('[data-test=filing-new]').click()
  const fd = dialog(page, '补报紧急用车')
  await fd.locator('[data-test=filing-save]').click()
  await fd.locator('.el-form-item__error', { hasText: '主管领导' }).waitFor()
  await shot(page, 'b12-emergency-form')
  await page.keyboard.press('Escape')
  await page.goto('/messages')
  await page.locator('[data-test=messages] .el-table__row').first().waitFor()
  await shot(page, 'b13-messages')
  await page.locator('[data-test=read-all]').click()
  await page.locator('[data-test=bell-count] .el-badge__content').waitFor({ state: 'hidden' })
  await logout(page)

  await desktopLogin('city_admin')
  await page.goto('/holidays')
  await page.locator('[data-test=calendar] .cell.holiday').first().waitFor()
  await shot(page, 'b14-holidays')
  await logout(page)

  // Live notification: a new application lights the approver's bell without reloading.
  // The server subscribes the stream before it answers.
  const streaming = page.waitForResponse((r) => r.url().endsWith('/api/notifications/stream') && r.ok())
  await desktopLogin('jgj_approver')
  await streaming
  await settled(page) // the counts have arrived
  const badge = page.locator('[data-test=bell-count] .el-badge__content')
  const n0 = (await badge.isVisible()) ? Number(await badge.innerText()) : 0
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const r = await staff.post('/orders', {
    reason: `实时消息测试 ${run}`, passengers: '秦小敏', passenger_count: 1, pickup_place: '东门', destinations: ['新北区'],
    pickup_at: isoOf(shanghai(4, 9)), return_at: isoOf(shanghai(4, 10)), out_of_city: false,
  })
  assert.equal(r.status, 201)
  await page.waitForFunction((n) => {
    const el = document.querySelector('[data-test=bell-count] .el-badge__content')
    return el && el.offsetParent !== null && Number(el.textContent) > n
  }, n0)
  await shot(page, 'b15-bell')
  await logout(page)
})

test('4. the city dispatcher searches the whole city: a district car for a city order, a busy one greyed with its reason', async () => {
  const car = await registerDistrictCar()
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const approver = await apiSession(server.baseURL, 'jgj_approver')
  const city = await apiSession(server.baseURL, 'city_dispatcher')
  const day = await workday(staff, day2 + 1)
  const mk = async (h) => {
    const r = await staff.post('/orders', {
      reason: `全市候选车辆查找 ${h} ${run}`, passengers: '秦小敏', passenger_count: 3, pickup_place: '市行政中心', destinations: ['武进区'],
      pickup_at: isoOf(shanghai(day, h)), return_at: isoOf(shanghai(day, h + 2)), out_of_city: false,
    })
    assert.equal(r.status, 201, JSON.stringify(r.data))
    assert.equal((await approver.post(`/orders/${r.data.id}/approve`, { reason: '' })).status, 200)
    return r.data
  }
  const first = await mk(9)
  const second = await mk(10)

  await desktopLogin('city_dispatcher')
  await page.goto('/dispatch')
  const openDispatch = async (no) => {
    const q = page.locator('.filter-form input').first()
    await q.fill(no)
    await q.press('Enter')
    await page.locator('[data-test=dispatch-list] .el-table__row', { hasText: no }).locator('[data-test=act-dispatch]').click()
  }
  await openDispatch(first.no)
  const dd = dialog(page, '派车')
  await dd.locator('[data-test=suggestions] .el-table__row').first().waitFor()
  // Not among the first page of the city's ranked candidates, found by its plate.
  await searchPlate(dd, car.plate)
  const hit = dd.locator('.cand-ok', { hasText: car.plate })
  assert.match(await hit.innerText(), /武进区政府办公室/)
  assert.match(await hit.innerText(), /\d+(\.\d)? 公里/)
  // The district's subtree, seats and distance narrow the list; the pager counts the matches.
  await dd.locator('[data-test=candidate-filters] input[name=plate]').fill('')
  await dd.locator('[data-test=candidate-filters] .el-input-number').first().locator('input').fill('7')
  await dd.locator('[data-test=candidate-filters] .el-input-number').nth(1).locator('input').fill('20')
  await dd.locator('[data-test=candidate-search]').click()
  await dd.locator('[data-test=candidate-pages] .el-pagination__total').waitFor()
  await shot(page, 'b11-dispatch-search')
  const api = (await city.get(`/orders/${first.id}/suggestions?seats=7&max_km=20&page_size=200`)).data
  assert.ok(api.items.some((c) => c.plate === car.plate), 'the district car within 20 km with 7 seats')
  assert.ok(api.items.every((c) => c.seats >= 7 && c.distance_km <= 20), 'filters hold')
  assert.match(await dd.locator('[data-test=candidate-pages] .el-pagination__total').innerText(), new RegExp(`${api.total}`))
  await searchPlate(dd, car.plate)
  await dd.locator('.cand-ok', { hasText: car.plate }).click()
  await dd.locator('[data-test=drivers] .el-radio.is-checked').waitFor()
  await dd.locator('[data-test=dispatch-confirm]').click()
  await dd.waitFor({ state: 'hidden' })

  // For the overlapping order the same car is found, greyed, with the order that holds it.
  await openDispatch(second.no)
  const dd2 = dialog(page, '派车')
  await searchPlate(dd2, car.plate)
  const busy = dd2.locator('.cand-off', { hasText: car.plate })
  await busy.waitFor()
  assert.match(await busy.innerText(), new RegExp(`该时段已有任务（${first.no}）`))
  await page.keyboard.press('Escape')
  await logout(page)
})
