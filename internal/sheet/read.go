// Package sheet is the one home of spreadsheets: reading an import (.xlsx,
// and .csv where a spec allows it) under hard caps, typed cell readers
// that collect per-row, per-column Chinese errors, the all-or-nothing
// verdict, and writing templates and exports (.xlsx, .csv) with money in
// yuan, times in Beijing and formulas neutralised.
package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/money"
)

// Column is one column of an import, a template or an export.
type Column struct {
	Title    string  // the heading (a template marks required ones with "*")
	Field    string  // import: the input field whose validation messages belong here
	Required bool    // import: the heading must be present (see Spec.Fill)
	Note     string  // template: the column's line in 填写说明
	Example  string  // template: the example row; also the example of format messages
	Text     bool    // template: formatted as text, so that long digit strings keep their digits
	Width    float64 // template and export; 0 is 16
}

// Spec describes an import.
type Spec struct {
	Columns []Column
	MaxRows int  // data rows, blank rows not counted
	CSV     bool // .csv accepted besides .xlsx
	// Fill: the readers report an empty cell of a required column
	// (请填写…); otherwise the caller's validation of the record words it.
	Fill bool
}

// Caps checked before and while decoding, whatever the spec: a 2 MB .xlsx
// may hold gigabytes of XML.
const (
	MaxUnzipped = 32 << 20 // bytes of all the .xlsx's parts, uncompressed
	MaxCell     = 1000     // characters of one cell
)

// RowError is one problem of an imported file, by the row and column a
// spreadsheet shows.
type RowError struct {
	Row     int    `json:"row"`    // 1-based file row (the header is row 1)
	Column  string `json:"column"` // the column's heading; "" for the whole row
	Cell    string `json:"cell"`   // e.g. "C3"; "" for whole-row problems
	Message string `json:"message"`
}

// File is a read import: its data rows and every problem found so far.
type File struct {
	spec   Spec
	pos    map[string]int // heading → 0-based column of the file
	Rows   []*Row
	Errors []RowError
}

// Row is one non-blank data row.
type Row struct {
	N     int // the file's row number
	f     *File
	cells map[string]string // by heading, trimmed
	bad   map[string]bool   // headings reported on this row
}

func fileErr(msg string) error { return (&errs.Fields{"file": msg}).Err() }

// Read reads the first sheet of an .xlsx, or a .csv (UTF-8 with or without
// BOM, or GBK as Excel on Chinese Windows saves "CSV (逗号分隔)") when the
// spec allows: the first non-blank row is the header (a trailing "*" and
// blanks ignored, extra columns ignored), blank rows are skipped. Problems
// with the file as a whole come back as an Invalid error on field "file".
func Read(data []byte, spec Spec) (*File, error) {
	f := &File{spec: spec, Errors: []RowError{}}
	var err error
	switch {
	case len(data) == 0:
		return nil, fileErr("文件为空")
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		err = f.readXLSX(data)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		if spec.CSV {
			return nil, fileErr("不支持旧版Excel（.xls）文件，请另存为.xlsx或.csv后导入")
		}
		return nil, fileErr("不支持旧版Excel（.xls）文件，请另存为.xlsx后导入")
	case !spec.CSV:
		return nil, fileErr("文件不是有效的Excel（.xlsx）文件")
	default:
		err = f.readCSV(data)
	}
	if err != nil {
		return nil, err
	}
	if f.pos == nil {
		return nil, fileErr("文件为空，请使用导入模板")
	}
	if len(f.Rows) == 0 {
		return nil, fileErr("没有可导入的数据行")
	}
	return f, nil
}

func (f *File) readXLSX(data []byte) error {
	bad := fileErr("文件不是有效的Excel（.xlsx）文件")
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return bad
	}
	var size uint64
	for _, p := range zr.File { // the sizes the archive declares; reading more than declared fails
		size += p.UncompressedSize64
	}
	if size > MaxUnzipped {
		return fileErr(fmt.Sprintf("文件内容过大（解压后超过%d MB），请只保留要导入的数据", MaxUnzipped>>20))
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnzipped, UnzipXMLSizeLimit: MaxUnzipped})
	if err != nil {
		return bad
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return fileErr("文件中没有工作表")
	}
	rows, err := x.Rows(sheets[0])
	if err != nil {
		return bad
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return fileErr("无法读取工作表：" + err.Error())
		}
		if err := f.add(n, cells); err != nil {
			return err
		}
	}
	if rows.Error() != nil {
		return bad
	}
	return nil
}

func (f *File) readCSV(data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		d, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
		if err != nil {
			return fileErr("CSV文件编码无法识别，请保存为UTF-8或GBK编码")
		}
		data = d
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return fileErr("文件不是.xlsx或.csv文件")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fileErr(fmt.Sprintf("CSV文件第%d行格式错误", pe.Line))
			}
			return fileErr("CSV文件格式错误")
		}
		n, _ := r.FieldPos(0)
		if err := f.add(n, rec); err != nil {
			return err
		}
	}
}

// add takes one row of the file: the header, or a data row.
func (f *File) add(n int, cells []string) error {
	blank := true
	for _, c := range cells {
		blank = blank && strings.TrimSpace(c) == ""
	}
	switch {
	case blank:
		return nil
	case f.pos == nil:
		return f.header(cells)
	case len(f.Rows) == f.spec.MaxRows:
		return fileErr(fmt.Sprintf("一次最多导入%d行", f.spec.MaxRows))
	}
	r := &Row{N: n, f: f, cells: map[string]string{}}
	for _, c := range f.spec.Columns {
		p, ok := f.pos[c.Title]
		if !ok || p >= len(cells) {
			continue
		}
		v := strings.TrimSpace(cells[p])
		if utf8.RuneCountInString(v) > MaxCell {
			r.Add(c.Title, fmt.Sprintf("%s超过%d个字", c.Title, MaxCell))
			continue
		}
		// A cell may break lines (Alt+Enter) and hold tabs; no other control
		// character (issue 19: NUL is dropped by the database).
		if err := check.Text(v, true); err != nil {
			r.Add(c.Title, c.Title+err.Error())
			continue
		}
		r.cells[c.Title] = v
	}
	f.Rows = append(f.Rows, r)
	return nil
}

func (f *File) header(cells []string) error {
	f.pos = map[string]int{}
	for i, c := range cells {
		c = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(c), "*"))
		if _, dup := f.pos[c]; c != "" && !dup {
			f.pos[c] = i
		}
	}
	var missing []string
	for _, c := range f.spec.Columns {
		if _, ok := f.pos[c.Title]; !ok && c.Required {
			missing = append(missing, c.Title)
		}
	}
	if len(missing) > 0 {
		return fileErr("表头缺少列：" + strings.Join(missing, "、") + "。请使用导入模板，第1行为表头")
	}
	return nil
}

// Add reports a problem of row n in the column titled column ("" for the
// whole row).
func (f *File) Add(n int, column, msg string) {
	cell := ""
	if p, ok := f.pos[column]; ok {
		cell, _ = excelize.CoordinatesToCellName(p+1, n)
	}
	f.Errors = append(f.Errors, RowError{Row: n, Column: column, Cell: cell, Message: msg})
}

// Failed is nil when no row has a problem; otherwise it sorts the problems
// by row and column and returns the all-or-nothing refusal: every problem
// on its cell ("第3行「车牌号」：…"), the message counting them and
// repeating the first.
func (f *File) Failed() *errs.Error {
	if len(f.Errors) == 0 {
		return nil
	}
	col := func(e RowError) int {
		if e.Cell == "" {
			return 1 << 20 // whole-row problems after the row's cells
		}
		return f.pos[e.Column]
	}
	slices.SortStableFunc(f.Errors, func(a, b RowError) int {
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return col(a) - col(b)
	})
	fields := errs.Fields{}
	where := func(e RowError) string {
		if e.Column == "" {
			return fmt.Sprintf("第%d行", e.Row)
		}
		return fmt.Sprintf("第%d行「%s」", e.Row, e.Column)
	}
	for _, e := range f.Errors {
		key := e.Cell
		if key == "" {
			key = fmt.Sprintf("row%d", e.Row)
		}
		fields.Add(key, where(e)+"："+e.Message)
	}
	first := f.Errors[0]
	return &errs.Error{Code: errs.Invalid, Fields: fields,
		Message: fmt.Sprintf("导入失败，共%d处错误，未导入任何数据。%s：%s", len(f.Errors), where(first), first.Message)}
}

// Add reports a problem of the row in the column titled column.
func (r *Row) Add(column, msg string) {
	r.f.Add(r.N, column, msg)
	if r.bad == nil {
		r.bad = map[string]bool{}
	}
	r.bad[column] = true
}

// Bad says whether the row has a problem so far.
func (r *Row) Bad() bool { return len(r.bad) > 0 }

// Reported says whether column already has a problem on this row.
func (r *Row) Reported(column string) bool { return r.bad[column] }

// Value is the trimmed cell of column ("" when absent or too long).
func (r *Row) Value(column string) string { return r.cells[column] }

// value is the cell to parse: ok is false when it is empty (reported
// under Spec.Fill if the column is required) or already reported.
func (r *Row) value(column string) (string, bool) {
	v := r.cells[column]
	if v == "" && r.f.spec.Fill && !r.Reported(column) && r.f.column(column).Required {
		r.Add(column, "请填写"+column)
	}
	return v, v != "" && !r.Reported(column)
}

func (f *File) column(title string) Column {
	for _, c := range f.spec.Columns {
		if c.Title == title {
			return c
		}
	}
	return Column{Title: title}
}

// Fields reports a validation error of the row's record: each field's
// message on its column (in column order) unless that column already has
// a problem on this row; fields of no column and messages without fields
// on the whole row.
func (r *Row) Fields(err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		r.Add("", err.Error())
		return
	}
	if len(e.Fields) == 0 {
		r.Add("", e.Message)
		return
	}
	for _, c := range r.f.spec.Columns {
		if m, ok := e.Fields[c.Field]; ok && c.Field != "" && !r.Reported(c.Title) {
			r.Add(c.Title, m)
		}
	}
	var rest []string
	for field, m := range e.Fields {
		if !slices.ContainsFunc(r.f.spec.Columns, func(c Column) bool { return c.Field == field }) {
			rest = append(rest, m)
		}
	}
	slices.Sort(rest)
	for _, m := range rest {
		r.Add("", m)
	}
}

// Text is a text cell of at most max characters.
func (r *Row) Text(column string, max int) string {
	v, ok := r.value(column)
	if ok && utf8.RuneCountInString(v) > max {
		r.Add(column, fmt.Sprintf("%s不能超过%d个字", column, max))
	}
	return v
}

// Int is an integer cell; nil when empty or bad.
func (r *Row) Int(column string) *int {
	v, ok := r.value(column)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
	if err != nil {
		r.Add(column, column+"须为整数")
		return nil
	}
	return &n
}

// Float is a number cell (coordinates); nil when empty or bad.
func (r *Row) Float(column string) *float64 {
	v, ok := r.value(column)
	if !ok {
		return nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || strings.ContainsAny(v, "xXpP_") { // decimal only: no hex, no digit separators
		r.Add(column, column+"须为数字")
		return nil
	}
	return &x
}

// Decimal is a positive number with at most places decimals, as an
// integer of 10^-places units (litres as millilitres: places 3), and the
// number of decimals written. Thousands separators, currency signs and the
// units 元, 升 and L are ignored.
func (r *Row) Decimal(column string, places int) (n int64, decimals int, ok bool) {
	v, ok := r.value(column)
	if !ok {
		return 0, 0, false
	}
	v = strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "元", "", "升", "", "L", "").Replace(v)
	whole, frac, _ := strings.Cut(v, ".")
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	if whole+frac == "" || !digits(strings.TrimLeft(whole, "+-")) || !digits(frac) || strings.Count(whole, "-")+strings.Count(whole, "+") > 1 {
		r.Add(column, fmt.Sprintf("%s须为数字，如%s", column, r.f.column(column).Example))
		return 0, 0, false
	}
	if strings.HasPrefix(whole, "-") || strings.Trim(whole+frac, "+0") == "" {
		r.Add(column, column+"须大于0")
		return 0, 0, false
	}
	if len(strings.TrimRight(frac, "0")) > places {
		r.Add(column, fmt.Sprintf("%s最多%d位小数", column, places))
		return 0, 0, false
	}
	decimals = len(frac)
	frac += strings.Repeat("0", places-min(len(frac), places))
	n, err := strconv.ParseInt(strings.TrimLeft(whole, "+")+frac[:places], 10, 64)
	if err != nil || n > 1e15 {
		r.Add(column, column+"数值过大")
		return 0, 0, false
	}
	return n, decimals, true
}

// Money is an amount in yuan (money.Parse) as fen; nil when empty or bad.
func (r *Row) Money(column string) *int64 {
	v, ok := r.value(column)
	if !ok {
		return nil
	}
	fen, err := money.Parse(v)
	switch {
	case errors.Is(err, money.ErrTooPrecise):
		r.Add(column, column+"最多两位小数")
	case errors.Is(err, money.ErrOutOfRange):
		r.Add(column, column+"金额过大")
	case err != nil:
		r.Add(column, fmt.Sprintf("%s须为金额数字，如%s", column, r.f.column(column).Example))
	default:
		return &fen
	}
	return nil
}

// Excel serial numbers read as dates: 1954 to 2119 (a bare year is not one).
const minSerial, maxSerial = 20000, 80000

func serial(v string) (time.Time, bool) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < minSerial || f >= maxSerial {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(f, false)
	if err != nil {
		return time.Time{}, false
	}
	t = t.Round(time.Second)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, beijing.Zone), true
}

var dateLayouts = []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006/01/02", "2006年1月2日", "2006.1.2"}

// Date is a calendar date (2024-03-15, 2024/3/15, 2024年3月15日 or an Excel
// date) as 2006-01-02; nil when empty or bad.
func (r *Row) Date(column string) *string {
	v, ok := r.value(column)
	if !ok {
		return nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			s := t.Format(time.DateOnly)
			return &s
		}
	}
	if t, ok := serial(v); ok {
		s := t.Format(time.DateOnly)
		return &s
	}
	r.Add(column, fmt.Sprintf("%s格式应为“年-月-日”，如%s", column, r.f.column(column).Example))
	return nil
}

var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-1-2 15:04:05", "2006-1-2 15:04",
	"2006/01/02 15:04:05", "2006/01/02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02T15:04:05", "2006年1月2日 15:04"}

// DateTime is a Beijing date and time (to the minute or second, or an
// Excel date-time); ok is false when empty or bad.
func (r *Row) DateTime(column string) (time.Time, bool) {
	v, ok := r.value(column)
	if !ok {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, beijing.Zone); err == nil {
			return t, true
		}
	}
	if t, ok := serial(v); ok {
		return t, true
	}
	r.Add(column, fmt.Sprintf("%s格式应为“年-月-日 时:分”，如%s", column, r.f.column(column).Example))
	return time.Time{}, false
}

// Enum is one of a list of values: lookup gives the code of a cell, names
// lists what may be written; nil when empty or bad.
func (r *Row) Enum(column string, lookup func(string) (string, bool), names string) *string {
	v, ok := r.value(column)
	if !ok {
		return nil
	}
	c, ok := lookup(v)
	if !ok {
		r.Add(column, fmt.Sprintf("%s“%s”无效，应为：%s", column, v, names))
		return nil
	}
	return &c
}
