// Browser test against a fresh demo backend of cross-region bookings (R-18, issue 22). The demo's platform is paired
// with itself (a partner whose address is this server and whose two keys are the same), so that a request sent to
// the "partner" comes back in as the partner's request: the partner page (the demo's 无锡/南京, registering one, the
// status check), the outbound application on the form (市外 + 异地用车) through approval to 异地办理中 and the partner's
// 受理, the inbound order dispatched by the city's dispatcher on the dispatch board (the origin's order then shows
// 合作城市派车), last month's settlement statement's lines on screen each way (their totals the row's) and the statement
// printed (the server's PDF, its text read back, with the market price and the saving), and the same application made on a 375 px phone (/m: 市外 → 异地用车), approved and delivered to the partner.
//   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pdfText } from './pdftext.mjs'
import { apiSession, beijingDay, DEMO_PASSWORD, dialog, downloaded, expectMessage, login, loginTo, logout, menuItem, pickOption, serverAndBrowser, shot, workday } from './browser.mjs'

const run = Date.now().toString(36).slice(-5)
const cityName = `回环市${run}`
const code = `loop${run}`
const secret = 'a'.repeat(32) + run.padEnd(32, 'b')

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

async function typeDate(name, value) {
  const input = page.locator(`input[name=${name}]`)
  await input.click()
  await input.fill(value)
  await input.press('Enter')
  await page.locator('.el-form-item__label', { hasText: '用车事由' }).click()
}
async function until(fn, what, ms = 30000) {
  const end = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

test('1. the partner page: the demo partners, registering one, its status check', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '合作城市').click()
  await page.waitForURL('**/partner/cities')
  const table = page.locator('[data-test=partners]')
  await table.getByText('无锡市').waitFor()
  await table.getByText('南京市').waitFor()
  await page.locator('[data-test=add-partner]').click()
  const dd = dialog(page, '登记合作城市')
  const field = (label) => dd.locator('.el-form-item', { hasText: label }).locator('input').first()
  await field('合作城市').fill(cityName)
  await field('对方平台地址').fill(server.baseURL)
  await field('对方平台标识').fill(code)
  await field('本平台在对方的标识').fill(code)
  await field('对方签名密钥').fill(secret)
  await field('本方签名密钥').fill(secret)
  await shot(page, 'p01-partner-form')
  await page.locator('[data-test=partner-save]').click()
  await dd.waitFor({ state: 'hidden' })
  const row = table.locator('.el-table__row', { hasText: cityName })
  await row.waitFor()
  assert.ok((await row.innerText()).includes('未检查'))
  await row.locator('[data-test=check]').click()
  await row.locator('[data-test=reachable]', { hasText: '可达' }).waitFor()
  await shot(page, 'p02-partners')
  // The tariff partners' officials pay is the city's paid-use tariff, on the one tariff page.
  await page.locator('[data-test=tariff-note]').getByRole('link', { name: '收费标准与市场价' }).click()
  await page.waitForURL('**/rates')
  await page.locator('[data-test=rates-paid_use] tbody tr', { hasText: '轿车' }).first().waitFor()
  await shot(page, 'p03-tariffs')
  await logout(page)
})

let orderId = 0
let orderNo = ''

test('2. the outbound application: 市外 with a partner city, approved, sent, accepted by the partner', async () => {
  await login(page, 'jgj_staff')
  await page.locator('[data-test=menu-apply]').click()
  const form = page.locator('[data-test=apply-form]')
  await form.waitFor()
  await form.locator('textarea[name=reason]').fill(`赴${cityName}参加协作会议`)
  await form.locator('input[name=pickup_place]').fill(`${cityName}高铁站`)
  await form.locator('input[name=destination-0]').fill(`${cityName}行政中心`)
  // On a day without a statutory holiday, so that the partner's dispatcher finds its car unsealed.
  const day = beijingDay(await workday(await apiSession(server.baseURL, 'jgj_staff'), 1))
  await typeDate('pickup_at', `${day} 09:00`)
  await typeDate('return_at', `${day} 13:30`)
  await form.locator('.el-form-item', { hasText: '行程范围' }).getByText('市外').click()
  await page.locator('[data-test=partner-select]').click()
  await pickOption(page, `${cityName}（由${cityName}公务用车平台派车）`)
  await shot(page, 'p04-apply-partner')
  await page.locator('[data-test=apply-submit]').click()
  const done = page.locator('[data-test=apply-done]')
  await done.waitFor()
  orderNo = (await done.innerText()).match(/YC\d+/)[0]
  await page.locator('[data-test=view-order]').click()
  await page.waitForURL(/\/orders\/\d+/)
  orderId = Number(page.url().match(/orders\/(\d+)/)[1])
  await logout(page)

  const approver = await apiSession(server.baseURL, 'jgj_approver')
  const r = await approver.post(`/orders/${orderId}/approve`, { reason: '同意' })
  assert.equal(r.status, 200, JSON.stringify(r.data))
  assert.equal(r.data.state, 'partner')

  await loginTo(page, 'jgj_staff', `/orders/${orderId}`)
  await page.locator('[data-test=order-state]', { hasText: '异地办理中' }).waitFor()
  await until(async () => {
    await page.reload()
    return (await page.locator('[data-test=timeline]').innerText()).includes('合作城市受理')
  }, 'the partner accepts')
  const info = await page.locator('[data-test=order-partner]').innerText()
  assert.ok(info.includes(`由${cityName}公务用车平台派车`), info)
  await shot(page, 'p05-outbound-order')
  await logout(page)
})

test('3. the inbound order: the city dispatcher dispatches it; the origin hears of it', async () => {
  const admin = await apiSession(server.baseURL, 'city_admin')
  const list = await admin.get('/partner-bookings?direction=in&page_size=100')
  const inbound = list.data.items.find((l) => l.ref === `${code}-${orderNo}`)
  assert.ok(inbound, `inbound ${code}-${orderNo}`)
  await login(page, 'city_dispatcher')
  await page.locator('[data-test=menu-dispatch]').click()
  const drow = page.locator('[data-test=dispatch-list] .el-table__row', { hasText: inbound.order_no })
  await drow.waitFor()
  assert.ok((await drow.innerText()).includes(cityName), await drow.innerText())
  await drow.locator('[data-test=act-dispatch]').click()
  const dd = dialog(page, '派车')
  await dd.locator('[data-test=candidate-filters] input[name=plate]').fill('6J801')
  await dd.locator('[data-test=candidate-search]').click()
  await dd.locator('.cand-ok', { hasText: '苏D6J801' }).click()
  await dd.locator('[data-test=drivers] .el-radio', { hasText: '严师傅' }).click()
  await shot(page, 'p06-inbound-dispatch')
  await dd.locator('[data-test=dispatch-confirm]').click()
  await dd.waitFor({ state: 'hidden' })
  await logout(page)
  const vm = await apiSession(server.baseURL, 'jgj_vm')
  const o = await vm.get(`/orders/${inbound.order_id}`)
  if (o.data?.state === 'pending_consent') await vm.post(`/orders/${inbound.order_id}/consent`)

  const staff = await apiSession(server.baseURL, 'jgj_staff')
  await until(async () => (await staff.get(`/orders/${orderId}`)).data.events.some((e) => e.action === 'partner_assign'), 'the assignment reaches the origin')
  await loginTo(page, 'jgj_staff', `/orders/${orderId}`)
  await page.locator('[data-test=timeline]').getByText('合作城市派车').waitFor()
  assert.ok((await page.locator('[data-test=order-partner]').innerText()).includes('苏D6J801'))
  await shot(page, 'p07-outbound-assigned')
  // On the phone (375 px): the traveller follows the same order.
  await page.setViewportSize({ width: 375, height: 812 })
  await page.goto(`/m/orders/${orderId}`)
  await page.getByText('合作城市派车').first().waitFor()
  await shot(page, 'p07m-outbound-phone')
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto('/')
  await logout(page)
})

test('4. last month\'s settlement statement, printed as the server\'s PDF', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '异地用车结算单').click()
  await page.waitForURL('**/partner/settlements')
  const row = page.locator('[data-test=settlements] .el-table__row', { hasText: '无锡市' }).first()
  await row.waitFor()
  assert.ok((await row.innerText()).includes('双方已确认'))
  await shot(page, 'p08-settlements')
  const cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim())
  const month = cells[1]
  const owed = cells.slice(2, 4).map((c) => c.replace(/,/g, '').replace(/（(\d+)单）/, ' 元（$1 单）'))
  const [dl] = await Promise.all([page.waitForEvent('download'), row.locator('[data-test=print]').click()])
  assert.equal(dl.suggestedFilename(), `异地用车结算单-无锡市-${month}.pdf`)
  const text = pdfText(await downloaded(dl))
  for (const t of ['公务用车异地有偿使用结算单', '合作城市：无锡市', `结算月份：${month}`, '双方已确认', ...owed, '对方人员使用本市车辆（对方应付）',
    '本市人员使用对方车辆（本方应付）', '市场价（元）', '节约（元）', '合计', '本方经办人 签字：', '对方（无锡市）经办人 签字：']) assert.ok(text.includes(t), `the statement says ${t}:\n${text}`)
  // The lines on screen, each way: their totals are the row's (and the print's).
  await row.locator('[data-test=settle-view]').click()
  const drawer = page.locator('.el-drawer', { hasText: '结算单明细' })
  for (const [dir, cell, extra] of [['对方人员用本市车辆', cells[2], [`市场价 ${cells[4]} 元`, `节约 ${cells[5]} 元`]], ['本市人员用对方车辆', cells[3], []]]) {
    await drawer.locator('[data-test=lines-direction]').getByText(dir).click()
    const [, fee, n] = cell.match(/^(.+)（(\d+)单）$/)
    await page.waitForFunction(([n, fee]) => {
      const el = document.querySelector('.el-drawer [data-test=lines-sum]')
      return el && el.innerText.includes(`明细合计：${n} 单`) && el.innerText.includes(`费用 ${fee} 元`)
    }, [n, fee])
    const sum = await drawer.locator('[data-test=lines-sum]').innerText()
    for (const t of [...extra, '与结算单一致']) assert.ok(sum.includes(t), `the ${dir} lines' totals say ${t}: ${sum}`)
    if (Number(n) > 0) assert.match(await drawer.locator('[data-test=lines] .el-table__row').first().innerText(), /YC\d+/)
    if (dir.startsWith('对方')) await shot(page, 'p08b-settlement-lines')
  }
  await drawer.locator('.el-drawer__close-btn').click()
  await drawer.waitFor({ state: 'hidden' })
  await menuItem(page, /^\s*异地用车\s*$/).click()
  await page.locator('[data-test=partner-bookings] .el-table__row').first().waitFor()
  await shot(page, 'p11-partner-bookings')
  await logout(page)
})

test('5. on the phone (375 px): 市外 → 异地用车, approved, delivered to the partner', async () => {
  await page.setViewportSize({ width: 375, height: 812 })
  await b.context.clearCookies()
  await page.goto('/m/login')
  await page.locator('input[name=username]').fill('jgj_staff')
  await page.locator('input[name=password]').fill(DEMO_PASSWORD)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL((u) => /\/m\/?$/.test(u.pathname))
  await page.goto('/m/apply')
  const form = page.locator('[data-test=m-apply]')
  await form.locator('textarea[name=reason]').fill(`赴${cityName}考察（手机申请）`)
  await form.locator('input[name=pickup_place]').fill(`${cityName}汽车站`)
  await form.locator('input[name=destination-0]').fill(`${cityName}档案馆`)
  const local = (min) => new Date(Date.now() + min * 60000 + 8 * 3600000).toISOString().slice(0, 16) // Beijing wall time
  await form.locator('input[name=pickup_at]').fill(local(60))
  await form.locator('input[name=return_at]').fill(local(300))
  // No partner offered until 市外 is chosen, as on the console.
  assert.equal(await page.locator('[data-test=m-partner-select]').count(), 0)
  await form.locator('.van-radio', { hasText: '市外' }).click()
  await page.locator('[data-test=m-partner-select]').selectOption({ label: cityName })
  await page.locator('[data-test=m-partner-tip]', { hasText: `申请发往${cityName}公务用车平台派车` }).waitFor()
  await page.locator('[data-test=m-partner-select]').scrollIntoViewIfNeeded()
  await shot(page, 'p12m-apply-partner')
  await expectMessage(page, '异地用车申请已提交', () => page.locator('[data-test=m-apply-submit]').click(), 'toast')
  await page.waitForURL(/\/m\/orders\/\d+$/)
  const id = Number(page.url().match(/orders\/(\d+)/)[1])

  const approver = await apiSession(server.baseURL, 'jgj_approver')
  const r = await approver.post(`/orders/${id}/approve`, { reason: '同意' })
  assert.equal(r.status, 200, JSON.stringify(r.data))
  assert.equal(r.data.state, 'partner')

  await page.reload()
  await page.locator('[data-test=m-order-state]', { hasText: '异地办理中' }).waitFor()
  await until(async () => {
    await page.reload()
    return (await page.locator('[data-test=m-timeline]').innerText()).includes('合作城市受理')
  }, 'the partner accepts the phone\'s application')
  await shot(page, 'p13m-outbound-accepted')
  // Delivered: the partner holds it as an order of its own for its dispatchers.
  const no = r.data.no
  const admin = await apiSession(server.baseURL, 'city_admin')
  const inbound = (await admin.get('/partner-bookings?direction=in&page_size=100')).data.items.filter((l) => l.ref === `${code}-${no}`)
  assert.equal(inbound.length, 1, `inbound ${code}-${no}`)
  assert.ok(inbound[0].order_id)
  await page.setViewportSize({ width: 1440, height: 900 })
})
