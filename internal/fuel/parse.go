package fuel

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/money"
	"govfleet/internal/sheet"
)

// The columns of the import template (docs/fuel-import.md), all required;
// Chinese headings as the fuel company's statements print them.
var columns = []sheet.Column{
	{Title: "加油卡号", Required: true, Note: "加油卡（副卡）卡号", Example: "1000113200012345678", Text: true, Width: 22},
	{Title: "车牌号", Required: true, Note: "须为平台已登记、且在贵公司合同覆盖范围内的车辆", Example: "苏D12345", Text: true, Width: 18},
	{Title: "加油时间", Required: true, Note: "北京时间，年-月-日 时:分（可带秒），须在导入月份内", Example: "2026-03-15 08:30", Text: true, Width: 18},
	{Title: "加油站", Required: true, Note: "站点名称", Example: "中国石化常州延陵西路加油站", Width: 30},
	{Title: "油品", Required: true, Note: "如92#汽油、95#汽油、0#柴油", Example: "92#汽油", Width: 18},
	{Title: "加油量(升)", Required: true, Note: "大于0，最多三位小数", Example: "45.20", Width: 18},
	{Title: "单价(元/升)", Required: true, Note: "最多两位小数", Example: "7.42", Width: 18},
	{Title: "金额(元)", Required: true, Note: "最多两位小数；须等于加油量×单价（容差见说明）", Example: "335.38", Width: 18},
}

// Column headings, used as keys of a parsed row.
const (
	colCard    = "加油卡号"
	colPlate   = "车牌号"
	colAt      = "加油时间"
	colStation = "加油站"
	colFuel    = "油品"
	colLitres  = "加油量(升)"
	colPrice   = "单价(元/升)"
	colAmount  = "金额(元)"
)

// MaxRows caps one import: a month of a city's fleet fits easily.
const MaxRows = 20000

// readFile reads an .xlsx (first sheet) or a .csv (UTF-8 or GBK) under
// the caps of internal/sheet.
func readFile(data []byte) (*sheet.File, error) {
	return sheet.Read(data, sheet.Spec{Columns: columns, MaxRows: MaxRows, CSV: true, Fill: true})
}

// Record is one fuelling as read from the file (amounts in integer units).
type Record struct {
	Row          int
	CardNo       string
	Plate        string
	At           time.Time // UTC
	Station      string
	FuelType     string
	LitresML     int64
	UnitPriceFen int64
	AmountFen    int64
}

// AmountMismatch says whether amount differs from litres × unit price by
// more than the tolerance: 1 fen of rounding plus half a unit of the last
// decimal the litres were written with (a pump computes the amount from
// the exact volume and prints the volume rounded: 38.02 L at 7.89 元 is
// 299.98 元 on paper but 300.00 元 paid). All in 1/10000 fen to stay exact.
func AmountMismatch(litresML int64, litresDecimals int, priceFen, amountFen int64) bool {
	exact := litresML * 10 * priceFen // litres_ml/1000 × price_fen, ×10000
	half := int64(5000)               // half a unit of the last decimal, in 0.1 ml
	for i := 0; i < litresDecimals && i < 3; i++ {
		half /= 10
	}
	tol := 10000 + half*priceFen
	d := amountFen*10000 - exact
	return d > tol || -d > tol
}

// parseRows turns the file's rows into records — every row, so that the
// registry checks report on bad rows too; problems go to f.Errors.
// from and to bound the times (Beijing), now refuses future ones.
func parseRows(f *sheet.File, from, to, now time.Time) []Record {
	var recs []Record
	seen := map[string]int{}
	month := from.In(beijing.Zone).Format("2006-01")
	for _, r := range f.Rows {
		rec := Record{Row: r.N}
		rec.CardNo = r.Text(colCard, 32)
		rec.Plate = strings.ToUpper(strings.ReplaceAll(r.Text(colPlate, 10), " ", ""))
		rec.Station = r.Text(colStation, 100)
		rec.FuelType = r.Text(colFuel, 20)
		if t, ok := r.DateTime(colAt); ok {
			switch {
			case t.Before(from) || !t.Before(to):
				r.Add(colAt, fmt.Sprintf("加油时间%s不在导入月份%s内", t.Format("2006-01-02 15:04"), month))
			case t.After(now):
				r.Add(colAt, "加油时间不能晚于当前时间")
			}
			rec.At = t.UTC()
		}
		litres, dec, okL := r.Decimal(colLitres, 3)
		price, _, okP := r.Decimal(colPrice, 2)
		amount, _, okA := r.Decimal(colAmount, 2)
		rec.LitresML, rec.UnitPriceFen, rec.AmountFen = litres, price, amount
		if okL && okP && okA && AmountMismatch(litres, dec, price, amount) {
			exact := new(big.Rat).SetFrac64(litres*price, 1000)
			f, _ := exact.Float64()
			r.Add(colAmount, fmt.Sprintf("金额%s元与加油量×单价（%s升×%s元=%.2f元）不符", money.Yuan(amount), strconv.FormatFloat(float64(litres)/1000, 'f', -1, 64), money.Yuan(price), f/100))
		}
		if !r.Bad() {
			key := rec.CardNo + "|" + rec.Plate + "|" + rec.At.Format(time.RFC3339)
			if j, dup := seen[key]; dup {
				r.Add("", fmt.Sprintf("与第%d行重复（同一卡号、车牌号和加油时间）", j))
			}
			seen[key] = r.N
		}
		recs = append(recs, rec)
	}
	return recs
}

// Template returns the import template: as .xlsx (header, one example row,
// a notes sheet) or as .csv (UTF-8 with BOM so that Excel opens it right).
func Template(format string) ([]byte, error) {
	if format == "csv" {
		ex := make([]any, len(columns))
		for i, c := range columns {
			ex[i] = c.Example
		}
		return sheet.CSV(columns, [][]any{ex})
	}
	return sheet.Template("加油记录", columns, "第2行为示例，导入前请删除或改为真实数据。所有列必填。每次导入一个月的全部记录；"+
		"只要有一行有误，全部不导入，并逐行列出错误。同一月份再次导入时，以新文件替换该月全部记录；文件完全相同则不重复导入。")
}
