package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"go/parser"
	"go/token"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/errs"
)

var cols = []Column{
	{Title: "名称", Field: "name", Required: true, Example: "甲"},
	{Title: "数量", Field: "n"},
	{Title: "金额(元)", Field: "amount", Example: "219800.00"},
	{Title: "升", Field: "litres", Required: true, Example: "45.20"},
	{Title: "日期", Field: "date", Example: "2022-05-18"},
	{Title: "时间", Field: "at", Example: "2026-03-15 08:30"},
	{Title: "类别", Field: "kind"},
	{Title: "纬度", Field: "lat"},
}

var spec = Spec{Columns: cols, MaxRows: 3, CSV: true, Fill: true}

// xlsxOf writes rows as a plain workbook (what a clerk's Excel saves).
func xlsxOf(t testing.TB, rows [][]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &r)
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bomb is an .xlsx whose first sheet is prefix, chunk repeated n times and
// suffix, compressed without ever holding it whole: each part is deflated
// on its own and flushed, so the parts concatenate into one stream.
// declared, when not 0, is the uncompressed size the archive claims.
func bomb(t testing.TB, prefix, chunk, suffix string, n int, declared uint64) []byte {
	t.Helper()
	part := func(s string, last bool) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		w.Write([]byte(s))
		if last {
			w.Close()
		} else {
			w.Flush()
		}
		return b.Bytes()
	}
	p, c, s := part(prefix, false), part(chunk, false), part(suffix, true)
	crc := crc32.ChecksumIEEE([]byte(prefix))
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, []byte(chunk))
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(suffix))
	size := uint64(len(prefix) + n*len(chunk) + len(suffix))
	if declared != 0 {
		size = declared
	}
	base, err := zip.NewReader(bytes.NewReader(xlsxOf(t, nil)), int64(len(xlsxOf(t, nil))))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range base.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			zw.Copy(f)
		}
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(p) + n*len(c) + len(s)), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(p)
	for range n {
		w.Write(c)
	}
	w.Write(s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const sheetTail = `</sheetData></worksheet>`

// sheetHead opens a sheet with the header row of cols.
var sheetHead = func() string {
	s := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row>`
	for _, c := range cols {
		s += `<c t="inlineStr"><is><t>` + c.Title + `</t></is></c>`
	}
	return s + "</row>"
}()

// cellsChunk is 1 MiB of rows of numeric cells.
func cellsChunk() string {
	row := "<row>" + strings.Repeat("<c><v>1</v></c>", 64) + "</row>"
	return strings.Repeat(row, (1<<20)/len(row))
}

func fileErrOf(err error) string {
	if e, ok := err.(*errs.Error); ok && e.Code == errs.Invalid {
		return e.Fields["file"]
	}
	return fmt.Sprint(err)
}

// A file as a whole is refused with one message on "file".
func TestReadRefusals(t *testing.T) {
	head := "名称,数量,金额(元),升,日期,时间,类别,纬度\n"
	row := "甲,1,1.00,1,2022-05-18,2026-03-15 08:30,A,1\n"
	xlsxOnly := spec
	xlsxOnly.CSV = false
	cases := []struct {
		name string
		spec Spec
		data []byte
		want string
	}{
		{"empty", spec, nil, "文件为空"},
		{"old xls", spec, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest"), "不支持旧版Excel（.xls）文件，请另存为.xlsx或.csv后导入"},
		{"old xls, xlsx only", xlsxOnly, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest"), "不支持旧版Excel（.xls）文件，请另存为.xlsx后导入"},
		{"csv where only xlsx", xlsxOnly, []byte(head + row), "文件不是有效的Excel（.xlsx）文件"},
		{"broken xlsx", spec, []byte("PK\x03\x04 not really a zip"), "文件不是有效的Excel（.xlsx）文件"},
		{"binary", spec, []byte("abc\x00def"), "文件不是.xlsx或.csv文件"},
		{"blank", spec, []byte("\n,,\n"), "文件为空，请使用导入模板"},
		{"missing required headings", spec, []byte("名称,数量\n甲,1\n"), "表头缺少列：升。请使用导入模板，第1行为表头"},
		{"header only", spec, []byte(head), "没有可导入的数据行"},
		{"too many rows", spec, []byte(head + row + row + "\n" + row + row), "一次最多导入3行"},
		{"rows over the cap, xlsx", spec, bomb(t, sheetHead, cellsChunk(), sheetTail, 4, 0), "一次最多导入3行"},
		{"2 GiB of XML", spec, bomb(t, sheetHead, cellsChunk(), sheetTail, 2048, 0), "文件内容过大（解压后超过32 MB），请只保留要导入的数据"},
		{"2 GiB declared as 1 MiB", spec, bomb(t, sheetHead, cellsChunk(), sheetTail, 2048, 1<<20), "一次最多导入3行"}, // read no further than declared
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.data, c.spec)
			if got := fileErrOf(err); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// The 2 MB file holding 2 GiB of XML is refused quickly and without
// decompressing it: the heap hardly grows. The numbers are logged (go test
// -v -run TestBombMemory) for docs.
func TestBombMemory(t *testing.T) {
	data := bomb(t, sheetHead, cellsChunk(), sheetTail, 2048, 0)
	for _, declared := range []uint64{0, 1 << 20} {
		if declared != 0 {
			data = bomb(t, sheetHead, cellsChunk(), sheetTail, 2048, declared)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := Read(data, spec)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatal("read")
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("file %.1f MB, declared %d: refused in %v, allocated %.1f MB, heap in use %.1f MB → %.1f MB, peak RSS %s",
			float64(len(data))/1e6, declared, took, float64(alloc)/1e6, float64(before.HeapInuse)/1e6, float64(after.HeapInuse)/1e6, peakRSS())
		if limit := uint64(16 << 20); declared == 0 && alloc > limit || alloc > 4*limit {
			t.Errorf("refusing the bomb allocated %d bytes", alloc)
		}
	}
}

func peakRSS() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return "?"
}

func BenchmarkReadBomb(b *testing.B) {
	data := bomb(b, sheetHead, cellsChunk(), sheetTail, 2048, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(data, spec); err == nil {
			b.Fatal("read")
		}
	}
}

// Each reader takes what it should and words what it refuses, on the cell.
func TestReaders(t *testing.T) {
	type want struct {
		col, cell, msg string
	}
	cases := []struct {
		name  string
		row   []any // 名称 数量 金额 升 日期 时间 类别 纬度
		check func(t *testing.T, r *Row)
		errs  []want
	}{
		{"good", []any{"甲", "12.0", "¥1,219,800.5", "45.200", "2024年3月5日", "2026/3/15 8:30:05", "a", "31.77"}, func(t *testing.T, r *Row) {
			if v := r.Text("名称", 5); v != "甲" {
				t.Errorf("text %q", v)
			}
			if n := r.Int("数量"); n == nil || *n != 12 {
				t.Errorf("int %v", n)
			}
			if m := r.Money("金额(元)"); m == nil || *m != 121980050 {
				t.Errorf("money %v", m)
			}
			if n, dec, ok := r.Decimal("升", 3); !ok || n != 45200 || dec != 3 {
				t.Errorf("decimal %d %d %v", n, dec, ok)
			}
			if d := r.Date("日期"); d == nil || *d != "2024-03-05" {
				t.Errorf("date %v", d)
			}
			if at, ok := r.DateTime("时间"); !ok || !at.Equal(time.Date(2026, 3, 15, 0, 30, 5, 0, time.UTC)) {
				t.Errorf("datetime %v", at)
			}
			if k := r.Enum("类别", func(s string) (string, bool) { return strings.ToUpper(s), s == "a" }, "a、b"); k == nil || *k != "A" {
				t.Errorf("enum %v", k)
			}
			if f := r.Float("纬度"); f == nil || *f != 31.77 {
				t.Errorf("float %v", f)
			}
		}, nil},
		{"excel serials", []any{"甲", "", "", "1", "44000", "46096.5", "", ""}, func(t *testing.T, r *Row) {
			if d := r.Date("日期"); d == nil || *d != "2020-06-18" {
				t.Errorf("date %v", *d)
			}
			if at, ok := r.DateTime("时间"); !ok || !at.Equal(time.Date(2026, 3, 15, 4, 0, 0, 0, time.UTC)) {
				t.Errorf("datetime %v", at)
			}
			if r.Int("数量") != nil || r.Money("金额(元)") != nil || r.Float("纬度") != nil {
				t.Error("empty optional cells read as values")
			}
		}, nil},
		{"bad", []any{"甲乙丙丁戊己", "1.5", "1.234", "0", "2022", "明天", "c", "0x1p3"}, func(t *testing.T, r *Row) {
			r.Text("名称", 5)
			r.Int("数量")
			r.Money("金额(元)")
			r.Decimal("升", 3)
			r.Date("日期")
			r.DateTime("时间")
			r.Enum("类别", func(string) (string, bool) { return "", false }, "a、b")
			r.Float("纬度")
		}, []want{
			{"名称", "A2", "名称不能超过5个字"},
			{"数量", "B2", "数量须为整数"},
			{"金额(元)", "C2", "金额(元)最多两位小数"},
			{"升", "D2", "升须大于0"},
			{"日期", "E2", "日期格式应为“年-月-日”，如2022-05-18"},
			{"时间", "F2", "时间格式应为“年-月-日 时:分”，如2026-03-15 08:30"},
			{"类别", "G2", "类别“c”无效，应为：a、b"},
			{"纬度", "H2", "纬度须为数字"},
		}},
		{"more bad numbers", []any{"", "", "一百", "四十五", "", "", "", ""}, func(t *testing.T, r *Row) {
			r.Text("名称", 5) // required under Fill
			r.Money("金额(元)")
			r.Decimal("升", 3)
			r.Decimal("升", 3) // reported once
		}, []want{
			{"名称", "A2", "请填写名称"},
			{"金额(元)", "C2", "金额(元)须为金额数字，如219800.00"},
			{"升", "D2", "升须为数字，如45.20"},
		}},
		{"decimal places", []any{"甲", "", "", "1.2345", "", "", "", ""}, func(t *testing.T, r *Row) { r.Decimal("升", 3) },
			[]want{{"升", "D2", "升最多3位小数"}}},
		{"cell too long", []any{strings.Repeat("长", MaxCell+1), "", "", "1", "", "", "", ""}, func(t *testing.T, r *Row) {
			if v := r.Text("名称", 5); v != "" { // reported once, not read
				t.Errorf("text %q", v)
			}
		}, []want{{"名称", "A2", fmt.Sprintf("名称超过%d个字", MaxCell)}}},
		// Control characters (issue 19; the OOXML escape _x0001_ reads as U+0001)
		// are refused, line breaks and tabs in a cell are not.
		{"control character", []any{"甲_x0001_乙", "", "", "1", "", "", "两行\n\t文字", ""}, func(t *testing.T, r *Row) {
			if v := r.Text("名称", 5); v != "" {
				t.Errorf("text %q", v)
			}
			if v := r.Value("类别"); v != "两行\n\t文字" {
				t.Errorf("multi-line cell %q", v)
			}
		}, []want{{"名称", "A2", "名称含有不允许的控制字符（U+0001），请删除后重试"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head := make([]any, len(cols))
			for i, col := range cols {
				head[i] = col.title()
			}
			f, err := Read(xlsxOf(t, [][]any{head, c.row}), spec)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, f.Rows[0])
			if len(f.Errors) != len(c.errs) {
				t.Fatalf("errors %+v", f.Errors)
			}
			for i, w := range c.errs {
				if e := f.Errors[i]; e.Row != 2 || e.Column != w.col || e.Cell != w.cell || e.Message != w.msg {
					t.Errorf("error %d: %+v, want %+v", i, e, w)
				}
			}
		})
	}
}

// Without Fill an empty required cell is left to the caller's validation,
// whose field messages land on their columns unless already reported.
func TestFieldsAndFailed(t *testing.T) {
	f, err := Read([]byte("类别,名称,升\n\n,,x\n乙,丙,1\n"), Spec{Columns: cols, MaxRows: 10, CSV: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows[0].N != 3 || f.Rows[1].N != 4 {
		t.Fatalf("rows %d %d", f.Rows[0].N, f.Rows[1].N)
	}
	r := f.Rows[0]
	if r.Text("名称", 5) != "" || r.Bad() {
		t.Fatal("empty cell reported without Fill")
	}
	r.Decimal("升", 3)
	r.Fields(&errs.Error{Code: errs.Invalid, Fields: errs.Fields{"litres": "升不对", "name": "请填写名称", "other": "整行不对"}})
	f.Add(4, "", "与第3行重复")
	f.Add(3, "类别", "类别已登记")
	if f.Failed() == nil {
		t.Fatal("no refusal")
	}
	e := f.Failed()
	want := []RowError{
		{3, "类别", "A3", "类别已登记"},
		{3, "名称", "B3", "请填写名称"},
		{3, "升", "C3", "升须为数字，如45.20"},
		{3, "", "", "整行不对"},
		{4, "", "", "与第3行重复"},
	}
	if fmt.Sprint(f.Errors) != fmt.Sprint(want) {
		t.Errorf("errors\n%v\nwant\n%v", f.Errors, want)
	}
	if e.Code != errs.Invalid || e.Message != "导入失败，共5处错误，未导入任何数据。第3行「类别」：类别已登记" ||
		e.Fields["B3"] != "第3行「名称」：请填写名称" || e.Fields["row4"] != "第4行：与第3行重复" {
		t.Errorf("refusal %+v", e)
	}
}

// Exports: text stays text (never a formula), money is yuan, times are
// Beijing; a template reads back as its own example.
func TestWrite(t *testing.T) {
	at := time.Date(2026, 3, 15, 0, 30, 0, 0, time.UTC)
	exCols := []Column{{Title: "文本", Required: true}, {Title: "金额"}, {Title: "时间"}, {Title: "是否"}, {Title: "数"}, {Title: "空"}}
	rows := [][]any{
		{"=HYPERLINK(\"http://x\",\"点我\")", Money(123450), at, true, 7, (*time.Time)(nil)},
		{"-1+2", Money(-150), &at, false, 1.5, nil},
		{"@SUM(A1)", Money(0), time.Time{}, false, int64(3), ""},
		{"\tx", Money(1), at, true, 0, "+1"},
	}
	data, err := XLSX(Sheet{Name: "导出", Columns: exCols, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	got, _ := x.GetRows("导出")
	want := [][]string{
		{"文本*", "金额", "时间", "是否", "数", "空"},
		{"=HYPERLINK(\"http://x\",\"点我\")", "1234.50", "2026-03-15 08:30:00", "是", "7"},
		{"-1+2", "-1.50", "2026-03-15 08:30:00", "否", "1.5"},
		{"@SUM(A1)", "0.00", "", "否", "3"},
		{"\tx", "0.01", "2026-03-15 08:30:00", "是", "0", "+1"},
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("xlsx\n%q\nwant\n%q", got, want)
	}
	for r := 2; r <= 5; r++ {
		for _, c := range "AF" {
			if f, _ := x.GetCellFormula("导出", fmt.Sprintf("%c%d", c, r)); f != "" {
				t.Errorf("%c%d is a formula: %q", c, r, f)
			}
		}
	}

	csvData, err := CSV(exCols, rows)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "\xEF\xBB\xBF文本*,金额,时间,是否,数,空\n" +
		"\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",1234.50,2026-03-15 08:30:00,是,7,\n" +
		"'-1+2,-1.50,2026-03-15 08:30:00,否,1.5,\n" +
		"'@SUM(A1),0.00,,否,3,\n" +
		"'\tx,0.01,2026-03-15 08:30:00,是,0,'+1\n"
	if string(csvData) != wantCSV {
		t.Errorf("csv\n%q\nwant\n%q", csvData, wantCSV)
	}

	tmpl, err := Template("模板", cols, "说明一")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(tmpl, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 1 || f.Rows[0].Value("名称") != "甲" || f.Rows[0].Value("升") != "45.20" {
		t.Errorf("template rows %+v", f.Rows)
	}
	tx, _ := excelize.OpenReader(bytes.NewReader(tmpl))
	defer tx.Close()
	notes, _ := tx.GetRows("填写说明")
	if len(notes) != len(cols)+3 || notes[1][0] != "名称" || notes[1][1] != "是" || notes[2][1] != "否" || notes[len(notes)-1][0] != "说明一" {
		t.Errorf("notes %q", notes)
	}
}

// TestCSVNeutralisesEveryText: text of any type (a named string type, a
// fmt.Stringer) that Excel would take for a formula is neutralised;
// numbers, money and bools are not.
func TestCSVNeutralisesEveryText(t *testing.T) {
	type status string
	got, err := CSV([]Column{{Title: "a"}, {Title: "b"}, {Title: "c"}, {Title: "d"}}, [][]any{{status("=1+1"), time.Duration(-5), Money(-150), -3}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "\xEF\xBB\xBFa,b,c,d\n'=1+1,-5ns,-1.50,-3\n"; string(got) != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestOnlySheetWritesCSV: no package but this one imports encoding/csv, so
// every CSV govfleet writes goes through CSV and its neutralisation.
func TestOnlySheetWritesCSV(t *testing.T) {
	n := 0
	for _, root := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			n++
			for _, im := range f.Imports {
				if im.Path.Value == `"encoding/csv"` && filepath.Base(filepath.Dir(p)) != "sheet" {
					t.Errorf("%s imports encoding/csv: write CSV with sheet.CSV", p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Errorf("only %d Go files read", n)
	}
}
