// Browser test of the fuel import: the fuel company uploads a month's CSV with a bad row and sees the
// row-by-row report (nothing imported), fixes the file and imports it; a supervisor then finds the records and
// the consumption page. Screenshots with SHOTS_DIR set: fuel-*.png.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { apiSession, expectMessage, login, loginTo, logout, serverAndBrowser, shot } from './browser.mjs'

const HEAD = '加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)'

// 13 months back: before the demo's year of records.
function monthBack(n) {
  const now = new Date(Date.now() + 8 * 3600 * 1000)
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}
const MONTH = monthBack(13)
const CARD = `10001132${String(Date.now()).slice(-9)}` // a new file each run, also against a kept server

let server, b, page
let tmp
let plates

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  tmp = await mkdtemp(path.join(os.tmpdir(), 'govfleet-fuel-'))
  const admin = await apiSession(server.baseURL, 'city_admin')
  const vs = (await admin.get('/vehicles?page_size=50&status=available')).data.items.filter((v) => v.energy_type === 'petrol')
  plates = vs.slice(0, 2).map((v) => v.plate)
  assert.equal(plates.length, 2)
})

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true })
})


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
  await shot(page, 'fuel-01-import-errors')

  await upload(await csv(`${MONTH}.csv`, good))
  await page.locator('[data-test=fuel-success]', { hasText: `导入成功：${MONTH}共2条` }).waitFor()
  const history = page.locator('[data-test=fuel-history] .el-table__body-wrapper .el-table__row').first()
  await history.filter({ hasText: `${MONTH}.csv` }).waitFor()
  assert.match(await history.innerText(), new RegExp(`${MONTH}[\\s\\S]*2[\\s\\S]*83\\.22[\\s\\S]*635\\.38[\\s\\S]*当前`))
  await shot(page, 'fuel-02-imported')

  // The same file again: nothing new.
  await upload(await csv(`${MONTH}-again.csv`, good))
  await page.locator('[data-test=fuel-success]', { hasText: '已导入过相同的文件' }).waitFor()
  await logout(page)
})

test('2. a supervisor sees the imported records, the flagged demo records and the consumption page', async () => {
  await loginTo(page, 'city_jw', `/fuel/records?month=${MONTH}`)
  const rows = page.locator('[data-test=records-table] .el-table__body-wrapper .el-table__row')
  await rows.filter({ hasText: plates[0] }).waitFor()
  assert.equal(await rows.count(), 2)
  assert.match(await rows.filter({ hasText: plates[1] }).innerText(), /38\.02[\s\S]*7\.89[\s\S]*300\.00/)

  // The demo's planted fuelling while sealed for a holiday.
  await page.goto('/fuel/records?flag=sealed&month=')
  await page.locator('[data-test=record-flag]', { hasText: '封存期加油' }).first().waitFor()
  await shot(page, 'fuel-03-records-sealed')

  await page.locator('[data-test="menu-group-加油管理"]').click()
  await page.locator('.side-menu .el-menu-item', { hasText: '车辆油耗' }).click()
  await page.waitForURL('**/fuel/consumption')
  await page.locator('[data-test=consumption-table] .el-table__body-wrapper .el-table__row').first().waitFor()
  await page.locator('[data-test=no-gps]', { hasText: '无GPS里程' }).first().waitFor()
  await shot(page, 'fuel-04-consumption')
  // Supervisors read only: no import page.
  assert.equal(await page.locator('.side-menu .el-menu-item', { hasText: '加油记录导入' }).count(), 0)
})

test('3. a re-import shows what it replaces and waits for 确认替换; the replaced flags stay visible; 恢复 brings the batch back', async () => {
  const good = [
    `${CARD}1,${plates[0]},${MONTH}-15 08:30,中国石化常州延陵西路加油站,92#汽油,45.20,7.42,335.38`,
    `${CARD}2,${plates[1]},${MONTH}-16 17:05,中国石化常州关河东路加油站,92#汽油,38.02,7.89,300.00`,
  ]
  // 200 litres in a day: more than the car's tank (超油箱容量).
  const flagged = [...good, `${CARD}4,${plates[0]},${MONTH}-20 10:00,中国石化常州延陵西路加油站,92#汽油,200.00,7.42,1484.00`]
  const small = [good[1]]
  await b.context.clearCookies() // test 2 ends logged in
  await loginTo(page, 'co_fuel', '/fuel/import')
  const month = page.locator('[data-test=fuel-month] input')
  await month.fill(MONTH)
  await month.press('Enter')

  // Replacing the 2 records: previewed, nothing written until confirmed.
  await upload(await csv(`${MONTH}-含异常.csv`, flagged))
  const preview = page.locator('[data-test=fuel-preview]')
  await preview.waitFor()
  assert.match(await preview.innerText(), new RegExp(`${MONTH}已有导入的记录（${MONTH}\\.csv，2条）`))
  assert.match(await preview.locator('[data-test=fuel-preview-totals]').innerText(), /该月原有\s+2\s+83\.22\s+635\.38\s+0[\s\S]*本文件\s+3\s+283\.22\s+2,?119\.38\s+1/)
  const admin = await apiSession(server.baseURL, 'city_admin')
  assert.equal((await admin.get(`/fuel/records?month=${MONTH}`)).data.total, 2, 'the preview wrote nothing')
  await page.locator('[data-test=fuel-confirm]').click()
  await page.locator('[data-test=fuel-success]', { hasText: '已替换该月原有记录2条（原批次保留，可恢复）' }).waitFor()

  // The smaller file: the vehicle it drops is listed; another file cannot use its token.
  await upload(await csv(`${MONTH}-更正.csv`, small))
  await preview.waitFor()
  const car = preview.locator('[data-test=fuel-preview-vehicles] .el-table__row', { hasText: plates[0] })
  assert.match(await car.innerText(), /2 → 0[\s\S]*245\.20 → 0\.00[\s\S]*1 → 0/)
  await shot(page, 'fuel-05-replace-preview')
  const fuelAPI = await apiSession(server.baseURL, 'co_fuel')
  const b64 = (rows) => Buffer.from('\uFEFF' + [HEAD, ...rows].join('\r\n') + '\r\n').toString('base64')
  const pre = await fuelAPI.post('/fuel/imports', { month: MONTH, file_name: 'x.csv', file: b64(small) })
  assert.equal(pre.data.confirm_required, true, JSON.stringify(pre.data))
  const other = await fuelAPI.post('/fuel/imports', { month: MONTH, file_name: 'y.csv', file: b64([good[0]]), confirm: pre.data.preview.confirm })
  assert.equal(other.status, 400)
  assert.match(other.data.error.fields.confirm, /与预览的文件不一致/)
  await page.locator('[data-test=fuel-confirm]').click()
  await page.locator('[data-test=fuel-success]', { hasText: '已替换该月原有记录3条' }).waitFor()
  await logout(page)

  // The replaced batch's flag keeps its evidence in 加油记录, marked.
  await loginTo(page, 'city_jw', `/fuel/records?month=${MONTH}&flag=any`)
  const kept = page.locator('[data-test=records-table] .el-table__body-wrapper .el-table__row', { hasText: plates[0] })
  await kept.locator('[data-test=record-replaced]', { hasText: '已替换批次' }).waitFor()
  assert.match(await kept.innerText(), /200\.00[\s\S]*超油箱容量/)
  await shot(page, 'fuel-06-records-replaced-flag')
  await logout(page)

  // 恢复 from the history: the flagged batch is current again.
  await loginTo(page, 'co_fuel', '/fuel/import')
  const row = page.locator('[data-test=fuel-history] .el-table__body-wrapper .el-table__row', { hasText: `${MONTH}-含异常.csv` })
  await row.locator('[data-test=fuel-restore]').click()
  const box = page.locator('.el-message-box:visible')
  await box.waitFor()
  assert.match(await box.innerText(), /3条[\s\S]*该月当前的记录将被替换/)
  await expectMessage(page, `已恢复${MONTH}的加油记录3条`, () => box.getByRole('button', { name: '恢复' }).click())
  await row.locator('.el-tag', { hasText: '当前' }).waitFor()
  await shot(page, 'fuel-07-restored')
  const recs = (await admin.get(`/fuel/records?month=${MONTH}&page_size=50`)).data
  assert.equal(recs.items.filter((r) => !r.replaced_at).length, 3)
  assert.ok(recs.items.some((r) => r.flags === 'over_tank' && !r.replaced_at), 'the flag is current again')
  await logout(page)
})
