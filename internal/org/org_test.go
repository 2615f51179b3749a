package org_test

import (
	"context"
	"strings"
	"testing"

	"govfleet/internal/app/apptest"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/org"
)

func str(s string) *string { return &s }

// code completes 17 characters with their check character.
func code(first17 string) string {
	c, err := check.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}
func num(i int) *int    { return &i }
func id(i int64) *int64 { return &i }

// validInput is a correct new unit under parent (R-3, R-6 fields).
func validInput(parent int64) org.Input {
	return org.Input{ParentID: id(parent), Name: str("天宁区园林绿化管理处"), CreditCode: str(code("12320402MB1A2B3C4")),
		UnitType: str("public_institution"), StaffingCount: num(30), VehicleQuota: num(2), MarkingStatus: str("full"),
		ContactName: str("陈主任"), ContactPhone: str("0519-86601234")}
}

func TestCreateUnit(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		tn := w.UnitID(t, "天宁区")
		zl := w.UnitID(t, "钟楼区")
		tnAdmin := w.Actor(t, "tn_admin")

		in := validInput(tn)
		u, err := w.Org.Create(ctx, tnAdmin, org.KindUnit, in)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if u.Level != "district" || u.DistrictID == nil || *u.DistrictID != tn || u.ParentName != "天宁区" || u.DistrictName != "天宁区" {
			t.Errorf("placement: level %s district %v parent %q", u.Level, u.DistrictID, u.ParentName)
		}

		// Each bad input is refused with the field and message a clerk sees,
		// and nothing is written.
		cases := []struct {
			name    string
			mutate  func(in *org.Input)
			code    errs.Code
			field   string
			message string
		}{
			{"bad check char", func(in *org.Input) { in.CreditCode = str(wrongCheck(code("12320402MB1A2B3C5"))) }, errs.Invalid, "credit_code", "校验码不正确"},
			{"short credit code", func(in *org.Input) { in.CreditCode = str("1232040") }, errs.Invalid, "credit_code", "统一社会信用代码"},
			{"missing credit code", func(in *org.Input) { in.CreditCode = str("") }, errs.Invalid, "credit_code", "请填写统一社会信用代码"},
			{"empty name", func(in *org.Input) { in.Name = str("  ") }, errs.Invalid, "name", "请填写单位名称"},
			{"duplicate name", func(in *org.Input) { in.Name = str("市财政局") }, errs.Conflict, "name", "单位名称已存在"},
			{"duplicate credit code", func(in *org.Input) { in.Name = str("另一个单位"); in.CreditCode = str(u.CreditCode) }, errs.Conflict, "credit_code", "已被其他单位使用"},
			{"unknown type", func(in *org.Input) { in.UnitType = str("company") }, errs.Invalid, "unit_type", "请选择单位类型"},
			{"negative quota", func(in *org.Input) { in.VehicleQuota = num(-1) }, errs.Invalid, "vehicle_quota", "车辆编制数"},
			{"bad phone", func(in *org.Input) { in.ContactPhone = str("12345") }, errs.Invalid, "contact_phone", "联系电话"},
			{"bad marking", func(in *org.Input) { in.MarkingStatus = str("maybe") }, errs.Invalid, "marking_status", "标识化情况"},
			{"parent outside scope", func(in *org.Input) { in.ParentID = id(zl) }, errs.Forbidden, "", "不在您的管辖范围内"},
			{"no parent", func(in *org.Input) { in.ParentID = nil }, errs.Invalid, "parent_id", "请选择上级单位"},
		}
		before := w.Count(t, "units")
		auditBefore := w.Count(t, "audit_log")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := validInput(tn)
				in.Name = str("待建单位" + c.name)
				in.CreditCode = str(code("12320402MB1A2B3C5"))
				c.mutate(&in)
				_, err := w.Org.Create(ctx, tnAdmin, org.KindUnit, in)
				assertErr(t, err, c.code, c.field, c.message)
			})
		}
		if n := w.Count(t, "units"); n != before {
			t.Errorf("refused creates wrote units: %d → %d", before, n)
		}
		if n := w.Count(t, "audit_log"); n != auditBefore {
			t.Errorf("refused creates wrote audit rows: %d → %d", auditBefore, n)
		}
	})
}

// wrongCheck changes the check character of a valid code.
func wrongCheck(c string) string {
	last := byte('0')
	if c[17] == '0' {
		last = '1'
	}
	return c[:17] + string(last)
}

func assertErr(t *testing.T, err error, code errs.Code, field, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got none", code)
	}
	e, ok := err.(*errs.Error)
	if !ok {
		t.Fatalf("want *errs.Error, got %T %v", err, err)
	}
	if e.Code != code {
		t.Fatalf("code = %s, want %s (%v)", e.Code, code, err)
	}
	got := e.Message
	if field != "" {
		got = e.Fields[field]
		if got == "" {
			t.Fatalf("no message for field %s: %v", field, e.Fields)
		}
	}
	if !strings.Contains(got, message) {
		t.Errorf("message %q does not contain %q", got, message)
	}
}

func TestMoveAndScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		tnAdmin := w.Actor(t, "tn_admin")
		tn, zl := w.UnitID(t, "天宁区"), w.UnitID(t, "钟楼区")
		cgj := w.UnitID(t, "天宁区城市管理局")

		// A sub-unit under 天宁区城市管理局 follows its parent when it moves.
		in := validInput(cgj)
		sub, err := w.Org.Create(ctx, tnAdmin, org.KindUnit, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Org.Move(ctx, tnAdmin, cgj, zl); !errs.Is(err, errs.Forbidden) {
			t.Errorf("district admin moving into another district: %v, want forbidden", err)
		}
		if _, err := w.Org.Move(ctx, city, cgj, sub.ID); !errs.Is(err, errs.Invalid) {
			t.Errorf("move under own descendant: %v, want invalid", err)
		}
		moved, err := w.Org.Move(ctx, city, cgj, zl)
		if err != nil {
			t.Fatal(err)
		}
		if *moved.DistrictID != zl || moved.ParentName != "钟楼区" {
			t.Errorf("moved unit: district %v parent %s", moved.DistrictID, moved.ParentName)
		}
		got, err := w.Org.Get(ctx, city, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DistrictID == nil || *got.DistrictID != zl {
			t.Errorf("descendant not re-rooted: district %v", got.DistrictID)
		}
		// 天宁区's administrator no longer sees the moved units.
		if _, err := w.Org.Get(ctx, tnAdmin, sub.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("tn_admin reading a unit now in 钟楼区: %v", err)
		}
		items, total, err := w.Org.List(ctx, tnAdmin, org.Filter{Page: 1, Size: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range items {
			if u.ID != tn && (u.DistrictID == nil || *u.DistrictID != tn) {
				t.Errorf("tn_admin lists %s outside 天宁区", u.Name)
			}
		}
		if total != 4 { // 天宁区 itself and its 3 remaining units
			t.Errorf("tn_admin sees %d nodes, want 4", total)
		}
		tree, err := w.Org.Tree(ctx, tnAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if len(tree) != 1 || tree[0].Name != "天宁区" || len(tree[0].Children) != 3 {
			t.Errorf("tn_admin tree: %+v", tree)
		}
	})
}

func TestDeactivate(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		jgj := w.UnitID(t, "市机关事务管理局")
		if _, err := w.Org.SetActive(ctx, city, jgj, false); !errs.Is(err, errs.Conflict) {
			t.Fatalf("deactivating a unit with accounts: %v, want conflict", err)
		}
		// A unit of the test's own, without accounts or units beneath it.
		own, err := w.Org.Create(ctx, city, org.KindUnit, validInput(w.UnitID(t, "天宁区")))
		if err != nil {
			t.Fatal(err)
		}
		dag := own.ID
		u, err := w.Org.SetActive(ctx, city, dag, false)
		if err != nil || u.Active {
			t.Fatalf("deactivate: %v active=%v", err, u != nil && u.Active)
		}
		// Deactivated, not deleted: gone from the default list, still there with active=all.
		_, n1, _ := w.Org.List(ctx, city, org.Filter{Q: own.Name, Page: 1, Size: 20})
		_, n2, _ := w.Org.List(ctx, city, org.Filter{Q: own.Name, Active: "all", Page: 1, Size: 20})
		if n1 != 0 || n2 != 1 {
			t.Errorf("list counts active=%d all=%d, want 0 and 1", n1, n2)
		}
		in := validInput(dag)
		if _, err := w.Org.Create(ctx, city, org.KindUnit, in); !errs.Is(err, errs.Invalid) {
			t.Errorf("creating under an inactive unit: %v, want invalid", err)
		}
		if _, err := w.Org.SetActive(ctx, city, w.UnitID(t, "常州市"), false); err == nil {
			t.Error("the city root was deactivated")
		}
	})
}

// A level shows the totals of the units beneath it.
func TestLevelTotals(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		tnID := w.UnitID(t, "天宁区")
		if _, err := db.W.ExecContext(ctx, "UPDATE units SET vehicle_count = vehicle_quota + 1 WHERE name = '天宁区城市管理局'"); err != nil {
			t.Fatal(err)
		}
		tn, err := w.Org.Get(ctx, city, tnID)
		if err != nil {
			t.Fatal(err)
		}
		items, _, err := w.Org.List(ctx, city, org.Filter{ParentID: tnID, Page: 1, Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		staff, quota, over := 0, 0, 0
		for _, u := range items {
			staff += u.StaffingCount
			quota += u.VehicleQuota
			if u.OverQuota {
				over++
			}
		}
		if tn.StaffingCount != staff || tn.VehicleQuota != quota || tn.OverUnits != 1 || over != 1 || !tn.OverQuota {
			t.Errorf("天宁区 totals: staff %d/%d quota %d/%d over %d/%d", tn.StaffingCount, staff, tn.VehicleQuota, quota, tn.OverUnits, over)
		}
	})
}
