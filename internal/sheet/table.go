package sheet

// MaxExport is the most rows one list export writes: a list filtered to
// more is refused with a message asking for a narrower filter, never cut.
// A variable only so that a test can lower it.
var MaxExport = 100_000

// Field is one column of a list's export: its heading (Chinese, a name
// rather than an id) and how to read the cell from a row of the list.
type Field[T any] struct {
	Title string
	Width float64 // 0 is 16
	Value func(T) any
}

// F is a Field of the default width.
func F[T any](title string, value func(T) any) Field[T] { return Field[T]{Title: title, Value: value} }

// Table writes the rows of a list as one sheet named name: the fields'
// headings, then one line per row, cells as XLSX writes them.
func Table[T any](name string, fields []Field[T], rows []T) ([]byte, error) {
	cols := make([]Column, len(fields))
	for i, f := range fields {
		cols[i] = Column{Title: f.Title, Width: f.Width}
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		line := make([]any, len(fields))
		for j, f := range fields {
			line[j] = f.Value(r)
		}
		out[i] = line
	}
	return XLSX(Sheet{Name: name, Columns: cols, Rows: out})
}
