package stats

import (
	"govfleet/internal/errs"
	"govfleet/internal/sheet"
)

// Charts are the dashboard's charts whose data exports to Excel, by key.
var Charts = []struct{ Key, Name string }{
	{"category", "车辆类别分布"}, {"energy", "能源类型分布"}, {"age", "车龄分布"}, {"level", "按层级分布"},
	{"months", "近12个月使用情况"}, {"children", "下级使用与费用"}, {"costs", "费用构成"}, {"compare", "同比环比"},
}

func pct(v float64) float64 { return round(v*100, 2) }

func opt(p *float64) any {
	if p == nil {
		return nil
	}
	return pct(*p)
}

func money(p *int64) any {
	if p == nil {
		return nil
	}
	return sheet.Money(*p)
}

// Sheet is one chart's data as a worksheet: the numbers the chart draws.
func (d *Dashboard) Sheet(chart string) (sheet.Sheet, error) {
	name := ""
	for _, c := range Charts {
		if c.Key == chart {
			name = c.Name
		}
	}
	if name == "" {
		return sheet.Sheet{}, errs.E(errs.Invalid, "没有这个图表")
	}
	sh := sheet.Sheet{Name: name, Notes: []string{d.Node.Name + " · " + d.Month}}
	cols := func(titles ...string) {
		for i, t := range titles {
			sh.Columns = append(sh.Columns, sheet.Column{Title: t, Text: i == 0, Width: 16})
		}
	}
	counts := func(title string, cs []Count) {
		cols(title, "车辆数")
		for _, c := range cs {
			sh.Rows = append(sh.Rows, []any{c.Name, c.Value})
		}
	}
	switch chart {
	case "category":
		counts("车辆类别", d.Category)
	case "energy":
		counts("能源类型", d.Energy)
	case "age":
		counts("车龄", d.Age)
	case "level":
		counts("层级", d.Level)
	case "months":
		cols("月份", "出车订单数", "出车车日", "可用车日", "车辆使用率（%）", "行驶里程（公里）", "行驶时长（小时）", "费用（元）", "百公里费用（元）")
		for _, u := range d.Months {
			sh.Rows = append(sh.Rows, []any{u.Period, u.Orders, u.VehicleDays, u.AvailableDays, pct(u.Utilisation), u.DistanceKm, u.Hours, sheet.Money(u.CostFen), money(u.Per100KmFen)})
		}
	case "children":
		cols("名称", "车辆实有数", "编制数", "超编车辆数", "出车订单数", "出车车日", "车辆使用率（%）", "行驶里程（公里）", "行驶时长（小时）", "费用（元）", "百公里费用（元）", "终端在线")
		for _, c := range d.Children {
			sh.Rows = append(sh.Rows, []any{c.Name, c.Vehicles, c.Quota, c.Excess, c.Orders, c.VehicleDays, pct(c.Utilisation), c.DistanceKm, c.Hours,
				sheet.Money(c.CostFen), money(c.Per100KmFen), c.Online})
		}
	case "costs":
		cols("费用类别", "本月（元）", "本年累计（元）")
		for i, c := range d.Costs {
			sh.Rows = append(sh.Rows, []any{c.Name, sheet.Money(c.Value), sheet.Money(d.YearCosts[i].Value)})
		}
	case "compare":
		cols("指标", "本月", "上月", "上年同月", "环比（%）", "同比（%）")
		for _, c := range d.Compare {
			sh.Rows = append(sh.Rows, []any{c.Name, c.Value, c.Previous, c.LastYear, opt(c.MoM), opt(c.YoY)})
		}
	}
	return sh, nil
}
