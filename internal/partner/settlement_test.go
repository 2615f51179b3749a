package partner

import (
	"strings"
	"testing"
	"time"

	"govfleet/internal/pdf"
)

// The printed statement (issue 23 part 6) says each trip's figures and the totals both ways as
// computed by hand, and both sides' confirmations and signature lines.
func TestSettlementDoc(t *testing.T) {
	fen := func(v int64) *int64 { return &v }
	at := func(s string) time.Time {
		v, _ := time.Parse("2006-01-02 15:04", s)
		return v.Add(-8 * time.Hour) // Beijing
	}
	confirmed := at("2031-03-02 10:00")
	st := &Settlement{PartnerName: "无锡市", Month: "2031-02", InCount: 2, InFen: 154000, OutCount: 1, OutFen: 50000, MarketFen: 255000, SavingFen: 101000,
		ConfirmedAt: &confirmed, ConfirmedByName: "市平台管理员",
		Lines: []*Link{
			{Direction: "in", OrderNo: "YC20310210-0001", Applicant: "王无锡", PickupAt: at("2031-02-10 08:00"), Plate: "苏ZP001", VehicleType: "mpv",
				DriverName: "朱师傅", DistanceM: 120000, FeeFen: fen(113000), MarketFen: fen(185000), SavingFen: fen(72000), FeeNote: "商务车 1天半天，北斗定位里程 120.0 公里"},
			{Direction: "in", OrderNo: "YC20310220-0002", Applicant: "李无锡", PickupAt: at("2031-02-20 09:00"), Plate: "苏ZP002", VehicleType: "mpv",
				DriverName: "钱师傅", DistanceM: 40000, FeeFen: fen(41000), MarketFen: fen(70000), SavingFen: fen(29000), FeeNote: "商务车 半天"},
			{Direction: "out", OrderNo: "YC20310225-0003", Applicant: "赵常州", PickupAt: at("2031-02-25 09:00"), Plate: "苏B12345", VehicleType: "sedan",
				DriverName: "无锡司机", DistanceM: 30000, FeeFen: fen(50000), FeeNote: "轿车 1天"},
		}}
	st.fill()
	b, err := pdf.Bytes(SettlementDoc(st, at("2031-03-05 09:00")))
	if err != nil {
		t.Fatal(err)
	}
	text, err := pdf.Text(b)
	if err != nil {
		t.Fatal(err)
	}
	// In: 1,130 + 410 = 1,540 owed to us; market 1,850 + 700 = 2,550; saving 720 + 290 = 1,010.
	// Out: 500 owed by us; net 1,540 − 500 = 1,040.
	for _, want := range []string{"公务用车异地有偿使用结算单", "合作城市：无锡市", "结算月份：2031-02", "本方已确认，待对方确认",
		"1540.00 元（2 单）", "500.00 元（1 单）", "1040.00 元（对方应付减本方应付）", "2550.00 元，节约 1010.00 元",
		"YC20310210-0001", "王无锡", "2031-02-10 08:00", "苏ZP001", "朱师傅", "120.0", "1130.00", "1850.00", "720.00",
		"YC20310220-0002", "410.00", "700.00", "290.00", "160.0", "2 单", "1540.00", "2550.00", "1010.00",
		"YC20310225-0003", "赵常州", "苏B12345", "1 单",
		"本方确认市平台管理员（2031-03-02 10:00）", "对方确认未确认", "本方经办人 签字：", "对方（无锡市）经办人 签字："} {
		if !strings.Contains(text, want) {
			t.Errorf("the printed statement does not say %q:\n%s", want, text)
		}
	}
}
