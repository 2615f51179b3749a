package fleet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
)

// Directory is the registry seen by the JT/T 808 gateway (it implements
// gateway.Directory): a terminal registers with the phone (SIM) it was
// registered under in the terminals table, and authenticates with the
// code the registration returned (issue 20: a SIM number is not an
// identity).
//
// A registration (0x0100) must match the registry: the terminal ID of the
// terminal registered under that SIM, its maker where the registry records
// the maker's ID, and the plate of the vehicle it is bound to when the
// body carries one. A refusal is answered with the standard's result, kept
// on the terminal (refused_at, refused_reason, refused_from) and logged.
// An accepted registration issues a new random code, of which only the
// SHA-256 is stored: registering again issues another, and the old one
// stops working.
type Directory struct {
	DB  *store.DB
	Now func() time.Time // tests; zero: time.Now
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// phoneVariants returns the spellings a normalised phone may be stored
// under: itself and left-padded with zeros up to 20 digits (JT/T 808 BCD
// headers pad to 12 or 20 digits, registries keep what was typed). It
// lets the lookup use the unique index on terminals.sim.
func phoneVariants(phone string) []any {
	p := strings.TrimLeft(phone, "0")
	if p == "" {
		p = "0"
	}
	out := []any{p}
	for s := p; len(s) < 20; {
		s = "0" + s
		out = append(out, s)
	}
	return out
}

type dirTerminal struct {
	ID          int64
	TerminalNo  string
	Maker       string
	InstallDate string
	AuthHash    string
	VehicleID   *int64
	Plate       *string
}

func (d *Directory) lookup(ctx context.Context, phone string) (*dirTerminal, error) {
	vs := phoneVariants(phone)
	q := `SELECT t.id, t.terminal_no, t.maker, t.install_date, t.auth_hash, t.vehicle_id, v.plate FROM terminals t
		LEFT JOIN vehicles v ON v.id = t.vehicle_id WHERE t.sim IN (?` + strings.Repeat(", ?", len(vs)-1) + ") ORDER BY t.id LIMIT 1"
	var t dirTerminal
	if err := d.DB.R.QueryRowContext(ctx, q, vs...).Scan(&t.ID, &t.TerminalNo, &t.Maker, &t.InstallDate, &t.AuthHash, &t.VehicleID, &t.Plate); err != nil {
		err = store.Translate(err)
		if errs.Is(err, errs.NotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("terminal %s: %w", phone, err)
	}
	return &t, nil
}

// terminalIDLen is the terminal ID field of the 2011 and 2013 editions (7
// bytes); a registry number longer than that (a maker's prefix kept with
// it) matches a body carrying its last 7 characters.
const terminalIDLen = 7

func sameTerminalID(registered, sent string) bool {
	registered, sent = strings.ToUpper(registered), strings.ToUpper(strings.TrimSpace(sent))
	return sent == registered || len(registered) > terminalIDLen && len(sent) == terminalIDLen && strings.HasSuffix(registered, sent)
}

// makerIDRe: the registry's maker is compared only when it is a maker's
// ID as terminals send it (letters and digits, up to 11); a maker's name
// cannot be.
var makerIDRe = regexp.MustCompile(`^[0-9A-Za-z]{1,11}$`)

func hashCode(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

// Register implements gateway.Directory. Results (JT/T 808-2013 table 8):
// 4 no such terminal (unknown SIM, another terminal ID or maker), 3
// terminal already registered (the terminal ID is registered under another
// SIM), 2 no such vehicle (bound to none, or the plate is no vehicle's), 1
// vehicle already registered (the plate is another vehicle's), else 0 and
// a new code.
func (d *Directory) Register(ctx context.Context, phone, from string, reg jt808.Register) (byte, string, error) {
	t, err := d.lookup(ctx, phone)
	if err != nil {
		return 0, "", err
	}
	if t == nil {
		return jt808.RegisterNoSuchTerminal, "", nil
	}
	res, reason, err := d.match(ctx, t, reg)
	if err != nil {
		return 0, "", err
	}
	now := d.now()
	if res != jt808.RegisterOK {
		_, err := d.DB.W.ExecContext(ctx, "UPDATE terminals SET refused_at = ?, refused_reason = ?, refused_from = ? WHERE id = ?",
			now, reason, from, t.ID)
		return res, "", store.Translate(err)
	}
	b := make([]byte, 12)
	rand.Read(b)
	code := hex.EncodeToString(b)
	if _, err := d.DB.W.ExecContext(ctx, "UPDATE terminals SET auth_hash = ?, registered_at = ? WHERE id = ?", hashCode(code), now, t.ID); err != nil {
		return 0, "", store.Translate(err)
	}
	return jt808.RegisterOK, code, nil
}

// match checks a registration against the registry's terminal t and
// returns the result and, for a refusal, the reason in words.
func (d *Directory) match(ctx context.Context, t *dirTerminal, reg jt808.Register) (byte, string, error) {
	if !sameTerminalID(t.TerminalNo, reg.TerminalID) {
		var other int
		err := d.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM terminals WHERE terminal_no = ?", strings.ToUpper(strings.TrimSpace(reg.TerminalID))).Scan(&other)
		if err != nil {
			return 0, "", store.Translate(err)
		}
		if other > 0 {
			return jt808.RegisterTerminalTaken, fmt.Sprintf("终端ID %s 已登记在其他SIM卡下", reg.TerminalID), nil
		}
		return jt808.RegisterNoSuchTerminal, fmt.Sprintf("终端ID %s 与登记的 %s 不符", reg.TerminalID, t.TerminalNo), nil
	}
	if makerIDRe.MatchString(t.Maker) && !strings.EqualFold(strings.TrimSpace(reg.Maker), t.Maker) {
		return jt808.RegisterNoSuchTerminal, fmt.Sprintf("制造商ID %s 与登记的 %s 不符", reg.Maker, t.Maker), nil
	}
	if t.VehicleID == nil {
		return jt808.RegisterNoSuchVehicle, "终端未绑定车辆", nil
	}
	plate := strings.TrimSpace(reg.Plate)
	if reg.PlateColor == jt808.PlateNone || plate == "" || t.Plate == nil || plate == *t.Plate {
		return jt808.RegisterOK, "", nil
	}
	var other int
	if err := d.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM vehicles WHERE plate = ?", plate).Scan(&other); err != nil {
		return 0, "", store.Translate(err)
	}
	if other > 0 {
		return jt808.RegisterVehicleRegistered, fmt.Sprintf("车牌 %s 是另一辆车，终端绑定的是 %s", plate, *t.Plate), nil
	}
	return jt808.RegisterNoSuchVehicle, fmt.Sprintf("车牌 %s 不在车辆登记中，终端绑定的是 %s", plate, *t.Plate), nil
}

// Authenticate implements gateway.Directory: the code must be the one the
// terminal's last accepted registration issued; it returns the vehicle the
// terminal is bound to now (0 for none: its reports are kept without a
// vehicle) and its installation date.
func (d *Directory) Authenticate(ctx context.Context, phone, code string) (vehicleID int64, installed time.Time, ok bool, err error) {
	t, err := d.lookup(ctx, phone)
	if err != nil || t == nil || t.AuthHash == "" {
		return 0, time.Time{}, false, err
	}
	if subtle.ConstantTimeCompare([]byte(hashCode(code)), []byte(t.AuthHash)) != 1 {
		return 0, time.Time{}, false, nil
	}
	if t.VehicleID != nil {
		vehicleID = *t.VehicleID
	}
	if day, err := beijing.ParseDate(t.InstallDate); err == nil {
		installed = day
	}
	return vehicleID, installed, true, nil
}

// Identities returns the terminal ID and plate of each of phones (as
// stored) bound to a vehicle: how the demo's simulated terminals register.
func (d *Directory) Identities(ctx context.Context, phones []string) (map[string]jt808.Register, error) {
	out := make(map[string]jt808.Register, len(phones))
	if len(phones) == 0 {
		return out, nil
	}
	rows, err := d.DB.R.QueryContext(ctx, `SELECT t.sim, t.terminal_no, v.plate FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id
		WHERE t.sim IN (?`+strings.Repeat(", ?", len(phones)-1)+`)`, anys(phones)...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sim, no, plate string
		if err := rows.Scan(&sim, &no, &plate); err != nil {
			return nil, err
		}
		out[sim] = jt808.Register{TerminalID: no, PlateColor: jt808.PlateBlue, Plate: plate}
	}
	return out, rows.Err()
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// BoundPhones returns up to n terminal phones (as stored) bound to a
// vehicle that is not disposed, those of vehicles lent to another level
// the borrower sees them on its map) and then of vehicles on a task
// (an order departed) first: the demo's simulated fleet drives them.
func (d *Directory) BoundPhones(ctx context.Context, n int) ([]string, error) {
	rows, err := d.DB.R.QueryContext(ctx, `SELECT t.sim FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id
		WHERE v.status <> 'disposed' AND v.exempt = ?
		ORDER BY CASE WHEN EXISTS (SELECT 1 FROM loan_vehicles lv JOIN loans l ON l.id = lv.loan_id WHERE lv.vehicle_id = v.id AND l.state = 'approved') THEN 0
			WHEN EXISTS (SELECT 1 FROM orders o WHERE o.vehicle_id = v.id AND o.state = 'departed') THEN 1 ELSE 2 END, t.id
		LIMIT ?`, false, n)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
