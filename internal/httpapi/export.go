package httpapi

import (
	"fmt"

	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/sheet"
)

// actListExport records every list export: which list, how many rows and
// the filter, like the registry's and the audit log's own exports.
var actListExport = audit.NewAction("list.export", "导出列表")

// lister reads one page of a list with the request's filters. A list's
// route (paged) and its export (exportOf) share it, so that the export
// holds exactly the rows the list shows for the same filter.
type lister[T any] func(r *Request, p, size int) ([]T, int, error)

// paged serves a lister as the JSON list of one page.
func paged[T any](fetch lister[T]) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		p, size, err := page(r)
		if err != nil {
			return nil, err
		}
		items, n, err := fetch(r, p, size)
		if err != nil {
			return nil, err
		}
		return list(items, n, p, size), nil
	}
}

// exportOf serves every row of a lister's filtered list as an .xlsx named
// name, with fields as its columns: no page, and above sheet.MaxExport rows
// a refusal asking for a narrower filter rather than a cut-off file. Each
// export is recorded in the audit log.
func exportOf[T any](s *Server, name string, fields []sheet.Field[T], fetch lister[T]) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		items, n, err := fetch(r, 1, sheet.MaxExport)
		if err != nil {
			return nil, err
		}
		if n > sheet.MaxExport {
			return nil, errs.E(errs.Invalid, "筛选结果共%d条，超过单次导出上限%d条，请缩小筛选范围后分批导出", n, sheet.MaxExport)
		}
		data, err := sheet.Table(name, fields, items)
		if err != nil {
			return nil, err
		}
		if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: actListExport, ScopePath: r.Actor().ScopePath,
			Summary: fmt.Sprintf("导出%s%d条 %s", name, len(items), r.URL.RawQuery)}); err != nil {
			return nil, err
		}
		return xlsx(name, data), nil
	}
}

// exportQuery is a list's query parameters without paging: its export's.
func exportQuery(q []string) []string {
	var out []string
	for _, k := range q {
		if k != "page" && k != "page_size" {
			out = append(out, k)
		}
	}
	return out
}
