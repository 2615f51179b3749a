// Browser tests of 通知公告 and 节支率 (issue 23 parts 4 and 5), against one fresh demo backend:
//   GOVFLEET_BIN=/path/to/govfleet node --test tests/notices.test.mjs
// 天宁区's platform administrator publishes a notice on the console; a unit's approver reads it on the phone; the
// publisher sees that unit's receipt (who, when) and the others unread. The periodic report prints (the server's PDF). The
// city's savings rate shows both inputs beside the rate and drills down to a district.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pdfText } from './pdftext.mjs'
import { apiSession, DEMO_PASSWORD, dialog, downloaded, expectMessage, login, serverAndBrowser, settled, shot } from './browser.mjs'

const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 375, height: 812 }
const run = Date.now().toString(36).slice(-5)
let server, b, page

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
})


async function desktopLogin(username) {
  await b.context.clearCookies()
  await page.setViewportSize(DESKTOP)
  await login(page, username)
}

async function phoneLogin(username) {
  await b.context.clearCookies()
  await page.setViewportSize(PHONE)
  await page.goto('/m/login')
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(DEMO_PASSWORD)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL((u) => /\/m\/?$/.test(u.pathname))
}

test('a notice published on the console is read on the phone, and the publisher sees the receipt', async () => {
  const title = `关于公务用车年底检查的通知 ${run}`
  await desktopLogin('tn_admin')
  await page.locator('[data-test=notice-panel] [data-test=notice-panel-item]').first().waitFor()
  await shot(page, 'notices-workbench')
  await page.goto('/notices?tab=manage')
  await page.locator('[data-test=notice-new]').click()
  const ed = dialog(page, '发布通知')
  await ed.locator('input[data-test=notice-form-title]').fill(title)
  await ed.locator('textarea[data-test=notice-form-body]').fill('区各单位：\n\n请于月底前完成车辆检查。<b>不是标签</b>\n\n特此通知。')
  await ed.locator('.el-switch').click()
  await shot(page, 'notices-editor')
  await expectMessage(page, '已发布', () => ed.locator('[data-test=notice-save-publish]').click())
  const row = page.locator('[data-test=notice-managed] .el-table__row', { hasText: title })
  await row.waitFor()
  await row.locator('[data-test=notice-receipts]').filter({ hasText: '0 /' }).waitFor()

  // The unit's approver, on the phone: the entry shows unread, the list has it, opening it reads it.
  await phoneLogin('tn_cgj_approver')
  await page.locator('[data-test=m-notices-entry]').filter({ hasText: '通知公告' }).waitFor()
  await shot(page, 'notices-phone-home')
  await page.locator('[data-test=m-notices-entry]').click()
  const card = page.locator('[data-test=m-notice-card]', { hasText: title })
  await card.waitFor()
  await shot(page, 'notices-phone-list')
  await card.click()
  await page.locator('[data-test=m-notice-title]', { hasText: title }).waitFor()
  await page.locator('[data-test=m-notice-read]').waitFor()
  assert.ok(await page.getByText('<b>不是标签</b>').isVisible(), 'the text is shown as typed, never as HTML')
  await shot(page, 'notices-phone-detail')

  // Another district's staff never sees it.
  const other = await apiSession(server.baseURL, 'zl_czj_staff')
  const theirs = (await other.get('/notices?page_size=100')).data.items
  assert.ok(!theirs.some((n) => n.title === title), '钟楼区 does not receive 天宁区\'s notice')

  // The publisher: 1 unit read, who and when; the rest unread.
  await desktopLogin('tn_admin')
  await page.goto('/notices?tab=manage')
  const again = page.locator('[data-test=notice-managed] .el-table__row', { hasText: title })
  await again.locator('[data-test=notice-receipts]').filter({ hasText: '1 /' }).click()
  const rc = dialog(page, '阅读回执')
  await rc.locator('[data-test=receipts-filter]').getByText('已读', { exact: true }).click()
  await settled(page) // the filtered list is in: before it, every unit's row shows, this one among them
  const read = rc.locator('[data-test=receipts] .el-table__body-wrapper .el-table__row')
  await read.filter({ hasText: '天宁区城市管理局' }).filter({ hasText: '许晓东' }).waitFor()
  assert.equal(await read.count(), 1)
  await rc.locator('[data-test=receipts-filter]').getByText('未读', { exact: true }).click()
  await read.first().filter({ hasText: '未读' }).waitFor()
  await shot(page, 'notices-receipts')
  await rc.locator('[data-test=receipts-remind]').click()
  await expectMessage(page, '已提醒', () => page.locator('.el-message-box').getByRole('button', { name: '发送提醒' }).click())
})

test('the periodic report opens with its figures and prints as the server\'s PDF', async () => {
  await desktopLogin('jgj_admin')
  await page.goto('/notices')
  const row = page.locator('[data-test=notice-inbox] .el-table__row', { hasText: '使用情况报告' }).first()
  await row.locator('[data-test=notice-open]').click()
  await page.locator('[data-test=report-table]').waitFor()
  await shot(page, 'notices-report-drawer')
  const title = (await page.locator('[data-test=notice-title]').innerText()).trim()
  const total = page.locator('[data-test=report-table] .el-table__body-wrapper tbody tr', { hasText: '合计' }).first()
  const orders = (await total.locator('td').nth(1).innerText()).trim()
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=report-print]').click()])
  assert.equal(dl.suggestedFilename(), `${title}.pdf`)
  const text = pdfText(await downloaded(dl))
  for (const t of [title, '一、用车情况', '附表', '出车车日', '费用合计', '合计', `本期共有用车订单${orders}单`]) assert.ok(text.includes(t), `the report says ${t}:\n${text}`)
})

test('the savings rate shows both inputs and drills down to a district', async () => {
  await desktopLogin('city_admin')
  await page.goto('/savings')
  await page.locator('[data-test=savings-definition]').filter({ hasText: '（基数 − 实际费用）÷ 基数' }).waitFor()
  const summary = page.locator('[data-test=savings-summary]')
  await summary.filter({ hasText: '年度预算' }).waitFor()
  assert.match(await page.locator('[data-test=savings-rate]').innerText(), /^-?\d+\.\d%$/)
  await shot(page, 'savings-city')
  await page.locator('[data-test=savings-table] [data-test=savings-drill]', { hasText: '天宁区' }).click()
  await page.locator('.el-breadcrumb', { hasText: '天宁区' }).waitFor()
  // 天宁区 measures against its budget as the city chose (the demo's few trips make no fair market baseline):
  // both inputs beside a plausible rate.
  await summary.filter({ hasText: '年度预算' }).waitFor()
  await page.getByText('（常州市选定）').waitFor()
  const [baseline, actual] = await summary.locator('.stat .value').allInnerTexts()
  assert.ok(Number(baseline.replace(/,/g, '')) > 0 && Number(actual.replace(/,/g, '')) > 0, `天宁区's budget ${baseline} and costs ${actual}`)
  const rate = Number((await page.locator('[data-test=savings-rate]').innerText()).replace('%', ''))
  assert.ok(rate > -20 && rate < 20, `天宁区's savings rate ${rate} %`)
  for (const cell of await page.locator('[data-test=savings-table] tbody td').allInnerTexts()) {
    const m = cell.trim().match(/^(-?\d+\.\d)%$/)
    assert.ok(!m || Math.abs(Number(m[1])) < 20, `a unit's savings rate ${cell}`)
  }
  assert.ok((await page.locator('[data-test=savings-definition]').innerText()).includes('每次出车'), 'the market basis is defined on the page')
  await shot(page, 'savings-district')
})
