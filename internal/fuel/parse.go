package fuel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
)

// A column of the import template (docs/fuel-import.md). Every column is
// required; Chinese headings as the fuel company's statements print them.
type column struct {
	Header  string
	Note    string
	Example string
}

var columns = []column{
	{"加油卡号", "加油卡（副卡）卡号", "1000113200012345678"},
	{"车牌号", "须为平台已登记、且在贵公司合同覆盖范围内的车辆", "苏D12345"},
	{"加油时间", "北京时间，年-月-日 时:分（可带秒），须在导入月份内", "2026-03-15 08:30"},
	{"加油站", "站点名称", "中国石化常州延陵西路加油站"},
	{"油品", "如92#汽油、95#汽油、0#柴油", "92#汽油"},
	{"加油量(升)", "大于0，最多三位小数", "45.20"},
	{"单价(元/升)", "最多两位小数", "7.42"},
	{"金额(元)", "最多两位小数；须等于加油量×单价（容差见说明）", "335.38"},
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

// RowError is one problem of an imported file, by the row and column a
// spreadsheet shows (the same shape as the registry's imports).
type RowError struct {
	Row     int    `json:"row"`    // 1-based file row (the header is row 1)
	Column  string `json:"column"` // the column's heading; "" for the whole row
	Cell    string `json:"cell"`   // e.g. "C3"; "" for whole-row problems
	Message string `json:"message"`
}

// line is one data row of the file: cells by heading, with its row number.
type line struct {
	n     int
	cells map[string]string
}

// sheet is a read file: data rows and the position of each heading.
type sheet struct {
	rows []line
	pos  map[string]int
}

// readFile reads an .xlsx (first sheet) or a .csv (UTF-8 with or without
// BOM, or GBK as Excel on Chinese Windows saves "CSV (逗号分隔)"): the
// first non-blank row is the header, blank rows are skipped. Problems with
// the file as a whole come back as an Invalid error on field "file".
func readFile(data []byte) (*sheet, error) {
	bad := func(msg string) error { return (&errs.Fields{"file": msg}).Err() }
	var raw [][]string
	var lines []int // the row number of each of raw (CSV skips blank lines)
	switch {
	case len(data) == 0:
		return nil, bad("文件为空")
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		x, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, bad("文件不是有效的Excel（.xlsx）文件")
		}
		defer x.Close()
		sheets := x.GetSheetList()
		if len(sheets) == 0 {
			return nil, bad("文件中没有工作表")
		}
		if raw, err = x.GetRows(sheets[0]); err != nil {
			return nil, bad("无法读取工作表：" + err.Error())
		}
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		return nil, bad("不支持旧版Excel（.xls）文件，请另存为.xlsx或.csv后导入")
	default:
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		if !utf8.Valid(data) {
			d, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
			if err != nil {
				return nil, bad("CSV文件编码无法识别，请保存为UTF-8或GBK编码")
			}
			data = d
		}
		if bytes.IndexByte(data, 0) >= 0 {
			return nil, bad("文件不是.xlsx或.csv文件")
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return nil, bad(fmt.Sprintf("CSV文件第%d行格式错误", pe.Line))
				}
				return nil, bad("CSV文件格式错误")
			}
			raw = append(raw, rec)
			l, _ := r.FieldPos(0)
			lines = append(lines, l)
		}
	}
	if lines == nil {
		for i := range raw {
			lines = append(lines, i+1)
		}
	}
	// The header: the first row with any text.
	h := 0
	for h < len(raw) && blank(raw[h]) {
		h++
	}
	if h == len(raw) {
		return nil, bad("文件为空，请使用导入模板")
	}
	pos := map[string]int{}
	for i, c := range raw[h] {
		c = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(c), "*"))
		if c != "" {
			if _, dup := pos[c]; !dup {
				pos[c] = i
			}
		}
	}
	var missing []string
	for _, c := range columns {
		if _, ok := pos[c.Header]; !ok {
			missing = append(missing, c.Header)
		}
	}
	if len(missing) > 0 {
		return nil, bad("表头缺少列：" + strings.Join(missing, "、") + "。请使用导入模板，第1行为表头")
	}
	s := &sheet{pos: pos}
	for i := h + 1; i < len(raw); i++ {
		if blank(raw[i]) {
			continue
		}
		cells := map[string]string{}
		for _, c := range columns {
			if p := pos[c.Header]; p < len(raw[i]) {
				cells[c.Header] = strings.TrimSpace(raw[i][p])
			}
		}
		s.rows = append(s.rows, line{n: lines[i], cells: cells})
	}
	if len(s.rows) == 0 {
		return nil, bad("没有可导入的数据行")
	}
	if len(s.rows) > MaxRows {
		return nil, bad(fmt.Sprintf("一次最多导入%d行", MaxRows))
	}
	return s, nil
}

func blank(r []string) bool {
	for _, c := range r {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// rowCheck collects the problems of one row.
type rowCheck struct {
	n   int
	pos map[string]int
	out *[]RowError
	bad bool
}

func (r *rowCheck) add(header, msg string) {
	cell := ""
	if p, ok := r.pos[header]; ok {
		cell, _ = excelize.CoordinatesToCellName(p+1, r.n)
	}
	*r.out = append(*r.out, RowError{Row: r.n, Column: header, Cell: cell, Message: msg})
	r.bad = true
}

// text returns a required text cell of at most max characters.
func (r *rowCheck) text(c map[string]string, header string, max int) string {
	v := c[header]
	switch {
	case v == "":
		r.add(header, "请填写"+header)
	case utf8.RuneCountInString(v) > max:
		r.add(header, fmt.Sprintf("%s不能超过%d个字", header, max))
	}
	return v
}

// decimal parses a non-negative number with at most places decimals into
// an integer of 10^-places units; it also returns the decimals written.
func (r *rowCheck) decimal(c map[string]string, header string, places int, example string) (int64, int, bool) {
	v := strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "元", "", "升", "", "L", "").Replace(c[header])
	if v == "" {
		r.add(header, "请填写"+header)
		return 0, 0, false
	}
	rat, ok := new(big.Rat).SetString(v)
	if !ok || strings.ContainsAny(v, "eE/") {
		r.add(header, fmt.Sprintf("%s须为数字，如%s", header, example))
		return 0, 0, false
	}
	if rat.Sign() <= 0 {
		r.add(header, header+"须大于0")
		return 0, 0, false
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
	rat.Mul(rat, scale)
	if !rat.IsInt() || !rat.Num().IsInt64() {
		r.add(header, fmt.Sprintf("%s最多%d位小数", header, places))
		return 0, 0, false
	}
	dec := 0
	if i := strings.IndexByte(v, '.'); i >= 0 {
		dec = len(v) - i - 1
	}
	return rat.Num().Int64(), dec, true
}

var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-1-2 15:04:05", "2006-1-2 15:04",
	"2006/01/02 15:04:05", "2006/01/02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02T15:04:05", "2006年1月2日 15:04"}

// at parses the fuelling time (Beijing), also an Excel serial date-time.
func (r *rowCheck) at(c map[string]string) (time.Time, bool) {
	v := c[colAt]
	if v == "" {
		r.add(colAt, "请填写加油时间")
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, beijing.Zone); err == nil {
			return t, true
		}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 30000 && f < 80000 {
		if t, err := excelize.ExcelDateToTime(f, false); err == nil {
			t = t.Round(time.Second)
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, beijing.Zone), true
		}
	}
	r.add(colAt, "加油时间格式应为“年-月-日 时:分”，如2026-03-15 08:30")
	return time.Time{}, false
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

func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

// parseRows turns the file's rows into records — every row, so that the
// registry checks report on bad rows too; problems are appended to out.
// from and to bound the times (Beijing), now refuses future ones.
func parseRows(s *sheet, from, to, now time.Time, out *[]RowError) []Record {
	var recs []Record
	seen := map[string]int{}
	month := beijing.Month(from)
	for _, l := range s.rows {
		r := &rowCheck{n: l.n, pos: s.pos, out: out}
		c := l.cells
		rec := Record{Row: l.n}
		rec.CardNo = r.text(c, colCard, 32)
		rec.Plate = strings.ToUpper(strings.ReplaceAll(r.text(c, colPlate, 10), " ", ""))
		rec.Station = r.text(c, colStation, 100)
		rec.FuelType = r.text(c, colFuel, 20)
		if t, ok := r.at(c); ok {
			switch {
			case t.Before(from) || !t.Before(to):
				r.add(colAt, fmt.Sprintf("加油时间%s不在导入月份%s内", t.Format("2006-01-02 15:04"), month))
			case t.After(now):
				r.add(colAt, "加油时间不能晚于当前时间")
			}
			rec.At = t.UTC()
		}
		litres, dec, okL := r.decimal(c, colLitres, 3, "45.20")
		price, _, okP := r.decimal(c, colPrice, 2, "7.42")
		amount, _, okA := r.decimal(c, colAmount, 2, "335.38")
		rec.LitresML, rec.UnitPriceFen, rec.AmountFen = litres, price, amount
		if okL && okP && okA && AmountMismatch(litres, dec, price, amount) {
			exact := new(big.Rat).SetFrac64(litres*price, 1000)
			f, _ := exact.Float64()
			r.add(colAmount, fmt.Sprintf("金额%s元与加油量×单价（%s升×%s元=%.2f元）不符", yuan(amount), strconv.FormatFloat(float64(litres)/1000, 'f', -1, 64), yuan(price), f/100))
		}
		if !r.bad {
			key := rec.CardNo + "|" + rec.Plate + "|" + rec.At.Format(time.RFC3339)
			if j, dup := seen[key]; dup {
				r.add("", fmt.Sprintf("与第%d行重复（同一卡号、车牌号和加油时间）", j))
			}
			seen[key] = l.n
		}
		recs = append(recs, rec)
	}
	return recs
}

// Template returns the import template: as .xlsx (header, one example row,
// a notes sheet) or as .csv (UTF-8 with BOM so that Excel opens it right).
func Template(format string) ([]byte, error) {
	head := make([]string, len(columns))
	ex := make([]string, len(columns))
	for i, c := range columns {
		head[i], ex[i] = c.Header, c.Example
	}
	if format == "csv" {
		var b bytes.Buffer
		b.WriteString("\xEF\xBB\xBF")
		w := csv.NewWriter(&b)
		w.Write(head)
		w.Write(ex)
		w.Flush()
		return b.Bytes(), w.Error()
	}
	x := excelize.NewFile()
	defer x.Close()
	const name = "加油记录"
	x.SetSheetName("Sheet1", name)
	row := func(cells []string) *[]any {
		out := make([]any, len(cells))
		for i, c := range cells {
			out[i] = c
		}
		return &out
	}
	x.SetSheetRow(name, "A1", row(head))
	x.SetSheetRow(name, "A2", row(ex))
	last, _ := excelize.ColumnNumberToName(len(columns))
	x.SetColWidth(name, "A", last, 18)
	x.SetColWidth(name, "D", "D", 30)
	if st, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}}); err == nil {
		x.SetCellStyle(name, "A1", last+"1", st)
	}
	if st, err := x.NewStyle(&excelize.Style{NumFmt: 49}); err == nil { // text: card numbers keep their digits
		x.SetColStyle(name, "A:C", st)
	}
	notes := "填写说明"
	x.NewSheet(notes)
	x.SetSheetRow(notes, "A1", &[]any{"列名", "说明"})
	for i, c := range columns {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow(notes, cell, &[]any{c.Header, c.Note})
	}
	n := len(columns) + 3
	x.SetCellValue(notes, fmt.Sprintf("A%d", n), "第2行为示例，导入前请删除或改为真实数据。所有列必填。每次导入一个月的全部记录；"+
		"只要有一行有误，全部不导入，并逐行列出错误。同一月份再次导入时，以新文件替换该月全部记录；文件完全相同则不重复导入。")
	x.SetColWidth(notes, "A", "A", 16)
	x.SetColWidth(notes, "B", "B", 80)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	return buf.Bytes(), nil
}
