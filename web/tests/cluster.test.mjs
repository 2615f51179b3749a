// The live map's grid clustering (issue 5, Live map), without a browser: what a user sees as one
// numbered circle or as a lone vehicle.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clusterPoints, clusterState } from '../src/views/monitor/cluster.js'

// A flat projection for the test: one degree is 1,000 pixels.
const project = (lat, lng) => ({ x: lng * 1000, y: -lat * 1000 })
const everywhere = () => true
const pt = (id, lat, lng, state = 'parked') => ({ id, lat, lng, state })

test('vehicles within a cell form one cluster with their count, centre, bounds and colour', () => {
  const gs = clusterPoints([pt(1, 31.001, 119.901), pt(2, 31.002, 119.902, 'moving'), pt(3, 31.003, 119.903, 'alarm')], project, everywhere, 60)
  assert.equal(gs.length, 1)
  const [g] = gs
  assert.equal(g.n, 3)
  assert.equal(g.point, null)
  assert.ok(Math.abs(g.lat - 31.002) < 1e-9 && Math.abs(g.lng - 119.902) < 1e-9)
  assert.deepEqual([g.south, g.west, g.north, g.east], [31.001, 119.901, 31.003, 119.903])
  assert.equal(clusterState(g), 'alarm', 'one vehicle in alarm colours the cluster')
  assert.equal(clusterState({ states: { parked: 2, moving: 1 } }), 'moving')
  assert.equal(clusterState({ states: { offline: 4 } }), 'offline')
})

test('a vehicle alone stays itself; vehicles far apart are not grouped', () => {
  const gs = clusterPoints([pt(1, 31, 119.9), pt(2, 31, 120.2), pt(3, 31.3, 119.9)], project, everywhere, 60)
  assert.equal(gs.length, 3)
  assert.deepEqual(gs.map((g) => g.point.id).sort(), [1, 2, 3])
  assert.ok(gs.every((g) => g.n === 1))
})

test('two vehicles a few pixels apart across a cell edge are one cluster, not two circles on top of each other', () => {
  // lng 119.9995 → x 119,999.5 px (cell 1999), 120.0005 → 120,000.5 px (cell 2000): 1 px apart.
  const ps = [pt(1, 31.01, 119.9995), pt(2, 31.01, 120.0005), pt(3, 31.01, 120.0006)]
  assert.deepEqual(new Set(ps.map((p) => Math.floor(project(p.lat, p.lng).x / 60))), new Set([1999, 2000]), 'the points straddle a cell edge')
  const gs = clusterPoints(ps, project, everywhere, 60)
  assert.equal(gs.length, 1)
  assert.equal(gs[0].n, 3)
  assert.deepEqual(gs[0].ids.sort(), [1, 2, 3], 'a cluster knows its vehicles (the list shows them when the map can zoom no further)')
})

test('only vehicles in view are clustered', () => {
  const inView = (lat) => lat < 31.5
  const gs = clusterPoints([pt(1, 31, 119.9), pt(2, 32, 119.9)], project, inView, 60)
  assert.deepEqual(gs.map((g) => g.point.id), [1])
})

test('a city-scale fleet clusters in one pass', () => {
  const ps = []
  for (let i = 0; i < 19000; i++) ps.push(pt(i, 31.5 + ((i * 7919) % 1000) / 2000, 119.6 + ((i * 104729) % 1000) / 1500))
  const gs = clusterPoints(ps, project, everywhere, 60)
  assert.equal(gs.reduce((s, g) => s + g.n, 0), 19000, 'every vehicle is in exactly one group')
  assert.ok(gs.length < 19000 / 10, `${gs.length} groups`)
})
