// Grid clustering for the live map (issue 5, Live map): the vehicles inside the view (plus a margin)
// that fall into the same CELL × CELL pixel square at the map's zoom form one cluster. It is one pass
// over the fleet, so the map can be redrawn after every live batch of a city's 19,000 vehicles, and
// only what is in view becomes markers. (leaflet.markercluster kept a marker for every vehicle and
// re-clustered each one that moved: with 19,000 vehicles the page froze for seconds at each batch.)

export const CELL = 60

// points: [{ id, lat, lng, state }]; project(lat, lng) → { x, y } in pixels at the current zoom;
// inView(lat, lng) → boolean. Returns the groups, each { key, n, lat, lng (the centre),
// south, west, north, east, states: { moving: k, … }, ids (of its points), point (the only point when n is 1) }.
// Groups of neighbouring cells whose centres lie closer than 3/4 of a cell are merged, larger first,
// so that two clusters do not cover each other at a cell's edge.
export function clusterPoints(points, project, inView, cell = CELL) {
  const cells = new Map()
  for (const p of points) {
    if (!inView(p.lat, p.lng)) continue
    const xy = project(p.lat, p.lng)
    const cx = Math.floor(xy.x / cell)
    const cy = Math.floor(xy.y / cell)
    const key = `${cx}:${cy}`
    let g = cells.get(key)
    if (!g) {
      g = { key, cx, cy, n: 0, x: 0, y: 0, lat: 0, lng: 0, south: p.lat, west: p.lng, north: p.lat, east: p.lng, states: {}, members: [], xys: [] }
      cells.set(key, g)
    }
    put(g, p, xy)
  }
  const groups = [...cells.values()].sort((a, b) => b.n - a.n)
  const near = (cell * 3) / 4
  for (const g of groups) {
    if (g.merged) continue
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const o = (dx || dy) && cells.get(`${g.cx + dx}:${g.cy + dy}`)
        if (!o || o.merged) continue
        if (Math.hypot(g.x / g.n - o.x / o.n, g.y / g.n - o.y / o.n) < near) {
          o.members.forEach((q, i) => put(g, q, o.xys[i]))
          o.merged = true
        }
      }
    }
  }
  const out = groups.filter((g) => !g.merged)
  for (const g of out) {
    g.lat /= g.n
    g.lng /= g.n
    g.ids = g.members.map((q) => q.id)
    g.point = g.n === 1 ? g.members[0] : null
  }
  return out
}

// put adds point p (at pixel xy) to group g: count, sums of the centre, bounds, states and members.
// It runs for every vehicle in view at every live batch, so it makes no object per point.
function put(g, p, xy) {
  g.n++
  g.x += xy.x
  g.y += xy.y
  g.lat += p.lat
  g.lng += p.lng
  g.south = Math.min(g.south, p.lat)
  g.north = Math.max(g.north, p.lat)
  g.west = Math.min(g.west, p.lng)
  g.east = Math.max(g.east, p.lng)
  g.states[p.state] = (g.states[p.state] || 0) + 1
  g.members.push(p)
  g.xys.push(xy)
}

// The colour a cluster takes: alarm if any of its vehicles is in alarm, else moving if any moves.
export function clusterState(g) {
  if (g.states.alarm) return 'alarm'
  if (g.states.moving) return 'moving'
  if (g.states.parked) return 'parked'
  if (g.states.offline) return 'offline'
  return 'never'
}
