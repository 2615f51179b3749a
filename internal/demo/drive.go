package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/jt808"
	"govfleet/internal/sim"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Fleet prepares the terminals the demo's simulator drives (phones as
// registered) and returns those to drive:
//
//   - every vehicle gets an order under way since before its history (or
//     keeps the one it has), so that its trips are served by an order and
//     the trip job opens no "trip without order" filing for the
//     demo's own cars;
//   - a terminal that never reported gets its last two hours of history
//     (ending 25 minutes ago: the live simulator starts elsewhere, up to
//     80 km away, and 25 minutes is long enough not to look like a jump to
//     the terminal-health detector, short enough not to count as offline),
//     so that trips, mileage and tracks show at once (written through w,
//     the server's positions writer);
//   - the last terminal (with two or more) plays the tamper case of R-26:
//     it reported its main power cut 45 minutes ago and has been silent
//     since; it is not driven.
func Fleet(ctx context.Context, db *store.DB, w *telematics.Writer, phones []string, now time.Time) ([]string, error) {
	now = now.UTC().Truncate(time.Second)
	var history []telematics.Position
	drive := phones
	if len(phones) >= 2 {
		drive = phones[:len(phones)-1]
	}
	orders := 0
	for i, phone := range phones {
		var vid, unit int64
		if err := db.R.QueryRowContext(ctx, "SELECT t.vehicle_id, v.unit_id FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id WHERE t.sim = ?", phone).
			Scan(&vid, &unit); err != nil {
			return nil, fmt.Errorf("demo fleet %s: %w", phone, store.Translate(err))
		}
		var departed []time.Time
		if err := db.R.NewSelect().Table("orders").Column("departed_at").Where("vehicle_id = ? AND state = ?", vid, booking.Departed).
			Order("departed_at").Limit(1).Scan(ctx, &departed); err != nil {
			return nil, store.Translate(err)
		}
		from := now.Add(-2 * time.Hour)
		if len(departed) == 0 {
			if err := underway(ctx, db, vid, unit, from.Add(-10*time.Minute).Truncate(time.Minute), now); err != nil {
				return nil, fmt.Errorf("demo fleet order: %w", err)
			}
			orders++
		} else if departed[0].After(from) {
			from = departed[0].Add(time.Minute)
		}
		n, err := db.R.NewSelect().Table("positions").Where("terminal_phone = ?", telematics.NormalizePhone(phone)).Limit(1).Count(ctx)
		if err != nil {
			return nil, store.Translate(err)
		}
		if n > 0 {
			continue
		}
		to, tamper := now.Add(-25*time.Minute), i == len(phones)-1 && len(phones) >= 2
		if tamper {
			to = now.Add(-48 * time.Minute)
		}
		var last *jt808.Location
		for _, l := range sim.History(2026, i, from, to) {
			history = append(history, telematics.FromLocation(phone, vid, l, l.Time))
			last = l
		}
		if tamper && last != nil {
			for k := 3; k > 0; k-- {
				l := *last
				l.Time, l.Speed = now.Add(-time.Duration(44+k)*time.Minute), 0
				l.Status &^= jt808.StatusACC
				l.Alarm |= jt808.AlarmMainPowerCut
				history = append(history, telematics.FromLocation(phone, vid, &l, l.Time))
			}
		}
	}
	if len(history) > 0 {
		// Readable at once (Sync), for the trips built at start.
		if err := errors.Join(w.Write(ctx, history), w.Sync(ctx)); err != nil {
			return nil, fmt.Errorf("demo fleet history: %w", err)
		}
	}
	slog.Info("demo fleet prepared", "terminals", len(phones), "orders", orders, "positions", len(history))
	return drive, nil
}

// underway inserts an order of vehicle departed at dep, due back at the
// end of the Beijing day (at least four hours after now).
func underway(ctx context.Context, db *store.DB, vehicle, unit int64, dep, now time.Time) error {
	var applicant struct {
		ID   int64  `bun:"id"`
		Name string `bun:"real_name"`
	}
	if err := db.R.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.real_name").
		Join("JOIN user_roles AS r ON r.user_id = u.id AND r.role = 'applicant'").
		OrderExpr("CASE WHEN u.scope_id = ? THEN 0 ELSE 1 END, u.id", unit).Limit(1).Scan(ctx, &applicant); err != nil {
		return store.Translate(err)
	}
	// Someone at the wheel who is not on another order under way (the live
	// map's card shows the driver on duty): a driver bound to the car, else
	// one of its unit, else of a unit beside it (the demo fleet has more
	// cars than some units have drivers); a driver with an account only
	// when bound to the car, so that the accounts' task lists stay as the
	// demo lays them out.
	const bound = "EXISTS (SELECT 1 FROM driver_vehicles AS dv WHERE dv.driver_id = d.id AND dv.vehicle_id = ?)"
	var drivers []int64
	if err := db.R.NewSelect().TableExpr("drivers AS d").Column("d.id").
		Join("JOIN units AS du ON du.id = d.unit_id").
		Where("d.active AND NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.driver_id = d.id AND o.state = ?)", booking.Departed).
		Where("("+bound+" OR d.user_id IS NULL AND (du.id = ? OR du.parent_id = (SELECT parent_id FROM units WHERE id = ?)))", vehicle, unit, unit).
		OrderExpr("CASE WHEN "+bound+" THEN 0 WHEN d.unit_id = ? THEN 1 ELSE 2 END, d.id", vehicle, unit).
		Limit(1).Scan(ctx, &drivers); err != nil {
		return store.Translate(err)
	}
	ret := beijing.DayStart(now).AddDate(0, 0, 1).UTC()
	if min4 := now.Add(4 * time.Hour).Truncate(time.Hour); ret.Before(min4) {
		ret = min4
	}
	v := vehicle
	o := &booking.Order{UnitID: unit, ApplicantID: applicant.ID, ApplicantName: applicant.Name, Reason: "全天公务保障（演示车队）",
		Passengers: applicant.Name + "等", PassengerCount: 2, PickupPlace: "市行政中心", DestinationsRaw: `["市区各处"]`,
		PickupAt: dep, ReturnAt: ret, ApprovalsNeeded: 1, ApprovalsDone: 1, Consent: "delegation", State: booking.Departed,
		VehicleID: &v, DepartedAt: &dep, CreatedAt: dep.Add(-20 * time.Hour), UpdatedAt: dep}
	if len(drivers) > 0 {
		o.DriverID = &drivers[0]
	}
	day := dep.In(beijing.Zone).Format("20060102")
	return db.Tx(ctx, func(tx bun.Tx) error {
		for k := 9000; ; k++ {
			o.No = fmt.Sprintf("YC%s%04d", day, k)
			n, err := tx.NewSelect().Table("orders").Where("no = ?", o.No).Count(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
		if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
			return err
		}
		evs := []*booking.Event{
			{OrderID: o.ID, At: o.CreatedAt, ActorName: "演示数据", Action: "submit", ToState: booking.Submitted},
			{OrderID: o.ID, At: o.CreatedAt.Add(time.Hour), ActorName: "演示数据", Action: "approve", FromState: booking.Submitted, ToState: booking.Approved, Note: "同意"},
			{OrderID: o.ID, At: o.CreatedAt.Add(2 * time.Hour), ActorName: "演示数据", Action: "dispatch", FromState: booking.Approved, ToState: booking.Dispatched},
			{OrderID: o.ID, At: dep, ActorName: "演示数据", Action: "depart", FromState: booking.Dispatched, ToState: booking.Departed},
		}
		_, err := tx.NewInsert().Model(&evs).Exec(ctx)
		return err
	})
}
