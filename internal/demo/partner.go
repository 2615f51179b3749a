package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/money"
	"govfleet/internal/partner"
	"govfleet/internal/savings"
	"govfleet/internal/store"
)

// seedPartners is the cross-region demo (R-18, issue 22): 无锡 and 南京 as
// partner cities, their officials charged at the paid-use tariff (well
// below the local rental market, seedRates) and priced by
// savings.PriceUse, the reception car of 市机关事务管理局 with its driver
// (jd_driver, who drives partners' officials; govfleet partner-demo uses
// it), and the bookings of the past two months both ways, with last
// month's settlement statements confirmed by both sides.
func seedPartners(ctx context.Context, db *store.DB, a *auth.Service, actor *access.Actor, jgj int64, now time.Time) error {
	r := rand.New(rand.NewPCG(22, 18))
	driverUser, err := a.Bootstrap(ctx, "jd_driver", "严师傅", phone(90), Password, jgj, false, access.Driver)
	if err != nil {
		return fmt.Errorf("jd_driver: %w", err)
	}
	var vehicleID, driverID int64
	err = db.Tx(ctx, func(tx bun.Tx) error {
		t := now.AddDate(-1, 0, 0)
		if err := tx.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, colour, seats, energy_type, displacement, purchase_date,
			purchase_price, vehicle_class, parking_name, status, incomplete, confirmed_at, confirmed_by, confirmed_by_name, created_at, updated_at)
			VALUES (?, '苏D6J801', 'other', '比亚迪', '汉 EV', 'LGXCE4CB2N0018801', '黑色', 5, 'electric', 0, ?, 22980000, 'small', '市行政中心停车场', 'available', FALSE, ?, ?, ?, ?, ?) RETURNING id`,
			jgj, t.Format(time.DateOnly), now, actor.UserID, actor.Name, t, t).Scan(ctx, &vehicleID); err != nil {
			return fmt.Errorf("reception car: %w", err)
		}
		if _, err := tx.NewRaw(`UPDATE units SET vehicle_count = (SELECT COUNT(*) FROM vehicles WHERE unit_id = ? AND status <> 'disposed') WHERE id = ?`, jgj, jgj).Exec(ctx); err != nil {
			return fmt.Errorf("reception car's unit: %w", err)
		}
		idc := demoIDCard(r, "320402", 901)
		if err := tx.NewRaw(`INSERT INTO drivers (unit_id, name, id_card, phone, licence_no, licence_class, licence_expiry, user_id, active, incomplete, confirmed_at, confirmed_by, confirmed_by_name, created_at, updated_at)
			VALUES (?, '严师傅', ?, ?, ?, 'C1', ?, ?, TRUE, FALSE, ?, ?, ?, ?, ?) RETURNING id`,
			jgj, idc, phone(90), idc, now.AddDate(4, 0, 0).Format(time.DateOnly), driverUser.ID, now, actor.UserID, actor.Name, t, t).Scan(ctx, &driverID); err != nil {
			return fmt.Errorf("reception driver: %w", err)
		}
		_, err := tx.NewRaw("INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at) VALUES (?, ?, ?)", driverID, vehicleID, t).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}

	ps := &partner.Service{DB: db, Key: a.KeyMaster}
	var staff []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"real_name"`
	}
	if err := db.R.NewSelect().Table("users").Column("id", "real_name").Where("username IN ('jgj_staff', 'jgj_approver', 'zl_czj_staff')").Order("id").Scan(ctx, &staff); err != nil {
		return err
	}
	var units map[int64]int64 = map[int64]int64{}
	for _, s := range staff {
		var scope int64
		if err := db.R.NewSelect().Table("users").Column("scope_id").Where("id = ?", s.ID).Scan(ctx, &scope); err != nil {
			return err
		}
		units[s.ID] = scope
	}
	root, rootPath := actor.ScopeID, actor.ScopePath
	_ = rootPath
	cities := []struct{ name, code, host string }{{"无锡市", "wuxi", "https://gwyc.wuxi.example"}, {"南京市", "nanjing", "https://gwyc.nanjing.example"}}
	places := map[string][]string{"无锡市": {"无锡市行政中心", "无锡东站", "太湖新城"}, "南京市": {"南京南站", "江苏省政府", "河西新城"}}
	visitors := []string{"顾明远", "陶建新", "殷晓红", "包立群", "季文斌", "缪志勇"}
	month := beijing.MonthStart(now)
	last := month.AddDate(0, -1, 0)
	for ci, c := range cities {
		created, err := ps.Create(ctx, actor, partner.Input{Name: c.name, Code: c.code, SelfCode: "changzhou", BaseURL: c.host})
		if err != nil {
			return fmt.Errorf("partner %s: %w", c.name, err)
		}
		pid := created.ID
		err = db.Tx(ctx, func(tx bun.Tx) error {
			seq := 0
			for k := 0; k < 6; k++ {
				day := last.AddDate(0, 0, 3+k*4+ci*2)
				if k >= 4 {
					day = month.AddDate(0, 0, 1+(k-4)*2+ci)
					if !day.Before(beijing.DayStart(now)) {
						continue
					}
				}
				pickup := day.Add(time.Duration(8+r.IntN(3)) * time.Hour)
				hours := 3 + r.IntN(7)
				ret := pickup.Add(time.Duration(hours) * time.Hour)
				out := k%2 == 1
				seq++
				no := fmt.Sprintf("YC%s9%d%02d", pickup.In(beijing.Zone).Format("20060102"), ci, seq)
				o := &booking.Order{No: no, UnitID: root, PickupAt: pickup.UTC(), ReturnAt: ret.UTC(), ApprovalsNeeded: 1, ApprovalsDone: 1,
					PassengerCount: 1 + r.IntN(3), CreatedAt: pickup.Add(-26 * time.Hour).UTC(), UpdatedAt: ret.UTC(), State: booking.Closed}
				dep, back := pickup.UTC(), ret.UTC()
				o.DepartedAt, o.FinishedAt, o.ReturnedAt = &dep, &back, &back
				km := int64(40 + r.IntN(160))
				l := &partner.Link{PartnerID: pid, OrderID: 0, CreatedAt: o.CreatedAt, UpdatedAt: back}
				var fee int64
				var price *savings.Price
				if out { // our official in the partner's car
					s := staff[k%len(staff)]
					o.UnitID, o.ApplicantID, o.ApplicantName = units[s.ID], s.ID, s.Name
					o.Reason, o.PickupPlace, o.DestinationsRaw = "赴"+c.name+"参加工作会议", places[c.name][0], fmt.Sprintf("[%q]", places[c.name][1+k%2])
					o.State = booking.Closed
					rating := 5
					o.Rating, o.RatedAt = &rating, &back
					l.Direction, l.Ref = "out", "changzhou-"+no
					l.Plate, l.VehicleType, l.DriverName = fmt.Sprintf("苏%s%05d", map[int]string{0: "B", 1: "A"}[ci], 30000+r.IntN(60000)), "sedan", []string{"钱师傅", "周师傅"}[ci]
					fee = 30000 + km*120
				} else { // the partner's official in our reception car
					v := visitors[(k+ci*3)%len(visitors)]
					o.ApplicantID, o.ApplicantName = actor.UserID, v+"（"+c.name+"）"
					o.Reason, o.PickupPlace, o.DestinationsRaw = "来常调研交流", "常州北站", `["常州市行政中心"]`
					o.VehicleID, o.DriverID = &vehicleID, &driverID
					o.Note = c.name + " " + v
					l.Direction, l.Ref = "in", c.code+"-"+no
					l.Plate, l.VehicleType, l.DriverName = "苏D6J801", "sedan", "严师傅"
					p, err := savings.PriceUse(ctx, tx, savings.PaidUse, 5, dep, back.Sub(dep), km*1000)
					if err != nil {
						return err
					}
					price = p
					fee = price.Fen
				}
				if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
					return err
				}
				feeAt := back.Add(time.Hour)
				l.OrderID, l.Status, l.DistanceM, l.FeeFen, l.FeeAt, l.Seq = o.ID, "fee", km*1000, &fee, &feeAt, 6
				l.FeeNote = fmt.Sprintf("轿车（5座及以下），北斗定位里程 %d.0 公里", km)
				if price != nil {
					l.MarketFen, l.SavingFen, l.FeeNote = &price.MarketFen, &price.SavingFen, price.Note()+"（北斗定位里程）"
				}
				if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
					return err
				}
				name := c.name + "公务用车平台"
				evs := []booking.Event{}
				add := func(at time.Time, action, from, to, note, who string, id *int64) {
					evs = append(evs, booking.Event{OrderID: o.ID, At: at, ActorID: id, ActorName: who, Action: action, FromState: from, ToState: to, Note: note})
				}
				if out {
					add(o.CreatedAt, "submit", "", booking.Submitted, "", o.ApplicantName, &o.ApplicantID)
					add(o.CreatedAt.Add(time.Hour), "approve", booking.Submitted, booking.AtPartner, "", "沈国华", nil)
					add(o.CreatedAt.Add(time.Hour+time.Minute), "partner_accept", booking.AtPartner, booking.AtPartner, "已受理", name, nil)
					add(o.CreatedAt.Add(3*time.Hour), "partner_assign", booking.AtPartner, booking.AtPartner, l.Plate+" 轿车（5座及以下） 驾驶员 "+l.DriverName, name, nil)
					add(dep, "partner_start", booking.AtPartner, booking.Departed, "", name, nil)
					add(back, "partner_finish", booking.Departed, booking.Back, fmt.Sprintf("行驶 %d.0 公里", km), name, nil)
					add(feeAt, "partner_fee", booking.Back, booking.Back, "费用 "+money.Yuan(fee)+" 元", name, nil)
					add(feeAt.Add(time.Hour), "rate", booking.Back, booking.Closed, "5星", o.ApplicantName, &o.ApplicantID)
				} else {
					add(o.CreatedAt, "partner_request", "", booking.Approved, o.Note, name, nil)
					add(o.CreatedAt.Add(2*time.Hour), "dispatch", booking.Approved, booking.Dispatched, "", "卫国平", nil)
					add(dep, "depart", booking.Dispatched, booking.Departed, "", "严师傅", &driverUser.ID)
					add(back, "finish", booking.Departed, booking.Finished, "", "严师傅", &driverUser.ID)
					add(feeAt, "back", booking.Finished, booking.Closed, "停放于 市行政中心停车场", "卫国平", nil)
				}
				if _, err := tx.NewInsert().Model(&evs).Exec(ctx); err != nil {
					return err
				}
				// What went between the platforms, delivered.
				if _, err := tx.NewRaw("INSERT INTO partner_outbox (partner_id, msg_key, ref, seq, kind, body, state, attempts, next_at, created_at, sent_at) VALUES (?, ?, ?, 1, ?, '{}', 'sent', 1, ?, ?, ?)",
					pid, fmt.Sprintf("demo-%d-%d", pid, o.ID), l.Ref, map[bool]string{true: "booking.request", false: "booking.status"}[out], feeAt, feeAt, feeAt).Exec(ctx); err != nil {
					return err
				}
			}
			_, err := tx.NewRaw("UPDATE partners SET last_in_at = ?, last_out_at = ? WHERE id = ?", now.Add(-20*time.Hour), now.Add(-20*time.Hour), pid).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("partner bookings %s: %w", c.name, err)
		}
		// Last month's statement, confirmed here and by the partner.
		st, err := ps.Generate(ctx, actor, pid, beijing.Month(last))
		if err != nil {
			return fmt.Errorf("settlement %s: %w", c.name, err)
		}
		if _, err := ps.Confirm(ctx, actor, st.ID); err != nil {
			return fmt.Errorf("settlement %s: %w", c.name, err)
		}
		at := now.AddDate(0, 0, -2)
		if _, err := db.W.NewRaw("UPDATE partner_settlements SET confirmed_at = ?, partner_confirmed_at = ?, partner_in_fen = out_fen, partner_out_fen = in_fen WHERE id = ?", at.Add(-time.Hour), at, st.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := db.W.NewRaw("UPDATE partner_outbox SET state = 'sent', sent_at = ? WHERE partner_id = ? AND state = 'pending'", at, pid).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
