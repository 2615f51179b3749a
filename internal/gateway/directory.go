package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// Directory knows the terminals and the vehicles they are fitted to. The
// vehicle registry implements it; MemDirectory serves tests and the
// simulator. Phones are passed normalised (telematics.NormalizePhone).
type Directory interface {
	// Register handles a terminal registration (0x0100) and returns the
	// 0x8100 result (jt808.RegisterOK … jt808.RegisterNoSuchTerminal) and,
	// on success, the authentication code.
	Register(ctx context.Context, phone string, reg jt808.Register) (result byte, authCode string, err error)
	// Authenticate checks a terminal's authentication code (0x0102) and
	// returns the vehicle it is bound to (0 for none).
	Authenticate(ctx context.Context, phone, authCode string) (vehicleID int64, ok bool, err error)
}

// MemTerminal is a terminal known to a MemDirectory.
type MemTerminal struct {
	Phone     string // terminal phone (leading zeros are ignored)
	VehicleID int64
	Plate     string // plate of the vehicle; a registration naming another plate is refused
	// AuthCode, when set, makes the terminal registered already with this code.
	AuthCode string
}

// MemDirectory is an in-memory Directory. Registering an already registered
// terminal again returns the same code (terminals re-register after losing
// it), unless another device (terminal ID) claims the phone.
type MemDirectory struct {
	mu    sync.Mutex
	terms map[string]*memEntry
}

type memEntry struct {
	MemTerminal
	terminalID string
}

// NewMemDirectory returns a directory of ts.
func NewMemDirectory(ts ...MemTerminal) *MemDirectory {
	d := &MemDirectory{terms: map[string]*memEntry{}}
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
	d.terms[t.Phone] = &memEntry{MemTerminal: t}
}

// Register implements Directory.
func (d *MemDirectory) Register(_ context.Context, phone string, reg jt808.Register) (byte, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.terms[telematics.NormalizePhone(phone)]
	if !ok {
		return jt808.RegisterNoSuchTerminal, "", nil
	}
	if reg.Plate != "" && e.Plate != "" && reg.PlateColor != jt808.PlateNone && reg.Plate != e.Plate {
		return jt808.RegisterNoSuchVehicle, "", nil
	}
	if e.AuthCode != "" && e.terminalID != "" && reg.TerminalID != e.terminalID {
		return jt808.RegisterTerminalTaken, "", nil
	}
	if e.AuthCode == "" {
		b := make([]byte, 8)
		rand.Read(b)
		e.AuthCode = hex.EncodeToString(b)
	}
	e.terminalID = reg.TerminalID
	return jt808.RegisterOK, e.AuthCode, nil
}

// Authenticate implements Directory.
func (d *MemDirectory) Authenticate(_ context.Context, phone, code string) (int64, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.terms[telematics.NormalizePhone(phone)]
	if !ok || e.AuthCode == "" || code != e.AuthCode {
		return 0, false, nil
	}
	return e.VehicleID, true, nil
}
