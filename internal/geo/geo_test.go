package geo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestDistrict(t *testing.T) {
	for _, c := range []struct {
		name     string
		lat, lng float64
		want     string
	}{
		{"常州站", 31.7856, 119.9647, "天宁区"},
		{"钟楼区政府", 31.7800, 119.9020, "钟楼区"},
		{"恐龙园", 31.8253, 119.9878, "新北区"},
		{"淹城", 31.7186, 119.9226, "武进区"},
		{"金坛区政府", 31.7234, 119.5972, "金坛区"},
		{"天目湖", 31.3265, 119.4423, "溧阳市"},
		{"无锡市中心", 31.5700, 120.3000, ""},
	} {
		if got := District(c.lat, c.lng); got != c.want {
			t.Errorf("%s: District = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestOffline(t *testing.T) {
	for _, c := range []struct {
		lat, lng float64
		want     string
	}{
		{31.7186, 119.9226, "武进区，淹城附近"},
		{31.7276, 119.9226, "武进区，淹城北约1.0公里"},
		{31.5700, 120.3000, "常州市外，"},
	} {
		if got := Offline(c.lat, c.lng); !strings.HasPrefix(got, c.want) {
			t.Errorf("Offline(%v, %v) = %q, want %q…", c.lat, c.lng, got, c.want)
		}
	}
}

func TestTiandituKey(t *testing.T) {
	for url, want := range map[string]string{
		"https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&tk=abc123": "abc123",
		"https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&tk=abc":         "",
		"": "",
	} {
		if got := TiandituKey(url); got != want {
			t.Errorf("TiandituKey(%q) = %q, want %q", url, got, want)
		}
	}
}

func TestGeocoder(t *testing.T) {
	var calls, fail atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fail.Load() == 1 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if r.URL.Query().Get("tk") != "k1" || r.URL.Query().Get("type") != "geocode" || !strings.Contains(r.URL.Query().Get("postStr"), `"lon":119.9647`) {
			w.Write([]byte(`{"status":"1","msg":"bad request"}`))
			return
		}
		w.Write([]byte(`{"result":{"formatted_address":"江苏省常州市天宁区关河东路"},"msg":"ok","status":"0"}`))
	}))
	defer srv.Close()
	ctx := context.Background()

	g := &Geocoder{Key: "k1", Endpoint: srv.URL}
	got := g.Addresses(ctx, []LatLng{{31.7856, 119.9647}, {31.78561, 119.96471}})
	if got[0] != "江苏省常州市天宁区关河东路" || got[1] != got[0] {
		t.Fatalf("Addresses = %q", got)
	}
	n := calls.Load()
	if a := g.Address(ctx, 31.7856, 119.9647); a != got[0] || calls.Load() != n {
		t.Errorf("second lookup = %q after %d requests (want the cached address, no request)", a, calls.Load()-n)
	}

	// The provider fails: the offline address, and no more requests for a while.
	fail.Store(1)
	if a := g.Address(ctx, 31.7186, 119.9226); a != "武进区，淹城附近" {
		t.Errorf("failing provider: %q", a)
	}
	n = calls.Load()
	g.Address(ctx, 31.7276, 119.9226)
	if calls.Load() != n {
		t.Errorf("asked the provider again right after it failed")
	}

	// Without a key: offline, no request.
	if a := (&Geocoder{Endpoint: srv.URL}).Address(ctx, 31.7186, 119.9226); a != "武进区，淹城附近" || calls.Load() != n {
		t.Errorf("no key: %q", a)
	}
}
