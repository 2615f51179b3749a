package trips

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/booking"
	"govfleet/internal/store"
)

// window is a period an order or filing covers the vehicle.
type window struct {
	id         int64
	start, end time.Time
}

func (w window) overlap(from, to time.Time) time.Duration {
	s, e := max(w.start.UnixNano(), from.UnixNano()), min(w.end.UnixNano(), to.UnixNano())
	return time.Duration(e - s)
}

// Link matches every closed, unlinked trip with the order it served: an
// order of the vehicle whose actual departure → return to base window
// overlaps the trip (not yet returned: open-ended), or, not departed yet,
// whose planned window widened by LateStart does. The order with the
// largest overlap wins. Without one, an emergency filing of the vehicle
// covering the trip (filed by the unit, or opened for an earlier trip)
// is linked; otherwise the trip opens an R-14 filing ("trip:<id>") that
// the unit must complete within 48 hours. It returns the trips linked to
// an order or existing filing, and the filings opened.
func (s *Service) Link(ctx context.Context) (linked, opened int, err error) {
	var ts []*Trip
	if err := s.DB.R.NewSelect().Model(&ts).Where("state = 'closed' AND linked_at IS NULL").Order("id").Limit(1000).Scan(ctx); err != nil {
		return 0, 0, store.Translate(err)
	}
	tol := orDefault(s.LateStart, 30*time.Minute)
	for _, t := range ts {
		orderID, err := s.orderFor(ctx, t, tol)
		if err != nil {
			return linked, opened, err
		}
		var filingID *int64
		if orderID == nil {
			if filingID, err = s.filingFor(ctx, t); err != nil {
				return linked, opened, err
			}
			if filingID == nil {
				end := t.EndedAt
				f, err := s.Booking.OpenForTrip(ctx, t.VehicleID, t.StartedAt, &end, fmt.Sprintf("trip:%d", t.ID))
				if err != nil {
					return linked, opened, fmt.Errorf("filing for trip %d: %w", t.ID, err)
				}
				filingID = &f.ID
				opened++
			} else {
				linked++
			}
		} else {
			linked++
		}
		now := s.now()
		if _, err := s.DB.W.NewUpdate().Table("trips").Set("order_id = ?", orderID).Set("filing_id = ?", filingID).Set("linked_at = ?", now).
			Where("id = ?", t.ID).Exec(ctx); err != nil {
			return linked, opened, store.Translate(err)
		}
	}
	return linked, opened, nil
}

func (s *Service) orderFor(ctx context.Context, t *Trip, tol time.Duration) (*int64, error) {
	var os []struct {
		ID         int64      `bun:"id"`
		State      string     `bun:"state"`
		PickupAt   time.Time  `bun:"pickup_at"`
		ReturnAt   time.Time  `bun:"return_at"`
		DepartedAt *time.Time `bun:"departed_at"`
		ReturnedAt *time.Time `bun:"returned_at"`
	}
	err := s.DB.R.NewSelect().Table("orders").Column("id", "state", "pickup_at", "return_at", "departed_at", "returned_at").
		Where("vehicle_id = ? AND pickup_at <= ? AND pickup_at > ?", t.VehicleID, t.EndedAt.Add(tol), t.StartedAt.Add(-booking.MaxSpan-tol)).
		Where("state IN (?, ?, ?, ?, ?, ?)", booking.PendingConsent, booking.Dispatched, booking.Departed, booking.Finished, booking.Back, booking.Closed).
		Scan(ctx, &os)
	if err != nil {
		return nil, store.Translate(err)
	}
	var best *int64
	var bestOverlap time.Duration
	for _, o := range os {
		w := window{id: o.ID, start: o.PickupAt.Add(-tol), end: o.ReturnAt.Add(tol)}
		if o.DepartedAt != nil {
			w.start, w.end = o.DepartedAt.Add(-tol), t.EndedAt.Add(time.Hour) // under way: open-ended
			if o.ReturnedAt != nil {
				w.end = o.ReturnedAt.Add(tol)
			}
		}
		if ov := w.overlap(t.StartedAt, t.EndedAt); ov > 0 && ov > bestOverlap {
			id := o.ID
			best, bestOverlap = &id, ov
		}
	}
	return best, nil
}

func (s *Service) filingFor(ctx context.Context, t *Trip) (*int64, error) {
	var fs []struct {
		ID        int64      `bun:"id"`
		StartedAt time.Time  `bun:"started_at"`
		EndedAt   *time.Time `bun:"ended_at"`
	}
	err := s.DB.R.NewSelect().Table("emergency_filings").Column("id", "started_at", "ended_at").
		Where("vehicle_id = ? AND started_at <= ? AND started_at > ?", t.VehicleID, t.EndedAt, t.StartedAt.Add(-booking.MaxSpan)).
		Order("started_at").Scan(ctx, &fs)
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, f := range fs {
		end := f.StartedAt.Add(24 * time.Hour) // an open-ended filing covers its day
		if f.EndedAt != nil {
			end = *f.EndedAt
		}
		if (window{start: f.StartedAt, end: end}).overlap(t.StartedAt, t.EndedAt) > 0 {
			id := f.ID
			return &id, nil
		}
	}
	return nil, nil
}
