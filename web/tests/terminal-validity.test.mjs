// Browser test of issue 20: a terminal driven over JT/T 808 (2013) from this test sends a valid report, then one
// dated a day ahead and one with latitude and longitude swapped; the live map keeps the vehicle where the valid
// one put it. And the terminal's page shows a refused registration.   npm run test:browser
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { apiSession, login, menuItem, serverAndBrowser } from './browser.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

// A minimal JT/T 808-2013 terminal: frames with escaping and check code, BCD phone and time (Beijing).
function terminal(addr, phone) {
  const [host, port] = addr.split(':')
  const sock = net.connect(Number(port), host)
  let buf = Buffer.alloc(0)
  const waiting = []
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    for (;;) {
      const s = buf.indexOf(0x7e)
      const e = s < 0 ? -1 : buf.indexOf(0x7e, s + 1)
      if (e < 0) break
      const raw = buf.subarray(s + 1, e)
      buf = buf.subarray(e + 1)
      const out = []
      for (let i = 0; i < raw.length; i++) out.push(raw[i] === 0x7d ? (raw[++i] === 0x02 ? 0x7e : 0x7d) : raw[i])
      const f = Buffer.from(out)
      const id = f.readUInt16BE(0)
      // Only the platform's answers (0x8001, 0x8100) answer what the terminal sent: the 0x8107 the gateway asks a terminal
      // that just authenticated (its attributes) comes when it comes, and would be taken for the next answer.
      if (id === 0x8001 || id === 0x8100) waiting.shift()?.({ id, body: f.subarray(12, f.length - 1) })
    }
  })
  const bcd = (digits) => Buffer.from(digits.match(/../g).map((x) => parseInt(x, 16)))
  let serial = 0
  function send(id, body) {
    const h = Buffer.alloc(12)
    h.writeUInt16BE(id, 0)
    h.writeUInt16BE(body.length, 2)
    bcd(phone.padStart(12, '0')).copy(h, 4)
    h.writeUInt16BE(serial++, 10)
    const f = Buffer.concat([h, body])
    let x = 0
    for (const c of f) x ^= c
    const esc = []
    for (const c of [...f, x]) esc.push(...(c === 0x7e ? [0x7d, 0x02] : c === 0x7d ? [0x7d, 0x01] : [c]))
    const answer = new Promise((resolve) => waiting.push(resolve))
    sock.write(Buffer.from([0x7e, ...esc, 0x7e]))
    return answer
  }
  const text = (s, n) => { const z = Buffer.alloc(n); z.write(s, 'latin1'); return z }
  return {
    async register(terminalId, vin) {
      const a = await send(0x0100, Buffer.concat([Buffer.from([0, 32, 1, 144]), text('GVSIM', 5), text('SIM-808', 20), text(terminalId, 7), Buffer.from([0]), Buffer.from(vin, 'latin1')]))
      return { result: a.body[2], code: a.body.subarray(3).toString('latin1') }
    },
    async auth(code) {
      return (await send(0x0102, Buffer.from(code, 'latin1'))).body[4]
    },
    // report: lat/lng in degrees as sent (no sign bits), speed in km/h, at a Date; the answer's result (0 = stored).
    async report({ lat, lng, speed, at }) {
      const b = Buffer.alloc(28)
      b.writeUInt32BE(0, 0)
      b.writeUInt32BE(0b11, 4) // ACC on, located
      b.writeUInt32BE(Math.round(lat * 1e6), 8)
      b.writeUInt32BE(Math.round(lng * 1e6), 12)
      b.writeUInt16BE(10, 16)
      b.writeUInt16BE(speed * 10, 18)
      b.writeUInt16BE(90, 20)
      const t = new Date(at.getTime() + 8 * 3600 * 1000).toISOString() // Beijing
      bcd(t.slice(2, 4) + t.slice(5, 7) + t.slice(8, 10) + t.slice(11, 13) + t.slice(14, 16) + t.slice(17, 19)).copy(b, 22)
      return (await send(0x0200, b)).body[4]
    },
    close: () => sock.destroy(),
  }
}

test('the live map keeps a vehicle where its last valid report put it', async () => {
  const api = await apiSession(server.baseURL, 'city_admin')
  // A vehicle the demo fleet does not drive: it never reported.
  const live = (await api.get('/live/vehicles')).data.items
  const quiet = live.filter((v) => !v.position).map((v) => v.plate)
  let term
  for (const plate of quiet) {
    const found = (await api.get(`/terminals?bound=true&q=${encodeURIComponent(plate)}`)).data.items.find((t) => t.plate === plate)
    if (found) { term = found; break }
  }
  assert.ok(term, 'a bound terminal that never reported')
  const vehicle = live.find((v) => v.plate === term.plate)
  const tm = terminal(server.gateway, term.sim)
  try {
    // The registry's terminal ID (its last 7 characters in 2013); another one is refused and shown on its page.
    const id = term.terminal_no.slice(-7)
    assert.equal((await tm.register('X000000', 'LGBH52E05HY000001')).result, 4, 'another terminal ID is refused (no such terminal)')
    const reg = await tm.register(id, 'LGBH52E05HY000001')
    assert.equal(reg.result, 0)
    assert.equal(await tm.auth(reg.code), 0)
    const valid = new Date(Date.now() - 60_000)
    valid.setMilliseconds(0)
    assert.equal(await tm.report({ lat: 31.80123, lng: 119.97456, speed: 36, at: valid }), 0)
    assert.equal(await tm.report({ lat: 31.7, lng: 119.8, speed: 99, at: new Date(Date.now() + 24 * 3600_000) }), 0, 'a report a day ahead is stored and acknowledged')
    assert.equal(await tm.report({ lat: 119.97456, lng: 31.80123, speed: 77, at: new Date() }), 0, 'a report with latitude and longitude swapped is stored and acknowledged')

    await login(page, 'city_admin')
    await menuItem(page, '实时监控').click()
    await page.waitForURL('**/monitor')
    await page.locator('[data-test=live-search] input, input[data-test=live-search]').first().fill(term.plate)
    await page.locator(`[data-test="live-row-${vehicle.plate}"]`).click()
    const card = page.locator('[data-test=vehicle-card]')
    await card.waitFor()
    // The valid report's speed and time, not the later invalid ones'.
    await page.waitForFunction(() => /36\.0 km\/h/.test(document.querySelector('[data-test=card-speed]')?.textContent || ''), null, { timeout: 20_000 })
    const p = (n) => String(n).padStart(2, '0')
    const bj = new Date(valid.getTime() + 8 * 3600_000)
    const shown = `${bj.getUTCFullYear()}-${p(bj.getUTCMonth() + 1)}-${p(bj.getUTCDate())} ${p(bj.getUTCHours())}:${p(bj.getUTCMinutes())}`
    assert.match(await card.locator('[data-test=card-last]').innerText(), new RegExp(shown))
    // The marker on the map is the valid report's: a later correct report moves it.
    const later = new Date(Date.now())
    assert.equal(await tm.report({ lat: 31.80223, lng: 119.97456, speed: 41, at: later }), 0)
    await page.waitForFunction(() => /41\.0 km\/h/.test(document.querySelector('[data-test=card-speed]')?.textContent || ''), null, { timeout: 30_000 })
  } finally {
    tm.close()
  }

  // The terminal's page shows the refused registration.
  await menuItem(page, '北斗终端').click()
  await page.waitForURL('**/terminals')
  await page.getByPlaceholder('终端ID、SIM卡号、车牌').fill(term.terminal_no)
  await page.keyboard.press('Enter')
  const row = page.locator('.el-table__row', { hasText: term.terminal_no })
  await row.locator('[data-test=terminal-history]').click()
  const refused = page.locator('[data-test=terminal-refused]')
  await refused.waitFor()
  assert.match(await refused.innerText(), /终端ID X000000 与登记的 .* 不符/)
  assert.match(await refused.innerText(), /来自 127\.0\.0\.1:\d+/)
})
