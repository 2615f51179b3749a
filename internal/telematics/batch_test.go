package telematics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"govfleet/internal/beijing"
)

// The merge reads back exactly what the append wrote: every column, nulls,
// negative numbers and strings that need escaping (issue 5).
func TestParseBatchRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 500_000_000, beijing.Zone)
	ps := []Position{
		{VehicleID: 7, Phone: "013800000001", At: at, ReceivedAt: at.Add(300 * time.Millisecond), Lat: 31780000, Lng: 119950000,
			Speed: 450, Heading: 359, Altitude: -12, Alarm: 1 << 31, Status: 3, Mileage: sql.Null[int64]{V: 123400, Valid: true},
			Fuel: sql.Null[int32]{V: 455, Valid: true}, Extras: "e10401020304", Invalid: InvalidFuture},
		{Phone: `a"b\c` + "\x01\x1f é", At: at.Add(time.Second), ReceivedAt: at, Lat: -1, Lng: -2},
	}
	rows, err := parseBatch(string(appendRowsJSON(nil, ps)), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []batchRow{
		{int64(7), "013800000001", "2026-11-20 00:00:00.5+00:00", "2026-11-20 00:00:00.8+00:00", int64(31780000), int64(119950000),
			int64(450), int64(359), int64(-12), int64(1 << 31), int64(3), int64(123400), int64(455), "e10401020304", int64(4)},
		{nil, `a"b\c` + "\x01\x1f é", "2026-11-20 00:00:01.5+00:00", "2026-11-20 00:00:00.5+00:00", int64(-1), int64(-2),
			int64(0), int64(0), int64(0), int64(0), int64(0), nil, nil, "", int64(0)},
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
		`[[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,"",8,9]]`,
		`[[7,"1","2026-11-20 00:00:00+00:00","2026-11-20 00:00:00+00:00",1,2,3,4,5,6,7,null,null,"",null]]`,
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
	// A row of 14 columns, appended before positions had invalid, is a valid fix.
	if rows, err := parseBatch("["+good+"]", nil); err != nil || len(rows) != 1 || rows[0][14] != int64(Valid) {
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

// 19,000 terminals' reports in the order they arrive, 10 s of them at
// 20,000 a second, come out in key order (terminal, then time), a
// terminal's late blind-area report in its place.
func TestSortByKey(t *testing.T) {
	rows := mergeRowsFixture(19_000, 200_000)
	// A blind-area report from before the others of its terminal, last.
	late := rows[0]
	late[2] = "2026-11-20 07:59:59.000000"
	rows = append(rows, late)
	refs := sortByKey(context.Background(), rows, nil)
	if len(refs) != len(rows) {
		t.Fatalf("%d rows sorted, want %d", len(refs), len(rows))
	}
	for i := 1; i < len(refs); i++ {
		a, b := refs[i-1], refs[i]
		if a.phone() > b.phone() || a.phone() == b.phone() && a.at() > b.at() {
			t.Fatalf("row %d (%s %s) before row %d (%s %s)", i-1, a.phone(), a.at(), i, b.phone(), b.at())
		}
	}
	if refs[0] != &rows[len(rows)-1] {
		t.Errorf("first row %s %s, want the late report of %s", refs[0].phone(), refs[0].at(), late.phone())
	}
}

// BenchmarkSortByKey: the sort of a 10 s merge at 20,000 reports/s.
func BenchmarkSortByKey(b *testing.B) {
	rows := mergeRowsFixture(19_000, 200_000)
	for b.Loop() {
		sortByKey(context.Background(), rows, nil)
	}
}

// mergeRowsFixture returns n rows of terminals reporting in turn, a second
// apart each.
func mergeRowsFixture(terminals, n int) []batchRow {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	rows := make([]batchRow, n)
	for i := range rows {
		rows[i][1] = fmt.Sprintf("1480%07d", (i*7919)%terminals)
		rows[i][2] = at.Add(time.Duration(i/terminals) * time.Second).Format("2006-01-02 15:04:05.000000")
	}
	return rows
}
