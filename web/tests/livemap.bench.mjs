// The live map (实时监控) with a city-scale fleet, in headless Chromium. scripts/livemap-bench starts
// the server and the simulated terminals, then runs this; it prints figures (it is not a test).
import { launchBrowser, login } from './browser.mjs'

const b = await launchBrowser({ baseURL: process.env.URL || 'http://127.0.0.1:18790' })
const { page, context } = b
page.setDefaultTimeout(120_000)
await login(page, 'city_admin')
const cdp = await context.newCDPSession(page)
await cdp.send('Performance.enable')
const t0 = Date.now()
await page.goto('/monitor')
await page.waitForFunction(() => /共 \d{4,} 辆/.test(document.querySelector('.meta .muted')?.textContent || ''))
const tList = Date.now() - t0
await page.waitForFunction(() => document.querySelectorAll('.gf-cluster, .gf-car').length > 0)
console.log('list shown after', tList, 'ms; map markers after', Date.now() - t0, 'ms')
// 20 s of live updates: long tasks (> 50 ms on the main thread) and the page's own counters.
await page.evaluate(() => {
  window.__long = []
  new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({ entryTypes: ['longtask'] })
})
const metric = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
const m0 = await metric()
await page.waitForTimeout(20_000)
const m1 = await metric()
const long = await page.evaluate(() => window.__long)
console.log('20 s of live updates: long tasks', long.length, 'total', Math.round(long.reduce((a, d) => a + d, 0)), 'ms, longest', Math.round(Math.max(0, ...long)), 'ms')
console.log('script', (m1.ScriptDuration - m0.ScriptDuration).toFixed(2), 's; layout', (m1.LayoutDuration - m0.LayoutDuration).toFixed(2), 's; all tasks', (m1.TaskDuration - m0.TaskDuration).toFixed(2), 's')
console.log('JS heap', Math.round(m1.JSHeapUsedSize / 1e6), 'MB; DOM nodes', m1.Nodes)
// Responsiveness: type a plate fragment and time until the list is filtered.
const before = await page.locator('.meta .muted').textContent()
const t1 = Date.now()
await page.locator('input[data-test=live-search]').fill('D1')
await page.waitForFunction((text) => document.querySelector('.meta .muted')?.textContent !== text, before)
console.log('search answered after', Date.now() - t1, 'ms:', await page.locator('.meta .muted').textContent())
await b.close()
