package savings_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/pdf"
	"govfleet/internal/savings"
)

// A statement of 60 uses printed (laid out, fonts subset, PDF written); no database.
// Run: go test ./internal/savings -run '^$' -bench StatementPDF -benchtime 20x
func BenchmarkStatementPDF(b *testing.B) {
	now := time.Date(2031, 3, 5, 1, 0, 0, 0, time.UTC)
	st := &savings.Settlement{Month: "2031-02", LenderName: "武进区", BorrowerName: "天宁区", Uses: 60, StateName: "双方已确认", GeneratedAt: now,
		LenderConfirmedBy: "孔志刚", LenderConfirmedAt: &now, BorrowerConfirmedBy: "吕志刚", BorrowerConfirmedAt: &now}
	var lines []*savings.UseCost
	for i := range 60 {
		lines = append(lines, &savings.UseCost{OrderNo: fmt.Sprintf("YC20310210-%04d", i), LoanNo: "JD20310115001", Plate: "苏DS0001", TypeName: "商务车",
			PickupAt: now, Days: 1, HalfDays: 1, KmM: 120000, KmSourceName: "北斗里程", InternalFen: 113000, MarketFen: 185000, SavingFen: 72000})
	}
	for b.Loop() {
		if _, err := pdf.Bytes(savings.StatementDoc(st, lines, now)); err != nil {
			b.Fatal(err)
		}
	}
}

// Every trip of the demo (a year of orders) priced at market from nothing, and the city's
// year summed. Run: go test ./internal/savings -run '^$' -bench MarketPrices -benchtime 3x
func BenchmarkMarketPrices(b *testing.B) {
	w := apptest.SQLite(b)
	ctx := context.Background()
	city := w.UnitPath(b, "常州市")
	from := time.Now().AddDate(-1, 0, 0)
	var n int
	for b.Loop() {
		if _, err := w.DB.W.ExecContext(ctx, "DELETE FROM market_prices"); err != nil {
			b.Fatal(err)
		}
		n = 0
		for {
			k, err := w.Savings.PriceServed(ctx, 2000)
			if err != nil {
				b.Fatal(err)
			}
			if n += k; k < 2000 {
				break
			}
		}
		if _, err := (savings.MarketPrices{DB: w.DB}).Equivalent(ctx, city, from, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "orders")
}
