package telematics

import (
	"database/sql"
	"errors"
	"reflect"
	"testing"
	"time"
)

// The merge reads back exactly what the append wrote: every column, nulls,
// negative numbers and strings that need escaping (issue 5).
func TestParseBatchRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 500_000_000, time.FixedZone("CST", 8*3600))
	ps := []Position{
		{VehicleID: 7, Phone: "013800000001", At: at, ReceivedAt: at.Add(300 * time.Millisecond), Lat: 31780000, Lng: 119950000,
			Speed: 450, Heading: 359, Altitude: -12, Alarm: 1 << 31, Status: 3, Mileage: sql.Null[int64]{V: 123400, Valid: true},
			Fuel: sql.Null[int32]{V: 455, Valid: true}, Extras: "e10401020304"},
		{Phone: `a"b\c` + "\x01\x1f é", At: at.Add(time.Second), ReceivedAt: at, Lat: -1, Lng: -2},
	}
	rows, err := parseBatch(string(appendRowsJSON(nil, ps)), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []batchRow{
		{int64(7), "013800000001", "2026-11-20 00:00:00.5+00:00", "2026-11-20 00:00:00.8+00:00", int64(31780000), int64(119950000),
			int64(450), int64(359), int64(-12), int64(1 << 31), int64(3), int64(123400), int64(455), "e10401020304"},
		{nil, `a"b\c` + "\x01\x1f é", "2026-11-20 00:00:01.5+00:00", "2026-11-20 00:00:00.5+00:00", int64(-1), int64(-2),
			int64(0), int64(0), int64(0), int64(0), int64(0), nil, nil, ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("parsed\n%#v\nwant\n%#v", rows, want)
	}
	if d := batchDay(rows[0].at()); d != Day(ps[0].At) {
		t.Errorf("day %q, want %q", d, Day(ps[0].At))
	}
	// Appended to what is there.
	if rows, err = parseBatch(string(appendRowsJSON(nil, ps[:1])), rows); err != nil || len(rows) != 3 {
		t.Errorf("second batch: %d rows, %v", len(rows), err)
	}
	if rows, err := parseBatch("[]", nil); err != nil || len(rows) != 0 {
		t.Errorf("empty batch: %v %v", rows, err)
	}
}

// A damaged batch is an error (the merge stops and keeps it), never a row
// with wrong or missing values.
func TestParseBatchMalformed(t *testing.T) {
	good := `[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]`
	for _, s := range []string{
		"",
		"[",
		"[" + good,
		"[" + good + ",]",
		"[" + good + "]x",
		"{}",
		`[[7,"1"]]`,
		`[[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,"",8]]`,
		`[[7,null,"2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",null,2,3,4,5,6,7,null,null,""]]`,
		`[["7","1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1.5,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",99999999999999999999,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1\x","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1\u0100","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1\u00","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]]`,
		`[[7,"1`,
		`[[7,"1\`,
		`[[7,"1","2026-11-2","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,""]]`,
	} {
		if rows, err := parseBatch(s, nil); !errors.Is(err, errBatch) {
			t.Errorf("parseBatch(%q) = %v, %v; want errBatch", s, rows, err)
		}
	}
	if rows, err := parseBatch("["+good+"]", nil); err != nil || len(rows) != 1 {
		t.Fatalf("the good row: %v %v", rows, err)
	}
}

func FuzzParseBatch(f *testing.F) {
	f.Add(string(appendRowsJSON(nil, []Position{{VehicleID: 1, Phone: "1", Extras: `"\`}})))
	f.Add(`[[7,"1","2026-11-20 00:00:00+00:00","b",1,2,3,4,5,6,7,null,null,""]]`)
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := parseBatch(s, nil)
		if err != nil {
			return
		}
		for i := range rows {
			if err := rows[i].check(); err != nil {
				t.Fatalf("accepted a row with %v", err)
			}
			_ = batchDay(rows[i].at())
		}
	})
}
