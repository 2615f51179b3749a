// Browser test of what terminals send besides positions (issue 20), against a fresh demo backend whose simulated
// fleet reports to the gateway over real TCP: 立即拍照 on the vehicle card brings the terminal's picture to the card,
// and the terminal's page shows the attributes the gateway asked for when it logged in.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { login, menuItem, serverAndBrowser, shot } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))


let plate

test('1. 立即拍照 on the vehicle card: the terminal takes a picture and the card shows it', async () => {
  await login(page, 'city_admin')
  await menuItem(page, '实时监控').click()
  await page.waitForURL('**/monitor')
  await page.waitForFunction(() => Number(document.querySelector('[data-test=count-moving] b')?.textContent) > 0, null, { timeout: 40_000 })
  await page.locator('[data-test=count-moving]').click()
  const row = page.locator('[data-test=live-list] .row').first()
  plate = (await row.locator('.plate').innerText()).trim()
  await row.click()
  const card = page.locator('[data-test=vehicle-card]')
  await card.waitFor()
  await card.getByText('终端拍照').waitFor()
  assert.equal(await card.locator('[data-test=terminal-photo]').count(), 0, 'no picture before 立即拍照')
  await card.locator('[data-test=cmd-photo]').click()
  await page.waitForFunction(() => /已拍照/.test(document.querySelector('[data-test=cmd-result]')?.textContent || ''), null, { timeout: 20_000 })
  // The picture arrives in sub-packages a moment after the answer; the card looks again by itself.
  await page.waitForFunction(() => document.querySelector('[data-test=vehicle-card] [data-test=terminal-photo] img')?.naturalWidth > 0, null, { timeout: 30_000 })
  assert.match(await card.locator('[data-test=terminal-photo]').first().innerText(), /平台指令拍照/)
  await shot(page, 'terminal-photo-card')
  // Click → the large picture.
  await card.locator('[data-test=terminal-photo] img').first().click()
  await page.locator('.el-image-viewer__img').waitFor()
  await page.waitForFunction(() => document.querySelector('.el-image-viewer__img')?.naturalWidth === 320)
  await page.keyboard.press('Escape')
})

test('2. the terminal page shows the attributes the terminal reported', async () => {
  await menuItem(page, '北斗终端').click()
  await page.waitForURL('**/terminals')
  await page.getByPlaceholder('终端ID、SIM卡号、车牌').fill(plate)
  await page.getByPlaceholder('终端ID、SIM卡号、车牌').press('Enter')
  const rows = page.locator('[data-test=terminal-table] .el-table__body-wrapper .el-table__row')
  await page.waitForFunction((p) => {
    const rs = document.querySelectorAll('[data-test=terminal-table] .el-table__body-wrapper .el-table__row')
    return rs.length === 1 && rs[0].textContent.includes(p)
  }, plate)
  await rows.first().locator('[data-test=terminal-history]').click()
  const attrs = page.locator('[data-test=terminal-attributes]')
  await attrs.waitFor()
  const text = await attrs.innerText()
  for (const want of ['GVSIM', 'SIM-808', 'SIM-2.3.1', 'HW1.0', 'GPS、北斗', 'TD-LTE', '898600']) assert.ok(text.includes(want), `attributes show ${want}:\n${text}`)
  await shot(page, 'terminal-attributes')
  // 重新查询 asks the terminal again (0x8107) and says what it answered.
  await page.locator('[data-test=attrs-refresh]').click()
  await page.locator('.el-drawer:visible').getByText('终端已回报属性').waitFor({ timeout: 20_000 })
})
