// Package pdf renders the documents people print — the 派车单 of an order, a supervision case's
// report, the annual report — as PDF on the server, set in embedded Chinese and Latin fonts (docs/printing.md).
//
// A document is data, not drawing: a title, header fields, sections of fields, tables and
// paragraphs, and signature lines. Render lays it out on A4 (portrait, or landscape for wide
// tables), breaks pages, repeats a table's header on each page and numbers the pages. The font is
// parsed once per process; each document embeds only the glyphs it uses (font.go). Text reads
// the text back (tests, and anyone who wants to check what a PDF says).
package pdf

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Doc is one printable document.
type Doc struct {
	Title     string  // centred at the top, e.g. 公务用车派车单
	Number    string  // right-aligned under the title, e.g. 编号：D20260101-0001
	Issuer    string  // left-aligned under the title, e.g. the unit or authority
	Fields    []Field // the header's form: label and value boxes, two a row (Wide: a whole row)
	Sections  []Section
	Signature []string // signature lines, e.g. 调度员, 驾驶员, 用车人: 签字 and date for each
	Footer    string   // printed at the bottom of every page beside the page number
	Landscape bool
	At        time.Time // the document's creation date (zero: now); fixed for identical output
}

// Field is a label and its value in a form.
type Field struct {
	Label string
	Value string
	Wide  bool // takes the whole row
}

// Section is a heading followed by fields, a table, paragraphs — any of them.
type Section struct {
	Heading    string
	Fields     []Field
	Table      *Table
	Paragraphs []string
}

// Table is a grid with a header row; Widths are relative (nil: equal).
type Table struct {
	Columns []string
	Widths  []float64
	Right   []bool // right-align the column (figures)
	Rows    [][]string
	Total   []string // an optional last row in bold
}

const (
	margin  = 15.0
	lineH   = 5.5
	bodyPt  = 10.0
	smallPt = 8.5
)

// Bytes renders d and returns the PDF.
func Bytes(d Doc) ([]byte, error) {
	var b bytes.Buffer
	if err := Render(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Render writes d as PDF to w.
func Render(w io.Writer, d Doc) error {
	cjk, latin, err := embedded()
	if err != nil {
		return err
	}
	d = d.clean()
	orient := "P"
	if d.Landscape {
		orient = "L"
	}
	f := fpdf.New(orient, "mm", "A4", "")
	at := d.At
	if at.IsZero() {
		at = time.Now()
	}
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetTitle(d.Title, true)
	f.SetCreator("govfleet", true)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, margin)
	r := &renderer{f: f, d: d, latin: latin, widths: map[[2]float64]float64{}}
	var cjkRunes, latinRunes []rune
	for _, c := range d.runes() {
		if r.fontFor(c) == "lat" {
			latinRunes = append(latinRunes, c)
		} else {
			cjkRunes = append(cjkRunes, c)
		}
	}
	f.AddUTF8FontFromBytes("cjk", "", cjk.subset(cjkRunes))
	f.AddUTF8FontFromBytes("lat", "", latin.subset(latinRunes))
	if err := f.Error(); err != nil {
		return fmt.Errorf("pdf: font: %w", err)
	}
	f.SetFooterFunc(r.footer)
	f.AddPage()
	r.pageW, r.pageH = f.GetPageSize()
	r.width = r.pageW - 2*margin
	r.header()
	for _, s := range d.Sections {
		r.section(s)
	}
	if len(d.Signature) > 0 {
		r.signatures()
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return nil
}

// clean replaces what the font or fpdf cannot draw — characters outside the Basic Multilingual
// Plane (fpdf panics on them), control characters — with a space.
func (d Doc) clean() Doc {
	c := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '\n' {
				return r
			}
			if r < 0x20 || r >= 0xFFFF || (r >= 0xD800 && r < 0xE000) {
				return ' '
			}
			return r
		}, s)
	}
	all := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = c(s)
		}
		return out
	}
	fields := func(fs []Field) []Field {
		out := make([]Field, len(fs))
		for i, f := range fs {
			out[i] = Field{Label: c(f.Label), Value: c(f.Value), Wide: f.Wide}
		}
		return out
	}
	d.Title, d.Number, d.Issuer, d.Footer = c(d.Title), c(d.Number), c(d.Issuer), c(d.Footer)
	d.Fields, d.Signature = fields(d.Fields), all(d.Signature)
	secs := make([]Section, len(d.Sections))
	for i, s := range d.Sections {
		secs[i] = Section{Heading: c(s.Heading), Fields: fields(s.Fields), Paragraphs: all(s.Paragraphs)}
		if s.Table != nil {
			t := *s.Table
			t.Columns, t.Total = all(t.Columns), all(t.Total)
			t.Rows = make([][]string, len(s.Table.Rows))
			for j, row := range s.Table.Rows {
				t.Rows[j] = all(row)
			}
			secs[i].Table = &t
		}
	}
	d.Sections = secs
	return d
}

// runes lists every character the document prints (for the font subset).
func (d Doc) runes() []rune {
	var sb strings.Builder
	add := func(s ...string) {
		for _, x := range s {
			sb.WriteString(x)
		}
	}
	add(d.Title, d.Number, d.Issuer, d.Footer, "第页共 0123456789/：:签字日期年月（无）()-—.", "签字：", "日期：")
	fields := func(fs []Field) {
		for _, x := range fs {
			add(x.Label, x.Value)
		}
	}
	fields(d.Fields)
	for _, s := range d.Sections {
		add(s.Heading)
		fields(s.Fields)
		add(s.Paragraphs...)
		if t := s.Table; t != nil {
			add(t.Columns...)
			add(t.Total...)
			for _, row := range t.Rows {
				add(row...)
			}
		}
	}
	add(d.Signature...)
	return []rune(sb.String())
}

type renderer struct {
	f                   *fpdf.Fpdf
	d                   Doc
	pageW, pageH, width float64
	size                float64 // the font size in points of what is drawn next
	latin               *font
	widths              map[[2]float64]float64 // (rune, size) → width in mm
}

// fontFor is the font a character is set in: the Latin font (DejaVu Sans Condensed) for what it
// has below the CJK blocks — letters, digits, Western punctuation, arrows — the CJK font for the rest.
func (r *renderer) fontFor(c rune) string {
	if c < 0x2E80 && r.latin.has(c) {
		return "lat"
	}
	return "cjk"
}

type run struct{ font, text string }

// runs splits s into runs of one font each.
func (r *renderer) runs(s string) []run {
	var out []run
	for _, c := range s {
		fn := r.fontFor(c)
		if n := len(out); n > 0 && out[n-1].font == fn {
			out[n-1].text += string(c)
		} else {
			out = append(out, run{fn, string(c)})
		}
	}
	return out
}

func (r *renderer) runeWidth(c rune) float64 {
	k := [2]float64{float64(c), r.size}
	if w, ok := r.widths[k]; ok {
		return w
	}
	r.f.SetFont(r.fontFor(c), "", r.size)
	w := r.f.GetStringWidth(string(c))
	r.widths[k] = w
	return w
}

func (r *renderer) textWidth(s string) float64 {
	w := 0.0
	for _, c := range s {
		w += r.runeWidth(c)
	}
	return w
}

// cell draws s on one line in a box w wide and h high at the current position, aligned L, C or R
// inside the cell's margins, each run in its font; then moves right of the box, or to the next line
// (ln).
func (r *renderer) cell(w, h float64, s, align string, ln bool) {
	f := r.f
	x0, y0 := f.GetXY()
	cm := f.GetCellMargin()
	tw := r.textWidth(s)
	x := x0 + cm
	switch align {
	case "C":
		x = x0 + (w-tw)/2
	case "R":
		x = x0 + w - cm - tw
	}
	f.SetCellMargin(0)
	for _, rn := range r.runs(s) {
		f.SetFont(rn.font, "", r.size)
		rw := f.GetStringWidth(rn.text)
		f.SetXY(x, y0)
		f.CellFormat(rw, h, rn.text, "", 0, "L", false, 0, "")
		x += rw
	}
	f.SetCellMargin(cm)
	if ln {
		left, _, _, _ := f.GetMargins()
		f.SetXY(left, y0+h)
	} else {
		f.SetXY(x0+w, y0)
	}
}

func (r *renderer) bottom() float64 { return r.pageH - margin - 8 }

// need breaks the page unless h millimetres fit.
func (r *renderer) need(h float64) bool {
	if r.f.GetY()+h <= r.bottom() {
		return false
	}
	r.f.AddPage()
	return true
}

func (r *renderer) footer() {
	f := r.f
	r.size = smallPt
	f.SetXY(margin, r.pageH-margin-4)
	r.cell(r.width/2, 4, r.d.Footer, "L", false)
	r.cell(r.width/2, 4, fmt.Sprintf("第 %d 页", f.PageNo()), "R", false)
}

func (r *renderer) header() {
	f := r.f
	r.size = 18
	r.cell(r.width, 10, r.d.Title, "C", true)
	if r.d.Number != "" || r.d.Issuer != "" {
		r.size = bodyPt
		r.cell(r.width/2, 6, r.d.Issuer, "L", false)
		r.cell(r.width/2, 6, r.d.Number, "R", true)
	}
	f.Ln(2)
	r.fields(r.d.Fields)
}

func (r *renderer) section(s Section) {
	f := r.f
	if s.Heading != "" {
		r.need(8 + 2*lineH)
		f.Ln(3)
		r.size = 12
		r.cell(r.width, 7, s.Heading, "L", true)
		f.Ln(1)
	}
	r.fields(s.Fields)
	if s.Table != nil {
		r.table(*s.Table)
	}
	r.size = bodyPt
	for _, p := range s.Paragraphs {
		for _, line := range r.wrap(p, r.width) {
			r.need(lineH)
			r.cell(r.width, lineH, line, "L", true)
		}
		f.Ln(1.5)
	}
}

// fields draws label/value boxes, two pairs a row; a wide field takes a row.
func (r *renderer) fields(fs []Field) {
	if len(fs) == 0 {
		return
	}
	f := r.f
	labelW := 28.0
	half := r.width / 2
	for i := 0; i < len(fs); {
		row := []Field{fs[i]}
		if !fs[i].Wide && i+1 < len(fs) && !fs[i+1].Wide {
			row = append(row, fs[i+1])
		}
		i += len(row)
		cellW := half
		if len(row) == 1 {
			cellW = r.width
		}
		r.size = bodyPt
		lines := make([][]string, len(row))
		n := 1
		for k, fl := range row {
			lines[k] = r.wrap(fl.Value, cellW-labelW)
			n = max(n, len(lines[k]))
		}
		h := float64(n)*lineH + 2
		r.need(h)
		x, y := f.GetX(), f.GetY()
		for k, fl := range row {
			cx := x + float64(k)*cellW
			f.SetFillColor(240, 240, 240)
			f.Rect(cx, y, labelW, h, "FD")
			f.Rect(cx+labelW, y, cellW-labelW, h, "D")
			f.SetXY(cx, y+1)
			r.cell(labelW, lineH, fl.Label, "C", false)
			for j, line := range lines[k] {
				f.SetXY(cx+labelW, y+1+float64(j)*lineH)
				r.cell(cellW-labelW, lineH, line, "L", false)
			}
		}
		f.SetXY(x, y+h)
	}
}

func (r *renderer) table(t Table) {
	f := r.f
	widths := make([]float64, len(t.Columns))
	sum := 0.0
	for i := range widths {
		widths[i] = 1
		if i < len(t.Widths) && t.Widths[i] > 0 {
			widths[i] = t.Widths[i]
		}
		sum += widths[i]
	}
	for i := range widths {
		widths[i] *= r.width / sum
	}
	right := func(i int) bool { return i < len(t.Right) && t.Right[i] }
	headerRow := func() {
		r.size = smallPt + 0.5
		r.row(t.Columns, widths, nil, true)
	}
	r.need(3 * lineH)
	headerRow()
	r.size = smallPt + 0.5
	for _, row := range t.Rows {
		if r.rowHeight(row, widths) > r.bottom()-f.GetY() {
			f.AddPage()
			headerRow()
			r.size = smallPt + 0.5
		}
		r.row(row, widths, right, false)
	}
	if len(t.Rows) == 0 {
		r.need(lineH + 2)
		f.Rect(f.GetX(), f.GetY(), r.width, lineH+2, "D")
		r.cell(r.width, lineH+2, "（无）", "C", true)
	}
	if len(t.Total) > 0 {
		r.size = smallPt + 0.5
		r.need(r.rowHeight(t.Total, widths))
		r.row(t.Total, widths, right, false)
	}
	r.size = bodyPt
}

func (r *renderer) rowHeight(cells []string, widths []float64) float64 {
	n := 1
	for i, c := range cells {
		if i < len(widths) {
			n = max(n, len(r.wrap(c, widths[i])))
		}
	}
	return float64(n)*(lineH-1) + 2
}

func (r *renderer) row(cells []string, widths []float64, right func(int) bool, head bool) {
	f := r.f
	h := r.rowHeight(cells, widths)
	x, y := f.GetX(), f.GetY()
	cx := x
	for i, w := range widths {
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		style := "D"
		if head {
			f.SetFillColor(230, 230, 230)
			style = "FD"
		}
		f.Rect(cx, y, w, h, style)
		align := "L"
		if head {
			align = "C"
		} else if right != nil && right(i) {
			align = "R"
		}
		for j, line := range r.wrap(c, w) {
			f.SetXY(cx, y+1+float64(j)*(lineH-1))
			r.cell(w, lineH-1, line, align, false)
		}
		cx += w
	}
	f.SetXY(x, y+h)
}

// wrap splits s into lines no wider than w (less the cell's padding), at any character (Chinese
// has no spaces) and at line breaks.
func (r *renderer) wrap(s string, w float64) []string {
	f := r.f
	limit := w - 2*f.GetCellMargin() - 0.5
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var cur []rune
		width := 0.0
		for _, c := range para {
			cw := r.runeWidth(c)
			if width+cw > limit && len(cur) > 0 {
				lines = append(lines, string(cur))
				cur, width = nil, 0
			}
			cur = append(cur, c)
			width += cw
		}
		lines = append(lines, string(cur))
	}
	return lines
}

func (r *renderer) signatures() {
	f := r.f
	f.Ln(8)
	r.size = bodyPt + 1
	per := 2
	if r.d.Landscape {
		per = 3
	}
	colW := r.width / float64(per)
	for i := 0; i < len(r.d.Signature); i += per {
		r.need(16)
		x, y := f.GetX(), f.GetY()
		for k := 0; k < per && i+k < len(r.d.Signature); k++ {
			cx := x + float64(k)*colW
			f.SetXY(cx, y)
			label := r.d.Signature[i+k] + " 签字："
			lw := r.textWidth(label) + 2
			r.cell(lw, 7, label, "L", false)
			f.Line(cx+lw, y+6, cx+colW-6, y+6)
			f.SetXY(cx, y+8)
			r.cell(lw, 7, "日期：", "R", false)
			f.Line(cx+lw, y+14, cx+colW-6, y+14)
		}
		f.SetXY(x, y+18)
	}
}
