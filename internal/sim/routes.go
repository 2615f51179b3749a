package sim

import (
	"math"
	"sort"
)

// Waypoint is a place in Changzhou the simulated vehicles drive between
// (WGS-84, approximate).
type Waypoint struct {
	Name     string
	Lat, Lng float64
}

// Waypoints: the city centre, the districts and the county-level cities of
// Changzhou. Roads are straight segments between them (see edges).
var Waypoints = []Waypoint{
	{"常州站", 31.7856, 119.9647},
	{"天宁寺", 31.7768, 119.9668},
	{"红梅公园", 31.7842, 119.9735},
	{"南大街", 31.7762, 119.9526},
	{"文化宫", 31.7797, 119.9506},
	{"市政府(龙城大道)", 31.8107, 119.9740},
	{"常州博物馆", 31.8133, 119.9693},
	{"新北区政府", 31.8273, 119.9712},
	{"恐龙园", 31.8253, 119.9878},
	{"常州北站", 31.8700, 119.9705},
	{"薛家", 31.8400, 119.9000},
	{"奔牛机场", 31.9197, 119.7788},
	{"孟河", 31.9900, 119.8500},
	{"郑陆", 31.8318, 120.0620},
	{"横林", 31.7205, 120.1150},
	{"钟楼区政府", 31.7800, 119.9020},
	{"青枫公园", 31.7865, 119.9190},
	{"湖塘", 31.7343, 119.9570},
	{"武进区政府", 31.7181, 119.9420},
	{"淹城", 31.7186, 119.9226},
	{"西太湖", 31.7157, 119.8420},
	{"嘉泽", 31.6700, 119.7800},
	{"湟里", 31.6460, 119.7400},
	{"金坛区政府", 31.7234, 119.5972},
	{"直溪", 31.8300, 119.5400},
	{"薛埠", 31.7280, 119.4200},
	{"别桥", 31.4810, 119.5700},
	{"溧阳市政府", 31.4164, 119.4843},
	{"上兴", 31.4580, 119.3680},
	{"天目湖", 31.3265, 119.4423},
	{"戴埠", 31.2950, 119.4860},
}

// edges[i] lists the waypoints reachable from i by one straight road: a
// minimum spanning tree (so everything is connected) plus each point's two
// nearest neighbours.
var edges = buildEdges(Waypoints)

func buildEdges(ws []Waypoint) [][]int {
	n := len(ws)
	adj := make([]map[int]bool, n)
	for i := range adj {
		adj[i] = map[int]bool{}
	}
	link := func(a, b int) { adj[a][b], adj[b][a] = true, true }
	// Prim.
	in := make([]bool, n)
	in[0] = true
	for range n - 1 {
		best, bi, bj := math.Inf(1), -1, -1
		for i := range n {
			if !in[i] {
				continue
			}
			for j := range n {
				if !in[j] {
					if d := distance(ws[i].Lat, ws[i].Lng, ws[j].Lat, ws[j].Lng); d < best {
						best, bi, bj = d, i, j
					}
				}
			}
		}
		in[bj] = true
		link(bi, bj)
	}
	for i := range n {
		idx := make([]int, 0, n-1)
		for j := range n {
			if j != i {
				idx = append(idx, j)
			}
		}
		sort.Slice(idx, func(a, b int) bool {
			return distance(ws[i].Lat, ws[i].Lng, ws[idx[a]].Lat, ws[idx[a]].Lng) < distance(ws[i].Lat, ws[i].Lng, ws[idx[b]].Lat, ws[idx[b]].Lng)
		})
		link(i, idx[0])
		link(i, idx[1])
	}
	out := make([][]int, n)
	for i, m := range adj {
		for j := range m {
			out[i] = append(out[i], j)
		}
		sort.Ints(out[i])
	}
	return out
}

const earthRadius = 6371000.0

// distance returns the great-circle distance in metres.
func distance(lat1, lng1, lat2, lng2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * earthRadius * math.Asin(math.Sqrt(a))
}

// bearing returns the initial course from 1 to 2 in degrees 0-359.
func bearing(lat1, lng1, lat2, lng2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dl := (lng2 - lng1) * math.Pi / 180
	y := math.Sin(dl) * math.Cos(p2)
	x := math.Cos(p1)*math.Sin(p2) - math.Sin(p1)*math.Cos(p2)*math.Cos(dl)
	return math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
}
