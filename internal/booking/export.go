package booking

import (
	"context"
	"strings"

	"govfleet/internal/access"
	"govfleet/internal/sheet"
	"govfleet/internal/store"
)

// ExportLimit caps an export of orders.
const ExportLimit = 100000

var orderColumns = []sheet.Column{{Title: "单号", Width: 18}, {Title: "用车单位", Width: 22}, {Title: "申请人"}, {Title: "用车事由", Width: 30},
	{Title: "用车人", Width: 20}, {Title: "人数", Width: 8}, {Title: "报到地点", Width: 20}, {Title: "目的地", Width: 24}, {Title: "报到时间", Width: 18},
	{Title: "预计返回", Width: 18}, {Title: "车牌"}, {Title: "车辆", Width: 20}, {Title: "驾驶员"}, {Title: "状态"}, {Title: "出车时间", Width: 18},
	{Title: "任务结束", Width: 18}, {Title: "出车里程（公里）"}, {Title: "结束里程（公里）"}, {Title: "本次里程（公里）"}, {Title: "节假日用车备案", Width: 30}}

// Export writes the orders matching f (in the actor's scope) as .xlsx,
// with names, never ids; it returns the file and how many orders it holds.
func (s *Service) Export(ctx context.Context, a *access.Actor, f Filter) ([]byte, int, error) {
	q, err := s.query(ctx, a, f)
	if err != nil {
		return nil, 0, err
	}
	var os []*Order
	if err := q.Limit(ExportLimit).Scan(ctx, &os); err != nil {
		return nil, 0, store.Translate(err)
	}
	km := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	rows := make([][]any, len(os))
	for i, o := range os {
		o.fill()
		var dist any
		if o.StartOdometer != nil && o.EndOdometer != nil {
			dist = *o.EndOdometer - *o.StartOdometer
		}
		rows[i] = []any{o.No, o.UnitName, o.ApplicantName, o.Reason, o.Passengers, o.PassengerCount, o.PickupPlace, strings.Join(o.Destinations, "、"),
			o.PickupAt, o.ReturnAt, o.Plate, o.VehicleDesc, o.DriverName, o.StateName, o.DepartedAt, o.FinishedAt,
			km(o.StartOdometer), km(o.EndOdometer), dist, o.SealedFiling}
	}
	b, err := sheet.XLSX(sheet.Sheet{Name: "用车订单", Columns: orderColumns, Rows: rows})
	return b, len(os), err
}
