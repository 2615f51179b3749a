// Package telematics stores the positions reported by the vehicle terminals:
// a group-commit Writer that lets the gateway acknowledge a report only once
// it is durably stored, an in-memory Latest position per terminal and
// vehicle for live views, and retention (Prune). It does no network I/O.
package telematics

import (
	"database/sql"
	"encoding/hex"
	"strings"
	"time"

	"govfleet/internal/jt808"
)

// Position is one row of the positions table.
type Position struct {
	VehicleID  int64           // 0 when the terminal is bound to no vehicle (stored as NULL)
	Phone      string          // terminal phone, leading zeros removed (see NormalizePhone)
	At         time.Time       // GNSS time, UTC
	ReceivedAt time.Time       // when the gateway received it, UTC
	Lat, Lng   int64           // micro-degrees WGS-84, negative south / west
	Speed      int32           // 0.1 km/h
	Heading    int32           // degrees clockwise from north
	Altitude   int32           // metres
	Alarm      uint32          // JT/T 808 alarm word
	Status     uint32          // JT/T 808 status word
	Mileage    sql.Null[int64] // metres, from additional item 0x01
	Fuel       sql.Null[int32] // 0.1 L, from additional item 0x02
	Extras     string          // hex of the other additional items (id, length, data)
	Invalid    int16           // why this is not a valid fix (Invalid*), 0 for a valid one (Checker)
}

// NormalizePhone removes the leading zeros a BCD header pads the terminal
// phone with (12 digits in 2011/2013, 20 in 2019), so that one terminal has
// one key whatever its edition.
func NormalizePhone(p string) string {
	s := strings.TrimLeft(p, "0")
	if s == "" && p != "" {
		return "0"
	}
	return s
}

// FromLocation converts a decoded 0x0200 body of terminal phone, bound to
// vehicleID (0 for none), received at received.
func FromLocation(phone string, vehicleID int64, l *jt808.Location, received time.Time) Position {
	p := Position{
		VehicleID:  vehicleID,
		Phone:      NormalizePhone(phone),
		At:         l.Time.UTC(),
		ReceivedAt: received.UTC(),
		Lat:        int64(l.Lat),
		Lng:        int64(l.Lon),
		Speed:      int32(l.Speed),
		Heading:    int32(l.Direction),
		Altitude:   int32(l.Altitude),
		Alarm:      uint32(l.Alarm),
		Status:     uint32(l.Status),
	}
	if l.Status.Has(jt808.StatusSouth) {
		p.Lat = -p.Lat
	}
	if l.Status.Has(jt808.StatusWest) {
		p.Lng = -p.Lng
	}
	if l.Mileage != nil {
		p.Mileage = sql.Null[int64]{V: int64(*l.Mileage) * 100, Valid: true}
	}
	if l.Fuel != nil {
		p.Fuel = sql.Null[int32]{V: int32(*l.Fuel), Valid: true}
	}
	if len(l.Extras) > 0 {
		var b []byte
		for _, e := range l.Extras {
			b = append(b, e.ID, byte(len(e.Data)))
			b = append(b, e.Data...)
		}
		p.Extras = hex.EncodeToString(b)
	}
	return p
}

// Latitude returns the latitude in degrees.
func (p Position) Latitude() float64 { return float64(p.Lat) / 1e6 }

// Longitude returns the longitude in degrees.
func (p Position) Longitude() float64 { return float64(p.Lng) / 1e6 }
