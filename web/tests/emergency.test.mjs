// Browser test of 紧急用车补报 (R-14, issue 24 item 5) at 1440×900, against one fresh demo backend:
//   GOVFLEET_BIN=/path/to/govfleet node --test tests/emergency.test.mjs
// A dispatcher files an emergency use: the unit's vehicle manager is told, the message opens that filing alone,
// and the filing takes the leader's approval as an attachment.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSession, loginTo, serverAndBrowser, settled, shot } from './browser.mjs'
import { vinWithCheck } from './xlsx.mjs'

const digits = String(Date.now()).slice(-7)
let server, b, page

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
})

test('whoever files an emergency use, the vehicle manager’s message opens the filing, which takes attachments', async () => {
  // The file's own car, filed by the dispatcher three hours after it left.
  const admin = await apiSession(server.baseURL, 'jgj_admin')
  const unit = (await admin.get('/me')).data.user.scope_id
  const plate = `苏DE${digits.slice(-4)}`
  const car = await admin.post('/vehicles', {
    unit_id: unit, category: 'other', plate, brand: '大众', model: '帕萨特', vin: vinWithCheck(`LSVAM4187E${digits}`), seats: 5,
    energy_type: 'petrol', displacement: 1984, vehicle_class: 'small', purchase_date: '2022-03-01', status: 'available',
  })
  assert.equal(car.status, 201, JSON.stringify(car.data))
  const dispatcher = await apiSession(server.baseURL, 'jgj_dispatcher')
  const filed = await dispatcher.post('/emergency-filings', {
    vehicle_id: car.data.id, leader: '王局长', reason: `防汛抢险 ${digits}`, started_at: new Date(Date.now() - 3 * 3600 * 1000).toISOString(),
  })
  assert.equal(filed.status, 201, JSON.stringify(filed.data))

  await loginTo(page, 'jgj_vm', '/messages')
  const row = page.locator('.el-table__row', { hasText: `防汛抢险 ${digits}` }).filter({ hasText: '紧急用车已补报' })
  await row.waitFor()
  // A click on the button itself, not at its place on the screen: the list reloads on each new message (the
  // demo's jobs send some while the test runs), and a click where the row was a moment ago opens another one.
  await row.getByRole('button', { name: '查看' }).dispatchEvent('click')
  await page.waitForURL(new RegExp(`/emergency\\?id=${filed.data.id}$`))
  await page.locator('[data-test=filing-one]').waitFor()
  await settled(page) // the one filing's list is in, not the whole list it replaces
  const rows = page.locator('[data-test=filings] .el-table__body-wrapper .el-table__row')
  await rows.filter({ hasText: plate }).waitFor()
  assert.equal(await rows.count(), 1, 'the message opens its filing alone')

  await page.locator('[data-test=filings] .el-table__fixed-right [data-test=filing-attach], [data-test=filings] [data-test=filing-attach]').first().waitFor()
  const chooser = page.waitForEvent('filechooser')
  await page.locator('[data-test=filing-attach]').first().click()
  await (await chooser).setFiles({ name: '领导同意批示.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%批示\n%%EOF\n') })
  await page.getByRole('link', { name: '领导同意批示.pdf' }).waitFor()
  await settled(page)
  await shot(page, 'emergency-one-filing')
  const list = (await admin.get(`/emergency-filings?id=${filed.data.id}`)).data.items
  assert.deepEqual(list[0].attachments.map((a) => a.filename), ['领导同意批示.pdf'])
})
