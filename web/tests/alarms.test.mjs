// The alarm names of terminal events and positions (JT/T 808-2013 table 24): no browser needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alarmBitNames, alarmNames } from '../src/views/monitor/alarms.js'

test('alarm bits and words read as names', () => {
  assert.deepEqual(alarmBitNames([8]), ['终端主电源掉电'])
  assert.deepEqual(alarmBitNames([5, 6]), ['GNSS天线未接或被剪断', 'GNSS天线短路'])
  assert.deepEqual(alarmBitNames([16]), ['报警位16'], 'a reserved bit keeps its number')
  assert.deepEqual(alarmNames(256), ['终端主电源掉电'])
  assert.deepEqual(alarmNames(2 | (1 << 31)), ['超速报警', '非法开门'])
  assert.deepEqual(alarmNames(0), [])
})
