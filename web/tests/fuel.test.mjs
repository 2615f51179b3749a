// Browser test of the fuel import: the fuel company uploads a month's CSV with a bad row and sees the
// row-by-row report (nothing imported), fixes the file and imports it; a supervisor then finds the records and
// the consumption page. Screenshots in tests/screenshots/fuel-*.png.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServer } from './server.mjs'
import { apiSession, launchBrowser, login, logout } from './browser.mjs'

const shotDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots')
const HEAD = '加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)'

// 13 months back: before the demo's year of records.
function monthBack(n) {
  const now = new Date(Date.now() + 8 * 3600 * 1000)
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}
const MONTH = monthBack(13)
const CARD = `10001132${String(Date.now()).slice(-9)}` // a new file each run, also against a kept server

let server
let b
let page
let tmp
let plates

before(async () => {
  await mkdir(shotDir, { recursive: true })
  tmp = await mkdtemp(path.join(os.tmpdir(), 'govfleet-fuel-'))
  server = await startServer()
  b = await launchBrowser({ baseURL: server.baseURL })
  page = b.page
  const admin = await apiSession(server.baseURL, 'city_admin')
  const vs = (await admin.get('/vehicles?page_size=50&status=available')).data.items.filter((v) => v.energy_type === 'petrol')
  plates = vs.slice(0, 2).map((v) => v.plate)
  assert.equal(plates.length, 2)
})

after(async () => {
  if (b) {
    if (b.errors.length) console.log('uncaught page errors:', b.errors.map(String))
    await b.close()
  }
  if (server) await server.stop()
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

async function shot(name) {
  await page.waitForLoadState('networkidle').catch(() => {})
  await page.waitForTimeout(500)
  await page.screenshot({ path: path.join(shotDir, `fuel-${name}.png`) })
}

async function csv(name, rows) {
  const file = path.join(tmp, name)
  await writeFile(file, '\uFEFF' + [HEAD, ...rows].join('\r\n') + '\r\n')
  return file
}

async function upload(file) {
  await page.locator('[data-test=fuel-file] input[type=file]').setInputFiles(file)
  await page.locator('[data-test=fuel-submit]').click()
}

test('1. the fuel company uploads a file with a bad row, sees the row error, fixes it and imports', async () => {
  await login(page, 'co_fuel')
  await page.locator('[data-test="menu-group-加油管理"]').click()
  await page.locator('.side-menu .el-menu-item', { hasText: '加油记录导入' }).click()
  await page.waitForURL('**/fuel/import')
  const month = page.locator('[data-test=fuel-month] input')
  await month.fill(MONTH)
  await month.press('Enter')
  assert.equal(await month.inputValue(), MONTH)

  const good = [
    `${CARD}1,${plates[0]},${MONTH}-15 08:30,中国石化常州延陵西路加油站,92#汽油,45.20,7.42,335.38`,
    `${CARD}2,${plates[1]},${MONTH}-16 17:05,中国石化常州关河东路加油站,92#汽油,38.02,7.89,300.00`,
  ]
  // Row 3: an amount that does not add up; row 4: a plate nobody registered.
  const bad = [good[0], good[1].replace(',300.00', ',310.00'), `${CARD}3,苏Z00001,${MONTH}-17 09:00,某加油站,92#汽油,10.00,7.42,74.20`]
  await upload(await csv('bad.csv', bad))
  await page.locator('[data-test=fuel-failure]', { hasText: '导入失败，共2处错误，未导入任何数据' }).waitFor()
  const errors = page.locator('[data-test=fuel-errors] .el-table__body-wrapper .el-table__row')
  await errors.nth(1).waitFor()
  assert.equal(await errors.count(), 2)
  assert.match(await errors.nth(0).innerText(), /3[\s\S]*金额\(元\)[\s\S]*H3[\s\S]*与加油量×单价/)
  assert.match(await errors.nth(1).innerText(), /4[\s\S]*车牌号[\s\S]*苏Z00001未在平台登记/)
  await shot('01-import-errors')

  await upload(await csv(`${MONTH}.csv`, good))
  await page.locator('[data-test=fuel-success]', { hasText: `导入成功：${MONTH}共2条` }).waitFor()
  const history = page.locator('[data-test=fuel-history] .el-table__body-wrapper .el-table__row').first()
  await history.filter({ hasText: `${MONTH}.csv` }).waitFor()
  assert.match(await history.innerText(), new RegExp(`${MONTH}[\\s\\S]*2[\\s\\S]*83\\.22[\\s\\S]*635\\.38[\\s\\S]*当前`))
  await shot('02-imported')

  // The same file again: nothing new.
  await upload(await csv(`${MONTH}-again.csv`, good))
  await page.locator('[data-test=fuel-success]', { hasText: '已导入过相同的文件' }).waitFor()
  await logout(page)
})

test('2. a supervisor sees the imported records, the flagged demo records and the consumption page', async () => {
  await login(page, 'city_jw')
  await page.goto(`/fuel/records?month=${MONTH}`)
  const rows = page.locator('[data-test=records-table] .el-table__body-wrapper .el-table__row')
  await rows.filter({ hasText: plates[0] }).waitFor()
  assert.equal(await rows.count(), 2)
  assert.match(await rows.filter({ hasText: plates[1] }).innerText(), /38\.02[\s\S]*7\.89[\s\S]*300\.00/)

  // The demo's planted fuelling while sealed for a holiday.
  await page.goto('/fuel/records?flag=sealed&month=')
  await page.locator('[data-test=record-flag]', { hasText: '封存期加油' }).first().waitFor()
  await shot('03-records-sealed')

  await page.locator('[data-test="menu-group-加油管理"]').click()
  await page.locator('.side-menu .el-menu-item', { hasText: '车辆油耗' }).click()
  await page.waitForURL('**/fuel/consumption')
  await page.locator('[data-test=consumption-table] .el-table__body-wrapper .el-table__row').first().waitFor()
  await page.locator('[data-test=no-gps]', { hasText: '无GPS里程' }).first().waitFor()
  await shot('04-consumption')
  // Supervisors read only: no import page.
  assert.equal(await page.locator('.side-menu .el-menu-item', { hasText: '加油记录导入' }).count(), 0)
})
