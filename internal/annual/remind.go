package annual

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/notify"
)

// RemindDays is how many days before the deadline the administrators of a report not yet
// submitted are reminded.
const RemindDays = 14

// Remind tells the administrators of each report not yet submitted (待填报 or 已退回) once when its
// deadline is RemindDays away or nearer, and once more when it has passed (overdue); each reminder
// goes once per report and deadline (lifecycle_reminders) and is written in the report's timeline.
// The jobs loop runs it every ten minutes.
func (s *Service) Remind(ctx context.Context) (int, error) {
	now := s.now()
	today := beijing.Date(now)
	soon := beijing.Date(now.Add(RemindDays * 24 * time.Hour))
	var due []struct {
		ID       int64  `bun:"id"`
		Year     int    `bun:"year"`
		Path     string `bun:"unit_path"`
		Kind     string `bun:"kind"`
		Deadline string `bun:"deadline"`
	}
	err := s.DB.R.NewSelect().TableExpr("annual_reports AS r").ColumnExpr("r.id, r.year, r.unit_path, u.kind, y.deadline").
		Join("JOIN units AS u ON u.id = r.unit_id").Join("JOIN annual_years AS y ON y.year = r.year").
		Where("r.state IN (?, ?) AND y.deadline <= ?", Draft, Returned, soon).Scan(ctx, &due)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range due {
		kind, title := "annual_soon", "年度报告即将到期"
		body := fmt.Sprintf("%d 年度报告须于 %s 前签署上报", d.Year, d.Deadline)
		if today > d.Deadline {
			kind, title = "annual_overdue", "年度报告已逾期"
			body = fmt.Sprintf("%d 年度报告已超过截止日期 %s，请尽快签署上报", d.Year, d.Deadline)
		}
		res, err := s.DB.W.NewRaw("INSERT INTO lifecycle_reminders (kind, object_id, due_on, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			kind, d.ID, d.Deadline, now).Exec(ctx)
		if err != nil {
			return sent, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if err := event(ctx, s.DB.W, nil, d.ID, "remind", title, now); err != nil {
			return sent, err
		}
		if s.Notify != nil {
			s.Notify.Send(ctx, notify.Message{Users: recipients(ctx, s.DB.R, d.Path, d.Kind), Kind: "annual", Title: title, Body: body, Link: link(d.ID), SMS: true})
		}
		sent++
	}
	return sent, nil
}
