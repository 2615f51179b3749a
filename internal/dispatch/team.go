package dispatch

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Team is a support team (保障班组): drivers with their vehicles, a
// leader and an on-duty rota.
type Team struct {
	ID         int64         `bun:"id" json:"id"`
	LevelID    int64         `bun:"level_id" json:"level_id"`
	LevelName  string        `bun:"level_name" json:"level_name"`
	LevelPath  string        `bun:"level_path" json:"-"`
	Name       string        `bun:"name" json:"name"`
	LeaderID   *int64        `bun:"leader_id" json:"leader_id"`
	LeaderName string        `bun:"leader_name" json:"leader_name"`
	Note       string        `bun:"note" json:"note"`
	Members    []*TeamMember `bun:"-" json:"members"`
	Duty       []*DutyDay    `bun:"-" json:"duty"`
}

// TeamMember is a driver of a team with the vehicle it brings (if any).
type TeamMember struct {
	TeamID     int64  `bun:"team_id" json:"-"`
	DriverID   int64  `bun:"driver_id" json:"driver_id"`
	DriverName string `bun:"driver_name" json:"driver_name"`
	Phone      string `bun:"phone" json:"phone"`
	Licence    string `bun:"licence_class" json:"licence_class"`
	VehicleID  *int64 `bun:"vehicle_id" json:"vehicle_id"`
	Plate      string `bun:"plate" json:"plate"`
	UnitName   string `bun:"unit_name" json:"unit_name"`
}

// DutyDay is a member on duty on a day.
type DutyDay struct {
	TeamID     int64  `bun:"team_id" json:"-"`
	Day        string `bun:"day" json:"day"`
	DriverID   int64  `bun:"driver_id" json:"driver_id"`
	DriverName string `bun:"driver_name" json:"driver_name"`
}

// TeamInput creates or replaces a team.
type TeamInput struct {
	LevelID  int64  `json:"level_id"`
	Name     string `json:"name" max:"50"`
	LeaderID int64  `json:"leader_id"`
	Note     string `json:"note" max:"200"`
	Members  []struct {
		DriverID  int64 `json:"driver_id"`
		VehicleID int64 `json:"vehicle_id"`
	} `json:"members"`
	Duty []struct {
		Day      string `json:"day"`
		DriverID int64  `json:"driver_id"`
	} `json:"duty"`
}

// Teams lists the teams of the levels the actor reads, with members and rota.
func (s *Service) Teams(ctx context.Context, a *access.Actor, q string, p, size int) ([]*Team, int, error) {
	sq := s.DB.R.NewSelect().TableExpr("support_teams AS m").
		ColumnExpr("m.id, m.level_id, l.name AS level_name, l.path AS level_path, m.name, m.leader_id, COALESCE(d.name, '') AS leader_name, m.note").
		Join("JOIN units AS l ON l.id = m.level_id").
		Join("LEFT JOIN drivers AS d ON d.id = m.leader_id").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, p := range a.ScopePaths() {
				q = q.WhereOr("l.path LIKE ?", p+"%").WhereOr("? LIKE l.path || '%'", p)
			}
			return q.WhereOr("1 = 0")
		})
	if t := strings.TrimSpace(q); t != "" {
		sq = sq.Where("m.name LIKE ?", like(t))
	}
	var out []*Team
	off, n := page(p, size)
	total, err := sq.OrderExpr("l.path, m.name").Limit(n).Offset(off).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	if len(out) == 0 {
		return []*Team{}, total, nil
	}
	ids := make([]int64, len(out))
	byID := map[int64]*Team{}
	for i, t := range out {
		ids[i], byID[t.ID] = t.ID, t
		t.Members, t.Duty = []*TeamMember{}, []*DutyDay{}
	}
	var ms []*TeamMember
	if err := s.DB.R.NewSelect().TableExpr("support_team_members AS tm").
		ColumnExpr("tm.team_id, tm.driver_id, d.name AS driver_name, d.phone, d.licence_class, tm.vehicle_id, COALESCE(v.plate, '') AS plate, u.name AS unit_name").
		Join("JOIN drivers AS d ON d.id = tm.driver_id").
		Join("JOIN units AS u ON u.id = d.unit_id").
		Join("LEFT JOIN vehicles AS v ON v.id = tm.vehicle_id").
		Where("tm.team_id IN (?)", bun.In(ids)).OrderExpr("d.name").Scan(ctx, &ms); err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, m := range ms {
		byID[m.TeamID].Members = append(byID[m.TeamID].Members, m)
	}
	var ds []*DutyDay
	if err := s.DB.R.NewSelect().TableExpr("support_team_duty AS r").ColumnExpr("r.team_id, r.day, r.driver_id, d.name AS driver_name").
		Join("JOIN drivers AS d ON d.id = r.driver_id").
		Where("r.team_id IN (?) AND r.day >= ?", bun.In(ids), beijing.Date(s.now().AddDate(0, 0, -30))).OrderExpr("r.day, d.name").Scan(ctx, &ds); err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, d := range ds {
		byID[d.TeamID].Duty = append(byID[d.TeamID].Duty, d)
	}
	return out, total, nil
}

// CreateTeam creates a team.
func (s *Service) CreateTeam(ctx context.Context, a *access.Actor, in TeamInput) (*Team, error) {
	return s.SaveTeam(ctx, a, 0, in)
}

// SaveTeam creates (id 0) or replaces a team of a level.
func (s *Service) SaveTeam(ctx context.Context, a *access.Actor, id int64, in TeamInput) (*Team, error) {
	var f errs.Fields
	in.Name = strings.TrimSpace(in.Name)
	f.Check(in.Name == "", "name", "请填写班组名称")
	f.Check(utf8.RuneCountInString(in.Name) > 50, "name", "班组名称不能超过50字")
	f.Check(len(in.Members) == 0, "members", "请至少选择一名驾驶员")
	f.Check(len(in.Members) > 500, "members", "班组成员不能超过500人")
	f.Check(len(in.Duty) > 2000, "duty", "值班安排不能超过2000条")
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		levelID := in.LevelID
		if id != 0 {
			if err := tx.NewSelect().Table("support_teams").Column("level_id").Where("id = ?", id).Scan(ctx, &levelID); err != nil {
				return store.NotFoundAs(err, errs.E(errs.NotFound, "保障班组不存在"))
			}
		}
		l, err := levelOf(ctx, tx, a, levelID)
		if err != nil {
			return err
		}
		members := map[int64]bool{}
		for _, m := range in.Members {
			d, err := loadDriver(ctx, tx, m.DriverID)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(d.UnitPath, l.Path) {
				return errs.E(errs.Forbidden, "驾驶员 %s 不属于%s所辖单位", d.Name, l.Name)
			}
			if members[d.ID] {
				return (&errs.Fields{"members": "驾驶员 " + d.Name + " 重复"}).Err()
			}
			members[d.ID] = true
			if m.VehicleID != 0 {
				v, err := loadVehicle(ctx, tx, m.VehicleID)
				if err != nil {
					return err
				}
				if !strings.HasPrefix(v.UnitPath, l.Path) {
					return errs.E(errs.Forbidden, "车辆 %s 不属于%s所辖单位", v.Plate, l.Name)
				}
				if err := driverFits(d, v, s.now()); err != nil {
					return err
				}
			}
		}
		if in.LeaderID != 0 && !members[in.LeaderID] {
			return (&errs.Fields{"leader_id": "班组长须是班组成员"}).Err()
		}
		for _, d := range in.Duty {
			if _, err := beijing.ParseDate(d.Day); err != nil {
				return (&errs.Fields{"duty": "值班日期“" + d.Day + "”不正确"}).Err()
			}
			if !members[d.DriverID] {
				return (&errs.Fields{"duty": "值班人员须是班组成员"}).Err()
			}
		}
		var leader *int64
		if in.LeaderID != 0 {
			leader = &in.LeaderID
		}
		dup, err := tx.NewSelect().Table("support_teams").Where("level_id = ? AND name = ? AND id <> ?", l.ID, in.Name, id).Exists(ctx)
		if err != nil {
			return err
		}
		if dup {
			return (&errs.Fields{"name": "已有名为“" + in.Name + "”的保障班组"}).Err()
		}
		if id == 0 {
			if err := tx.NewRaw("INSERT INTO support_teams (level_id, name, leader_id, note, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
				l.ID, in.Name, leader, strings.TrimSpace(in.Note), s.now()).Scan(ctx, &id); err != nil {
				return err
			}
		} else {
			if _, err := tx.NewRaw("UPDATE support_teams SET name = ?, leader_id = ?, note = ? WHERE id = ?", in.Name, leader, strings.TrimSpace(in.Note), id).Exec(ctx); err != nil {
				return err
			}
			for _, t := range []string{"support_team_duty", "support_team_members"} {
				if _, err := tx.NewDelete().Table(t).Where("team_id = ?", id).Exec(ctx); err != nil {
					return err
				}
			}
		}
		for _, m := range in.Members {
			var vid *int64
			if m.VehicleID != 0 {
				vid = &m.VehicleID
			}
			if _, err := tx.NewRaw("INSERT INTO support_team_members (team_id, driver_id, vehicle_id) VALUES (?, ?, ?)", id, m.DriverID, vid).Exec(ctx); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		for _, d := range in.Duty {
			k := fmt.Sprint(d.Day, d.DriverID)
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, err := tx.NewRaw("INSERT INTO support_team_duty (team_id, day, driver_id) VALUES (?, ?, ?)", id, d.Day, d.DriverID).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTeamSave, ObjectType: audit.SupportTeam, ObjectID: id, ScopePath: l.Path,
			Summary: fmt.Sprintf("%s保障班组「%s」：%d名驾驶员，%d条值班安排", l.Name, in.Name, len(in.Members), len(in.Duty))})
	})
	if err != nil {
		return nil, err
	}
	ts, _, err := s.Teams(ctx, a, in.Name, 1, 100)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, errs.E(errs.NotFound, "保障班组不存在")
}

// AssignTeam assigns a team to a task as a whole: every member bringing
// a vehicle, with that vehicle, for every shift — all or nothing.
func (s *Service) AssignTeam(ctx context.Context, a *access.Actor, taskID, teamID int64) (*TaskDetail, error) {
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, l, shifts, err := s.taskForWrite(ctx, tx, a, taskID)
		if err != nil {
			return err
		}
		var team struct {
			Name    string `bun:"name"`
			LevelID int64  `bun:"level_id"`
		}
		if err := tx.NewSelect().Table("support_teams").Column("name", "level_id").Where("id = ?", teamID).Scan(ctx, &team); err != nil {
			return store.NotFoundAs(err, (&errs.Fields{"team_id": "保障班组不存在"}).Err())
		}
		if _, err := levelOf(ctx, tx, a, team.LevelID); err != nil {
			return err
		}
		var ms []struct {
			DriverID  int64  `bun:"driver_id"`
			VehicleID *int64 `bun:"vehicle_id"`
		}
		if err := tx.NewSelect().Table("support_team_members").Column("driver_id", "vehicle_id").Where("team_id = ? AND vehicle_id IS NOT NULL", teamID).Order("driver_id").Scan(ctx, &ms); err != nil {
			return err
		}
		if len(ms) == 0 {
			return errs.E(errs.Conflict, "保障班组「%s」没有带车的成员", team.Name)
		}
		for _, m := range ms {
			_, ns, err := s.assign(ctx, tx, a, t, l, shifts, AssignInput{VehicleID: *m.VehicleID, DriverID: m.DriverID}, "team", teamID)
			if err != nil {
				return errs.E(errs.CodeOf(err), "保障班组「%s」不能整体调派：%s", team.Name, errText(err))
			}
			notes = append(notes, ns...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.GetTask(ctx, a, taskID)
}

func errText(err error) string {
	if e, ok := err.(*errs.Error); ok {
		return e.Message
	}
	return err.Error()
}
