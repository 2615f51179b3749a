// Headless Debian Chromium via playwright-core, a fresh context per test file, plus small UI helpers.
import { after, before } from 'node:test'
import { chromium } from 'playwright-core'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startServer } from './server.mjs'

export const DEMO_PASSWORD = 'Demo@2026'
export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run']

export async function launchBrowser({ baseURL } = {}) {
  // reducedMotion: the console honours the system's reduced-motion setting (styles.css): dialogs, messages
  // and dropdowns appear and go at once, so a test waits neither for them nor for Playwright's
  // stable-position check to outlast an animation.
  const options = {
    baseURL, viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', reducedMotion: 'reduce',
  }
  // run.mjs starts one Chromium for the whole run (GOVFLEET_BROWSER_WS): a file gets a context of its
  // own in it, as isolated as a browser of its own (cookies, storage, cache) without a launch per file.
  const shared = process.env.GOVFLEET_BROWSER_WS
  let browser = null
  let userDataDir = null
  let context
  if (shared) {
    browser = await chromium.connect(shared)
    context = await browser.newContext(options)
  } else {
    userDataDir = await mkdtemp(path.join(os.tmpdir(), 'govfleet-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS, ...options,
    })
  }
  context.setDefaultTimeout(30_000)
  const page = context.pages()[0] || (await context.newPage())
  const errors = []
  page.on('pageerror', (e) => errors.push(e))
  const loading = new Set()
  loadingOf.set(page, loading)
  page.on('request', (r) => LOADS.includes(r.resourceType()) && loading.add(r))
  for (const ev of ['requestfinished', 'requestfailed']) page.on(ev, (r) => loading.delete(r))
  return {
    context,
    page,
    errors,
    async close() {
      await context.close()
      if (browser) await browser.close() // disconnects; the run's Chromium goes on
      if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
    },
  }
}

// The requests of a page still under way, by page: its API calls and the scripts, styles, images and fonts of
// what it shows (not its event streams, which stay open).
const loadingOf = new WeakMap()
const LOADS = ['fetch', 'xhr', 'script', 'stylesheet', 'image', 'font']

// settled waits until the page shows what it loaded: none of its requests is under way (nor starts while it
// draws the answers), no loading mask or spinner shows, and its fonts and images have loaded. Then a
// screenshot shows the finished page and a table reads complete. It looks every 50 ms, not at every frame: a page
// asked for a frame 60 times a second is drawn that often, which cost Chromium 1.73–1.79 CPU s a page load against
// 1.50–1.56 (docs/benchmarks.md, fifteenth session).
// A page just loaded waits first for the console's first navigation (its session check, its page's code): only then does
// the page mount and ask for its data, which on a busy machine can come frames after the session check's answer, when
// nothing was loading and a page with no data yet looked settled.
export async function settled(page) {
  const loading = loadingOf.get(page) ?? new Set()
  const deadline = Date.now() + 30_000
  await page.waitForFunction(() => !document.querySelector('#app') || document.querySelector('#app').__vue_app__, null, { polling: 50 })
  await page.evaluate(() => document.querySelector('#app')?.__vue_app__?.config.globalProperties.$router.isReady())
  do {
    while (loading.size) {
      if (Date.now() > deadline) throw new Error(`still loading: ${[...loading].map((r) => r.url()).join(' ')}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    // The answers are handled and drawn in the page's next tasks and frame.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r))))
    await page.waitForFunction(() => document.fonts.status === 'loaded' && [...document.images].every((i) => i.complete) &&
      ![...document.querySelectorAll('.el-loading-mask, .van-loading')].some((e) => e.checkVisibility()), null, { polling: 50 })
  } while (loading.size)
}

// shot waits for the page to settle and, with SHOTS_DIR set, saves the whole page as SHOTS_DIR/<name>.png to look at
// (`SHOTS_DIR=/tmp/shots npm run test:browser`). Without it nothing is saved: a run's ~150 screenshots cost the browser
// a readback and a PNG each, which no assertion reads.
export async function shot(page, name) {
  await settled(page)
  const dir = process.env.SHOTS_DIR
  if (!dir) return
  await mkdir(dir, { recursive: true })
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true })
}

// expectMessage does action and waits for the short-lived message it brings up, watching from before the action:
// an Element Plus message shows for 3 s (a Vant toast for 2), which a busy machine can let pass before a wait
// started after the action looks. kind: 'success', 'error', 'warning' (ElMessage) or 'toast' (Vant); text: what the
// message says (a string it holds, a RegExp, or a list of strings it holds all of). Returns the action's result.
//   await expectMessage(page, '已保存', () => page.locator('[data-test=save]').click())
export async function expectMessage(page, text, action, kind = 'success') {
  let message = page.locator(kind === 'toast' ? '.van-toast' : `.el-message--${kind}`)
  for (const t of [text ?? []].flat()) message = message.filter({ hasText: t })
  const [, result] = await Promise.all([message.last().waitFor(), action()])
  return result
}

// The bytes of a download. Saved through the browser's connection (download.path() is not available
// over a shared browser's connection).
export async function downloaded(download) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'govfleet-download-'))
  try {
    const file = path.join(dir, 'file')
    await download.saveAs(file)
    return await readFile(file)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

// serverAndBrowser gives a test file its server (startServer) and a browser on it (launchBrowser): both
// start before the file's first test and stop after its last, the page errors the browser caught printed.
// set receives { server, b, page } once they are up, and may go on to set up the file's data (it is
// awaited; node:test does not wait for one before hook of a file before starting the next):
//   let server, b, page
//   serverAndBrowser((s) => ({ server, b, page } = s))
//   serverAndBrowser(async (s) => {
//     ({ server, b, page } = s)
//     admin = await apiSession(server.baseURL, 'city_admin')
//   })
// options go to startServer (e.g. { args: [...] }, more flags for serve).
export function serverAndBrowser(set, options) {
  let server, b
  before(async () => {
    server = await startServer(options)
    b = await launchBrowser({ baseURL: server.baseURL })
    await set({ server, b, page: b.page })
  })
  after(async () => {
    if (b) {
      if (b.errors.length) console.log('uncaught page errors:', b.errors.map(String))
      await b.close()
    }
    if (server) await server.stop()
  })
}

// Fills the login form; does not wait for the result.
export async function submitLogin(page, username, password = DEMO_PASSWORD) {
  await openLogin(page)
  await fillLogin(page, username, password)
}

// Opens /login signed out: someone still signed in (a test that failed before its logout) would be sent on to 工作台,
// and this test, and the file's later ones, would wait for a login form that never shows.
async function openLogin(page) {
  await page.context().clearCookies()
  await page.goto('/login')
}

async function fillLogin(page, username, password) {
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(password)
  await page.locator('[data-test=login-submit]').click()
}

// Logs in and waits for the console (工作台) to show. On the plain login page a logout leaves, it logs in there, as a
// person would, instead of loading the console again; anywhere else it goes to /login first.
export async function login(page, username, password = DEMO_PASSWORD) {
  const u = new URL(page.url())
  if (u.pathname !== '/login' || u.search || (await page.locator('.el-alert, [data-test=reset-form]').count())) await openLogin(page)
  await fillLogin(page, username, password)
  await page.locator('[data-test=welcome]').waitFor()
}

// Logs in from the login page that a signed-out visit to `to` leads to (/login?redirect=…) and waits for `to` to show:
// the console goes straight there, without drawing the workbench first and loading itself again for a goto.
export async function loginTo(page, username, to, password = DEMO_PASSWORD) {
  await page.goto(`/login?redirect=${encodeURIComponent(to)}`)
  await fillLogin(page, username, password)
  const want = new URL(to, 'http://x').pathname
  await page.waitForURL((u) => u.pathname === want)
}

export async function logout(page) {
  await page.locator('[data-test=user-menu]').click()
  await page.locator('[data-test=logout]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '退出' }).click()
  await page.waitForURL('**/login')
}

// The visible (top-most) Element Plus dialog with the given title text.
export function dialog(page, title) {
  return page.locator('.el-dialog:visible').filter({ has: page.locator('.el-dialog__title', { hasText: title }) })
}

// Picks an option in the currently open el-select / el-tree-select dropdown.
export async function pickOption(page, text) {
  await page.locator('.el-select-dropdown:visible, .el-popper:visible').getByText(text, { exact: true }).first().click()
}

export function menuItem(page, title) {
  return page.locator('.side-menu .el-menu-item', { hasText: title })
}

// JSON API client with its own cookie session (for set-up and for checks the UI cannot make).
export async function apiSession(baseURL, username, password = DEMO_PASSWORD) {
  const res = await fetch(`${baseURL}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!res.ok) throw new Error(`login ${username}: HTTP ${res.status} ${await res.text()}`)
  const { csrf_token: csrf } = await res.json()
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  // body: an object sent as JSON, or FormData sent as multipart.
  async function call(method, p, body) {
    const form = body instanceof FormData
    const r = await fetch(`${baseURL}/api${p}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, ...(body && !form ? { 'Content-Type': 'application/json' } : {}) },
      body: form ? body : body ? JSON.stringify(body) : undefined,
    })
    const text = await r.text()
    let data = null
    try {
      data = text ? JSON.parse(text) : null
    } catch {
      data = text
    }
    return { status: r.status, data }
  }
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), put: (p, b) => call('PUT', p, b) }
}

// The Beijing date (YYYY-MM-DD) n days after today's, and the instant (ISO) of hour:minute Beijing time on it.
export const beijingDay = (n) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + n * 86_400_000))
export const beijingAt = (n, hour, minute = 0) =>
  new Date(`${beijingDay(n)}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`).toISOString()

// The first n ≥ from whose span days from beijingDay(n) on hold no statutory holiday of the working calendar, read
// through api (a session): a test's trips there find the cars unsealed whatever the date it runs on.
export async function workday(api, from, span = 1) {
  const holidays = new Set()
  for (const y of new Set([beijingDay(from).slice(0, 4), beijingDay(from + 60).slice(0, 4)])) {
    const cal = await api.get(`/calendar?year=${y}`)
    if (cal.status !== 200) throw new Error(`calendar ${y}: ${cal.status} ${JSON.stringify(cal.data)}`)
    for (const d of cal.data) if (d.kind === 'holiday') holidays.add(d.day)
  }
  for (let n = from; ; n++) {
    if (![...Array(span).keys()].some((i) => holidays.has(beijingDay(n + i)))) return n
  }
}

// A valid unified social credit code (GB 32100-2015 check digit) ending with the given serial.
const CC = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
export function creditCode(seed = Date.now()) {
  let body = '11320402'
  let n = Math.abs(Math.floor(seed))
  for (let i = 0; i < 9; i++) {
    body += CC[n % 31]
    n = Math.floor(n / 31) + i * 7
  }
  let s = 0
  for (let i = 0; i < 17; i++) s += CC.indexOf(body[i]) * W[i]
  return body + CC[(31 - (s % 31)) % 31]
}

// A valid resident ID card number (GB 11643 check digit) of someone born in 1970–1999, random enough that the
// drivers a test registers never share one with each other or with the demo's.
export function idCard() {
  const born = new Date(Date.UTC(1970, 0, 1) + Math.floor(Math.random() * 30 * 365) * 86_400_000)
  const ymd = born.toISOString().slice(0, 10).replaceAll('-', '')
  const body = `320402${ymd}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i], 0)
  return body + '10X98765432'[sum % 11]
}
