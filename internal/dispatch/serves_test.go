package dispatch

import (
	"fmt"
	"testing"
	"time"

	"govfleet/internal/booking"
	"govfleet/internal/calendar"
)

// TestServesAgreesWithOccupy: the candidates are ranked from the holds
// alone (holds.serves) and bars built for the page only (holds.occupy);
// both must say the same of every vehicle — free or held, on the task or
// not — whatever holds it: the task's own orders, other orders inside and
// outside the shifts, repair, sealing, a holiday it is sealed on or not.
func TestServesAgreesWithOccupy(t *testing.T) {
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Add(-8 * time.Hour) // 05-01 00:00 Beijing
	from, to := day, day.AddDate(0, 0, 3)
	wins := [][2]time.Time{{day.Add(8 * time.Hour), day.Add(12 * time.Hour)}, {day.Add(56 * time.Hour), day.Add(60 * time.Hour)}}
	task, other := int64(7), int64(8)
	order := func(id int64, task *int64, at, hours int) booking.Holding {
		return booking.Holding{ID: id, No: fmt.Sprint("YC", id, at), TaskID: task, PickupAt: day.Add(time.Duration(at) * time.Hour), ReturnAt: day.Add(time.Duration(at+hours) * time.Hour)}
	}
	orders := map[int64][]booking.Holding{}
	var vs []*fleetVehicle
	id := int64(0)
	for _, status := range []string{"available", "maintenance", "sealed"} {
		for _, category := range []string{"emergency", "other"} {
			for _, held := range [][]booking.Holding{
				nil,
				{order(0, &task, 8, 4)}, // its own shift
				{order(0, &task, 8, 4), order(0, &other, 9, 2)}, // its shift and another task over it
				{order(0, nil, 14, 2)},                          // an order between the shifts
				{order(0, nil, 58, 5)},                          // an order over the second shift
				{order(0, &task, 56, 4), order(0, nil, 30, 2)},  // its shift, an order elsewhere
			} {
				id++
				for _, x := range held {
					x.ID = id
					orders[id] = append(orders[id], x)
				}
				vs = append(vs, &fleetVehicle{id: id, plate: fmt.Sprint("苏D", id), status: status, category: category, vtype: "sedan"})
			}
		}
	}
	for _, hols := range [][]*calendar.Day{nil, {{Day: "2026-05-01", Name: "劳动节"}}, {{Day: "2026-05-02", Name: "劳动节"}}} {
		h := &holds{from: from, to: to, orders: orders, taskNames: map[int64]string{task: "本任务", other: "他任务"}, holidays: hols}
		sealed := h.sealedOver(wins)
		for _, v := range vs {
			free, onTask := h.serves(v, wins, task, sealed)
			s := v.slot()
			h.occupy(s, wins, task)
			shift := false
			for _, b := range s.Bars {
				shift = shift || b.Kind == "shift"
			}
			if free != s.Free || onTask != shift {
				t.Errorf("holidays %v, vehicle %s %s %d orders: serves free %v on task %v, occupy free %v on task %v",
					hols, v.status, v.category, len(orders[v.id]), free, onTask, s.Free, shift)
			}
		}
	}
}
