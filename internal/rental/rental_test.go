package rental_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/rental"
)

func fieldMsg(err error, field string) string {
	if e, ok := err.(*errs.Error); ok {
		return e.Fields[field]
	}
	return ""
}

// TestRentalFlowAndAssessment: an order own vehicles cannot cover goes to
// a rental company under contract, which assigns its vehicle and driver
// and records the usage (fee to the ledger); the passenger rates; the
// month's assessment counts orders, on-time starts, ratings and
// complaints, and the contracting level signs it off once.
func TestRentalFlowAndAssessment(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		db := w.DB
		rs := w.Rental
		staff, appr, disp := w.Actor(t, "jgj_staff"), w.Actor(t, "jgj_approver"), w.Actor(t, "jgj_dispatcher")
		co, co2, city, tn := w.Actor(t, "co_rental"), w.Actor(t, "co_rental2"), w.Actor(t, "city_admin"), w.Actor(t, "tn_admin")

		// The company's registry, validated.
		_, err := rs.SaveVehicle(ctx, co, 0, rental.VehicleInput{Plate: "苏D1234", Model: "别克GL8", Seats: 7})
		if fieldMsg(err, "plate") == "" {
			t.Fatalf("bad plate: %v", err)
		}
		_, err = rs.SaveDriver(ctx, co, 0, rental.DriverInput{Name: "李师傅", Phone: "1380519", LicenceClass: "C1"})
		if fieldMsg(err, "phone") == "" {
			t.Fatalf("bad phone: %v", err)
		}
		_, err = rs.SaveVehicle(ctx, staff, 0, rental.VehicleInput{Plate: "苏DR1234", Model: "别克GL8", Seats: 7})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("staff registers a rental vehicle: %v", err)
		}
		v, err := rs.SaveVehicle(ctx, co, 0, rental.VehicleInput{Plate: "苏d·r1234", Model: "别克GL8", Seats: 7})
		if err != nil || v.Plate != "苏DR1234" {
			t.Fatalf("vehicle %+v %v", v, err)
		}
		d, err := rs.SaveDriver(ctx, co, 0, rental.DriverInput{Name: "李师傅", Phone: "13805190001", LicenceClass: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		v2, err := rs.SaveVehicle(ctx, co2, 0, rental.VehicleInput{Plate: "苏DR5678", Model: "丰田埃尔法", Seats: 7})
		if err != nil {
			t.Fatal(err)
		}

		// Three orders of the month before last (the demo's are later)
		// handed to co_rental.
		// The service's running month is the test's: one instant for both,
		// so a month's last Beijing midnight during the test cannot set them
		// a month apart.
		now := time.Now().In(beijing.Zone)
		rs.Now = func() time.Time { return now }
		month := beijing.MonthStart(now).AddDate(0, -2, 0)
		type trip struct {
			late   time.Duration // start after pickup
			fee    int64
			rating int // 0: not completed
		}
		trips := []trip{{0, 45000, 5}, {30 * time.Minute, 30000, 2}, {0, 0, 0}}
		var ids []int64
		for i, tr := range trips {
			pick := now.Add(48 * time.Hour)
			o, err := w.Booking.Create(ctx, staff, booking.Input{Reason: "赴省厅汇报", PassengerCount: 3, PickupPlace: "市行政中心", Destinations: []string{"南京"},
				PickupAt: pick, ReturnAt: pick.Add(8 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Booking.Approve(ctx, appr, o.ID, ""); err != nil {
				t.Fatal(err)
			}
			pickup := month.Add(time.Duration(i+2)*24*time.Hour + 8*time.Hour)
			if _, err := db.W.NewRaw("UPDATE orders SET pickup_at = ?, return_at = ? WHERE id = ?", pickup.UTC(), pickup.Add(8*time.Hour).UTC(), o.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				_, err := rs.HandOver(ctx, disp, o.ID, rental.HandOverInput{CompanyID: co2.CompanyID, Reason: "车辆不足"})
				if fieldMsg(err, "company_id") == "" {
					t.Fatalf("company without a contract for the unit: %v", err)
				}
				_, err = rs.HandOver(ctx, disp, o.ID, rental.HandOverInput{CompanyID: co.CompanyID})
				if fieldMsg(err, "reason") == "" {
					t.Fatalf("hand-over without reason: %v", err)
				}
			}
			got, err := rs.HandOver(ctx, disp, o.ID, rental.HandOverInput{CompanyID: co.CompanyID, Reason: "本单位车辆均已派出"})
			if err != nil || got.State != booking.Rental {
				t.Fatalf("hand-over: %v %v", got, err)
			}
			list, _, err := rs.List(ctx, co, rental.Filter{Month: month.Format("2006-01")}, 1, 20)
			if err != nil || len(list) != i+1 {
				t.Fatalf("company's orders: %d %v", len(list), err)
			}
			r := list[0]
			ids = append(ids, r.ID)
			if _, err := rs.Assign(ctx, co2, r.ID, rental.AssignInput{VehicleID: v2.ID, DriverID: d.ID}); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("another company assigns: %v", err)
			}
			_, err = rs.Assign(ctx, co, r.ID, rental.AssignInput{VehicleID: v2.ID, DriverID: d.ID})
			if fieldMsg(err, "vehicle_id") == "" {
				t.Fatalf("another company's vehicle: %v", err)
			}
			if _, err := rs.Assign(ctx, co, r.ID, rental.AssignInput{VehicleID: v.ID, DriverID: d.ID}); err != nil {
				t.Fatal(err)
			}
			if tr.rating == 0 {
				continue
			}
			start := pickup.Add(tr.late)
			_, err = rs.RecordUsage(ctx, co, r.ID, rental.UsageInput{StartMileage: 5000, EndMileage: 4990, StartedAt: start, EndedAt: start.Add(6 * time.Hour), FeeFen: tr.fee})
			if fieldMsg(err, "end_mileage") == "" {
				t.Fatalf("mileage going back: %v", err)
			}
			r, err = rs.RecordUsage(ctx, co, r.ID, rental.UsageInput{StartMileage: 5000, EndMileage: 5320, StartedAt: start, EndedAt: start.Add(6 * time.Hour), FeeFen: tr.fee})
			if err != nil || r.State != rental.Completed || r.OrderState != booking.Back {
				t.Fatalf("usage: %+v %v", r, err)
			}
			if _, err := rs.RecordUsage(ctx, co, r.ID, rental.UsageInput{StartMileage: 5000, EndMileage: 5320, StartedAt: start, EndedAt: start.Add(6 * time.Hour), FeeFen: tr.fee}); !errs.Is(err, errs.Conflict) {
				t.Fatalf("usage twice: %v", err)
			}
			if _, err := w.Booking.Rate(ctx, staff, r.OrderID, tr.rating, ""); err != nil {
				t.Fatal(err)
			}
		}
		var fees []int64
		if err := db.R.NewSelect().Table("cost_entries").Column("amount_fen").Where("kind = 'rental' AND source_id IN (?)", bun.In(ids)).Order("amount_fen").Scan(ctx, &fees); err != nil {
			t.Fatal(err)
		}
		if len(fees) != 2 || fees[0] != 30000 || fees[1] != 45000 {
			t.Fatalf("ledger %v, want the two fees", fees)
		}

		as, err := rs.Assessments(ctx, city, month.Format("2006-01"))
		if err != nil {
			t.Fatal(err)
		}
		var a *rental.Assessment
		for _, x := range as {
			if x.CompanyID == co.CompanyID {
				a = x
			}
		}
		want := rental.Numbers{Orders: 3, Completed: 2, OnTime: 1, Rated: 2, RatingSum: 7, Complaints: 1, FeeFen: 75000}
		if a == nil || a.Numbers != want || a.OnTimeRate != 50 || a.AvgRating != 3.5 {
			t.Fatalf("assessment %+v, want %+v, 50%% on time, 3.5 stars", a, want)
		}

		sign := rental.SignInput{CompanyID: co.CompanyID, Month: month.Format("2006-01"), Grade: "good", Comment: "准时率偏低，须整改"}
		if _, err := rs.Sign(ctx, tn, sign); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a district signs the city's company: %v", err)
		}
		cur := sign
		cur.Month = now.Format("2006-01")
		if _, err := rs.Sign(ctx, city, cur); fieldMsg(err, "month") == "" {
			t.Fatalf("signing the running month: %v", err)
		}
		s, err := rs.Sign(ctx, city, sign)
		if err != nil || s.Numbers != want {
			t.Fatalf("sign-off %+v %v", s, err)
		}
		if _, err := rs.Sign(ctx, city, sign); !errs.Is(err, errs.Conflict) {
			t.Fatalf("signed twice: %v", err)
		}
		as, _ = rs.Assessments(ctx, co, month.Format("2006-01"))
		if len(as) != 1 || as[0].SignOff == nil || as[0].SignOff.Grade != "good" {
			t.Fatalf("the company's own view: %+v", as)
		}
	})
}
