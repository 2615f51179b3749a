package telematics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A batch in the SQLite inbox is the JSON text appendRowsJSON writes: an
// array of rows, each an array of the columns of positions (positionColumns)
// in order — integers, null, strings, the times as Bun writes them into
// SQLite. The merge reads it back with parseBatch, not with SQLite's JSON
// functions: re-parsing every row's text for each of its 14 columns was
// more than half of the merge's time (issue 5, Performance). A row of 14
// columns, written before positions had invalid (migration 0025) and left
// in the inbox by a crash, is a valid fix.

// batchColumns is the number of columns of a row of a batch.
const batchColumns = 15

// batchRow is one row of a batch: the values to bind for positionColumns
// (int64, string or nil).
type batchRow [batchColumns]any

// phone and at are the row's key in positions.
func (r *batchRow) phone() string { return r[1].(string) }
func (r *batchRow) at() string    { return r[2].(string) }

// appendRowsJSON appends rows as the JSON array parseBatch reads.
func appendRowsJSON(b []byte, rows []Position) []byte {
	b = append(b, '[')
	for i, p := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		if p.VehicleID != 0 {
			b = strconv.AppendInt(b, p.VehicleID, 10)
		} else {
			b = append(b, "null"...)
		}
		b = appendJSONString(append(b, ','), p.Phone)
		b = append(p.At.UTC().AppendFormat(append(b, `,"`...), sqliteTime), '"')
		b = append(p.ReceivedAt.UTC().AppendFormat(append(b, `,"`...), sqliteTime), '"')
		for _, v := range [...]int64{p.Lat, p.Lng, int64(p.Speed), int64(p.Heading), int64(p.Altitude), int64(p.Alarm), int64(p.Status)} {
			b = strconv.AppendInt(append(b, ','), v, 10)
		}
		b = append(b, ',')
		if p.Mileage.Valid {
			b = strconv.AppendInt(b, p.Mileage.V, 10)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, ',')
		if p.Fuel.Valid {
			b = strconv.AppendInt(b, int64(p.Fuel.V), 10)
		} else {
			b = append(b, "null"...)
		}
		b = appendJSONString(append(b, ','), p.Extras)
		b = strconv.AppendInt(append(b, ','), int64(p.Invalid), 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

var errBatch = errors.New("malformed positions batch")

// parseBatch appends the rows of batch s to dst. Strings without escapes
// are slices of s, not copies.
func parseBatch(s string, dst []batchRow) ([]batchRow, error) {
	p := batchParser{s: s}
	if !p.eat('[') {
		return dst, p.fail("expected [")
	}
	if p.eat(']') {
		return dst, p.end()
	}
	for {
		var r batchRow
		if !p.eat('[') {
			return dst, p.fail("expected a row")
		}
		for i := range r {
			if i == batchColumns-1 && p.s[p.i:min(p.i+1, len(p.s))] == "]" {
				r[i] = int64(Valid) // a row written before invalid
				break
			}
			if i > 0 && !p.eat(',') {
				return dst, p.fail("expected ,")
			}
			v, err := p.value()
			if err != nil {
				return dst, err
			}
			r[i] = v
		}
		if !p.eat(']') {
			return dst, p.fail("expected ] after the row's columns")
		}
		if err := r.check(); err != nil {
			return dst, p.fail(err.Error())
		}
		dst = append(dst, r)
		if p.eat(']') {
			return dst, p.end()
		}
		if !p.eat(',') {
			return dst, p.fail("expected , or ]")
		}
	}
}

// check checks the types of r's values against the columns of positions
// (vehicle_id, mileage and fuel may be null, the others may not) and that
// at starts with a date (batchDay).
func (r *batchRow) check() error {
	for i, v := range r {
		var ok bool
		switch i {
		case 0, 11, 12:
			_, ok = v.(int64)
			ok = ok || v == nil
		case 1, 2, 3, 13:
			_, ok = v.(string)
		default:
			_, ok = v.(int64)
		}
		if !ok {
			return fmt.Errorf("column %d of a row is %T", i, v)
		}
	}
	if at := r.at(); len(at) < len(time.DateOnly) {
		return fmt.Errorf("at %q is no time", at)
	}
	return nil
}

type batchParser struct {
	s string
	i int
}

func (p *batchParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *batchParser) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errBatch, what, p.i)
}

func (p *batchParser) end() error {
	if p.i != len(p.s) {
		return p.fail("text after the batch")
	}
	return nil
}

// value reads null, an integer or a string.
func (p *batchParser) value() (any, error) {
	s, i := p.s, p.i
	switch {
	case strings.HasPrefix(s[i:], "null"):
		p.i += 4
		return nil, nil
	case i < len(s) && s[i] == '"':
		return p.str()
	}
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(s[i:j], 10, 64)
	if err != nil {
		return nil, p.fail("expected null, an integer or a string")
	}
	p.i = j
	return n, nil
}

// str reads a string as appendJSONString writes it (escapes \" \\ \u00XX).
func (p *batchParser) str() (string, error) {
	s := p.s
	start := p.i + 1
	j := start
	for j < len(s) && s[j] != '"' && s[j] != '\\' {
		j++
	}
	if j < len(s) && s[j] == '"' {
		p.i = j + 1
		return s[start:j], nil
	}
	var b strings.Builder
	b.WriteString(s[start:j])
	for j < len(s) {
		switch c := s[j]; c {
		case '"':
			p.i = j + 1
			return b.String(), nil
		case '\\':
			if j+1 >= len(s) {
				p.i = j
				return "", p.fail("unterminated escape")
			}
			switch e := s[j+1]; e {
			case '"', '\\', '/':
				b.WriteByte(e)
				j += 2
			case 'u':
				if j+6 > len(s) {
					p.i = j
					return "", p.fail("short \\u escape")
				}
				v, err := strconv.ParseUint(s[j+2:j+6], 16, 16)
				if err != nil || v > 0xff {
					p.i = j
					return "", p.fail("unsupported \\u escape")
				}
				b.WriteByte(byte(v))
				j += 6
			default:
				p.i = j
				return "", p.fail("unsupported escape")
			}
		default:
			b.WriteByte(c)
			j++
		}
	}
	p.i = j
	return "", p.fail("unterminated string")
}

// sqliteTime is how Bun writes a time into SQLite (text): the times of a
// batch must compare with those written by Bun and with the bounds of
// queries.
const sqliteTime = "2006-01-02 15:04:05.999999-07:00"

// batchDay is the key of position_days for a time of a batch (UTC, as sqliteTime
// writes it): its date, as Day gives it.
func batchDay(at string) string { return at[:len(time.DateOnly)] }
