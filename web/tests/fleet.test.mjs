// Browser tests of the vehicle & driver registry pages (车辆管理, 驾驶员管理, 北斗终端, 编制与实有, 信息确认),
// run in order against one fresh demo backend:  GOVFLEET_BIN=… npm run test:browser
// Each page can be saved as a screenshot (SHOTS_DIR: fleet-*.png; shot in browser.mjs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { apiSession, dialog, downloaded, expectMessage, login, logout, menuItem, pickOption, serverAndBrowser, shot } from './browser.mjs'
import { fillTemplate, vinWithCheck } from './xlsx.mjs'

const digits = String(Date.now()).slice(-7)
const PLATE = `苏DW${digits.slice(-4)}` // letter W keeps it apart from the demo's all-digit plates
const VIN = vinWithCheck(`LFV3A23C0P${digits}`)
const BAD_CHECK_VIN = VIN.slice(0, 8) + (VIN[8] === '1' ? '2' : '1') + VIN.slice(9)
const IMPORT_PLATES = [`苏DX${digits.slice(-4)}`, `苏DY${digits.slice(-4)}`]
const TN_UNIT = '天宁区城市管理局'

// A plain PNG (w×h, one colour) for the photo upload.
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf) => {
    let c = 0xffffffff
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type), data])
    const c = Buffer.alloc(4)
    c.writeUInt32BE(crc(td))
    return Buffer.concat([len, td, c])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, Buffer.from([0x2b, 0x6f, 0xc4]))])
  const raw = Buffer.concat(Array.from({ length: h }, () => row))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

let server, b, page
let admin // city_admin API session

serverAndBrowser(async (s) => {
  ({ server, b, page } = s)
  admin = await apiSession(server.baseURL, 'city_admin')
})


const vehicleRows = () => page.locator('[data-test=vehicle-table] .el-table__body-wrapper .el-table__row')
const formItem = (dlg, label) => dlg.locator('.el-form-item', { has: page.locator('.el-form-item__label', { hasText: new RegExp(`^${label}$`) }) })

async function pickUnit(scope, name) {
  const picker = scope.locator('.unit-picker').first()
  await picker.click()
  await picker.locator('input').fill(name)
  await page.locator('.unit-picker-popper:visible .el-tree-node__content', { hasText: new RegExp(`^${name}$`) }).click()
}

async function openVehicles() {
  await menuItem(page, '车辆管理').click()
  await page.waitForURL('**/vehicles')
  await vehicleRows().first().waitFor()
}

async function searchPlate(plate) {
  await page.locator('input[data-test=vehicle-q], [data-test=vehicle-q] input').first().fill(plate)
  await page.locator('[data-test=vehicle-search]').click()
}

test('1. city admin filters 信息不全, sees the flagged rows, opens a vehicle with photos and its change history', async () => {
  await login(page, 'city_admin')
  // The registry's menu entries follow 组织机构, in this order.
  const titles = await page.locator('.side-menu .el-menu-item').allInnerTexts()
  const at = titles.indexOf('组织机构')
  assert.deepEqual(titles.slice(at, at + 6), ['组织机构', '车辆管理', '驾驶员管理', '北斗终端', '编制与实有', '信息确认'])
  await page.locator('[data-test="menu-group-车辆与驾驶员"]').waitFor()

  await openVehicles()
  await shot(page, 'fleet-01-vehicles')
  const all = (await admin.get('/vehicles?page_size=1')).data.total
  const incomplete = (await admin.get('/vehicles?page_size=1&incomplete=true')).data.total
  assert.ok(incomplete > 0 && incomplete < all, `demo has some incomplete vehicles (${incomplete}/${all})`)

  await page.locator('[data-test=filter-incomplete]').click()
  await page.locator('.el-pagination__total', { hasText: `共 ${incomplete} 条` }).waitFor()
  const n = await vehicleRows().count()
  assert.ok(n > 0)
  for (let i = 0; i < n; i++) await vehicleRows().nth(i).locator('[data-test=flag-incomplete]').waitFor()
  await vehicleRows().first().locator('[data-test=flag-incomplete]').hover()
  await page.locator('.el-popper:visible', { hasText: '缺少：' }).waitFor()
  await shot(page, 'fleet-02-vehicles-incomplete')

  // Batch confirmation of stale vehicles (fleet.confirm).
  await page.locator('[data-test=filter-incomplete]').click()
  await page.locator('[data-test=filter-stale]').click()
  const stale = (await admin.get('/vehicles?page_size=1&stale=true')).data.total
  await page.locator('.el-pagination__total', { hasText: `共 ${stale} 条` }).waitFor()
  for (let i = 0; i < 2; i++) await vehicleRows().nth(i).locator('.el-checkbox').click()
  await page.locator('[data-test=vehicle-confirm]', { hasText: '（2）' }).click()
  await expectMessage(page, '已确认2辆车的信息', () => page.locator('.el-message-box').getByRole('button', { name: '确认' }).click())
  await page.locator('.el-pagination__total', { hasText: `共 ${stale - 2} 条` }).waitFor()
  await page.locator('[data-test=filter-stale]').click()
  await page.locator('[data-test=filter-incomplete]').click()
  await page.locator('.el-pagination__total', { hasText: `共 ${incomplete} 条` }).waitFor()

  const plate = await vehicleRows().first().locator('[data-test=vehicle-link]').innerText()
  await vehicleRows().first().locator('[data-test=vehicle-link]').click()
  await page.waitForURL(/\/vehicles\/\d+$/)
  await page.locator('[data-test=vehicle-plate]', { hasText: plate }).waitFor()
  const thumbs = page.locator('[data-test=photo-thumb]')
  await thumbs.first().waitFor()
  assert.ok((await thumbs.count()) >= 1, 'the vehicle has photos')
  await page.locator('[data-test=photo-thumb] img').first().waitFor()
  await page.locator('[data-test=vehicle-changes]').getByText('购置登记').waitFor()
  await page.locator('[data-test=vehicle-desc]').getByText('车辆识别代号').waitFor()
  await shot(page, 'fleet-03-vehicle-detail')
  await page.locator('.main').evaluate((el) => el.scrollTo(0, el.scrollHeight))
  await shot(page, 'fleet-03b-vehicle-detail-lower')
  await page.locator('.main').evaluate((el) => el.scrollTo(0, 0))

  // A category change through the dialog lands in the history with its document number.
  await page.locator('[data-test=vehicle-category]').click()
  const dlg = dialog(page, '类别变更')
  await dlg.waitFor()
  await formItem(dlg, '新类别').locator('.el-select').click()
  await pickOption(page, '应急保障用车')
  await dlg.locator('input[name=doc_no]').fill(`常机管〔2026〕${digits.slice(-3)}号`)
  await shot(page, 'fleet-04-vehicle-category-dialog')
  await page.locator('[data-test=change-save]').click()
  await dlg.waitFor({ state: 'hidden' })
  const changes = page.locator('[data-test=vehicle-changes]')
  await changes.getByText('类别变更').waitFor()
  await changes.getByText(`常机管〔2026〕${digits.slice(-3)}号`).waitFor()

  // Uploading the missing photo (R-8 full-body photos) clears the 信息不全 flag when that was all that was missing.
  const before = await thumbs.count()
  const id = page.url().match(/vehicles\/(\d+)/)[1]
  const missing = (await admin.get(`/vehicles/${id}`)).data.missing
  const kindName = { 车头照片: '车头照片', 侧面照片: '侧面照片', 车尾照片: '车尾照片' }[missing.find((m) => m.endsWith('照片'))] || '其他照片'
  await page.locator('[data-test=photo-kind]').click()
  await pickOption(page, kindName)
  await expectMessage(page, `已上传${kindName}`, () => page.locator('[data-test=photo-upload] input[type=file]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png(640, 400) }))
  await page.waitForFunction((n) => document.querySelectorAll('[data-test=photo-thumb]').length === n + 1, before)
  const after = (await admin.get(`/vehicles/${id}`)).data
  assert.ok(after.photos.length === before + 1)
  if (missing.length === 1 && kindName !== '其他照片') assert.equal(after.incomplete, false)

  // The large preview opens from a thumbnail.
  await thumbs.first().locator('img').click()
  await page.locator('.el-image-viewer__wrapper').waitFor()
  await page.keyboard.press('Escape')
})

test('2. vehicle form: a malformed plate and a bad VIN show Chinese field errors and create nothing; a good one is created', async () => {
  await openVehicles()
  await page.locator('[data-test=vehicle-create]').click()
  const dlg = dialog(page, '新增车辆')
  await dlg.waitFor()
  await pickUnit(dlg, TN_UNIT)
  await formItem(dlg, '车辆类别').locator('.el-select').click()
  await pickOption(page, '执法执勤用车')
  await dlg.locator('input[name=brand]').fill('大众')
  await dlg.locator('input[name=model]').fill('帕萨特')
  await formItem(dlg, '排量（毫升）').locator('input').fill('1984')
  await dlg.locator('input[name=price_yuan]').fill('219800.5')

  // Client-side checks.
  await dlg.locator('input[name=plate]').fill('苏D123')
  await dlg.locator('input[name=vin]').fill('LFV3A23')
  await page.locator('[data-test=vehicle-save]').click()
  const plateErr = formItem(dlg, '车牌号').locator('.el-form-item__error')
  const vinErr = formItem(dlg, '车辆识别代号').locator('.el-form-item__error')
  await plateErr.waitFor()
  await vinErr.waitFor()
  assert.match(await plateErr.innerText(), /位数不对/)
  assert.match(await vinErr.innerText(), /17位/)

  // Pattern-valid VIN with a wrong check digit: the server's message lands under the field.
  await dlg.locator('input[name=plate]').fill(PLATE)
  await dlg.locator('input[name=vin]').fill(BAD_CHECK_VIN)
  await expectMessage(page, '请按提示修改后重新提交', () => page.locator('[data-test=vehicle-save]').click(), 'error')
  // (the client's message fades out first; wait for the server's)
  await vinErr.filter({ hasText: '校验位' }).waitFor()
  await plateErr.waitFor({ state: 'detached' })
  await shot(page, 'fleet-05-vehicle-form-errors')
  assert.equal((await admin.get(`/vehicles?q=${encodeURIComponent(PLATE)}`)).data.total, 0, 'nothing was created')

  await dlg.locator('input[name=vin]').fill(VIN)
  await page.locator('[data-test=vehicle-save]').click()
  await dlg.waitFor({ state: 'hidden' })
  await page.waitForURL(/\/vehicles\/\d+$/)
  await page.locator('[data-test=vehicle-plate]', { hasText: PLATE }).waitFor()
  await page.locator('[data-test=vehicle-desc]').getByText('¥219,800.50').waitFor()

  await openVehicles()
  await searchPlate(PLATE)
  const row = vehicleRows().filter({ hasText: PLATE })
  await row.waitFor()
  assert.match(await row.innerText(), new RegExp(TN_UNIT))
  const created = (await admin.get(`/vehicles?q=${encodeURIComponent(PLATE)}`)).data
  assert.equal(created.total, 1)
  assert.equal(created.items[0].vin, VIN)
  assert.equal(created.items[0].purchase_price, 21980050, 'price stored in fen')
})

test('3. import: a sheet with a bad row shows the row/column report and imports nothing; a good sheet imports', async () => {
  await openVehicles()
  await page.locator('[data-test=vehicle-import]').click()
  const dlg = dialog(page, '导入车辆')
  await dlg.waitFor()
  // The template comes from the dialog's own link.
  const [download] = await Promise.all([page.waitForEvent('download'), dlg.locator('[data-test=import-template]').click()])
  const template = await downloaded(download)
  assert.equal(template.subarray(0, 2).toString(), 'PK')

  const row = (plate, vin) => ({
    车牌号: plate, 所属单位: TN_UNIT, 车辆类别: '执法执勤用车', 品牌: '别克', 型号: 'GL8', 车辆识别代号: vin,
    核定座位数: '7', 能源类型: '汽油', '排量(毫升)': '1998', 购置日期: '2024-03-15', '购置价格(元)': '268000.00',
    准驾车型要求: '小型汽车（C1）', 登记文号: '常机管〔2024〕7号',
  })
  const vins = [vinWithCheck(`LSGUA84L0R${digits}`), vinWithCheck(`LSGUA84L0S${digits}`)]
  const bad = fillTemplate(template, [row(IMPORT_PLATES[0], vins[0]), row('苏D12', 'LSGUA84L1R0000001')])
  const good = fillTemplate(template, [row(IMPORT_PLATES[0], vins[0]), row(IMPORT_PLATES[1], vins[1])])
  const input = dlg.locator('[data-test=import-file] input[type=file]')
  const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

  await input.setInputFiles({ name: '车辆-有误.xlsx', mimeType: xlsxType, buffer: bad })
  await dlg.getByText('车辆-有误.xlsx').waitFor()
  await page.locator('[data-test=import-submit]').click()
  const report = dlg.locator('[data-test=import-errors]')
  await report.waitFor()
  const lines = await report.locator('.el-table__body .el-table__row').allInnerTexts()
  assert.ok(lines.some((l) => /^3\s+车牌号/.test(l) && /位数不对/.test(l)), `plate error of row 3: ${lines}`)
  assert.ok(lines.some((l) => /^3\s+车辆识别代号/.test(l)), `VIN error of row 3: ${lines}`)
  await dlg.locator('[data-test=import-failure]', { hasText: '未导入任何数据' }).waitFor()
  await shot(page, 'fleet-06-import-errors')
  assert.equal((await admin.get(`/vehicles?q=${encodeURIComponent(IMPORT_PLATES[0])}`)).data.total, 0, 'the good row was not imported either')

  await input.setInputFiles({ name: '车辆.xlsx', mimeType: xlsxType, buffer: good })
  await page.locator('[data-test=import-submit]').click()
  await dlg.locator('[data-test=import-success]', { hasText: '共导入车辆2辆' }).waitFor()
  assert.equal(await report.count(), 0)
  await shot(page, 'fleet-07-import-success')
  await dlg.getByRole('button', { name: '关闭', exact: true }).click()
  for (const p of IMPORT_PLATES) {
    await searchPlate(p)
    await vehicleRows().filter({ hasText: p }).waitFor()
  }
})

test('4. the other registry pages: drivers, terminals, quota, confirmations', async () => {
  await menuItem(page, '驾驶员管理').click()
  const drows = page.locator('[data-test=driver-table] .el-table__body-wrapper .el-table__row')
  await drows.first().waitFor()
  await shot(page, 'fleet-08-drivers')
  await drows.first().locator('[data-test=driver-link]').click()
  await page.waitForURL(/\/drivers\/\d+$/)
  await page.locator('[data-test=driver-name]').waitFor()
  await page.locator('[data-test=driver-vehicles]').waitFor()
  await shot(page, 'fleet-09-driver-detail')
  await page.locator('[data-test=match-edit]').click()
  await page.locator('[data-test=match-editor]').waitFor()
  await shot(page, 'fleet-10-driver-match')

  await menuItem(page, '北斗终端').click()
  const trows = page.locator('[data-test=terminal-table] .el-table__body-wrapper .el-table__row')
  await trows.first().waitFor()
  await shot(page, 'fleet-11-terminals')
  await trows.first().locator('[data-test=terminal-history]').click()
  await page.locator('.el-drawer:visible .el-timeline-item').first().waitFor()
  await shot(page, 'fleet-12-terminal-history')
  await page.keyboard.press('Escape')

  await menuItem(page, '编制与实有').click()
  const qt = page.locator('[data-test=quota-table]')
  await qt.getByText('合计').waitFor()
  await qt.getByText('天宁区').waitFor()
  await page.locator('[data-test=over-units] .el-table__row').first().waitFor()
  await shot(page, 'fleet-13-quota')

  await menuItem(page, '信息确认').click()
  await page.locator('[data-test=due-unit]').first().waitFor()
  await shot(page, 'fleet-14-confirmations')
  const first = page.locator('[data-test=due-confirm]').first()
  await expectMessage(page, '已确认', () => first.click())
})

test('5. 天宁区 administrator sees only 天宁区 vehicles', async () => {
  await logout(page)
  await login(page, 'tn_admin')
  await openVehicles()
  const tn = await apiSession(server.baseURL, 'tn_admin')
  const mine = (await tn.get('/vehicles?page_size=200')).data
  const all = (await admin.get('/vehicles?page_size=1')).data.total
  assert.ok(mine.total > 0 && mine.total < all)
  const tnUnits = []
  const walk = (nodes) => nodes.forEach((n) => { tnUnits.push(n.name); walk(n.children || []) })
  const tree = (await tn.get('/units/tree')).data
  walk(Array.isArray(tree) ? tree : [tree])
  assert.ok(tnUnits.includes('天宁区') && !tnUnits.includes('市机关事务管理局'))
  assert.ok(tnUnits.length > 0)
  await page.locator('.el-pagination__total', { hasText: `共 ${mine.total} 条` }).waitFor()
  await page.locator('.el-pagination .el-select').click()
  await pickOption(page, '100条/页')
  // The larger page has arrived once the table holds every row (networkidle may come before the request).
  await page.waitForFunction((n) => document.querySelectorAll('[data-test=vehicle-table] .el-table__body-wrapper .el-table__row').length === n, mine.total)
  const units = await page.locator('[data-test=vehicle-table] .el-table__body-wrapper .el-table__row td.col-unit').allInnerTexts()
  assert.equal(units.length, mine.total)
  for (const u of units) assert.ok(tnUnits.includes(u.trim()), `${u} is a 天宁区 unit`)
  await page.locator('.main').evaluate((el) => el.scrollTo(0, 0))
  await shot(page, 'fleet-15-vehicles-tianning')
  // A city-level plate is not found.
  const cityPlate = (await admin.get('/vehicles?page_size=1&unit_id=2')).data.items[0].plate
  await searchPlate(cityPlate)
  await page.locator('[data-test=vehicle-table] .el-table__empty-text').waitFor()
})
