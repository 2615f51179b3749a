package monitor

import (
	"context"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/loans"
)

// Cross-level loans (R-17, internal/loans) on the live map and in track
// playback: a vehicle lent to the actor's level is seen during the loan's
// period, and its track only inside it.

// lentDuring refuses a vehicle outside the actor's subtree unless it is
// lent to the actor's level for the whole of [from, to].
func (s *Service) lentDuring(ctx context.Context, a *access.Actor, id int64, plate string, from, to time.Time, what string) error {
	return loans.Check(ctx, s.DB.R, a, id, plate, from, to, what)
}

// withLent adds to the live list the vehicles lent to the actor's level
// now (those it does not already see), with their current order.
func (s *Service) withLent(ctx context.Context, a *access.Actor, f Filter, vs []*LiveVehicle) ([]*LiveVehicle, error) {
	now := s.now()
	lent, err := loans.LentTo(ctx, s.DB.R, a, now, now)
	if err != nil || len(lent) == 0 {
		return vs, err
	}
	have := make(map[int64]bool, len(vs))
	for _, v := range vs {
		have[v.ID] = true
	}
	var more []*LiveVehicle
	for id := range lent {
		if have[id] || f.VehicleID != 0 && f.VehicleID != id {
			continue
		}
		got, err := s.vehicles(ctx, "", f.Q, id)
		if err != nil {
			return nil, err
		}
		more = append(more, got...)
	}
	if len(more) == 0 {
		return vs, nil
	}
	if err := s.onDuty(ctx, "", more); err != nil {
		return nil, err
	}
	return append(vs, more...), nil
}

// addLent adds to a live stream's vehicles those lent to the actor's level now.
func (s *Service) addLent(ctx context.Context, a *access.Actor, m map[int64]bool) error {
	now := s.now()
	lent, err := loans.LentTo(ctx, s.DB.R, a, now, now)
	for id := range lent {
		m[id] = true
	}
	return err
}
