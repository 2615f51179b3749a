// The phone pages use nothing from outside the server (issue 19): Vant's icon
// font came from a CDN the CSP blocks and a government network cannot reach.
// Every request of the /m pages stays on the server, no stylesheet names an
// outside URL, and the icon font is loaded and draws the icons.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEMO_PASSWORD, serverAndBrowser, shot } from './browser.mjs'

let server, b

serverAndBrowser(async (s) => {
  ({ server, b } = s)
})

test('phone pages load everything, the icon font included, from the server', async () => {
  const page = b.page
  const origin = new URL(server.baseURL).origin
  const outside = []
  const sheets = []
  const cspErrors = []
  b.context.on('request', (r) => {
    const u = r.url()
    if (!u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:')) outside.push(u)
  })
  // The stylesheets' addresses as the pages ask for them; their text is fetched again at the end (a
  // response's body is gone once the page navigates away).
  b.context.on('response', (r) => {
    if (r.request().resourceType() === 'stylesheet') sheets.push(r.url())
  })
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()) })

  await page.setViewportSize({ width: 375, height: 812 })
  await page.goto('/m/login')
  await page.locator('input[name=username]').fill('jgj_staff')
  await page.locator('input[name=password]').fill(DEMO_PASSWORD)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL((u) => /\/m\/?$/.test(u.pathname))
  await page.locator('.van-grid-item .van-icon').first().waitFor()
  await page.evaluate(() => document.fonts.ready)
  const font = await page.evaluate(() => [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'vant-icon').map((f) => f.status))
  assert.ok(font.includes('loaded'), `vant-icon font: ${JSON.stringify(font)}`)
  // An icon glyph is drawn in the icon font (a private-use character), not as a fallback box.
  const icon = await page.locator('.van-grid-item .van-icon').first().evaluate((el) => {
    const before = getComputedStyle(el, '::before')
    return { family: getComputedStyle(el).fontFamily, content: before.content, width: el.getBoundingClientRect().width }
  })
  assert.match(icon.family, /vant-icon/)
  assert.match(icon.content, /^"[\uE000-\uF8FF]"$/u, `icon content ${icon.content}`)
  assert.ok(icon.width > 10, `icon width ${icon.width}`)
  await shot(page, 'm-home-icons')

  for (const p of ['/m/apply', '/m/orders']) {
    await page.goto(p)
    await page.locator('.van-tabbar').waitFor()
  }
  await page.evaluate(() => document.fonts.ready)
  assert.deepEqual(outside, [], 'requests leaving the server')
  assert.deepEqual(cspErrors, [], 'CSP violations')
  assert.ok(sheets.length > 0, 'no stylesheet seen')
  for (const url of new Set(sheets)) {
    const text = await (await b.context.request.get(url)).text()
    assert.doesNotMatch(text, /url\(\s*["']?(https?:)?\/\//, `${url} names an outside URL`)
  }
})
