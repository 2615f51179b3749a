package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// Directory knows the terminals and the vehicles they are fitted to. The
// vehicle registry implements it; MemDirectory serves tests and the
// simulator. Phones are passed normalised (telematics.NormalizePhone).
type Directory interface {
	// Register handles a terminal registration (0x0100) received from the
	// address from and returns the 0x8100 result (jt808.RegisterOK …
	// jt808.RegisterNoSuchTerminal) and, on success, a new authentication
	// code (the previous one stops working).
	Register(ctx context.Context, phone, from string, reg jt808.Register) (result byte, authCode string, err error)
	// Authenticate checks a terminal's authentication code (0x0102) and
	// returns the vehicle it is bound to (0 for none) and the day it was
	// installed (zero when unknown).
	Authenticate(ctx context.Context, phone, authCode string) (vehicleID int64, installed time.Time, ok bool, err error)
}

// MemTerminal is a terminal known to a MemDirectory.
type MemTerminal struct {
	Phone      string // terminal phone (leading zeros are ignored)
	TerminalID string // when set, a registration naming another terminal ID is refused
	VehicleID  int64
	Plate      string // plate of the vehicle; a registration naming another plate is refused
	Installed  time.Time
	// AuthCode, when set, makes the terminal registered already with this code.
	AuthCode string
}

// MemDirectory is an in-memory Directory. Like the registry, each
// registration issues a new code.
type MemDirectory struct {
	mu    sync.Mutex
	terms map[string]*MemTerminal
}

// NewMemDirectory returns a directory of ts.
func NewMemDirectory(ts ...MemTerminal) *MemDirectory {
	d := &MemDirectory{terms: map[string]*MemTerminal{}}
	for _, t := range ts {
		d.Add(t)
	}
	return d
}

// Add adds or replaces a terminal.
func (d *MemDirectory) Add(t MemTerminal) {
	t.Phone = telematics.NormalizePhone(t.Phone)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.terms[t.Phone] = &t
}

// Register implements Directory.
func (d *MemDirectory) Register(_ context.Context, phone, _ string, reg jt808.Register) (byte, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.terms[telematics.NormalizePhone(phone)]
	if !ok || e.TerminalID != "" && reg.TerminalID != e.TerminalID {
		return jt808.RegisterNoSuchTerminal, "", nil
	}
	if reg.Plate != "" && e.Plate != "" && reg.PlateColor != jt808.PlateNone && reg.Plate != e.Plate {
		return jt808.RegisterNoSuchVehicle, "", nil
	}
	b := make([]byte, 8)
	rand.Read(b)
	e.AuthCode = hex.EncodeToString(b)
	return jt808.RegisterOK, e.AuthCode, nil
}

// Authenticate implements Directory.
func (d *MemDirectory) Authenticate(_ context.Context, phone, code string) (int64, time.Time, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.terms[telematics.NormalizePhone(phone)]
	if !ok || e.AuthCode == "" || code != e.AuthCode {
		return 0, time.Time{}, false, nil
	}
	return e.VehicleID, e.Installed, true, nil
}
