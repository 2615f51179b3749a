package fleet_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/org"
)

func str(s string) *string { return &s }
func num(i int) *int       { return &i }
func id(i int64) *int64    { return &i }

var seq int

func vin(n int) string {
	first := fmt.Sprintf("LFPH3ACB0N1%06d", n)
	c, _ := check.VINCheckChar(first)
	return first[:8] + string(c) + first[9:]
}

// validVehicle is a correct new vehicle in unit.
func validVehicle(unit int64) fleet.VehicleInput {
	seq++
	return fleet.VehicleInput{UnitID: id(unit), Plate: str(fmt.Sprintf("苏E%05d", 20000+seq)), Category: str("other"), Brand: str("红旗"),
		Model: str("H5"), VIN: str(vin(300000 + seq)), Seats: num(5), EnergyType: str("petrol"), Displacement: num(1798),
		PurchaseDate: str("2021-03-01"), VehicleClass: str("small"), DocNo: str("常机管〔2021〕8号")}
}

func idCard(n int) string {
	first := fmt.Sprintf("32041119850601%03d", n%1000)
	c, _ := check.IDCardCheckChar(first)
	return first + string(c)
}

func validDriver(unit int64) fleet.DriverInput {
	seq++
	return fleet.DriverInput{UnitID: id(unit), Name: str("陈国平"), IDCard: str(idCard(seq)), Phone: str("13905196688"),
		LicenceClass: str("C1"), LicenceExpiry: str("2032-05-01")}
}

func pngBytes(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{0, 0, 200, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// newUnit creates a unit with a quota under parent.
func newUnit(t *testing.T, w *apptest.World, parent int64, name string, quota int) int64 {
	t.Helper()
	seq++
	first := fmt.Sprintf("11320402%09d", 500000+seq)
	c, _ := check.CreditCodeCheckChar(first)
	u, err := w.Org.Create(context.Background(), w.Actor(t, "city_admin"), org.KindUnit, org.Input{ParentID: id(parent), Name: str(name),
		CreditCode: str(first + string(c)), UnitType: str("government"), VehicleQuota: num(quota)})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func unitCount(t *testing.T, w *apptest.World, unit int64) (count, quota int) {
	t.Helper()
	var u org.Unit
	if err := w.DB.R.NewSelect().Model(&u).Where("id = ?", unit).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return u.VehicleCount, u.VehicleQuota
}

func fieldOf(err error) (errs.Code, string, string) {
	e, ok := err.(*errs.Error)
	if !ok {
		return errs.CodeOf(err), "", fmt.Sprint(err)
	}
	// The first field in name order, so a case that trips two checks fails
	// the same way on every run.
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		return e.Code, f, e.Fields[f]
	}
	return e.Code, "", e.Message
}

func TestVehicleValidation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		tn := w.UnitID(t, "天宁区城市管理局")
		zl := w.UnitID(t, "钟楼区财政局")
		admin := w.Actor(t, "tn_admin")
		existing, err := w.Fleet.CreateVehicle(ctx, admin, validVehicle(tn))
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			mutate func(in *fleet.VehicleInput)
			code   errs.Code
			field  string
			msg    string
		}{
			{"bad plate province", func(in *fleet.VehicleInput) { in.Plate = str("A D12345") }, errs.Invalid, "plate", "车牌号格式不正确"},
			{"short plate", func(in *fleet.VehicleInput) { in.Plate = str("苏D1234") }, errs.Invalid, "plate", "车牌号格式不正确：位数不对"},
			{"trainer plate", func(in *fleet.VehicleInput) { in.Plate = str("苏D1234学") }, errs.Invalid, "plate", "教练车"},
			{"bad VIN check digit", func(in *fleet.VehicleInput) {
				v := []byte(vin(999))
				v[8] = map[byte]byte{'X': '1'}[v[8]] | ('0' + (v[8]-'0'+1)%10)
				in.VIN = str(string(v))
			}, errs.Invalid, "vin", "车辆识别代号校验位不正确"},
			{"short VIN", func(in *fleet.VehicleInput) { in.VIN = str("LFP123") }, errs.Invalid, "vin", "车辆识别代号应为17位"},
			{"negative price", func(in *fleet.VehicleInput) { in.PurchasePrice = new(int64); *in.PurchasePrice = -1 }, errs.Invalid, "purchase_price", "购置价格不能为负数"},
			{"no category", func(in *fleet.VehicleInput) { in.Category = str("bus") }, errs.Invalid, "category", "请选择车辆类别"},
			{"zero seats", func(in *fleet.VehicleInput) { in.Seats = num(0) }, errs.Invalid, "seats", "核定座位数"},
			{"bad date", func(in *fleet.VehicleInput) { in.PurchaseDate = str("2021/13/01") }, errs.Invalid, "purchase_date", "购置日期格式"},
			{"exempt without reason", func(in *fleet.VehicleInput) { b := true; in.Exempt = &b }, errs.Invalid, "exempt_reason", "原因"},
			{"parking outside China", func(in *fleet.VehicleInput) { lat, lng := 0.0, 119.97; in.ParkingLat, in.ParkingLng = &lat, &lng }, errs.Invalid, "parking_lat", "纬度"},
			{"unknown licence class", func(in *fleet.VehicleInput) { in.VehicleClass = str("tank") }, errs.Invalid, "vehicle_class", "准驾车型"},
			{"duplicate plate", func(in *fleet.VehicleInput) { in.Plate = str(existing.Plate) }, errs.Conflict, "plate", "车牌号已登记"},
			{"duplicate VIN", func(in *fleet.VehicleInput) { in.VIN = str(existing.VIN) }, errs.Conflict, "vin", "车辆识别代号已登记"},
			{"district node as owner", func(in *fleet.VehicleInput) { in.UnitID = id(w.UnitID(t, "天宁区")) }, errs.Invalid, "unit_id", "具体单位"},
			{"unit outside scope", func(in *fleet.VehicleInput) { in.UnitID = id(zl) }, errs.Forbidden, "", "不在您的管辖范围内"},
		}
		vehicles, audits := w.Count(t, "vehicles"), w.Count(t, "audit_log")
		count, _ := unitCount(t, w, tn)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := validVehicle(tn)
				c.mutate(&in)
				_, err := w.Fleet.CreateVehicle(ctx, admin, in)
				code, field, msg := fieldOf(err)
				if code != c.code || field != c.field || !strings.Contains(msg, c.msg) {
					t.Errorf("got %s %q %q, want %s %q containing %q", code, field, msg, c.code, c.field, c.msg)
				}
			})
		}
		if n := w.Count(t, "vehicles"); n != vehicles {
			t.Errorf("refused creates wrote vehicles: %d → %d", vehicles, n)
		}
		if n := w.Count(t, "audit_log"); n != audits {
			t.Errorf("refused creates wrote audit entries: %d → %d", audits, n)
		}
		if n, _ := unitCount(t, w, tn); n != count {
			t.Errorf("refused creates changed the count: %d → %d", count, n)
		}
		// Normalisation: lower case and spaces are stored canonically.
		in := validVehicle(tn)
		in.Plate = str(" 苏d·a1b2c ")
		v, err := w.Fleet.CreateVehicle(ctx, admin, in)
		if err != nil || v.Plate != "苏DA1B2C" {
			t.Fatalf("normalised plate: %v %+v", err, v)
		}
		// Registration counts as the first confirmation: a new record is not stale.
		if !v.Incomplete || !strings.Contains(strings.Join(v.Missing, ","), "车头照片") || !v.NoTerminal || v.Stale || v.ConfirmedAt == nil {
			t.Errorf("new vehicle flags: incomplete %v missing %v no_terminal %v stale %v", v.Incomplete, v.Missing, v.NoTerminal, v.Stale)
		}
	})
}

func TestScopeTransferAndHistory(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		tnAdmin, zlAdmin, city := w.Actor(t, "tn_admin"), w.Actor(t, "zl_admin"), w.Actor(t, "city_admin")
		tn := w.UnitID(t, "天宁区")
		a := newUnit(t, w, tn, "天宁区测试甲局", 1)
		b := newUnit(t, w, tn, "天宁区测试乙局", 1)
		zl := w.UnitID(t, "钟楼区财政局")
		v, err := w.Fleet.CreateVehicle(ctx, tnAdmin, validVehicle(a))
		if err != nil {
			t.Fatal(err)
		}
		// Another district neither sees nor edits it.
		if _, err := w.Fleet.GetVehicle(ctx, zlAdmin, v.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("zl_admin reads 天宁区's vehicle: %v", err)
		}
		if _, err := w.Fleet.UpdateVehicle(ctx, zlAdmin, v.ID, fleet.VehicleInput{Colour: str("红色")}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("zl_admin edits 天宁区's vehicle: %v", err)
		}
		items, n, err := w.Fleet.ListVehicles(ctx, zlAdmin, fleet.VehicleFilter{Q: v.Plate, Page: 1, Size: 20})
		if err != nil || n != 0 || len(items) != 0 {
			t.Errorf("zl_admin lists 天宁区's vehicle: %v %d", err, n)
		}
		if _, _, err := w.Fleet.ListVehicles(ctx, zlAdmin, fleet.VehicleFilter{UnitID: a, Page: 1, Size: 20}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("zl_admin filters by 天宁区's unit: %v", err)
		}
		// A transfer needs both units in scope.
		if _, err := w.Fleet.Transfer(ctx, tnAdmin, v.ID, fleet.ChangeInput{UnitID: zl, Date: "2024-01-10", DocNo: "X1"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("transfer to another district: %v", err)
		}
		if _, err := w.Fleet.Transfer(ctx, tnAdmin, v.ID, fleet.ChangeInput{UnitID: b, Date: "2024-01-10"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("transfer without document number: %v", err)
		}
		if _, err := w.Fleet.Transfer(ctx, tnAdmin, v.ID, fleet.ChangeInput{UnitID: b, Date: "2020-01-10", DocNo: "X"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("transfer dated before the acquisition: %v", err)
		}
		if c, _ := unitCount(t, w, a); c != 1 {
			t.Errorf("refused transfers changed unit A's count to %d", c)
		}
		if _, err := w.Fleet.Transfer(ctx, tnAdmin, v.ID, fleet.ChangeInput{UnitID: b, Date: "2024-01-10", DocNo: "天机管调〔2024〕1号"}); err != nil {
			t.Fatal(err)
		}
		if ca, _ := unitCount(t, w, a); ca != 0 {
			t.Errorf("unit A count after transfer: %d", ca)
		}
		if cb, _ := unitCount(t, w, b); cb != 1 {
			t.Errorf("unit B count after transfer: %d", cb)
		}
		if _, err := w.Fleet.ChangeCategory(ctx, tnAdmin, v.ID, fleet.ChangeInput{Category: "emergency", Date: "2024-06-01", DocNo: "天机管〔2024〕9号"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Fleet.Dispose(ctx, city, v.ID, fleet.ChangeInput{Date: "2025-03-01", DocNo: "常机管处〔2025〕2号"}); err != nil {
			t.Fatal(err)
		}
		if cb, _ := unitCount(t, w, b); cb != 0 {
			t.Errorf("disposed vehicle still counts: %d", cb)
		}
		held := []struct {
			unit     int64
			date     string
			want     int
			category string
		}{
			{a, "2021-02-28", 0, ""}, {a, "2021-03-01", 1, "other"}, {a, "2024-01-09", 1, "other"}, {a, "2024-01-10", 0, ""},
			{b, "2024-01-10", 1, "other"}, {b, "2024-06-01", 1, "emergency"}, {b, "2025-02-28", 1, "emergency"}, {b, "2025-03-01", 0, ""},
		}
		for _, h := range held {
			got, err := w.Fleet.VehiclesOn(ctx, tnAdmin, h.unit, h.date)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != h.want || (h.want == 1 && got.Vehicles[0].Category != h.category) {
				t.Errorf("unit %d on %s: %+v, want %d %s", h.unit, h.date, got.Vehicles, h.want, h.category)
			}
		}
		if _, err := w.Fleet.VehiclesOn(ctx, zlAdmin, a, "2022-01-01"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("zl_admin asks about 天宁区's unit: %v", err)
		}
		d, _ := w.Fleet.GetVehicle(ctx, tnAdmin, v.ID)
		if len(d.Changes) != 4 || d.Changes[1].Kind != "transfer" || d.Changes[1].DocNo != "天机管调〔2024〕1号" {
			t.Errorf("history: %+v", d.Changes)
		}
	})
}

// The demo: 600 vehicles, 10 disposed, and the reception car of the
// cross-region demo (internal/demo/partner.go).
func TestQuota(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city, tnAdmin := w.Actor(t, "city_admin"), w.Actor(t, "tn_admin")
		sum, err := w.Fleet.QuotaSummary(ctx, city, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total.OverUnits != 1 || sum.Total.Actual != 600-10+1 || len(sum.Districts) != 8 {
			t.Errorf("demo summary: %+v (%d districts)", sum.Total, len(sum.Districts))
		}
		tn := w.UnitID(t, "天宁区")
		u := newUnit(t, w, tn, "天宁区编制测试局", 1)
		for i := 0; i < 2; i++ {
			in := validVehicle(u)
			if i == 1 { // exempt vehicles count toward 实有
				b := true
				in.Exempt, in.ExemptReason = &b, str("investigation")
			}
			if _, err := w.Fleet.CreateVehicle(ctx, tnAdmin, in); err != nil {
				t.Fatal(err)
			}
		}
		if c, q := unitCount(t, w, u); c != 2 || q != 1 {
			t.Errorf("count %d quota %d", c, q)
		}
		units, _, err := w.Org.List(ctx, tnAdmin, org.Filter{OverQuota: true, Page: 1, Size: 50})
		if err != nil || len(units) != 1 || units[0].ID != u || !units[0].OverQuota {
			t.Errorf("over-quota units of 天宁区: %v %+v", err, units)
		}
		sum, err = w.Fleet.QuotaSummary(ctx, tnAdmin, 0)
		if err != nil || len(sum.Districts) != 1 || sum.Districts[0].District != "天宁区" || sum.Total.OverUnits != 1 {
			t.Errorf("天宁区 summary: %v %+v", err, sum)
		}
		vs, n, err := w.Fleet.ListVehicles(ctx, tnAdmin, fleet.VehicleFilter{OverQuota: true, Page: 1, Size: 50})
		if err != nil || n != 2 || !vs[0].UnitOverQuota {
			t.Errorf("vehicles of over-quota units: %v %d", err, n)
		}
		if _, err := w.Fleet.QuotaSummary(ctx, tnAdmin, w.UnitID(t, "钟楼区")); !errs.Is(err, errs.Forbidden) {
			t.Errorf("summary of another district: %v", err)
		}
	})
}

func TestTerminalsDriversPhotos(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		admin := w.Actor(t, "tn_admin")
		unit := w.UnitID(t, "天宁区城市管理局")
		v1, _ := w.Fleet.CreateVehicle(ctx, admin, validVehicle(unit))
		v2, _ := w.Fleet.CreateVehicle(ctx, admin, validVehicle(unit))
		bus := validVehicle(unit)
		bus.VehicleClass, bus.Seats, bus.Brand, bus.Model = str("large_bus"), num(23), str("丰田"), str("考斯特")
		v3, err := w.Fleet.CreateVehicle(ctx, admin, bus)
		if err != nil {
			t.Fatal(err)
		}
		// Terminals.
		for _, c := range []struct {
			in    fleet.TerminalInput
			field string
		}{
			{fleet.TerminalInput{UnitID: unit, TerminalNo: strings.Repeat("1", 31), SIM: "013905190001"}, "terminal_no"},
			{fleet.TerminalInput{UnitID: unit, TerminalNo: "T1", SIM: "139-0519"}, "sim"},
			{fleet.TerminalInput{UnitID: unit, TerminalNo: "T1", SIM: strings.Repeat("1", 21)}, "sim"},
		} {
			if _, err := w.Fleet.CreateTerminal(ctx, admin, c.in); !errs.Is(err, errs.Invalid) || err.(*errs.Error).Fields[c.field] == "" {
				t.Errorf("terminal %+v: %v", c.in, err)
			}
		}
		t1, err := w.Fleet.CreateTerminal(ctx, admin, fleet.TerminalInput{UnitID: unit, TerminalNo: "ZT0000001", SIM: "013905199001", InstallDate: "2024-05-01"})
		if err != nil {
			t.Fatal(err)
		}
		t2, err := w.Fleet.CreateTerminal(ctx, admin, fleet.TerminalInput{UnitID: unit, TerminalNo: "ZT0000002", SIM: "013905199002"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Fleet.CreateTerminal(ctx, admin, fleet.TerminalInput{UnitID: unit, TerminalNo: "ZT0000003", SIM: "013905199002"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate SIM: %v", err)
		}
		if _, err := w.Fleet.Bind(ctx, admin, t1.ID, v1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Fleet.Bind(ctx, admin, t1.ID, v2.ID); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), v1.Plate) {
			t.Errorf("terminal bound twice: %v", err)
		}
		if _, err := w.Fleet.Bind(ctx, admin, t2.ID, v1.ID); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "已绑定终端ZT0000001") {
			t.Errorf("vehicle with two terminals: %v", err)
		}
		if _, err := w.Fleet.Unbind(ctx, admin, t1.ID); err != nil {
			t.Fatal(err)
		}
		td, err := w.Fleet.Bind(ctx, admin, t1.ID, v2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(td.Bindings) != 2 || td.Bindings[0].Plate != v2.Plate || td.Bindings[1].Plate != v1.Plate || td.Bindings[1].UnboundAt == nil || td.Bindings[0].UnboundAt != nil {
			t.Errorf("binding history: %+v", td.Bindings)
		}
		vs, _, _ := w.Fleet.ListVehicles(ctx, admin, fleet.VehicleFilter{UnitID: unit, NoTerminal: true, Page: 1, Size: 200})
		for _, v := range vs {
			if v.ID == v2.ID || !v.NoTerminal {
				t.Errorf("no_terminal filter: %+v", v)
			}
		}

		// Drivers and licence classes.
		d, err := w.Fleet.CreateDriver(ctx, admin, validDriver(unit))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Fleet.MatchVehicles(ctx, admin, d.ID, []int64{v1.ID, v3.ID}); !errs.Is(err, errs.Invalid) || !strings.Contains(fmt.Sprint(err.(*errs.Error).Fields), "准驾车型为C1，不能驾驶车辆"+v3.Plate) {
			t.Errorf("C1 driver matched to a coach: %v", err)
		}
		if got, _ := w.Fleet.GetDriver(ctx, admin, d.ID); len(got.Vehicles) != 0 {
			t.Errorf("refused match wrote: %+v", got.Vehicles)
		}
		if got, err := w.Fleet.MatchVehicles(ctx, admin, d.ID, []int64{v1.ID, v2.ID}); err != nil || len(got.Vehicles) != 2 {
			t.Errorf("match: %v", err)
		}
		bad := validDriver(unit)
		bad.IDCard = str(idCard(1)[:17] + "0")
		if idCard(1)[17] == '0' {
			bad.IDCard = str(idCard(1)[:17] + "1")
		}
		if _, err := w.Fleet.CreateDriver(ctx, admin, bad); !errs.Is(err, errs.Invalid) || !strings.Contains(err.(*errs.Error).Fields["id_card"], "身份证号校验码不正确") {
			t.Errorf("bad ID card: %v", err)
		}
		// Masking for readers without fleet.write.
		applicant := w.Actor(t, "tn_cgj_approver")
		got, err := w.Fleet.GetDriver(ctx, applicant, d.ID)
		if err != nil || got.IDCard != "3204**********"+(*validDriver(unit).IDCard)[14:] && !strings.Contains(got.IDCard, "**********") {
			t.Errorf("masked ID for a reader: %v %q", err, got.IDCard)
		}
		if full, _ := w.Fleet.GetDriver(ctx, admin, d.ID); strings.Contains(full.IDCard, "*") {
			t.Errorf("writer sees masked ID %q", full.IDCard)
		}

		// Photos: sniffed by content, thumbnail produced.
		if _, err := w.Fleet.AddVehiclePhoto(ctx, admin, v1.ID, "front", []byte("this is not a picture, just text named car.jpg")); !errs.Is(err, errs.Invalid) || !strings.Contains(err.(*errs.Error).Fields["file"], "只能上传JPEG、PNG或WebP") {
			t.Errorf("text as photo: %v", err)
		}
		if _, err := w.Fleet.AddVehiclePhoto(ctx, admin, v1.ID, "front", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)); !errs.Is(err, errs.Invalid) || !strings.Contains(err.(*errs.Error).Fields["file"], "已损坏") {
			t.Errorf("broken PNG: %v", err)
		}
		if _, err := w.Fleet.AddVehiclePhoto(ctx, admin, v1.ID, "front", make([]byte, fleet.MaxPhotoBytes+1)); !errs.Is(err, errs.Invalid) || !strings.Contains(err.(*errs.Error).Fields["file"], "8 MB") {
			t.Errorf("large photo: %v", err)
		}
		p, err := w.Fleet.AddVehiclePhoto(ctx, admin, v1.ID, "front", pngBytes(800, 600))
		if err != nil {
			t.Fatal(err)
		}
		if p.ContentType != "image/png" || p.Width != 800 {
			t.Errorf("photo: %+v", p)
		}
		th, err := w.Fleet.OpenPhoto(ctx, admin, "vehicle", v1.ID, p.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(th.Data))
		if err != nil || format != "jpeg" || cfg.Width != fleet.ThumbWidth || cfg.Height != 240 {
			t.Errorf("thumbnail: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
		}
		if _, err := w.Fleet.OpenPhoto(ctx, w.Actor(t, "zl_admin"), "vehicle", v1.ID, p.ID, false); !errs.Is(err, errs.Forbidden) {
			t.Errorf("photo outside scope: %v", err)
		}
		for _, k := range []string{"side", "rear"} {
			if _, err := w.Fleet.AddVehiclePhoto(ctx, admin, v1.ID, k, pngBytes(100, 80)); err != nil {
				t.Fatal(err)
			}
		}
		full, _ := w.Fleet.GetVehicle(ctx, admin, v1.ID)
		if len(full.Photos) != 3 || strings.Contains(strings.Join(full.Missing, ""), "照片") {
			t.Errorf("photos %d missing %v", len(full.Photos), full.Missing)
		}
		rc, err := w.Fleet.Blobs.Get(ctx, strings.Repeat("0", 64))
		if err == nil {
			rc.Close()
			t.Error("missing blob opened")
		}
		_ = io.EOF
	})
}

func TestStaleAndConfirm(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		clock := time.Now()
		w.Fleet.Now = func() time.Time { return clock }
		tn := w.UnitID(t, "天宁区")
		unit := newUnit(t, w, tn, "天宁区确认测试局", 3)
		platform, jgjAdmin := w.Actor(t, "tn_admin"), w.Actor(t, "jgj_admin")
		v, _ := w.Fleet.CreateVehicle(ctx, platform, validVehicle(unit))
		d, _ := w.Fleet.CreateDriver(ctx, platform, validDriver(unit))
		if _, err := w.Fleet.Confirm(ctx, jgjAdmin, fleet.ConfirmInput{VehicleIDs: []int64{v.ID}}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("unit admin of another unit confirms: %v", err)
		}
		if _, err := w.Fleet.Confirm(ctx, platform, fleet.ConfirmInput{VehicleIDs: []int64{v.ID}, DriverIDs: []int64{d.ID}}); err != nil {
			t.Fatal(err)
		}
		check := func(when string, wantStale bool) {
			t.Helper()
			vs, _, _ := w.Fleet.ListVehicles(ctx, platform, fleet.VehicleFilter{UnitID: unit, Stale: true, Page: 1, Size: 10})
			ds, _, _ := w.Fleet.ListDrivers(ctx, platform, fleet.DriverFilter{UnitID: unit, Stale: true, Page: 1, Size: 10})
			due, err := w.Fleet.ConfirmationsDue(ctx, platform, unit)
			if err != nil {
				t.Fatal(err)
			}
			if (len(vs) == 1) != wantStale || (len(ds) == 1) != wantStale || (due.Vehicles == 1 && due.Drivers == 1) != wantStale {
				t.Errorf("%s: stale vehicles %d drivers %d due %d/%d, want stale=%v", when, len(vs), len(ds), due.Vehicles, due.Drivers, wantStale)
			}
		}
		check("just confirmed", false)
		clock = clock.AddDate(0, 5, 29)
		check("after five months", false)
		clock = clock.AddDate(0, 0, 3)
		check("after six months", true)
		// The city's to-do list includes the demo's stale records per district.
		due, err := w.Fleet.ConfirmationsDue(ctx, w.Actor(t, "city_admin"), 0)
		if err != nil || len(due.Districts) < 2 || len(due.Items) == 0 {
			t.Errorf("city due list: %v %+v", err, due)
		}
	})
}

func TestExcelImportExport(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		admin := w.Actor(t, "tn_admin")
		tn := w.UnitID(t, "天宁区")
		unit := newUnit(t, w, tn, "天宁区导入测试局", 10)
		tpl, err := fleet.VehicleTemplate()
		if err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(bytes.NewReader(tpl))
		if err != nil {
			t.Fatal(err)
		}
		sheet := x.GetSheetList()[0]
		if h, _ := x.GetCellValue(sheet, "A1"); h != "车牌号*" {
			t.Errorf("template header %q", h)
		}
		if len(x.GetSheetList()) != 2 {
			t.Errorf("template sheets %v", x.GetSheetList())
		}
		row := func(n int, plate, v, seats, price, category string) {
			x.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &[]any{plate, "天宁区导入测试局", category, "别克", "GL8", v, "", "黑色", seats, "汽油", "1998", "2023-04-01", price, "财政预算", "小型汽车（C1）"})
		}
		row(2, "苏D66601", vin(700001), "7", "269900.50", "机要通信用车")
		row(3, "苏D6660", vin(700002), "7", "1", "其他用车")         // bad plate
		row(4, "苏D66603", vin(700003)[:16]+"Z", "0", "x", "公交") // bad VIN, seats, price, category
		row(5, "苏D66601", vin(700004), "7", "", "其他")           // duplicate of row 2
		var buf bytes.Buffer
		x.Write(&buf)
		before, audits := w.Count(t, "vehicles"), w.Count(t, "audit_log")
		res, err := w.Fleet.ImportVehicles(ctx, admin, 0, buf.Bytes())
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad import: %v", err)
		}
		type rc struct {
			row  int
			col  string
			cell string
			msg  string
		}
		want := []rc{
			{3, "车牌号", "A3", "车牌号格式不正确：位数不对"},
			{4, "车辆类别", "C4", "车辆类别“公交”无效"},
			{4, "核定座位数", "I4", "核定座位数须为1至60的整数"},
			{4, "购置价格(元)", "M4", "购置价格(元)须为金额数字"},
			{4, "车辆识别代号", "F4", "车辆识别代号"},
			{5, "车牌号", "A5", "车牌号苏D66601与第2行重复"},
		}
		if len(res.Errors) != len(want) {
			t.Fatalf("errors: %+v", res.Errors)
		}
		for _, wnt := range want {
			found := false
			for _, e := range res.Errors {
				found = found || (e.Row == wnt.row && e.Column == wnt.col && e.Cell == wnt.cell && strings.Contains(e.Message, wnt.msg))
			}
			if !found {
				t.Errorf("missing error %+v in %+v", wnt, res.Errors)
			}
		}
		if msg := err.(*errs.Error).Fields["A3"]; !strings.HasPrefix(msg, "第3行「车牌号」：") {
			t.Errorf("field message %q", msg)
		}
		if n := w.Count(t, "vehicles"); n != before {
			t.Errorf("failed import wrote %d vehicles", n-before)
		}
		if n := w.Count(t, "audit_log"); n != audits {
			t.Errorf("failed import audited")
		}
		// Fix the rows; everything goes in.
		x.RemoveRow(sheet, 5)
		row(3, "苏D66602", vin(700002), "7", "1", "其他用车")
		row(4, "苏DD66603", vin(700003), "7", "", "应急保障")
		x.SetCellValue(sheet, "J4", "纯电动")
		x.SetCellValue(sheet, "K4", "0")
		buf.Reset()
		x.Write(&buf)
		res, err = w.Fleet.ImportVehicles(ctx, admin, unit, buf.Bytes())
		if err != nil || res.Imported != 3 {
			t.Fatalf("import: %v %+v", err, res)
		}
		if c, _ := unitCount(t, w, unit); c != 3 {
			t.Errorf("count after import %d", c)
		}
		// Out of the import's root: the unit column names a unit elsewhere.
		if _, err := w.Fleet.ImportVehicles(ctx, admin, w.UnitID(t, "钟楼区"), buf.Bytes()); !errs.Is(err, errs.Forbidden) {
			t.Errorf("import into another district: %v", err)
		}

		// Export round trip: export, import into a fresh database.
		data, n, err := w.Fleet.ExportVehicles(ctx, admin, fleet.VehicleFilter{UnitID: unit})
		if err != nil || n != 3 {
			t.Fatalf("export: %v %d", err, n)
		}
		w2 := apptest.SQLite(t)
		unit2 := newUnit(t, w2, w2.UnitID(t, "天宁区"), "天宁区导入测试局", 10)
		res, err = w2.Fleet.ImportVehicles(ctx, w2.Actor(t, "tn_admin"), 0, data)
		if err != nil || res.Imported != 3 {
			t.Fatalf("re-import of the export: %v %+v", err, res)
		}
		a, _, _ := w.Fleet.ListVehicles(ctx, admin, fleet.VehicleFilter{UnitID: unit, Page: 1, Size: 10})
		b, _, _ := w2.Fleet.ListVehicles(ctx, w2.Actor(t, "tn_admin"), fleet.VehicleFilter{UnitID: unit2, Sort: "plate", Page: 1, Size: 10})
		for i := range a {
			x, y := a[i], b[i]
			if x.Plate != y.Plate || x.VIN != y.VIN || x.Category != y.Category || x.PurchasePrice != y.PurchasePrice || x.EnergyType != y.EnergyType || x.Seats != y.Seats || x.VehicleClass != y.VehicleClass {
				t.Errorf("round trip: %+v vs %+v", x, y)
			}
		}
		if a[0].PurchasePrice != 26990050 {
			t.Errorf("price in fen: %d", a[0].PurchasePrice)
		}

		// Drivers: a bad row blocks the import.
		dt, _ := fleet.DriverTemplate()
		dx, _ := excelize.OpenReader(bytes.NewReader(dt))
		ds := dx.GetSheetList()[0]
		dx.SetSheetRow(ds, "A2", &[]any{"张三", idCard(901), "天宁区导入测试局", "13905190001", "", "C1", "2030-01-01"})
		dx.SetSheetRow(ds, "A3", &[]any{"李四", "320411198506010", "天宁区导入测试局", "", "", "Z9", "2030-13-01"})
		buf.Reset()
		dx.Write(&buf)
		dres, err := w.Fleet.ImportDrivers(ctx, admin, 0, buf.Bytes())
		if !errs.Is(err, errs.Invalid) || len(dres.Errors) != 3 || dres.Errors[0].Cell != "B3" {
			t.Errorf("driver import errors: %v %+v", err, dres)
		}
		_ = access.FleetRead
	})
}
