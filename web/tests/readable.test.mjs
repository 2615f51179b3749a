// What a user reads (issue 24 item 9): no internal codes on the pages — regulation numbers, "#id",
// evidence keys, formulas — and, at 1440×900, tables whose last column and order numbers fit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, dialog, login, loginTo, logout, serverAndBrowser, settled } from './browser.mjs'
import { daysTag } from '../src/views/lifecycle/lifecycle.js'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

// Requirement numbers, "#12"-style ids and keys such as "overnight:vehicle:334:2026-12-07".
const CODE = /R-\d+|#\d+\b|[a-z_]+:[a-z_]+:\d+/

// visit opens a page of the console in place (the router, not a reload: quicker on a busy machine).
async function visit(p) {
  await page.evaluate((p) => document.querySelector('#app').__vue_app__.config.globalProperties.$router.push(p), p)
  await page.waitForFunction((p) => location.pathname === p, p, { timeout: 30_000 }).catch((e) => {
    throw new Error(`${p}: ${e.message}`)
  })
}

async function assertReadable(where) {
  await settled(page)
  const text = await page.locator('body').innerText()
  const m = text.match(CODE)
  assert.equal(m, null, `${where} shows ${m && JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 40))}`)
}

const MAIN_PAGES = [
  '/', '/org', '/vehicles', '/drivers', '/terminals', '/quota', '/confirmations', '/emergency', '/holidays', '/messages',
  '/monitor', '/trips', '/terminal-health', '/fuel/records', '/fuel/consumption', '/companies', '/insurance/policies',
  '/insurance/claims', '/inspection', '/costs', '/repairs', '/repair-thresholds', '/rental-orders', '/rental-assessments',
  '/supervision', '/supervision/cases', '/supervision/rules', '/users', '/password-resets', '/credentials', '/role-filings', '/statistics/annual',
  '/visitors', '/ridehail-reconciliation',
  '/loans', '/rates', '/settlements',
  '/profile', '/stats', '/extract',
]

test('no internal codes on the main pages, a case, an audit entry, the API key page and the rental dialog', async () => {
  await login(page, 'city_admin')
  for (const p of MAIN_PAGES) {
    await visit(p)
    await assertReadable(p)
  }

  // 严重问题 and the fuel flags are switches, not 0/1 number boxes.
  await visit('/supervision/rules')
  await settled(page)
  const serious = page.locator('[data-test=sup-rules] .param', { hasText: '严重问题' }).first()
  assert.equal(await serious.locator('.el-switch').count(), 1, '严重问题 is a switch')
  assert.equal(await serious.locator('.el-input-number').count(), 0, '严重问题 is not a number box')

  // A case: its findings named by vehicle (or unit), day and rule, not by their key.
  await visit('/supervision/cases')
  await page.locator('.el-table__row a').first().click()
  await page.locator('[data-test=finding-subject]').first().waitFor()
  await assertReadable('a case')

  await logout(page)

  // The audit log and an entry's details: the object by its type, no action key.
  await login(page, 'city_audit')
  await visit('/audit')
  await assertReadable('审计日志')
  await settled(page)
  await page.locator('[data-test=audit-table] .el-table__row').first().getByRole('button', { name: '查看' }).click()
  await page.locator('.el-drawer', { hasText: '审计记录详情' }).waitFor()
  await assertReadable('an audit entry')
  assert.doesNotMatch(await page.locator('.el-drawer').innerText(), /（[a-z_]+\.[a-z_.]+）/)
  await page.keyboard.press('Escape')
  await page.locator('.el-drawer').waitFor({ state: 'hidden' })
  await logout(page)

  // The company's API key page explains signing in words and links the API docs.
  await loginTo(page, 'co_insurer', '/company/keys')
  await assertReadable('API密钥')
  const howto = page.locator('[data-test=key-howto]')
  assert.doesNotMatch(await howto.innerText(), /HMAC|docs\/|\.sh\b/)
  assert.equal(await howto.locator('a[href="/api/openapi.json"]').count(), 1)
  await logout(page)

  // The dispatcher's 转租赁 dialog.
  await loginTo(page, 'jgj_dispatcher', '/dispatch')
  await settled(page)
  await page.locator('[data-test=dispatch-list] [data-test=act-rental]').first().click()
  await dialog(page, '转租赁用车').waitFor()
  await assertReadable('转租赁')
  await page.keyboard.press('Escape')
  await dialog(page, '转租赁用车').waitFor({ state: 'hidden' })
  await logout(page)
})

// fits checks a table at 1440×900: no column hidden to the right (no horizontal scrolling, every
// header inside the table, none under a column fixed on the right) and the order numbers whole.
async function fits(where, table, numberCol) {
  await settled(page)
  const t = page.locator(`${table} .el-table`).first()
  await t.locator('.el-table__body-wrapper .el-table__row').first().waitFor()
  const r = await t.evaluate((el, numberCol) => {
    const box = el.getBoundingClientRect()
    const ths = [...el.querySelectorAll('.el-table__header-wrapper th')]
    const fixed = ths.filter((th) => th.classList.contains('el-table-fixed-column--right'))
    const edge = fixed.length ? Math.min(...fixed.map((th) => th.getBoundingClientRect().left)) : box.right
    const cut = ths
      .filter((th) => !fixed.includes(th))
      .filter((th) => th.getBoundingClientRect().right > edge + 1 || th.getBoundingClientRect().right > box.right + 1)
      .map((th) => th.innerText.trim())
    const last = ths[ths.length - 1].getBoundingClientRect()
    const wrap = el.querySelector('.el-table__body-wrapper .el-scrollbar__wrap')
    const idx = ths.findIndex((th) => th.innerText.trim() === numberCol)
    const cells = idx < 0 ? [] : [...el.querySelectorAll(`.el-table__body-wrapper tr.el-table__row > td:nth-child(${idx + 1}) .cell`)]
    const truncated = cells.filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.innerText.trim())
    return {
      cut, lastInside: last.left >= box.left - 1 && last.right <= box.right + 1, lastHeader: ths[ths.length - 1].innerText.trim(),
      scrolls: wrap ? wrap.scrollWidth > wrap.clientWidth + 1 : false, numbers: cells.length, truncated,
    }
  }, numberCol || '')
  assert.ok(r.lastInside, `${where}: the last column's header 「${r.lastHeader}」 is cut off`)
  assert.deepEqual(r.cut, [], `${where}: headers hidden to the right`)
  assert.equal(r.scrolls, false, `${where}: the table scrolls sideways`)
  if (numberCol) {
    assert.ok(r.numbers > 0, `${where}: no ${numberCol} cells`)
    assert.deepEqual(r.truncated, [], `${where}: ${numberCol} truncated`)
  }
}

test('at 1440×900 the last column and the order numbers fit; 今天到期; the ID card on one line', async () => {
  await b.context.clearCookies() // whatever the test before left
  assert.deepEqual(await page.viewportSize(), { width: 1440, height: 900 })
  // A new order (its number one digit longer than the demo's), approved, waits for dispatch.
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const approver = await apiSession(server.baseURL, 'jgj_approver')
  const day = new Date(Date.now() + 3 * 86400000)
  while ([0, 6].includes(day.getUTCDay())) day.setUTCDate(day.getUTCDate() + 1)
  const at = (h) => `${day.toISOString().slice(0, 10)}T${String(h).padStart(2, '0')}:00:00+08:00`
  const o = await staff.post('/orders', {
    reason: '版面测试', passengers: '秦小敏', passenger_count: 1, pickup_place: '东门', destinations: ['钟楼区'],
    pickup_at: at(9), return_at: at(11), out_of_city: false,
  })
  assert.equal(o.status, 201, JSON.stringify(o.data))
  assert.equal((await approver.post(`/orders/${o.data.id}/approve`, { reason: '' })).status, 200)

  await loginTo(page, 'jgj_dispatcher', '/dispatch')
  await page.locator('[data-test=dispatch-list] .el-table__row', { hasText: o.data.no }).first().waitFor()
  await fits('调度台', '[data-test=dispatch-list]', '单号')
  await logout(page)

  await login(page, 'city_admin')
  for (const [p, sel, no] of [
    ['/insurance/claims', '.page-card', ''],
    ['/supervision/cases', '.page-card', ''],
    ['/rental-orders', '[data-test=rental-orders]', '订单号'],
  ]) {
    await visit(p)
    await fits(p, sel, no)
  }
  // The ID-card number on one line.
  await visit('/drivers')
  await settled(page)
  const id = page.locator('[data-test=driver-table] .el-table__body-wrapper .el-table__row .mono', { hasText: /\d{17}/ }).first()
  assert.equal(await id.evaluate((e) => e.getClientRects().length), 1, 'the ID card number wraps')
  await logout(page)

  await loginTo(page, 'co_rental', '/rental-orders')
  await fits('租赁用车（租赁公司）', '[data-test=rental-orders]', '订单号')
  await logout(page)
})

test('days left: 今天到期 instead of 0天后到期', () => {
  assert.equal(daysTag(0).text, '今天到期')
  assert.equal(daysTag(3).text, '3天后到期')
  assert.equal(daysTag(-2).text, '逾期2天')
})
