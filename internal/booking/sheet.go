package booking

import (
	"context"
	"fmt"
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/fleet"
	"govfleet/internal/pdf"
)

// DispatchSheet is the printable 派车单 of an order the actor may see (issue 23 part 6): the order,
// the vehicle and driver, who approved and who dispatched it and when, the trip's readings when it
// ran, and lines for the dispatcher's, the driver's and the passenger's signatures. An order not yet
// dispatched prints with its vehicle and driver blank (待派车).
func (s *Service) DispatchSheet(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	doc := DispatchDoc(d, s.now())
	b, err := pdf.Bytes(doc)
	if err != nil {
		return nil, "", err
	}
	return b, "派车单-" + d.No + ".pdf", nil
}

// DispatchDoc lays out the 派车单 of an order with its timeline.
func DispatchDoc(d *Detail, now time.Time) pdf.Doc {
	o := d.Order
	t := func(at time.Time) string { return at.In(beijing.Zone).Format("2006-01-02 15:04") }
	tp := func(at *time.Time) string {
		if at == nil {
			return ""
		}
		return t(*at)
	}
	// who approved and dispatched, and when: the timeline's last such steps
	var approvers []string
	dispatcher, dispatchedAt := "", ""
	for _, e := range d.Events {
		switch e.Action {
		case "approve":
			approvers = append(approvers, e.ActorName+"（"+t(e.At)+"）")
		case "dispatch":
			dispatcher, dispatchedAt = e.ActorName, t(e.At)
		case "return", "resubmit":
			approvers = nil
		}
	}
	vehicle, driver := "（待派车）", "（待派车）"
	if o.Plate != "" {
		vehicle = o.Plate + "  " + strings.TrimSpace(o.VehicleDesc)
	}
	if o.DriverName != "" {
		driver = o.DriverName + "  " + o.DriverPhone
	}
	places := o.PickupPlace
	if len(o.Destinations) > 0 {
		places += " → " + strings.Join(o.Destinations, " → ")
	}
	cat := fleet.NameOf(fleet.Categories, o.Category)
	if cat == "" {
		cat = "—"
	}
	if o.OutOfCity {
		cat += "（市外）"
	}
	passengers := o.Passengers
	if o.PassengerCount > 0 {
		passengers = fmt.Sprintf("%s（%d 人）", o.Passengers, o.PassengerCount)
	}
	doc := pdf.Doc{
		Title:  "公务用车派车单",
		Issuer: o.UnitName,
		Number: "编号：" + o.No,
		Fields: []pdf.Field{
			{Label: "用车单位", Value: o.UnitName}, {Label: "状态", Value: o.StateName},
			{Label: "申请人", Value: o.ApplicantName}, {Label: "联系电话", Value: o.ContactPhone},
			{Label: "乘车人", Value: passengers, Wide: true},
			{Label: "用车时间", Value: t(o.PickupAt) + " 至 " + t(o.ReturnAt), Wide: true},
			{Label: "上车地点", Value: o.PickupPlace}, {Label: "用车类别", Value: cat},
			{Label: "行程", Value: places, Wide: true},
			{Label: "用车事由", Value: o.Reason, Wide: true},
		},
		Sections: []pdf.Section{{
			Heading: "派车",
			Fields: []pdf.Field{
				{Label: "车辆", Value: vehicle}, {Label: "驾驶员", Value: driver},
				{Label: "审批人", Value: strings.Join(approvers, "；"), Wide: true},
				{Label: "调度员", Value: dispatcher}, {Label: "派车时间", Value: dispatchedAt},
			},
		}, {
			Heading: "出车记录",
			Fields: []pdf.Field{
				{Label: "出车时间", Value: tp(o.DepartedAt)}, {Label: "出车里程", Value: km(o.StartOdometer)},
				{Label: "结束时间", Value: tp(o.FinishedAt)}, {Label: "结束里程", Value: km(o.EndOdometer)},
				{Label: "回场时间", Value: tp(o.ReturnedAt)}, {Label: "停放地点", Value: o.ParkingPlace},
			},
		}},
		Signature: []string{"调度员", "驾驶员", "用车人", "车管负责人"},
		Footer:    "打印时间 " + t(now),
		At:        now,
	}
	if d.HolidayFiling != nil {
		doc.Sections[0].Fields = append(doc.Sections[0].Fields, pdf.Field{Label: "封存期备案", Value: d.HolidayFiling.StateName, Wide: true})
	}
	return doc
}

func km(v *int) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf("%d 公里", *v)
}
