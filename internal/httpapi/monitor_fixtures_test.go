package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"net/url"
	"time"

	"govfleet/internal/fleet"
	"govfleet/internal/jt808"
)

func init() {
	// The map's configuration and the stream (over the caller's own scope)
	// target no node.
	untargeted["GET /api/live/config"] = true
	untargeted["GET /api/live/stream"] = true
}

// fakeTerminals answers every command as a connected terminal would.
type fakeTerminals struct{}

func (fakeTerminals) Connected(string) bool { return true }

func (fakeTerminals) Send(_ context.Context, _ string, m jt808.Message) (jt808.Message, error) {
	if _, ok := m.(*jt808.QueryLocation); ok {
		l := jt808.Location{Time: time.Now().UTC().Truncate(time.Second), Status: jt808.StatusLocated}
		l.SetPosition(31.78, 119.96)
		return &jt808.LocationResponse{Location: l}, nil
	}
	return &jt808.TerminalAck{ReplyID: m.MsgID(), Result: jt808.ResultOK}, nil
}

// trackedVehicle returns a vehicle of unit fitted with a terminal.
func (e *env) trackedVehicle(unit int64) int64 {
	e.t.Helper()
	v := e.newVehicle(unit)
	if _, err := e.w.Fleet.Bind(context.Background(), e.city(), e.newTerminal(unit), v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// terminalPhoto stores a picture from the terminal of vehicle v as the
// gateway would (0x0801) and returns its id.
func (e *env) terminalPhoto(v int64) int64 {
	e.t.Helper()
	ctx := context.Background()
	var sim string
	if err := e.w.DB.R.QueryRowContext(ctx, "SELECT sim FROM terminals WHERE vehicle_id = ?", v).Scan(&sim); err != nil {
		e.t.Fatal(err)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 12)), nil)
	up := &jt808.MediaUpload{MediaEvent: jt808.MediaEvent{MediaID: 1, Event: jt808.EventPlatform, Channel: 1}, Data: b.Bytes()}
	if err := (&fleet.Recorder{Fleet: e.w.Fleet}).Media(ctx, sim, v, up); err != nil {
		e.t.Fatal(err)
	}
	var id int64
	if err := e.w.DB.R.QueryRowContext(ctx, "SELECT max(id) FROM terminal_photos WHERE vehicle_id = ?", v).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// monitorFixtures adds the live map's and track playback's routes.
func (e *env) monitorFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	tracked, photos := map[bool]int64{}, map[bool]int64{}
	vehicle := func(in bool) int64 {
		if tracked[in] == 0 {
			tracked[in] = e.trackedVehicle(place(in))
		}
		return tracked[in]
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/live/config": func(c caller, in bool) call { return call{"GET", "/api/live/config", nil} },
		"GET /api/live/vehicles": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/live/vehicles?unit_id=%d", place(in)), nil}
		},
		"GET /api/live/stream": func(c caller, in bool) call { return call{"GET", "/api/live/stream", nil} },
		"POST /api/live/vehicles/{id}/command": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/live/vehicles/%d/command", vehicle(in)), map[string]any{"kind": "text", "text": "请回单位"}}
		},
		"GET /api/live/vehicles/{id}/photos": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/live/vehicles/%d/photos", vehicle(in)), nil}
		},
		"GET /api/live/photos/{id}": func(c caller, in bool) call {
			if photos[in] == 0 {
				photos[in] = e.terminalPhoto(vehicle(in))
			}
			return call{"GET", fmt.Sprintf("/api/live/photos/%d?thumb=1", photos[in]), nil}
		},
		"GET /api/vehicles/{id}/track": func(c caller, in bool) call {
			to := time.Now().UTC()
			q := url.Values{"from": {to.Add(-24 * time.Hour).Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "reason": {"核查用车"}}
			return call{"GET", fmt.Sprintf("/api/vehicles/%d/track?%s", vehicle(in), q.Encode()), nil}
		},
	}
}
