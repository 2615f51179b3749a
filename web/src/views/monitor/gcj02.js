// GCJ-02, the datum of maps published in China (AMap's tiles among them): the published formula of
// its offset from WGS-84 inside China, and its inverse by iteration (error well under a metre).
// Used by the map when its tiles are GCJ-02 (map.js) and by scripts/changzhou-geo.
const A = 6378245.0
const EE = 0.00669342162296594323

function dLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3
  return r
}

function dLng(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3
  return r
}

// wgsToGcj: [lat, lng] WGS-84 → [lat, lng] GCJ-02.
export function wgsToGcj(lat, lng) {
  const rad = (lat / 180) * Math.PI
  let m = Math.sin(rad)
  m = 1 - EE * m * m
  const s = Math.sqrt(m)
  return [
    lat + (dLat(lng - 105, lat - 35) * 180) / (((A * (1 - EE)) / (m * s)) * Math.PI),
    lng + (dLng(lng - 105, lat - 35) * 180) / ((A / s) * Math.cos(rad) * Math.PI),
  ]
}

// gcjToWgs: [lat, lng] GCJ-02 → [lat, lng] WGS-84.
export function gcjToWgs(lat, lng) {
  let w = [lat, lng]
  for (let i = 0; i < 5; i++) {
    const g = wgsToGcj(w[0], w[1])
    w = [w[0] - (g[0] - lat), w[1] - (g[1] - lng)]
  }
  return w
}
