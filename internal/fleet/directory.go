package fleet

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"govfleet/internal/errs"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
)

// Directory is the registry seen by the JT/T 808 gateway (it implements
// gateway.Directory): a terminal registers with the phone (SIM) it was
// registered under in the terminals table, and authenticates with the
// code the registration returned.
//
// The authentication code is not stored: it is an HMAC-SHA-256 of the
// terminal's row id and normalised phone under a server secret kept in
// settings ("gateway.auth_secret", made on first use). So no migration is
// needed, a terminal that lost its code gets the same one by registering
// again, a SIM moved to a new terminal row gets a new code (the old
// device's code stops working), and rotating the secret (deleting the
// setting) revokes every code at once — terminals then simply register
// again, which they do by protocol when authentication fails.
type Directory struct {
	DB *store.DB

	mu     sync.Mutex
	secret []byte
}

const secretKey = "gateway.auth_secret"

func (d *Directory) key(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.secret != nil {
		return d.secret, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	// Insert if absent, then read whichever secret is there.
	if _, err := d.DB.W.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
		secretKey, hex.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("gateway secret: %w", store.Translate(err))
	}
	var v string
	if err := d.DB.R.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", secretKey).Scan(&v); err != nil {
		return nil, fmt.Errorf("gateway secret: %w", store.Translate(err))
	}
	k, err := hex.DecodeString(v)
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("gateway secret: setting %s is not a hex key", secretKey)
	}
	d.secret = k
	return k, nil
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
	ID        int64
	SIM       string
	VehicleID *int64
}

func (d *Directory) lookup(ctx context.Context, phone string) (*dirTerminal, error) {
	vs := phoneVariants(phone)
	q := "SELECT id, sim, vehicle_id FROM terminals WHERE sim IN (?" + strings.Repeat(", ?", len(vs)-1) + ") ORDER BY id LIMIT 1"
	var t dirTerminal
	if err := d.DB.R.QueryRowContext(ctx, q, vs...).Scan(&t.ID, &t.SIM, &t.VehicleID); err != nil {
		err = store.Translate(err)
		if errs.Is(err, errs.NotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("terminal %s: %w", phone, err)
	}
	return &t, nil
}

// AuthCode returns the authentication code of terminal row id with phone.
func (d *Directory) authCode(key []byte, id int64, phone string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(id, 10) + ":" + strings.TrimLeft(phone, "0")))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// Register implements gateway.Directory: 4 (no such terminal) for a phone
// the registry does not know, 2 (no such vehicle) for a terminal bound to
// no vehicle, else 0 and the code.
func (d *Directory) Register(ctx context.Context, phone string, _ jt808.Register) (byte, string, error) {
	t, err := d.lookup(ctx, phone)
	if err != nil {
		return 0, "", err
	}
	if t == nil {
		return jt808.RegisterNoSuchTerminal, "", nil
	}
	if t.VehicleID == nil {
		return jt808.RegisterNoSuchVehicle, "", nil
	}
	key, err := d.key(ctx)
	if err != nil {
		return 0, "", err
	}
	return jt808.RegisterOK, d.authCode(key, t.ID, phone), nil
}

// Authenticate implements gateway.Directory: the code must be the one
// Register gave this terminal; it returns the vehicle the terminal is
// bound to now (0 for none: its reports are kept without a vehicle).
func (d *Directory) Authenticate(ctx context.Context, phone, code string) (int64, bool, error) {
	t, err := d.lookup(ctx, phone)
	if err != nil || t == nil {
		return 0, false, err
	}
	key, err := d.key(ctx)
	if err != nil {
		return 0, false, err
	}
	if !hmac.Equal([]byte(code), []byte(d.authCode(key, t.ID, phone))) {
		return 0, false, nil
	}
	if t.VehicleID == nil {
		return 0, true, nil
	}
	return *t.VehicleID, true, nil
}

// BoundPhones returns up to n terminal phones (as stored) bound to a
// vehicle that is not disposed, those of vehicles on a task (an order
// departed) first: the demo's simulated fleet drives them.
func (d *Directory) BoundPhones(ctx context.Context, n int) ([]string, error) {
	rows, err := d.DB.R.QueryContext(ctx, `SELECT t.sim FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id
		WHERE v.status <> 'disposed' AND v.exempt = ?
		ORDER BY CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.vehicle_id = v.id AND o.state = 'departed') THEN 0 ELSE 1 END, t.id
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
