// The GCJ-02 shift the map applies on AMap's tiles (issue 24 item 8), without a browser.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gcjToWgs, wgsToGcj } from '../src/views/monitor/gcj02.js'

const metres = (a, b) => Math.hypot((a[0] - b[0]) * 111320, (a[1] - b[1]) * 111320 * Math.cos((a[0] * Math.PI) / 180))

test('GCJ-02 moves a position in Changzhou by a few hundred metres, and back', () => {
  const wgs = [31.7856, 119.9647] // 常州站
  const gcj = wgsToGcj(...wgs)
  const shift = metres(wgs, gcj)
  assert.ok(shift > 300 && shift < 800, `shift ${shift.toFixed(0)} m`)
  assert.ok(gcj[1] > wgs[1] && gcj[0] < wgs[0], 'east and south, as around Changzhou')
  assert.ok(metres(gcjToWgs(...gcj), wgs) < 0.5, 'the inverse returns within half a metre')
})
