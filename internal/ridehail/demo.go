package ridehail

import (
	"fmt"
	"time"

	"govfleet/internal/beijing"
)

// DemoRide is one of the demo's past rides, laid down alike by the
// Changzhou demo (its visitors' bookings) and by the simulator started with
// --demo-history (its orders), so that the reconciliation of the demo's
// months finds them on both sides.
type DemoRide struct {
	Order
	Passenger   int // index into the demo's visitors
	Destination string
	DriverPhone string
	CarDesc     string
	Cap         int64
}

// DemoRides are three rides in each of the two months before now's
// (Beijing): paid, with their fee, driver and car.
func DemoRides(now time.Time) []DemoRide {
	bj := now.In(beijing.Zone)
	var out []DemoRide
	dests := []string{"市行政中心", "常州大学", "中华恐龙园", "武进区政府", "常州北站", "奔牛机场"}
	fees := []int64{2350, 4180, 3160, 2790, 5620, 6840}
	k := 0
	for m := 2; m >= 1; m-- {
		first := time.Date(bj.Year(), bj.Month()-time.Month(m), 1, 9, 0, 0, 0, beijing.Zone)
		for _, day := range []int{5, 12, 19} {
			at := first.AddDate(0, 0, day-1).Add(time.Duration(k%3) * 90 * time.Minute)
			d := simDrivers[k%len(simDrivers)]
			fin := at.Add(50 * time.Minute).UTC()
			out = append(out, DemoRide{Order: Order{OrderID: fmt.Sprintf("T3-D%05d", k+1), ApplicationID: fmt.Sprintf("APP-D%05d", k+1),
				OutApplicationNo: fmt.Sprintf("FK%sD%d", at.Format("20060102"), k+1), Status: Paid, FeeFen: fees[k], DriverName: d.name,
				CarPlate: d.plate, FinishedAt: &fin, CreatedAt: at.Add(-2 * time.Hour).UTC()},
				Passenger: k % 3, Destination: dests[k], DriverPhone: d.phone, CarDesc: d.car, Cap: 20000})
			k++
		}
	}
	return out
}

// LoadDemoHistory gives the simulator the demo's past rides as its orders,
// one of last month's with a fee 3.00 yuan higher than the platform
// recorded: a difference for the reconciliation to show.
func (s *Simulator) LoadDemoHistory(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	rides := DemoRides(now)
	for i, r := range rides {
		o := r.Order
		if i == len(rides)-1 {
			o.FeeFen += 300
		}
		s.apps[o.ApplicationID] = &simApp{ID: o.ApplicationID, Order: o, Phone: r.DriverPhone, Car: r.CarDesc,
			Application: Application{Ref: o.OutApplicationNo, Destination: r.Destination, AmountCapFen: r.Cap}}
		s.order = append(s.order, o.ApplicationID)
	}
}
