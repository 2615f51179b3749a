// Browser test against a fresh demo backend of 统计分析 (issue 23, R-10): the city's administrator sees the city's
// figures with their definitions, drills into a district and a unit, follows 出车订单数 to 用车订单查询 (the same
// count) and exports a chart's data; a district's administrator and the finance supervisor see theirs; a unit's
// administrator sees its unit on 工作台; 数据提取 previews and exports; 组织机构 says 超编 only beside a number above 0.
//   npm run test:browser tests/stats.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { downloaded, login, loginTo, logout, serverAndBrowser, shot } from './browser.mjs'
import { unzip } from './xlsx.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

const node = () => page.locator('[data-test=stats-node]')
const lastMonth = () => {
  const d = new Date(Date.now() + 8 * 3600000)
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() - 1)
  return d.toISOString().slice(0, 7)
}

test('1. the city: figures with definitions, drill-down to a unit, the orders agree, a chart exports', async () => {
  await login(page, 'city_admin')
  await page.goto(`/stats?month=${lastMonth()}`)
  await node().filter({ hasText: '常州市' }).waitFor()
  await page.locator('[data-test=chart-months] canvas').first().waitFor()
  // The definition beside the number.
  await page.locator('[data-test=kpi-utilisation] [data-test=help-utilisation]').hover()
  await page.locator('.help-tip-popper:visible', { hasText: '出车车日 ÷ 可用车日' }).waitFor()
  await shot(page, 'stats-city')

  // A chart's data to Excel.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export-months]').click()])
  assert.match(download.suggestedFilename(), /近12个月使用情况/)
  const sheet = unzip(await downloaded(download)).find((f) => f.name === 'xl/worksheets/sheet1.xml').data.toString('utf8')
  for (const text of ['出车订单数', '车辆使用率（%）', lastMonth()]) assert.ok(sheet.includes(text), `${text} in the export`)

  // City → district → unit: the breadcrumb follows.
  await page.locator('[data-test=children-table] [data-test=child-link]', { hasText: '天宁区' }).click()
  await node().filter({ hasText: '天宁区' }).waitFor()
  const unit = page.locator('[data-test=children-table] .el-table__row').filter({ has: page.locator('[data-test=child-orders]:not(:text-is("0"))') }).first()
  const unitName = (await unit.locator('[data-test=child-link]').innerText()).trim()
  await unit.locator('[data-test=child-link]').click()
  await node().filter({ hasText: unitName }).waitFor()
  assert.ok(await page.locator('[data-test=stats-breadcrumb]', { hasText: '天宁区' }).count(), 'the breadcrumb names the district')
  // The unit's children are its vehicles, each opening the vehicle.
  await page.locator('[data-test=children-table] .el-table__header', { hasText: '车辆' }).waitFor()
  await shot(page, 'stats-unit')

  // 出车订单数 opens 用车订单查询 with the same unit, days and states: the same count.
  const n = Number((await page.locator('[data-test=kpi-orders-link]').innerText()).replace(/,/g, ''))
  assert.ok(n > 0, 'the unit ran orders last month')
  await page.locator('[data-test=kpi-orders-link]').click()
  await page.waitForURL('**/orders?**')
  await page.locator('.el-pagination__total', { hasText: `共 ${n} 条` }).waitFor()
  await logout(page)
})

test('2. a district administrator and the finance supervisor see theirs; a unit administrator its unit on 工作台', async () => {
  await loginTo(page, 'tn_admin', '/stats')
  await node().filter({ hasText: '天宁区' }).waitFor()
  assert.equal(await page.locator('[data-test=stats-breadcrumb] a').count(), 0, 'nothing above the district to go to')
  await logout(page)

  await loginTo(page, 'city_cz', '/stats')
  await node().filter({ hasText: '常州市' }).waitFor()
  await page.locator('[data-test=kpi-costs]').waitFor()
  await shot(page, 'stats-supervisor')
  await logout(page)

  await login(page, 'jgj_admin')
  const figures = page.locator('[data-test=workbench-figures]')
  await figures.filter({ hasText: '市机关事务管理局' }).waitFor()
  await figures.locator('canvas').first().waitFor()
  await shot(page, 'stats-workbench-unit')
  await figures.locator('[data-test=workbench-stats-link]').click()
  await node().filter({ hasText: '市机关事务管理局' }).waitFor()
  await logout(page)
})

test('3. 数据提取 previews the first rows with names and exports them', async () => {
  await loginTo(page, 'city_admin', '/extract')
  await page.locator('[data-test=extract-dataset]').getByText('车辆', { exact: true }).click()
  await page.locator('[data-test=extract-preview]').click()
  const result = page.locator('[data-test=extract-result]')
  await result.locator('.el-table__row').first().waitFor()
  assert.match(await result.locator('.card-title').innerText(), /共 600 条|共 \d+ 条/)
  assert.ok(await result.getByText('应急保障用车').count() + (await result.getByText('其他用车').count()) > 0, 'categories by name')
  await shot(page, 'stats-extract')
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=extract-export]').click()])
  assert.match(download.suggestedFilename(), /数据提取-车辆/)
  await logout(page)
})

test('4. 组织机构: the city is 超编 exactly when its units hold vehicles beyond their quotas, and says by how many', async () => {
  await loginTo(page, 'city_admin', '/org')
  const detail = page.locator('[data-test=unit-detail]')
  const over = detail.locator('[data-test=over-by]')
  await over.waitFor()
  const text = await over.innerText()
  assert.match(text, /^超 [1-9]\d* 辆$/, `the city's excess: ${text}`)
  await logout(page)
})
