package app

import (
	"context"
	"log/slog"
	"time"

	"govfleet/internal/telematics"
)

// every runs job at once and then every period in a goroutine of the app
// until ctx ends (period 0: never); Close waits for it.
func (a *App) every(ctx context.Context, period time.Duration, job func(ctx context.Context)) {
	if period <= 0 {
		return
	}
	a.jobs.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			job(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// periodic is the work of every ten minutes: overdue emergency filings
// escalate once, idle sessions are purged, the supervision rules run
// (issue 7: the last 31 days at start, then the last three days; known
// findings are skipped).
func (a *App) periodic() func(ctx context.Context) {
	supSpan := 31 * 24 * time.Hour
	return func(ctx context.Context) {
		a.Supervision.Job(ctx, time.Now().UTC(), supSpan)
		supSpan = 72 * time.Hour
		if n, err := a.Booking.EscalateOverdue(ctx); err != nil {
			slog.Warn("escalate overdue filings", "err", err)
		} else if n > 0 {
			slog.Info("overdue emergency filings escalated", "count", n)
		}
		// due dates for new vehicles, then the reminders 30 days
		// ahead (each once per due date, so running often sends nothing twice).
		if _, err := a.Inspection.FillDefaults(ctx); err != nil {
			slog.Warn("inspection due dates", "err", err)
		}
		if n, err := a.Inspection.Remind(ctx); err != nil {
			slog.Warn("inspection reminders", "err", err)
		} else if n > 0 {
			slog.Info("inspection reminders sent", "vehicles", n)
		}
		if n, err := a.Insurance.RemindExpiring(ctx); err != nil {
			slog.Warn("policy expiry reminders", "err", err)
		} else if n > 0 {
			slog.Info("policy expiry reminders sent", "policies", n)
		}
		// the paid-use fees of visitors' trips that came back.
		if n, err := a.Visitors.SettleFees(ctx, 0); err != nil {
			slog.Warn("visitor paid-use fees", "err", err)
		} else if n > 0 {
			slog.Info("visitor paid-use fees computed", "bookings", n)
		}
		// Issue 21: cross-unit uses are costed soon after they close.
		if n, err := a.Savings.CostClosed(ctx, 500); err != nil {
			slog.Warn("cross-unit use costs", "err", err)
		} else if n > 0 {
			slog.Info("cross-unit uses costed", "count", n)
		}
		// Issue 23: every trip served is priced at the market reference price (the savings rate's market basis),
		// in batches until none is left (the first run after an upgrade prices the history).
		// At most 100 batches a run: a backlog larger than that goes on at the next run.
		total := 0
		for range 100 {
			n, err := a.Savings.PriceServed(ctx, 2000)
			if err != nil {
				slog.Warn("market prices of trips served", "err", err)
			}
			if total += n; err != nil || n < 2000 {
				break
			}
		}
		if total > 0 {
			slog.Info("trips served priced at market", "count", total)
		}
		// Issue 23: the annual report's deadline reminders and overdue notices (each once).
		if n, err := a.Annual.Remind(ctx); err != nil {
			slog.Warn("annual report reminders", "err", err)
		} else if n > 0 {
			slog.Info("annual report reminders sent", "reports", n)
		}
		// Issue 19: the audit chain's head, signed, outside the database.
		if err := a.Audit.Checkpoint(ctx); err != nil {
			slog.Warn("audit checkpoint", "err", err)
		}
		if err := a.Auth.PurgeSigned(ctx); err != nil {
			slog.Warn("purge signed-request records", "err", err)
		}
		if n, err := a.Auth.PurgeSessions(ctx); err != nil {
			slog.Warn("purge sessions", "err", err)
		} else if n > 0 {
			slog.Info("expired sessions purged", "count", n)
		}
	}
}

// telematics is the work of every minute: trips and daily mileage with
// their orders or R-14 filings, then, when trips were closed, the
// supervision rules over the last six hours (issue 7: a violation shows
// minutes after the trip, not at the next ten-minute run; known findings
// are skipped, older trips come with the scheduled run); terminal health
// every hour, positions older than the retention are deleted.
func (a *App) telematics() func(ctx context.Context) {
	var pruned time.Time
	return func(ctx context.Context) {
		start := time.Now()
		st, err := a.Trips.Run(ctx)
		took := time.Since(start) // of trips and health, not supervision
		if ctx.Err() != nil {
			return // shutting down: a run cut short is no failure
		}
		if err != nil {
			slog.Warn("trips", "err", err)
		} else if st.Closed+st.Filings > 0 {
			slog.Info("trips built", "positions", st.Positions, "closed", st.Closed, "linked", st.Linked, "filings", st.Filings,
				"took", took.Round(time.Millisecond))
		}
		if st.Closed > 0 {
			if err := a.Supervision.TripsClosed(ctx, start.Add(-6*time.Hour).UTC(), start.UTC()); err != nil {
				slog.Warn("supervision after trips", "err", err)
			}
		}
		hstart := time.Now()
		hs, err := a.Health.Run(ctx)
		took += time.Since(hstart)
		if ctx.Err() != nil {
			return
		} else if err != nil {
			slog.Warn("terminal health", "err", err)
		} else if hs.Opened > 0 {
			slog.Info("terminal-health events", "opened", hs.Opened)
		}
		// Issue 23: the statistics' roll-ups of the vehicle-days whose trips
		// or orders changed since the last run (a cursor), then their months.
		if rs, err := a.Stats.Refresh(ctx); ctx.Err() != nil {
			return
		} else if err != nil {
			slog.Warn("statistics roll-ups", "err", err)
		} else if rs.VehicleDays > 0 {
			slog.Debug("statistics roll-ups", "vehicle_days", rs.VehicleDays, "unit_months", rs.Months)
		}
		if took > time.Minute {
			// Paced to a quarter of a core, the passes outlast the minute
			// on a large fleet: trips and events come that much later.
			slog.Info("trips and terminal health took longer than a minute", "took", took.Round(time.Second),
				"vehicles", st.Vehicles, "terminals", hs.Terminals, "positions", st.Positions+hs.Positions)
		}
		if days := a.cfg.RetentionDays; days > 0 && time.Since(pruned) >= time.Hour {
			pruned = time.Now()
			if n, err := telematics.Prune(ctx, a.DB, time.Now().AddDate(0, 0, -days)); err != nil {
				slog.Warn("prune positions", "err", err)
			} else if n > 0 {
				slog.Info("positions pruned", "rows", n, "retention_days", days)
			}
		}
	}
}
