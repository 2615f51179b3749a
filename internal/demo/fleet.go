package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/check"
	"govfleet/internal/fleet"
	"govfleet/internal/org"
)

// Demo registry sizes.
const (
	demoVehicles = 600
	demoDrivers  = 500
)

// OverQuotaUnit is the one demo unit holding more vehicles than its quota.
const OverQuotaUnit = "市城市管理局"

type carModel struct {
	brand, model, wmi, energy, class string
	seats, displacement              int
	price                            int64 // guide price, yuan
	category                         string
}

// Models seen in Chinese government fleets.
var carModels = []carModel{
	{"红旗", "H5", "LFP", "petrol", "small", 5, 1798, 189_800, "other"},
	{"红旗", "H9", "LFP", "petrol", "small", 5, 1989, 309_800, "other"},
	{"大众", "帕萨特", "LSV", "petrol", "small", 5, 1984, 219_800, "other"},
	{"大众", "途观L", "LSV", "petrol", "small", 5, 1984, 235_800, "emergency"},
	{"别克", "GL8", "LSG", "petrol", "small", 7, 1998, 269_900, "other"},
	{"比亚迪", "汉 EV", "LGX", "electric", "small", 5, 0, 209_800, "other"},
	{"比亚迪", "唐 DM-i", "LGX", "phev", "small", 7, 1497, 219_800, "emergency"},
	{"丰田", "考斯特", "LVG", "diesel", "large_bus", 23, 3956, 528_000, "retiree"},
	{"江铃", "全顺", "LJX", "diesel", "medium_bus", 15, 2198, 185_000, "special"},
	{"大众", "朗逸", "LSV", "petrol", "small", 5, 1498, 120_900, "law_enforcement"},
	{"长安", "CS75", "LS5", "petrol", "small", 5, 1494, 113_900, "law_enforcement"},
	{"吉利", "帝豪 EV", "L6T", "electric", "small", 5, 0, 135_800, "confidential"},
}

var yearCodes = map[int]byte{2015: 'F', 2016: 'G', 2017: 'H', 2018: 'J', 2019: 'K', 2020: 'L', 2021: 'M', 2022: 'N', 2023: 'P', 2024: 'R', 2025: 'S'}

const vinChars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

func demoVIN(r *rand.Rand, wmi string, year int, serial int) string {
	vds := make([]byte, 5)
	for i := range vds {
		vds[i] = vinChars[r.IntN(len(vinChars))]
	}
	s := wmi + string(vds) + "0" + string(yearCodes[year]) + string(vinChars[10+r.IntN(20)]) + fmt.Sprintf("%06d", serial)
	c, err := check.VINCheckChar(s)
	if err != nil {
		panic(err)
	}
	return s[:8] + string(c) + s[9:]
}

// demoIDCard is an ID number registered in Changzhou (3204xx).
func demoIDCard(r *rand.Rand, region string, i int) string {
	birth := time.Date(1966+r.IntN(34), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	first := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), (i*7)%1000)
	c, err := check.IDCardCheckChar(first)
	if err != nil {
		panic(err)
	}
	return first + string(c)
}

// demoImage draws a small PNG: a coloured body with windows and wheels.
func demoImage(body color.RGBA, view int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 300))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{225, 232, 240, 255}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 240, 480, 300), &image.Uniform{color.RGBA{120, 120, 120, 255}}, image.Point{}, draw.Src)
	w := []int{300, 400, 300}[view]
	x0 := (480 - w) / 2
	draw.Draw(img, image.Rect(x0, 140, x0+w, 235), &image.Uniform{body}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(x0+w/5, 90, x0+w*4/5, 145), &image.Uniform{body}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(x0+w/5+10, 100, x0+w*4/5-10, 140), &image.Uniform{color.RGBA{170, 210, 235, 255}}, image.Point{}, draw.Src)
	for _, cx := range []int{x0 + w/5, x0 + w*4/5} {
		draw.Draw(img, image.Rect(cx-22, 220, cx+22, 256), &image.Uniform{color.RGBA{30, 30, 30, 255}}, image.Point{}, draw.Src)
	}
	draw.Draw(img, image.Rect(215, 200, 265, 215), &image.Uniform{color.RGBA{20, 60, 160, 255}}, image.Point{}, draw.Src) // plate
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func demoPortrait(bg color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 320))
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(80, 60, 160, 150), &image.Uniform{color.RGBA{240, 205, 170, 255}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(40, 170, 200, 320), &image.Uniform{color.RGBA{40, 50, 80, 255}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// demoInvoice is a repair shop's invoice photo: a sheet with a red seal and lines.
func demoInvoice() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{250, 248, 240, 255}}, image.Point{}, draw.Src)
	for y := 40; y < 180; y += 24 {
		draw.Draw(img, image.Rect(20, y, 300, y+2), &image.Uniform{color.RGBA{120, 130, 150, 255}}, image.Point{}, draw.Src)
	}
	draw.Draw(img, image.Rect(230, 130, 290, 180), &image.Uniform{color.RGBA{200, 40, 40, 255}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

var surnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文")
var givenNames = []string{"建华", "国强", "志明", "海涛", "永康", "伟", "军", "勇", "斌", "峰", "俊杰", "文彬", "晓东", "春生", "红兵", "建国", "立新", "卫东", "明亮", "小平", "德明", "金龙", "宏伟", "振华"}
var colours = []string{"黑色", "黑色", "黑色", "白色", "银灰色", "深蓝色"}

// seedFleet registers the demo's vehicles, terminals and drivers in bulk
// (one transaction, batched inserts) so that the demo starts in seconds.
func seedFleet(ctx context.Context, o *org.Service, actor *access.Actor, units map[string]*org.Unit, blobs fleet.BlobStore) error {
	start := time.Now()
	fs := &fleet.Service{DB: o.DB, Blobs: blobs}
	r := rand.New(rand.NewPCG(2026, 519))
	now := time.Now().UTC().Truncate(time.Second)

	// Photos: a handful of images, stored once and shared by every record.
	type img = *fleet.StoredImage
	var carPhotos [][3]img // per colour: front, side, rear
	var portraits []img
	var licence img
	if blobs != nil {
		for _, c := range []color.RGBA{{20, 20, 20, 255}, {245, 245, 245, 255}, {150, 155, 160, 255}, {25, 45, 95, 255}} {
			var set [3]img
			for v := 0; v < 3; v++ {
				si, err := fs.StoreImage(ctx, demoImage(c, v))
				if err != nil {
					return fmt.Errorf("demo photo: %w", err)
				}
				set[v] = si
			}
			carPhotos = append(carPhotos, set)
		}
		for _, c := range []color.RGBA{{70, 130, 200, 255}, {200, 60, 60, 255}, {240, 240, 240, 255}} {
			si, err := fs.StoreImage(ctx, demoPortrait(c))
			if err != nil {
				return fmt.Errorf("demo photo: %w", err)
			}
			portraits = append(portraits, si)
		}
		si, err := fs.StoreImage(ctx, demoPortrait(color.RGBA{200, 220, 200, 255}))
		if err != nil {
			return fmt.Errorf("demo photo: %w", err)
		}
		licence = si
	}

	// Vehicles per unit in proportion to the staffing count.
	names := make([]string, 0, len(units))
	staff := 0
	for n, u := range units {
		names = append(names, n)
		staff += u.StaffingCount
	}
	sort.Slice(names, func(i, j int) bool { return units[names[i]].ID < units[names[j]].ID })
	perUnit := map[string]int{}
	total := 0
	for _, n := range names {
		k := max(2, demoVehicles*units[n].StaffingCount/staff)
		perUnit[n] = k
		total += k
	}
	for i := 0; total < demoVehicles; i++ { // top up to exactly demoVehicles
		perUnit[names[i%len(names)]]++
		total++
	}
	regionOf := func(u *org.Unit) string {
		for _, d := range districts {
			for _, x := range d.units {
				if units[x.name] != nil && units[x.name].ID == u.ID {
					return d.region
				}
			}
		}
		return "320402"
	}

	var vs []*fleet.Vehicle
	type extra struct {
		acquired  string
		from      *org.Unit // transferred from
		transfer  string
		disposed  string
		photos    int // 3 = front+side+rear
		colourSet int
		terminal  bool
	}
	var ex []extra
	plateSeq, serial := 0, 100000
	for _, n := range names {
		u := units[n]
		for k := 0; k < perUnit[n]; k++ {
			i := len(vs)
			m := carModels[r.IntN(len(carModels))]
			category := m.category
			switch {
			case n == "市公安局" || strings.Contains(n, "城市管理局") || strings.Contains(n, "法院") || strings.Contains(n, "检察院"):
				if r.IntN(3) > 0 {
					m = carModels[9+r.IntN(2)]
					category = "law_enforcement"
				}
			case strings.Contains(n, "应急"):
				category = "emergency"
			case strings.Contains(n, "委办公室") && r.IntN(4) == 0:
				category = "confidential"
			}
			year := 2015 + r.IntN(11)
			purchase := time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
			if purchase.After(now.AddDate(0, -2, 0)) {
				purchase = now.AddDate(0, -3, 0)
			}
			plateSeq++
			plate := fmt.Sprintf("苏D%05d", 10000+plateSeq*37%89000)
			switch {
			case m.energy == "electric" || m.energy == "phev":
				plate = fmt.Sprintf("苏DD%05d", 10000+plateSeq*41%89000)
			case n == "市公安局" && category == "law_enforcement":
				plate = fmt.Sprintf("苏D%04d警", 1000+plateSeq%9000)
			}
			serial++
			lat, lng := 31.75+r.Float64()*0.08, 119.92+r.Float64()*0.08
			v := &fleet.Vehicle{UnitID: u.ID, Plate: plate, Category: category, Brand: m.brand, Model: m.model,
				VIN: demoVIN(r, m.wmi, year, serial), EngineNo: fmt.Sprintf("E%s%06d", m.wmi[1:], serial), Colour: colours[r.IntN(len(colours))],
				Seats: m.seats, EnergyType: m.energy, Displacement: m.displacement, PurchaseDate: purchase.Format("2006-01-02"),
				PurchasePrice: (m.price - int64(r.IntN(200))*100) * 100, FundingSource: "budget", VehicleClass: m.class,
				ParkingName: u.Name + "机关停车场", ParkingLat: &lat, ParkingLng: &lng, ParkingRadius: 150,
				Marking: []string{"marked", "marked", "unmarked"}[r.IntN(3)], Status: []string{"available", "available", "available", "in_use", "maintenance"}[r.IntN(5)],
				CreatedAt: now, UpdatedAt: now}
			if category == "law_enforcement" {
				v.Marking = "marked"
			}
			e := extra{acquired: v.PurchaseDate, photos: 3, colourSet: r.IntN(4), terminal: true}
			// Confirmation: most within the last five months, some stale.
			conf := now.AddDate(0, 0, -r.IntN(150))
			v.ConfirmedAt, v.ConfirmedBy, v.ConfirmedByName = &conf, &actor.UserID, actor.Name
			switch {
			case i%40 == 7: // stale: confirmed eight months ago
				old := now.AddDate(0, -8, 0)
				v.ConfirmedAt = &old
			case i%60 == 11: // never confirmed
				v.ConfirmedAt, v.ConfirmedBy, v.ConfirmedByName = nil, nil, ""
			}
			switch {
			case i%30 == 5: // incomplete: no rear photo
				e.photos = 2
			case i%45 == 9: // incomplete: no engine number
				v.EngineNo = ""
			}
			if i%25 == 3 { // no terminal yet (flagged)
				e.terminal = false
			}
			if n == "市公安局" && k < 3 { // R-12 exempt
				v.Exempt, v.ExemptReason, e.terminal = true, "investigation", false
			}
			if i%35 == 17 && len(vs) > 0 { // transferred from another unit last year
				from := units[names[(r.IntN(len(names)))]]
				if from.ID != u.ID {
					e.from = from
					e.transfer = time.Date(now.Year()-1, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
					if e.transfer < v.PurchaseDate {
						e.transfer = v.PurchaseDate
					}
				}
			}
			if i%60 == 29 { // disposed this year
				v.Status = "disposed"
				e.disposed = time.Date(now.Year(), 1, 1+r.IntN(20), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
				e.terminal = false
			}
			kinds := map[string]bool{"front": blobs != nil, "side": blobs != nil, "rear": blobs != nil && e.photos == 3}
			missing := fleet.VehicleMissing(v, kinds)
			v.Incomplete, v.MissingText = len(missing) > 0, strings.Join(missing, "、")
			vs = append(vs, v)
			ex = append(ex, e)
		}
	}

	err := o.DB.Tx(ctx, func(tx bun.Tx) error {
		if err := insertBatches(ctx, tx, vs, 200); err != nil {
			return fmt.Errorf("vehicles: %w", err)
		}
		var changes []*fleet.Change
		var photos []*fleet.Photo
		var terms []*fleet.Terminal
		var binds []*fleet.Binding
		for i, v := range vs {
			e := ex[i]
			to := v.UnitID
			if e.from != nil {
				from := e.from.ID
				changes = append(changes, &fleet.Change{VehicleID: v.ID, Kind: "acquire", Date: e.acquired, DocNo: fmt.Sprintf("常机管〔%s〕%d号", e.acquired[:4], 10+i%90), ToUnitID: &from, ToCategory: v.Category, CreatedAt: now},
					&fleet.Change{VehicleID: v.ID, Kind: "transfer", Date: e.transfer, DocNo: fmt.Sprintf("常机管调〔%s〕%d号", e.transfer[:4], 1+i%50), FromUnitID: &from, ToUnitID: &to, FromCategory: v.Category, ToCategory: v.Category, CreatedAt: now})
			} else {
				changes = append(changes, &fleet.Change{VehicleID: v.ID, Kind: "acquire", Date: e.acquired, DocNo: fmt.Sprintf("常机管〔%s〕%d号", e.acquired[:4], 10+i%90), ToUnitID: &to, ToCategory: v.Category, CreatedAt: now})
			}
			if e.disposed != "" {
				changes = append(changes, &fleet.Change{VehicleID: v.ID, Kind: "dispose", Date: e.disposed, DocNo: fmt.Sprintf("常机管处〔%s〕%d号", e.disposed[:4], 1+i%30), FromUnitID: &to, FromCategory: v.Category, Note: "达到报废年限，拍卖处置", CreatedAt: now})
			}
			if blobs != nil {
				set := carPhotos[e.colourSet]
				for k, kind := range []string{"front", "side", "rear"}[:e.photos] {
					p := set[k]
					photos = append(photos, &fleet.Photo{OwnerType: "vehicle", OwnerID: v.ID, Kind: kind, BlobKey: p.Key, ThumbKey: p.ThumbKey,
						ContentType: p.ContentType, Size: p.Size, Width: p.Width, Height: p.Height, CreatedAt: now})
				}
			}
			if e.terminal || i%50 == 0 {
				t := &fleet.Terminal{UnitID: v.UnitID, TerminalNo: fmt.Sprintf("CZ%07d", 1000+i), SIM: fmt.Sprintf("01390519%04d", 1+i),
					Model: []string{"BD-T808", "ZH-G3", "HX-V6"}[i%3], Maker: []string{"北斗星通", "中海达", "华信天线"}[i%3],
					InstallDate: maxDate(e.acquired, "2019-06-01"), CreatedAt: now, UpdatedAt: now}
				if e.terminal {
					id := v.ID
					t.VehicleID = &id
				}
				terms = append(terms, t)
			}
		}
		if err := insertBatches(ctx, tx, changes, 300); err != nil {
			return fmt.Errorf("changes: %w", err)
		}
		if err := insertBatches(ctx, tx, photos, 500); err != nil {
			return fmt.Errorf("photos: %w", err)
		}
		if err := insertBatches(ctx, tx, terms, 300); err != nil {
			return fmt.Errorf("terminals: %w", err)
		}
		for _, t := range terms {
			if t.VehicleID != nil {
				bound, _ := time.Parse("2006-01-02", t.InstallDate)
				binds = append(binds, &fleet.Binding{TerminalID: t.ID, VehicleID: *t.VehicleID, BoundAt: bound.Add(2 * time.Hour)})
			}
		}
		if err := insertBatches(ctx, tx, binds, 500); err != nil {
			return fmt.Errorf("bindings: %w", err)
		}

		// Drivers, matched to vehicles of their unit that their licence allows.
		byUnit := map[int64][]*fleet.Vehicle{}
		for _, v := range vs {
			if v.Status != "disposed" {
				byUnit[v.UnitID] = append(byUnit[v.UnitID], v)
			}
		}
		var jgjDriver int64
		if err := tx.NewSelect().Table("users").Column("id").Where("username = ?", "jgj_driver").Scan(ctx, &jgjDriver); err != nil {
			return fmt.Errorf("jgj_driver: %w", err)
		}
		var ds []*fleet.Driver
		var dPhotos []*fleet.Photo
		type match struct{ d, v int }
		var matches []match
		for i := 0; i < demoDrivers; i++ {
			u := units[names[i%len(names)]]
			cls := "C1"
			unitVs := byUnit[u.ID]
			for _, v := range unitVs {
				if v.VehicleClass == "large_bus" && i%3 == 0 {
					cls = "A1"
				} else if v.VehicleClass == "medium_bus" && i%3 == 0 && cls == "C1" {
					cls = "B1"
				}
			}
			expiry := now.AddDate(1+r.IntN(6), r.IntN(12), 0).Format("2006-01-02")
			if i%60 == 13 { // expired licence (flagged)
				expiry = now.AddDate(0, -1-r.IntN(5), 0).Format("2006-01-02")
			}
			idc := demoIDCard(r, regionOf(u), i)
			d := &fleet.Driver{UnitID: u.ID, Name: string(surnames[r.IntN(len(surnames))]) + givenNames[r.IntN(len(givenNames))],
				IDCard: idc, Phone: fmt.Sprintf("139%08d", 5190000+i*13), LicenceNo: idc, LicenceClass: cls, LicenceExpiry: expiry,
				Active: true, CreatedAt: now, UpdatedAt: now}
			conf := now.AddDate(0, 0, -r.IntN(150))
			d.ConfirmedAt, d.ConfirmedBy, d.ConfirmedByName = &conf, &actor.UserID, actor.Name
			if i%45 == 8 {
				old := now.AddDate(0, -7, -r.IntN(60))
				d.ConfirmedAt = &old
			}
			if u.Name == "市机关事务管理局" && jgjDriver != 0 {
				id := jgjDriver
				d.UserID, jgjDriver = &id, 0
				d.Name = "朱师傅"
			}
			kinds := map[string]bool{"driver": blobs != nil, "licence": blobs != nil && i%40 != 21}
			missing := fleet.DriverMissing(d, kinds)
			d.Incomplete, d.MissingText = len(missing) > 0, strings.Join(missing, "、")
			ds = append(ds, d)
			for _, v := range unitVs {
				if len(matches) > 0 && matches[len(matches)-1].d == i && r.IntN(2) == 0 {
					break
				}
				if check.LicenceAllows(cls, v.VehicleClass) && r.IntN(3) == 0 {
					matches = append(matches, match{i, int(v.ID)})
				}
			}
		}
		if err := insertBatches(ctx, tx, ds, 200); err != nil {
			return fmt.Errorf("drivers: %w", err)
		}
		for i, d := range ds {
			if blobs == nil {
				break
			}
			p := portraits[i%len(portraits)]
			dPhotos = append(dPhotos, &fleet.Photo{OwnerType: "driver", OwnerID: d.ID, Kind: "driver", BlobKey: p.Key, ThumbKey: p.ThumbKey, ContentType: p.ContentType, Size: p.Size, Width: p.Width, Height: p.Height, CreatedAt: now})
			if i%40 != 21 {
				dPhotos = append(dPhotos, &fleet.Photo{OwnerType: "driver", OwnerID: d.ID, Kind: "licence", BlobKey: licence.Key, ThumbKey: licence.ThumbKey, ContentType: licence.ContentType, Size: licence.Size, Width: licence.Width, Height: licence.Height, CreatedAt: now})
			}
		}
		if err := insertBatches(ctx, tx, dPhotos, 500); err != nil {
			return fmt.Errorf("driver photos: %w", err)
		}
		type dv struct {
			bun.BaseModel `bun:"table:driver_vehicles"`
			DriverID      int64     `bun:"driver_id"`
			VehicleID     int64     `bun:"vehicle_id"`
			CreatedAt     time.Time `bun:"created_at"`
		}
		var dvs []*dv
		for _, m := range matches {
			dvs = append(dvs, &dv{DriverID: ds[m.d].ID, VehicleID: int64(m.v), CreatedAt: now})
		}
		if err := insertBatches(ctx, tx, dvs, 500); err != nil {
			return fmt.Errorf("driver vehicles: %w", err)
		}

		// Actual counts, and quotas that fit them — except one unit
		// that holds more vehicles than its quota, so that the flag shows.
		var ids []int64
		for _, n := range names {
			ids = append(ids, units[n].ID)
		}
		if err := fleet.Recount(ctx, tx, ids...); err != nil {
			return err
		}
		for k, n := range names {
			slack := k % 3
			if n == OverQuotaUnit {
				slack = -2
			}
			if _, err := tx.NewRaw("UPDATE units SET vehicle_quota = CASE WHEN vehicle_count + ? < 1 THEN 1 ELSE vehicle_count + ? END WHERE id = ?", slack, slack, units[n].ID).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: fleet.ActVehicleImport, ObjectType: audit.Vehicle, ScopePath: actor.ScopePath,
			Summary: fmt.Sprintf("演示数据：登记车辆%d辆、驾驶员%d名、北斗终端%d台", len(vs), len(ds), len(terms))})
	})
	if err != nil {
		return fmt.Errorf("demo fleet: %w", err)
	}
	slog.Info("demo registry created", "vehicles", len(vs), "drivers", demoDrivers, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func maxDate(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// insertBatches inserts rows n at a time (ids are filled in).
func insertBatches[T any](ctx context.Context, tx bun.Tx, rows []T, n int) error {
	for i := 0; i < len(rows); i += n {
		part := rows[i:min(i+n, len(rows))]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
