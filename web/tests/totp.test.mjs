// Browser tests of two-factor authentication (issue 19 item 7), in order against one fresh demo backend:
// the security administrator requires 动态验证码 of applicants, an applicant binds one (QR code and secret, recovery
// codes downloaded), logs in with a code on the console and with a recovery code on the phone login, and the
// security administrator resets the binding in 用户管理. Codes are computed here from the secret the page shows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { apiSession, DEMO_PASSWORD, expectMessage, login, logout, menuItem, serverAndBrowser, shot, submitLogin } from './browser.mjs'

// RFC 6238 with RFC 4648 base32 secrets: HMAC-SHA1, 30 s steps, 6 digits.
function totp(secret, at = Date.now()) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const bits = [...secret.replace(/=+$/, '')].map((c) => A.indexOf(c).toString(2).padStart(5, '0')).join('')
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)))
  const h = createHmac('sha1', key).update(counter).digest()
  return String((h.readUInt32BE(h[19] & 15) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

let server, b, page
let secret
let recovery

serverAndBrowser((s) => ({ server, b, page } = s))

test('1. the demo requires no second factor and says so; the security administrator requires it of applicants', async () => {
  await login(page, 'city_sec')
  await menuItem(page, '安全策略').click()
  await page.locator('[data-test=policy-totp-off]').waitFor()
  assert.match(await page.locator('[data-test=policy-totp-off]').innerText(), /演示数据关闭了这项要求/)
  await page.locator('[data-test=policy-totp-roles]').getByText('用车申请人', { exact: true }).click()
  await expectMessage(page, '安全策略已保存', () => page.locator('[data-test=policy-save]').click())
  await page.locator('[data-test=policy-totp-off]').waitFor({ state: 'detached' })
  await logout(page)
})

test('2. an applicant binds a second factor after the password: QR code, secret, code, recovery codes once', async () => {
  await submitLogin(page, 'jgj_staff')
  const dlg = page.locator('.forced-totp')
  await dlg.locator('[data-test=totp-begin]').click()
  await dlg.locator('[data-test=totp-qr]').waitFor()
  assert.ok((await dlg.locator('[data-test=totp-qr]').getAttribute('src')).startsWith('data:image/png;base64,'))
  secret = (await dlg.locator('[data-test=totp-secret]').innerText()).trim()
  await shot(page, 'totp-enrol')
  await dlg.locator('[data-test=totp-code]').fill('000000')
  await dlg.locator('[data-test=totp-confirm]').click()
  await dlg.locator('[data-test=totp-error]', { hasText: '验证码不正确' }).waitFor()
  await dlg.locator('[data-test=totp-code]').fill(totp(secret))
  await dlg.locator('[data-test=totp-confirm]').click()
  const list = dlg.locator('[data-test=totp-recovery] li')
  await list.first().waitFor()
  recovery = await list.allInnerTexts()
  assert.equal(recovery.length, 10)
  const [download] = await Promise.all([page.waitForEvent('download'), dlg.locator('[data-test=totp-download]').click()])
  assert.equal(download.suggestedFilename(), '恢复码.txt')
  await dlg.locator('[data-test=totp-finish]').click()
  await page.locator('[data-test=welcome]').waitFor()
  await logout(page)
})

test('3. the console login asks for the code; a wrong one counts, the next step\'s code logs in', async () => {
  await submitLogin(page, 'jgj_staff')
  await page.locator('[data-test=login-code]').fill('123456')
  await page.locator('[data-test=login-submit]').click()
  await page.locator('[data-test=login-error]', { hasText: '还可尝试' }).waitFor()
  await shot(page, 'totp-login')
  // The code of the binding's step is used up; the next step's is accepted (one step of clock skew).
  await page.locator('[data-test=login-code]').fill(totp(secret, Date.now() + 30_000))
  await page.locator('[data-test=login-submit]').click()
  await page.locator('[data-test=welcome]').waitFor()
  await logout(page)
})

test('4. the phone login asks for the code too; a recovery code works once', async () => {
  await page.setViewportSize({ width: 390, height: 844 })
  for (const [i, want] of [[0, 'ok'], [1, 'used']]) {
    await page.goto('/m/login')
    await page.locator('input[name=username]').fill('jgj_staff')
    await page.locator('input[name=password]').fill(DEMO_PASSWORD)
    await page.locator('[data-test=m-login-submit]').click()
    await page.locator('[data-test=m-login-code] input').fill(recovery[0])
    if (i === 0) await shot(page, 'totp-m-login')
    await page.locator('[data-test=m-login-submit]').click()
    if (want === 'ok') {
      await page.locator('[data-test=m-logout]').waitFor()
      await page.locator('[data-test=m-logout]').click()
      await page.locator('.van-dialog__confirm').click()
      await page.waitForURL('**/m/login')
    } else {
      await page.locator('[data-test=m-login-error]', { hasText: '验证码错误或已使用过' }).waitFor()
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 })
})

test('5. the security administrator resets the binding in 用户管理; the next login asks for a new one', async () => {
  await login(page, 'city_sec')
  await menuItem(page, '用户管理').click()
  await page.locator('.el-table').first().waitFor()
  await page.locator('[data-test=user-q]').fill('jgj_staff')
  await page.keyboard.press('Enter')
  const row = page.locator('.el-table__row', { hasText: 'jgj_staff' }).first()
  await row.getByText('双因素').waitFor()
  await page.locator('[data-test=user-totp-reset]:visible').first().click()
  await expectMessage(page, '动态验证码绑定已重置', () => page.locator('.el-message-box').getByRole('button', { name: '重置' }).click())
  const staff = await apiSession(server.baseURL, 'jgj_staff')
  const me = await staff.get('/me')
  assert.equal(me.data.must_enrol, true)
  const audit = await (await apiSession(server.baseURL, 'city_audit')).get('/audit?action=totp.reset')
  assert.equal(audit.data.total, 1)
})
