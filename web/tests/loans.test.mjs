// Browser test against a fresh demo backend of 车辆借调 (R-17) and 结算单 (issue 21 parts 4 and 5): 天宁区's dispatcher
// asks 武进区 for a sedan; 武进区's administrator picks one and approves; the loan shows on both sides' lists and
// 天宁区 returns it early. The demo's loan under way today puts 武进区's van on 天宁区's live map. Last month's
// statement between the two districts is confirmed by both sides — the borrower after reading its lines on screen,
// whose totals are the row's — printed (the server's PDF, its text read back) and its lines exported. A loan of named
// vehicles: 天宁区 finds one of 武进区's free vehicles by plate, asks for it without drivers, 武进区 approves it, and
// 天宁区's dispatcher sees it in the dispatch dialog tagged as lent without drivers.
//   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, beijingAt, beijingDay, dialog, downloaded, expectMessage, login, logout, menuItem, pickOption, serverAndBrowser, shot, workday } from './browser.mjs'
import { pdfText } from './pdftext.mjs'
import { unzip } from './xlsx.mjs'

const run = Date.now().toString(36).slice(-5)
const reason = `区两会会务保障${run}`
const LOAN_PASSWORD = 'Lz8#qWv3Rm' // the order's applicant, a new account of 天宁区城市管理局

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

const loanRow = () => page.locator('[data-test=loans] .el-table__body-wrapper tbody tr', { hasText: reason })

// A Beijing date-time string some days ahead, as the picker takes it.
const ahead = (days, hour) => `${beijingDay(days)} ${String(hour).padStart(2, '0')}:00:00`

test('1. a district asks another for a sedan; the lender picks one and approves; the borrower returns it early', async () => {
  await login(page, 'tn_dispatcher')
  await menuItem(page, '车辆借调').click()
  await page.waitForURL('**/loans')
  await page.locator('[data-test=loan-new]').click()
  const d = dialog(page, '申请借调车辆')
  await d.locator('[data-test=loan-lender]').click()
  await pickOption(page, '武进区')
  await d.locator('[data-test=loan-type]').getByText('轿车').click()
  const inputs = d.locator('.el-range-input')
  await inputs.nth(0).fill(ahead(30, 8))
  await inputs.nth(1).fill(ahead(31, 18))
  await inputs.nth(1).press('Enter')
  await d.locator('textarea[data-test=loan-reason]').fill(reason)
  await shot(page, 'loan-request')
  await d.locator('[data-test=loan-submit]').click()
  await loanRow().waitFor()
  const row = await loanRow().innerText()
  for (const text of ['天宁区 ← 武进区', '轿车 1 辆', '带驾驶员', '待审批']) assert.ok(row.includes(text), `${text} in ${row}`)
  await logout(page)

  await login(page, 'wj_admin')
  await menuItem(page, '车辆借调').click()
  await page.locator('[data-test=loan-tabs]').getByText('本级借出').click()
  await loanRow().locator('[data-test=loan-approve]').click()
  const pick = page.locator('[data-test=loan-pick]')
  await pick.locator('[data-test=lendable] tbody tr').first().waitFor()
  await pick.locator('[data-test=lendable] tbody tr').first().locator('.el-checkbox').click()
  await shot(page, 'loan-approve')
  await pick.locator('[data-test=loan-approve-confirm]').click()
  await page.waitForFunction((r) => [...document.querySelectorAll('[data-test=loans] tbody tr')].some((tr) => tr.innerText.includes(r) && tr.innerText.includes('已批准')), reason)
  const approved = await loanRow().innerText()
  assert.match(approved, /苏D/, 'the approved loan names its vehicle by plate')
  assert.ok(approved.includes('批准于'), approved)
  await logout(page)

  await login(page, 'tn_dispatcher')
  await menuItem(page, '车辆借调').click()
  await loanRow().locator('[data-test=loan-return]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '归还' }).click()
  await page.waitForFunction((r) => [...document.querySelectorAll('[data-test=loans] tbody tr')].some((tr) => tr.innerText.includes(r) && tr.innerText.includes('已归还')), reason)
  await shot(page, 'loans')
})

test('2. the van lent today is on the borrower\'s live map', async () => {
  const api = await apiSession(server.baseURL, 'tn_dispatcher')
  const loans = await api.get('/loans?side=borrow&state=approved&page_size=50')
  const today = loans.data.items.find((l) => new Date(l.from) <= new Date() && new Date() <= new Date(l.to))
  assert.ok(today, 'the demo has a loan under way today')
  const plate = today.vehicles[0].plate
  await menuItem(page, '实时监控').click()
  await page.locator('[data-test=live-search]').fill(plate)
  await page.locator(`[data-test="live-row-${plate}"]`).waitFor()
  await shot(page, 'loan-live-map')
  await logout(page)
})

test('3. last month\'s statement is confirmed by both sides, printed as a PDF and exported', async () => {
  const open = async (user) => {
    await login(page, user)
    await menuItem(page, '统筹用车结算单').click()
    await page.waitForURL('**/settlements')
  }
  const row = () => page.locator('[data-test=settlements] .el-table__body-wrapper tbody tr', { hasText: '武进区 → 天宁区' }).first()
  await open('tn_admin')
  await page.locator('.filter-form .el-select').click()
  await pickOption(page, '待确认')
  await row().waitFor()
  const month = (await row().innerText()).slice(0, 7)
  await shot(page, 'settlements')
  // The borrower reads the lines before confirming: every use, and their totals the row's figures.
  const rowCells = (await row().locator('td').allInnerTexts()).map((c) => c.trim())
  const uses = rowCells[2].match(/(\d+) 次/)[1]
  await row().locator('[data-test=settle-view]').click()
  const drawer = page.locator('.el-drawer', { hasText: '结算单明细' })
  await drawer.locator('[data-test=lines] .el-table__row').first().waitFor()
  const sum = await drawer.locator('[data-test=lines-sum]').innerText()
  for (const t of [`明细合计：${uses} 次`, `内部费用 ${rowCells[3]} 元`, `市场价 ${rowCells[4]} 元`, `节约 ${rowCells[5]} 元`, '与结算单一致'])
    assert.ok(sum.includes(t), `the lines' totals say ${t}: ${sum}`)
  const first = await drawer.locator('[data-test=lines] .el-table__row').first().innerText()
  assert.match(first, /YC\d+/, 'a line names its order by number')
  assert.match(first, /苏[A-Z]/, 'a line names its vehicle by plate')
  assert.ok(/北斗里程|里程表|无里程/.test(first) && /天|半天/.test(first), `a line says its km source and charged time: ${first}`)
  assert.equal(await drawer.locator('[data-test=lines] .el-pagination__total').innerText(), `共 ${uses} 条`)
  await shot(page, 'settlement-lines')
  await drawer.locator('[data-test=lines-confirm]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '确认' }).click()
  await drawer.waitFor({ state: 'hidden' })
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=settlements] tbody tr')].some((tr) => tr.innerText.includes('借入方：') && !tr.innerText.includes('借入方：未确认') && tr.innerText.includes('武进区 → 天宁区')))
  await logout(page)

  await open('wj_admin')
  await page.locator('.filter-form .el-date-editor input').fill(month)
  await page.locator('.filter-form .el-date-editor input').press('Enter')
  await row().waitFor()
  await row().locator('[data-test=settle-confirm]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '确认' }).click()
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=settlements] tbody tr')].some((tr) => tr.innerText.includes('武进区 → 天宁区') && tr.innerText.includes('双方已确认')))

  // 打印 downloads the statement as a PDF rendered by the server: both parties, the figures the row shows, both
  // confirmations and the signature lines.
  const cells = await row().locator('td').allInnerTexts()
  const figures = cells.slice(3, 6).map((c) => c.trim().replace(/,/g, ''))
  const confirmers = (await row().innerText()).match(/借出方：(\S+)[\s\S]*借入方：(\S+)/).slice(1)
  await shot(page, 'settlements-confirmed')
  const [dl] = await Promise.all([page.waitForEvent('download'), row().locator('[data-test=print]').click()])
  assert.equal(dl.suggestedFilename(), `统筹用车结算单-${month}-武进区-天宁区.pdf`)
  const text = pdfText(await downloaded(dl))
  for (const t of ['公务用车跨单位使用结算单', `结算月份：${month}`, '武进区', '天宁区', '双方已确认', '合计', ...figures, ...confirmers,
    '借出方（武进区）经办人 签字：', '借入方（天宁区）经办人 签字：']) assert.ok(text.includes(t), `the statement says ${t}:\n${text}`)
  assert.ok(text.includes('北斗里程') || text.includes('里程表'), 'the km source')
  assert.ok(!/\bid\b|lender|borrower/.test(text), 'no codes on the statement')

  const [download] = await Promise.all([page.waitForEvent('download'), row().locator('[data-test=settle-lines]').click()])
  const files = unzip(await downloaded(download))
  const xml = files.find((f) => f.name === 'xl/worksheets/sheet1.xml').data.toString('utf8')
  for (const t of ['订单号', '内部费用（元）', '节约（元）']) assert.ok(xml.includes(t) || files.some((f) => f.data.toString('utf8').includes(t)), `${t} in the export`)
  await logout(page)
})

test('4. the city keeps the rates of every kind on one page; a period overlapping the one in force is refused', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '收费标准与市场价').click()
  await page.waitForURL('**/rates')
  await page.locator('[data-test=rates-market] tbody tr', { hasText: '中巴车' }).first().waitFor()
  assert.ok((await page.locator('[data-test=rates-market]').innerText()).includes('1,620.00'), 'the minibus market price')
  assert.ok((await page.locator('[data-test=rates-paid_use]').innerText()).includes('720.00'), "the minibus's paid-use day price")
  await shot(page, 'rates')
  for (const [kind, title] of [['tariff', '内部收费标准'], ['paid_use', '有偿使用收费标准']]) {
    await page.locator(`[data-test=rate-new-${kind}]`).click()
    const d = dialog(page, '新增' + title)
    await d.locator('input[data-test=rate-day]').fill('300')
    await d.locator('input[data-test=rate-half]').fill('180')
    const from = d.locator('.el-date-editor input').first()
    await from.fill('2099-01-01')
    await from.press('Enter')
    await expectMessage(page, `轿车${title}（2020-01-01 至 长期）重叠`, () => d.locator('[data-test=rate-save]').click(), 'error')
    if (kind === 'paid_use') await shot(page, 'rate-overlap')
    await d.getByRole('button', { name: '取消' }).click()
    await d.waitFor({ state: 'hidden' })
  }
  await logout(page)
})

test('5. a district asks for a named vehicle found by plate among the lender\'s free ones; the lender approves it', async () => {
  const named = `区运动会保障${run}`
  const tn = await apiSession(server.baseURL, 'tn_dispatcher')
  const opts = (await tn.get('/loans/options')).data
  const wj = opts.levels.find((l) => l.name === '武进区')
  const d0 = await workday(tn, 40, 2) // an order on the loan finds the van unsealed
  const from = beijingAt(d0, 8)
  const to = beijingAt(d0 + 1, 18)
  const free = (await tn.get(`/loans/offer?lender_id=${wj.id}&from=${from}&to=${to}&vehicle_type=business_van`)).data
  assert.ok(free.length > 0, '武进区 has a free business van')
  const plate = free[0].plate
  await login(page, 'tn_dispatcher')
  await menuItem(page, '车辆借调').click()
  await page.waitForURL('**/loans')
  await page.locator('[data-test=loan-new]').click()
  const d = dialog(page, '申请借调车辆')
  await d.locator('[data-test=loan-lender]').click()
  await pickOption(page, '武进区')
  const inputs = d.locator('.el-range-input')
  await inputs.nth(0).fill(ahead(d0, 8))
  await inputs.nth(1).fill(ahead(d0 + 1, 18))
  await inputs.nth(1).press('Enter')
  await d.locator('[data-test=loan-mode]').getByText('指定车辆').click()
  await d.locator('input[data-test=loan-offer-plate]').fill(plate.slice(-4))
  await d.locator('[data-test=loan-offer-search]').click()
  const offered = d.locator('[data-test=loan-offer] tbody tr', { hasText: plate })
  await offered.waitFor()
  await offered.click()
  await d.locator('[data-test=loan-picked]', { hasText: plate }).waitFor()
  await d.locator('[data-test=loan-with-driver]').click() // 不带驾驶员
  await d.locator('textarea[data-test=loan-reason]').fill(named)
  await shot(page, 'loan-request-named')
  await d.locator('[data-test=loan-submit]').click()
  const row = () => page.locator('[data-test=loans] .el-table__body-wrapper tbody tr', { hasText: named })
  await row().waitFor()
  const text = await row().innerText()
  for (const t of ['天宁区 ← 武进区', plate, '不带驾驶员', '待审批']) assert.ok(text.includes(t), `${t} in ${text}`)
  await logout(page)

  await login(page, 'wj_admin')
  await menuItem(page, '车辆借调').click()
  await page.locator('[data-test=loan-tabs]').getByText('本级借出').click()
  await row().locator('[data-test=loan-approve]').click()
  const pick = page.locator('[data-test=loan-pick]')
  assert.ok((await pick.innerText()).includes(plate), 'the approver sees the named vehicle')
  await pick.locator('[data-test=loan-approve-confirm]').click()
  await page.waitForFunction((r) => [...document.querySelectorAll('[data-test=loans] tbody tr')].some((tr) => tr.innerText.includes(r) && tr.innerText.includes('已批准')), named)
  await shot(page, 'loan-named-approved')
  await logout(page)

  // An order of 天宁区城市管理局 inside the loan: its dispatcher finds the van tagged with the loan and who drives it.
  const loan = (await tn.get('/loans?side=borrow&state=approved&page_size=50')).data.items.find((l) => l.reason === named)
  const admin = await apiSession(server.baseURL, 'tn_admin')
  const approver = await apiSession(server.baseURL, 'tn_cgj_approver')
  const unit = (await approver.get('/me')).data.user.scope_id
  const digits = String(Date.now()).slice(-8)
  const user = await admin.post('/users', { username: `loan_app_${run}`, real_name: '借调用车人', phone: `139${digits}`, scope_id: unit, roles: ['applicant'] })
  assert.equal(user.status, 201, JSON.stringify(user.data))
  const initial = user.data.initial_password
  const pw = await (await apiSession(server.baseURL, `loan_app_${run}`, initial)).post('/me/password', { old_password: initial, new_password: LOAN_PASSWORD })
  assert.ok(pw.status < 300, JSON.stringify(pw.data))
  const applicant = await apiSession(server.baseURL, `loan_app_${run}`, LOAN_PASSWORD)
  const o = await applicant.post('/orders', { reason: `${named}用车`, passengers: '借调用车人', passenger_count: 2, pickup_place: '区行政中心',
    destinations: ['区体育馆'], pickup_at: beijingAt(d0, 9), return_at: beijingAt(d0, 12), out_of_city: false })
  assert.equal(o.status, 201, JSON.stringify(o.data))
  assert.equal((await approver.post(`/orders/${o.data.id}/approve`, { reason: '' })).status, 200)
  await login(page, 'tn_dispatcher')
  await page.goto('/dispatch')
  const q = page.locator('.filter-form input').first()
  await q.fill(o.data.no)
  await q.press('Enter')
  await page.locator('[data-test=dispatch-list] .el-table__row', { hasText: o.data.no }).locator('[data-test=act-dispatch]').click()
  const dd = dialog(page, '派车')
  await dd.locator('[data-test=candidate-filters] input[name=plate]').fill(plate)
  await dd.locator('[data-test=candidate-search]').click()
  const tag = dd.locator('[data-test=suggestions] .el-table__row', { hasText: plate }).locator('[data-test=loan-tag]')
  await tag.waitFor()
  assert.equal((await tag.innerText()).trim(), `借调车辆（${loan.no}，不带驾驶员）`)
  assert.equal(await tag.getAttribute('title'), '不带驾驶员，由天宁区的驾驶员驾驶')
  await shot(page, 'loan-dispatch-tag')
  await dd.getByRole('button', { name: '取消' }).click()
  await logout(page)
})
