// Leaflet set-up shared by the live map and track playback: the configured tiles, or — without
// tiles (the demo, offline) — a base map of Changzhou drawn from the configuration: the districts
// (GeoJSON from internal/geo) with their names, and labelled reference points.
import L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import './map.css'
import api from '../../api'
import { gcjToWgs, wgsToGcj } from './gcj02'

export { L }

export const STATES = {
  moving: { name: '行驶', color: '#2f9e44' },
  parked: { name: '停车', color: '#1c7ed6' },
  offline: { name: '离线', color: '#868e96' },
  never: { name: '未上报', color: '#ced4da' },
  alarm: { name: '报警', color: '#e03131' },
}

let configPromise = null
export function mapConfig() {
  if (!configPromise) configPromise = api.get('/live/config').catch((e) => { configPromise = null; throw e })
  return configPromise
}

// On GCJ-02 tiles (AMap) the map projects the WGS-84 positions it is given through the GCJ-02 shift, so
// every marker, track and the base map land where the tiles draw them (a few hundred metres off otherwise).
const GCJ02 = L.extend({}, L.CRS.EPSG3857, {
  projection: {
    bounds: L.Projection.SphericalMercator.bounds,
    project: (ll) => L.Projection.SphericalMercator.project(L.latLng(wgsToGcj(ll.lat, ll.lng))),
    unproject: (p) => {
      const g = L.Projection.SphericalMercator.unproject(p)
      return L.latLng(gcjToWgs(g.lat, g.lng))
    },
  },
})

export function createMap(el, cfg) {
  const crs = cfg.tile_url && cfg.tile_datum === 'gcj02' ? GCJ02 : L.CRS.EPSG3857
  const map = L.map(el, { crs, center: cfg.center, zoom: cfg.zoom, minZoom: 7, maxZoom: 18, attributionControl: !!cfg.tile_url })
  if (cfg.tile_url) {
    L.tileLayer(cfg.tile_url, { maxZoom: 18, subdomains: '01234567', attribution: cfg.tile_attribution || '' }).addTo(map)
  } else {
    el.classList.add('gf-offline-map')
    map.createPane('basemap').style.zIndex = 200 // under the tracks (400) and the markers (600)
    if (cfg.districts) {
      const districts = L.geoJSON(cfg.districts, {
        pane: 'basemap',
        interactive: false,
        style: () => ({ color: '#9c8f7a', weight: 1.5, dashArray: '6 4', fillColor: '#fbfaf5', fillOpacity: 1 }),
      }).addTo(map)
      districts.eachLayer((d) => {
        L.marker(d.getCenter(), {
          pane: 'basemap',
          interactive: false,
          keyboard: false,
          icon: L.divIcon({ className: 'gf-district', html: `<span>${d.feature.properties.name}</span>`, iconSize: null }),
        }).addTo(map)
      })
    }
    const pane = map.createPane('places')
    pane.style.zIndex = 350
    for (const p of cfg.places || []) {
      L.marker(p.latlng, {
        pane: 'places',
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: 'gf-place', html: `<i></i><span>${p.name}</span>`, iconSize: null }),
      }).addTo(map)
    }
  }
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map)
  return map
}

// Colour of a speed (km/h) on a track: slow red → fast green, overspeed purple.
export function speedColor(kmh) {
  if (kmh > 80) return '#9c36b5'
  if (kmh >= 60) return '#2f9e44'
  if (kmh >= 30) return '#f59f00'
  if (kmh > 0) return '#e8590c'
  return '#868e96'
}
