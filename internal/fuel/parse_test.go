package fuel_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/sheet"

	"govfleet/internal/fuel"
)

var (
	march   = time.Date(2026, 3, 1, 0, 0, 0, 0, beijing.Zone)
	april   = time.Date(2026, 4, 1, 0, 0, 0, 0, beijing.Zone)
	testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
)

func parse(t *testing.T, data []byte) ([]fuel.Record, []sheet.RowError, error) {
	t.Helper()
	sh, err := fuel.ReadFile(data)
	if err != nil {
		return nil, nil, err
	}
	recs := fuel.ParseRows(sh, march, april, testNow)
	return recs, sh.Errors, nil
}

func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &cells)
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A file as a whole is refused with one message on "file".
func TestReadFileRefusals(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "文件为空"},
		{"old xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest"), "不支持旧版Excel"},
		{"broken xlsx", []byte("PK\x03\x04 not really a zip"), "不是有效的Excel"},
		{"binary", []byte("abc\x00def"), "不是.xlsx或.csv"},
		{"wrong headers", []byte("卡号,车牌,时间\n1,苏D12345,2026-03-01 08:00\n"), "表头缺少列：加油卡号"},
		{"header only", []byte(head), "没有可导入的数据行"},
		{"bad quotes", []byte(head + "1,\"苏D1\"x\"2\n"), ""}, // lazy quotes: read, then refused per row
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := fuel.ReadFile(c.data)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := err.(*errs.Error)
			if !ok || e.Code != errs.Invalid || !strings.Contains(e.Fields["file"], c.want) {
				t.Fatalf("got %v, want file error containing %q", err, c.want)
			}
		})
	}
}

// The same good row reads the same from xlsx, UTF-8 CSV with and without
// BOM, and GBK CSV.
func TestReadFileFormats(t *testing.T) {
	row := "1000113200012345678,苏D12345,2026-03-15 08:30,中国石化常州延陵西路加油站,92#汽油,45.20,7.42,335.38\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(head + row))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"csv":      []byte(head + row),
		"csv bom":  []byte("\xEF\xBB\xBF" + head + row),
		"csv gbk":  gbk,
		"csv crlf": []byte(strings.ReplaceAll(head+"\n"+row, "\n", "\r\n")), // blank line skipped
		"xlsx":     xlsxOf(t, [][]string{strings.Split(strings.TrimSpace(head), ","), strings.Split(strings.TrimSpace(row), ",")}),
	}
	tmpl, err := fuel.Template("xlsx")
	if err != nil {
		t.Fatal(err)
	}
	files["template"] = tmpl // the template's example row is valid
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			recs, rowErrs, err := parse(t, data)
			if err != nil || len(rowErrs) > 0 {
				t.Fatalf("err %v, rows %+v", err, rowErrs)
			}
			want := fuel.Record{Row: 2 + strings.Count(name, "crlf"), CardNo: "1000113200012345678", Plate: "苏D12345", At: time.Date(2026, 3, 15, 0, 30, 0, 0, time.UTC),
				Station: "中国石化常州延陵西路加油站", FuelType: "92#汽油", LitresML: 45200, UnitPriceFen: 742, AmountFen: 33538}
			if len(recs) != 1 || recs[0] != want {
				t.Fatalf("got %+v\nwant %+v", recs, want)
			}
		})
	}
}

// Each kind of bad row is reported by row, column and cell in Chinese.
func TestRowErrors(t *testing.T) {
	good := []string{"1000113200012345678", "苏D12345", "2026-03-15 08:30", "某加油站", "92#汽油", "45.20", "7.42", "335.38"}
	cases := []struct {
		name   string
		col    int // column index changed
		value  string
		column string
		want   string
	}{
		{"no card", 0, "", "加油卡号", "请填写加油卡号"},
		{"no plate", 1, "", "车牌号", "请填写车牌号"},
		{"bad time", 2, "3月15日早上", "加油时间", "格式应为"},
		{"time outside month", 2, "2026-04-01 00:00", "加油时间", "不在导入月份2026-03内"},
		{"no station", 3, "", "加油站", "请填写加油站"},
		{"litres zero", 5, "0", "加油量(升)", "须大于0"},
		{"litres negative", 5, "-3", "加油量(升)", "须大于0"},
		{"litres text", 5, "四十五", "加油量(升)", "须为数字"},
		{"litres 4 decimals", 5, "45.2001", "加油量(升)", "最多3位小数"},
		{"price 3 decimals", 6, "7.425", "单价(元/升)", "最多2位小数"},
		{"amount does not add up", 7, "336.00", "金额(元)", "与加油量×单价"},
		{"amount 5 fen low", 7, "335.33", "金额(元)", "不符"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := append([]string(nil), good...)
			bad[c.col] = c.value
			data := xlsxOf(t, [][]string{strings.Split(strings.TrimSpace(head), ","), good, bad})
			recs, rowErrs, err := parse(t, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 || len(rowErrs) != 1 {
				t.Fatalf("recs %d, errors %+v", len(recs), rowErrs)
			}
			e := rowErrs[0]
			if e.Row != 3 || e.Column != c.column || !strings.Contains(e.Message, c.want) {
				t.Fatalf("got %+v, want row 3 %s containing %q", e, c.column, c.want)
			}
			if e.Cell == "" || e.Cell[len(e.Cell)-1] != '3' {
				t.Fatalf("cell %q", e.Cell)
			}
		})
	}
	t.Run("duplicate row", func(t *testing.T) {
		data := xlsxOf(t, [][]string{strings.Split(strings.TrimSpace(head), ","), good, good})
		_, rowErrs, _ := parse(t, data)
		if len(rowErrs) != 1 || !strings.Contains(rowErrs[0].Message, "与第2行重复") {
			t.Fatalf("%+v", rowErrs)
		}
	})
	t.Run("future time", func(t *testing.T) {
		sh, _ := fuel.ReadFile([]byte(head + "1,苏D12345,2026-11-28 08:00,站,92#汽油,10,7.00,70.00\n"))
		fuel.ParseRows(sh, time.Date(2026, 11, 1, 0, 0, 0, 0, beijing.Zone), time.Date(2026, 12, 1, 0, 0, 0, 0, beijing.Zone), testNow)
		out := sh.Errors
		if len(out) != 1 || !strings.Contains(out[0].Message, "不能晚于当前时间") {
			t.Fatalf("%+v", out)
		}
	})
}

// The tolerance: 1 fen plus half a unit of the litres' last decimal times
// the unit price.
func TestAmountMismatch(t *testing.T) {
	cases := []struct {
		litresML int64
		decimals int
		price    int64
		amount   int64
		bad      bool
	}{
		{45200, 2, 742, 33538, false},  // 335.384 → 335.38
		{45200, 2, 742, 33539, false},  // within 1 fen
		{38020, 2, 789, 30000, false},  // prepaid 300 元: 38.0228 L printed 38.02 (299.98 on paper)
		{38020, 2, 789, 30003, true},   // 5 fen off: more than 1 + 3.945 fen
		{38020, 2, 789, 29992, true},   // 6 fen low
		{38023, 3, 789, 30000, false},  // 3 decimals: tolerance 1.39 fen
		{38023, 3, 789, 30002, true},   // 2 fen off with 3 decimals
		{40000, 0, 750, 30000, false},  // whole litres: up to 0.5 L × price
		{40000, 0, 750, 30380, true},   // beyond that
		{1000, 2, 700, 700, false},     // exact
		{1000, 2, 700, 0, true},        // nothing paid
		{100000, 1, 800, 80000, false}, // 100.0 L
	}
	for _, c := range cases {
		if got := fuel.AmountMismatch(c.litresML, c.decimals, c.price, c.amount); got != c.bad {
			t.Errorf("%+v: mismatch %v", c, got)
		}
	}
}

func TestTemplateCSV(t *testing.T) {
	b, err := fuel.Template("csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, rowErrs, err := parse(t, b)
	if err != nil || len(rowErrs) != 0 || len(recs) != 1 {
		t.Fatalf("template csv: %v %+v %d", err, rowErrs, len(recs))
	}
}

func TestTankLitres(t *testing.T) {
	cases := []struct {
		recorded      int
		energy, class string
		want          int
	}{
		{66, "petrol", "small", 66}, {0, "petrol", "small", 60}, {0, "phev", "small", 50}, {0, "electric", "small", 0},
		{0, "diesel", "large_bus", 120}, {0, "diesel", "medium_bus", 80},
	}
	for _, c := range cases {
		if got := fuel.TankLitres(c.recorded, c.energy, c.class); got != c.want {
			t.Errorf("%+v: %d", c, got)
		}
	}
}
