package sheet

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/money"
)

// Money is an amount in fen, written as yuan: a number shown with two
// decimals in .xlsx (it adds up in Excel), money.Yuan in .csv.
type Money int64

// Sheet is one worksheet of an export.
type Sheet struct {
	Name    string
	Columns []Column
	Rows    [][]any
	Notes   []string // lines after the rows, one blank line apart
}

// TimeLayout is how times are written: Beijing, to the second.
const TimeLayout = "2006-01-02 15:04:05"

// XLSXType is the media type of .xlsx.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// title is a column's heading: required columns carry "*".
func (c Column) title() string {
	if c.Required {
		return c.Title + "*"
	}
	return c.Title
}

// text writes a value as text: strings as they are, Money as yuan, times
// in Beijing, bools as 是/否, nil, nil pointers and zero times empty, other
// pointers as what they point to.
func text(v any) string {
	switch v := deref(v).(type) {
	case nil:
		return ""
	case string:
		return v
	case Money:
		return money.Yuan(int64(v))
	case bool:
		if v {
			return "是"
		}
		return "否"
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(beijing.Zone).Format(TimeLayout)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// XLSX writes sheets as an .xlsx: a styled header row, then the rows.
// Text is always a text cell, never a formula, so "=1+1" stays as typed;
// int kinds and float64 are numbers, Money a number with two decimals;
// everything else as text (see text).
func XLSX(sheets ...Sheet) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	if err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	yuan, err := x.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	textStyle, err := x.NewStyle(&excelize.Style{NumFmt: 49}) // @
	if err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	for i, s := range sheets {
		if i == 0 {
			err = x.SetSheetName("Sheet1", s.Name)
		} else {
			_, err = x.NewSheet(s.Name)
		}
		if err != nil {
			return nil, errs.Wrap(err, "xlsx")
		}
		if err := writeSheet(x, s, head, yuan, textStyle); err != nil {
			return nil, errs.Wrap(err, "xlsx")
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	return buf.Bytes(), nil
}

func writeSheet(x *excelize.File, s Sheet, head, yuan, textStyle int) error {
	sw, err := x.NewStreamWriter(s.Name)
	if err != nil {
		return err
	}
	for i, c := range s.Columns {
		w := c.Width
		if w == 0 {
			w = 16
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
		if c.Text {
			if err := sw.SetColStyle(i+1, i+1, textStyle); err != nil {
				return err
			}
		}
	}
	row := make([]any, len(s.Columns))
	for i, c := range s.Columns {
		row[i] = excelize.Cell{StyleID: head, Value: c.title()}
	}
	n := 1
	put := func(row []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		n++
		return sw.SetRow(cell, row)
	}
	if err := put(row); err != nil {
		return err
	}
	for _, r := range s.Rows {
		row = row[:0]
		for _, v := range r {
			switch v := deref(v).(type) {
			case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float64:
				row = append(row, v)
			case Money:
				row = append(row, excelize.Cell{StyleID: yuan, Value: float64(v) / 100})
			default:
				row = append(row, text(v))
			}
		}
		if err := put(row); err != nil {
			return err
		}
	}
	for _, note := range s.Notes {
		n++
		if err := put([]any{note}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// Template writes an import template: the sheet named name with the
// header (required columns with "*") and the example row, and a 填写说明
// sheet listing each column, whether it is required and its note, then
// the notes.
func Template(name string, cols []Column, notes ...string) ([]byte, error) {
	ex := make([]any, len(cols))
	var lines [][]any
	for i, c := range cols {
		ex[i] = c.Example
		lines = append(lines, []any{c.Title, c.Required, c.Note})
	}
	return XLSX(Sheet{Name: name, Columns: cols, Rows: [][]any{ex}},
		Sheet{Name: "填写说明", Columns: []Column{{Title: "列名", Width: 18}, {Title: "是否必填", Width: 10}, {Title: "说明", Width: 80}},
			Rows: lines, Notes: notes})
}

// deref is what a pointer points to (nil for a nil pointer), so that an
// optional value (*int, *string, *time.Time …) is written as its value.
func deref(v any) any {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return rv.Elem().Interface()
	}
	return v
}

// isText reports whether v is written as text: anything but a number
// (Money included) or a bool, so that a named string type or a
// fmt.Stringer is neutralised like a string.
func isText(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.Bool, reflect.Invalid:
		return false
	}
	return true
}

// CSV writes one list as CSV in UTF-8 with a BOM (so that Excel opens it
// right). A text value Excel would take for a formula (starting with =, +,
// -, @, tab or carriage return) is prefixed with a single quote. It is the
// only CSV writer of govfleet (TestOnlySheetWritesCSV).
func CSV(cols []Column, rows [][]any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\xEF\xBB\xBF")
	w := csv.NewWriter(&b)
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.title()
	}
	w.Write(rec)
	for _, r := range rows {
		rec = rec[:0]
		for _, v := range r {
			s := text(v)
			if isText(v) && s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
				s = "'" + s
			}
			rec = append(rec, s)
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes(), errs.Wrap(w.Error(), "csv")
}
