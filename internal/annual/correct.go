package annual

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/money"
	"govfleet/internal/notify"
)

// Correctable are the registry fields a unit corrects from its report, with their names.
var Correctable = []struct {
	Field string `json:"field"`
	Name  string `json:"name"`
}{
	{"engine_no", "发动机号"}, {"displacement", "排量（毫升）"}, {"seats", "座位数"}, {"registered_on", "注册登记日期"},
	{"purchase_price", "购置价格（元）"}, {"funding_source", "经费来源"}, {"use_nature", "使用性质"},
}

// CorrectionInput corrects one field of a vehicle of the report.
type CorrectionInput struct {
	VehicleID int64  `json:"vehicle_id"`
	Field     string `json:"field"`
	Value     string `json:"value" max:"60"`
	Reason    string `json:"reason" max:"200"`
}

// Correct writes a correction of the unit's report back to the registry (the vehicle's record),
// in the report's transaction: the vehicle's field changes, the audit log records the vehicle's
// before and after under the correction's action, and the report's timeline says what changed,
// when and why.
func (s *Service) Correct(ctx context.Context, a *access.Actor, id int64, in CorrectionInput) (*Detail, error) {
	var f errs.Fields
	name := ""
	for _, c := range Correctable {
		if c.Field == in.Field {
			name = c.Name
		}
	}
	f.Check(name == "", "field", "请选择要更正的项目")
	f.Check(in.VehicleID == 0, "vehicle_id", "请选择车辆")
	f.Check(strings.TrimSpace(in.Reason) == "", "reason", "请说明更正原因")
	value := strings.TrimSpace(in.Value)
	var stored any = value
	switch in.Field {
	case "displacement", "seats":
		n, err := strconv.Atoi(value)
		f.Check(err != nil || n < 0 || (in.Field == "seats" && (n < 1 || n > 80)) || n > 20000, "value", name+"应为合理的整数")
		stored = n
	case "purchase_price":
		fen, err := money.Parse(value)
		f.Check(err != nil || fen <= 0, "value", "购置价格应为大于 0 的金额（元，最多两位小数）")
		stored = fen
	case "funding_source":
		code := ""
		for _, c := range fleet.FundingSources {
			if value == c.Name || value == c.Code {
				code = c.Code
			}
		}
		f.Check(code == "", "value", "经费来源应为："+names(fleet.FundingSources))
		stored = code
	case "registered_on":
		_, err := beijing.ParseDate(value)
		f.Check(err != nil, "value", "注册登记日期格式应为 YYYY-MM-DD")
	default:
		f.Check(value == "", "value", "请填写更正后的"+name)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "correct", func(tx bun.Tx, r *Report) (string, []notify.Message, error) {
		if a.ScopePath != r.UnitPath || r.UnitKind != "unit" {
			return "", nil, errs.E(errs.Forbidden, "只能更正本单位年度报告中的车辆信息")
		}
		if r.State != Draft && r.State != Returned {
			return "", nil, errs.E(errs.Conflict, "%s %d 年度报告%s，不能再更正", r.UnitName, r.Year, r.StateName)
		}
		var v struct {
			Plate string `bun:"plate"`
			Path  string `bun:"path"`
			Old   string `bun:"old"`
		}
		if err := tx.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.plate, u.path").ColumnExpr("CAST(v."+in.Field+" AS TEXT) AS old").
			Join("JOIN units AS u ON u.id = v.unit_id").Where("v.id = ?", in.VehicleID).Scan(ctx, &v); err != nil {
			return "", nil, errs.E(errs.NotFound, "车辆不存在")
		}
		if v.Path != r.UnitPath {
			return "", nil, errs.E(errs.Forbidden, "%s 不是本单位的车辆", v.Plate)
		}
		now := s.now()
		if _, err := tx.NewUpdate().Table("vehicles").Set(in.Field+" = ?", stored).Set("updated_at = ?", now).Where("id = ?", in.VehicleID).Exec(ctx); err != nil {
			return "", nil, err
		}
		old, shown := v.Old, value
		if in.Field == "purchase_price" {
			if n, err := strconv.ParseInt(old, 10, 64); err == nil {
				old = money.Yuan(n)
			}
			shown = money.Yuan(stored.(int64))
		}
		if old == "" {
			old = "（空）"
		}
		summary := fmt.Sprintf("%s %s：%s → %s（%s）", v.Plate, name, old, shown, strings.TrimSpace(in.Reason))
		if err := audit.Record(ctx, tx, a, audit.Event{Action: actCorrect, ObjectType: audit.Vehicle, ObjectID: in.VehicleID, ScopePath: v.Path,
			Summary: fmt.Sprintf("%d 年度报告更正：%s", r.Year, summary), Before: map[string]any{in.Field: v.Old}, After: map[string]any{in.Field: stored}}); err != nil {
			return "", nil, err
		}
		return summary, nil, nil
	})
}

func names(codes []fleet.Code) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.Name
	}
	return strings.Join(out, "、")
}
