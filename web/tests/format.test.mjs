// The one money and date formatting module of the pages (issue 18), without a browser: integer fen
// shown as yuan, instants shown as Beijing dates and times.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  beijingMonth,
  beijingParts,
  beijingToday,
  fenToYuanText,
  formatAgo,
  formatDate,
  formatMonth,
  formatTime,
  shanghaiDayStart,
  toFen,
  yuan,
  yuanToFen,
} from '../src/utils/format.js'

test('yuan: integer fen as yuan with two decimals and thousands grouping', () => {
  const cases = [
    [0, '0.00'],
    [1, '0.01'],
    [99, '0.99'],
    [100, '1.00'],
    [123456, '1,234.56'],
    [100000, '1,000.00'],
    [99999, '999.99'],
    [-1230, '-12.30'],
    [-5, '-0.05'],
    [-123456789, '-1,234,567.89'],
    [123456789012, '1,234,567,890.12'],
    [Number.MAX_SAFE_INTEGER, '90,071,992,547,409.91'],
    ['21980050', '219,800.50'], // a numeric string is read as a number
  ]
  for (const [fen, want] of cases) assert.equal(yuan(fen), want, `yuan(${fen})`)
})

test('yuan: a fraction of a fen rounds half away from zero, and never shows -0.00', () => {
  assert.equal(yuan(12.5), '0.13')
  assert.equal(yuan(12.49), '0.12')
  assert.equal(yuan(-12.5), '-0.13')
  assert.equal(yuan(199.5), '2.00')
  assert.equal(yuan(0.4), '0.00')
  assert.equal(yuan(-0.4), '0.00')
  assert.equal(yuan(-0), '0.00')
  assert.equal(yuan(0.1 * 3 * 100), '0.30') // 30.000000000000004 fen
})

test('yuan: the ¥ sign on request, after the minus sign', () => {
  assert.equal(yuan(21980050, { symbol: true }), '¥219,800.50')
  assert.equal(yuan(0, { symbol: true }), '¥0.00')
  assert.equal(yuan(-1230, { symbol: true }), '-¥12.30')
  assert.equal(yuan(null, { symbol: true }), '—')
})

test('yuan: nothing to show is a dash', () => {
  for (const v of [null, undefined, '', NaN, Infinity, 'abc']) assert.equal(yuan(v), '—', `yuan(${String(v)})`)
})

test('fen ⇄ yuan for the inputs', () => {
  assert.equal(fenToYuanText(21980050), '219800.50')
  assert.equal(fenToYuanText(-123456), '-1234.56')
  assert.equal(fenToYuanText(0), '0.00')
  assert.equal(fenToYuanText(null), '')
  assert.equal(fenToYuanText(undefined), '')
  assert.equal(yuanToFen('219800.5'), 21980050)
  assert.equal(yuanToFen(' 1,234.56 '), 123456)
  assert.equal(yuanToFen('0.07'), 7)
  assert.equal(yuanToFen(''), null)
  assert.equal(yuanToFen(null), null)
  for (const bad of ['1.234', '-5', '12元', 'abc']) assert.ok(Number.isNaN(yuanToFen(bad)), bad)
  assert.equal(toFen(19.99), 1999) // 19.99 * 100 is 1998.9999999999998
  assert.equal(toFen(0.07), 7)
  assert.equal(toFen(null), 0)
  assert.equal(toFen(''), 0)
})

test('Beijing date and time of an instant across UTC midnight', () => {
  // 16:00 UTC is midnight in Beijing: the Beijing day turns eight hours before the UTC one.
  assert.equal(formatDate('2024-03-14T15:59:59Z'), '2024-03-14')
  assert.equal(formatDate('2024-03-14T16:00:00Z'), '2024-03-15')
  assert.equal(formatTime('2024-03-14T16:00:00Z'), '2024-03-15 00:00')
  assert.equal(formatTime('2024-03-14T23:59:59Z', { seconds: true }), '2024-03-15 07:59:59')
  assert.equal(formatTime('2024-03-15T01:02:03+08:00', { seconds: true }), '2024-03-15 01:02:03')
  // The last day of a year in UTC is the first of the next in Beijing, for the month too.
  assert.equal(formatTime('2024-12-31T20:30:00Z'), '2025-01-01 04:30')
  assert.equal(formatMonth('2024-12-31T20:30:00Z'), '2025-01')
  assert.equal(formatMonth('2024-12-31T15:59:59Z'), '2024-12')
  assert.equal(formatDate(new Date(Date.UTC(2024, 1, 28, 16))), '2024-02-29') // a Date, leap day
  assert.deepEqual(beijingParts('2024-03-14T16:05:09Z'), { year: '2024', month: '03', day: '15', hour: '00', minute: '05', second: '09' })
})

test('empty and malformed times', () => {
  for (const f of [formatTime, formatDate, formatMonth]) {
    assert.equal(f(null), '—')
    assert.equal(f(undefined), '—')
    assert.equal(f(''), '—')
    assert.equal(f('not a time'), 'not a time')
  }
  assert.equal(beijingParts(null), null)
  assert.equal(beijingParts(undefined), null)
  assert.equal(beijingParts('nonsense'), null)
  assert.equal(formatAgo(null), '')
  assert.equal(formatAgo(undefined), '')
  assert.equal(shanghaiDayStart(''), '')
})

test('today and this month in Beijing, and their neighbours', () => {
  const lateUTC = Date.parse('2024-12-31T17:00:00Z') // 2025-01-01 01:00 in Beijing
  assert.equal(beijingToday(0, lateUTC), '2025-01-01')
  assert.equal(beijingToday(-6, lateUTC), '2024-12-26')
  assert.equal(beijingToday(1, lateUTC), '2025-01-02')
  assert.equal(beijingMonth(0, lateUTC), '2025-01')
  assert.equal(beijingMonth(-1, lateUTC), '2024-12')
  assert.equal(beijingMonth(-13, lateUTC), '2023-12')
  assert.equal(beijingMonth(12, lateUTC), '2026-01')
  const earlyUTC = Date.parse('2025-01-01T15:59:00Z') // still 1 January in Beijing
  assert.equal(beijingToday(0, earlyUTC), '2025-01-01')
  assert.match(beijingToday(), /^\d{4}-\d\d-\d\d$/)
  assert.match(beijingMonth(), /^\d{4}-\d\d$/)
})

test('a Beijing day as the UTC instant of its start', () => {
  assert.equal(shanghaiDayStart('2024-03-15'), '2024-03-14T16:00:00Z')
  assert.equal(shanghaiDayStart('2024-03-15', 1), '2024-03-15T16:00:00Z')
  assert.equal(shanghaiDayStart('2024-03-01', -1), '2024-02-28T16:00:00Z')
  assert.equal(formatDate(shanghaiDayStart('2024-03-01', -1)), '2024-02-29') // the board's day before
})

test('how long ago', () => {
  const now = Date.parse('2024-03-15T12:00:00Z')
  const before = (s) => new Date(now - s * 1000).toISOString()
  assert.equal(formatAgo(before(0), now), '0秒前')
  assert.equal(formatAgo(before(59), now), '59秒前')
  assert.equal(formatAgo(before(60), now), '1分钟前')
  assert.equal(formatAgo(before(3599), now), '60分钟前')
  assert.equal(formatAgo(before(3600), now), '1小时前')
  assert.equal(formatAgo(before(86400 * 3), now), '3天前')
  assert.equal(formatAgo(new Date(now + 5000).toISOString(), now), '0秒前') // a clock ahead is not "in the future"
})
