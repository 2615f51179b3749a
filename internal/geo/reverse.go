package geo

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// TiandituEndpoint is 天地图's reverse geocoder.
const TiandituEndpoint = "https://api.tianditu.gov.cn/geocoder"

const (
	cacheSize   = 20000           // addresses kept (~2 MB)
	parallel    = 4               // requests to the provider at once
	callTimeout = 2 * time.Second // one request
	batchBudget = 3 * time.Second // one page's addresses; the rest offline
	pauseAfter  = time.Minute     // no requests after a failure (provider unreachable)
)

// Geocoder answers addresses: through 天地图 when Key is set, cached (a
// position rounded to ~10 m) and bounded (cacheSize entries, parallel
// requests, a time budget per page, a pause after a failure); otherwise, or
// when the provider fails, Offline.
type Geocoder struct {
	Key      string // 天地图 key ("tk"); "" = offline only
	Endpoint string // default TiandituEndpoint
	HTTP     *http.Client

	once     sync.Once
	sem      chan struct{}
	mu       sync.Mutex
	lru      *list.List // of *entry, most recent first
	byKey    map[[2]int32]*list.Element
	pausedAt time.Time
}

type entry struct {
	key  [2]int32
	addr string
}

var tkParam = regexp.MustCompile(`[?&]tk=([0-9A-Za-z]+)`)

// TiandituKey is the key inside a 天地图 tile URL template (how the map is
// configured: --tile-url 'https://t{s}.tianditu.gov.cn/…&tk=KEY'), or "".
func TiandituKey(tileURL string) string {
	if !strings.Contains(tileURL, ".tianditu.gov.cn/") {
		return ""
	}
	if m := tkParam.FindStringSubmatch(tileURL); m != nil {
		return m[1]
	}
	return ""
}

// LatLng is a WGS-84 position.
type LatLng struct{ Lat, Lng float64 }

// Address describes one position.
func (g *Geocoder) Address(ctx context.Context, lat, lng float64) string {
	return g.Addresses(ctx, []LatLng{{lat, lng}})[0]
}

// Addresses describes positions (a page's worth), in order.
func (g *Geocoder) Addresses(ctx context.Context, pts []LatLng) []string {
	out := make([]string, len(pts))
	if g == nil || g.Key == "" {
		for i, p := range pts {
			out[i] = Offline(p.Lat, p.Lng)
		}
		return out
	}
	g.once.Do(func() {
		g.lru, g.byKey, g.sem = list.New(), map[[2]int32]*list.Element{}, make(chan struct{}, parallel)
	})
	ctx, cancel := context.WithTimeout(ctx, batchBudget)
	defer cancel()
	var wg sync.WaitGroup
	for i, p := range pts {
		if a, ok := g.cached(p); ok {
			out[i] = a
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = g.lookup(ctx, p)
		}()
	}
	wg.Wait()
	return out
}

func keyOf(p LatLng) [2]int32 {
	return [2]int32{int32(p.Lat*1e4 + 0.5), int32(p.Lng*1e4 + 0.5)}
}

func (g *Geocoder) cached(p LatLng) (string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.byKey[keyOf(p)]; ok {
		g.lru.MoveToFront(e)
		return e.Value.(*entry).addr, true
	}
	return "", false
}

func (g *Geocoder) remember(p LatLng, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := keyOf(p)
	if _, ok := g.byKey[k]; ok {
		return
	}
	g.byKey[k] = g.lru.PushFront(&entry{k, addr})
	for g.lru.Len() > cacheSize {
		last := g.lru.Back()
		g.lru.Remove(last)
		delete(g.byKey, last.Value.(*entry).key)
	}
}

// lookup asks the provider, or answers offline when it is paused, busy past
// the page's budget, or fails.
func (g *Geocoder) lookup(ctx context.Context, p LatLng) string {
	g.mu.Lock()
	paused := !g.pausedAt.IsZero() && time.Since(g.pausedAt) < pauseAfter
	g.mu.Unlock()
	if paused {
		return Offline(p.Lat, p.Lng)
	}
	select {
	case g.sem <- struct{}{}:
		defer func() { <-g.sem }()
	case <-ctx.Done():
		return Offline(p.Lat, p.Lng)
	}
	addr, err := g.tianditu(ctx, p)
	if err != nil {
		if ctx.Err() == nil { // the provider failed, not our budget
			g.mu.Lock()
			g.pausedAt = time.Now()
			g.mu.Unlock()
		}
		return Offline(p.Lat, p.Lng)
	}
	g.remember(p, addr)
	return addr
}

func (g *Geocoder) tianditu(ctx context.Context, p LatLng) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	endpoint := g.Endpoint
	if endpoint == "" {
		endpoint = TiandituEndpoint
	}
	post, _ := json.Marshal(map[string]any{"lon": p.Lng, "lat": p.Lat, "ver": 1})
	q := url.Values{"postStr": {string(post)}, "type": {"geocode"}, "tk": {g.Key}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	client := g.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("tianditu geocoder: HTTP %d", res.StatusCode)
	}
	var body struct {
		Status string `json:"status"`
		Msg    string `json:"msg"`
		Result struct {
			Address string `json:"formatted_address"`
		} `json:"result"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 1<<16)).Decode(&body); err != nil {
		return "", fmt.Errorf("tianditu geocoder: %w", err)
	}
	if body.Status != "0" || body.Result.Address == "" {
		return "", fmt.Errorf("tianditu geocoder: status %s %s", body.Status, body.Msg)
	}
	return body.Result.Address, nil
}
