package stats

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/ledger"
	"govfleet/internal/sheet"
	"govfleet/internal/store"
	"govfleet/internal/supervision"
)

// Data extraction: an administrator picks a data set, its filters
// and columns, previews the first rows and exports them to Excel; queries
// are saved and shared inside the saver's scope node. Every extraction
// (preview and export) is audited; the work is bounded by sheet.MaxExport
// rows and ExtractTimeout.
var (
	actExtractPreview = audit.NewAction("extract.preview", "数据提取预览")
	actExtractExport  = audit.NewAction("extract.export", "数据提取导出")
	actExtractSave    = audit.NewAction("extract.save", "保存数据提取查询")
	actExtractDelete  = audit.NewAction("extract.delete", "删除数据提取查询")
	actStatsExport    = audit.NewAction("stats.export", "导出统计图表数据")
)

// ExtractTimeout bounds one extraction's queries.
const ExtractTimeout = 30 * time.Second

// PreviewRows is how many rows a preview shows.
const PreviewRows = 50

// Column is a column a data set offers.
type Column struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Kind  string `json:"kind"` // text | int | km | money | time | date
	expr  string
	names map[string]string // code → name (a coded column)
}

// Dataset is what can be extracted: a table with its joins, its columns, the
// column its period filter reads and the code filters it offers.
type Dataset struct {
	Key      string   `json:"key"`
	Name     string   `json:"name"`
	Columns  []Column `json:"columns"`
	Period   string   `json:"period"`  // the period filter's name ("" none)
	Filters  []Filter `json:"filters"` // coded filters
	from     string
	path     string // the expression of the row's unit path (scope)
	at       string // the period column
	atIsDate bool   // the period column is a YYYY-MM-DD text
	order    string
}

// Filter is a coded filter of a data set.
type Filter struct {
	Key     string       `json:"key"`
	Title   string       `json:"title"`
	Options []fleet.Code `json:"options"`
	expr    string
}

func namesOf(cs []fleet.Code) map[string]string {
	m := map[string]string{}
	for _, c := range cs {
		m[c.Code] = c.Name
	}
	return m
}

func codesOf(m map[string]string, order []string) []fleet.Code {
	out := []fleet.Code{}
	for _, k := range order {
		out = append(out, fleet.Code{Code: k, Name: m[k]})
	}
	return out
}

// Datasets are the data sets of extraction.
var Datasets = func() []*Dataset {
	cat, energy, status := namesOf(fleet.Categories), namesOf(fleet.EnergyTypes), namesOf(fleet.Statuses)
	kinds := map[string]string{}
	var kindOrder []string
	for _, k := range ledger.Kinds {
		kinds[k.Code] = k.Name
		kindOrder = append(kindOrder, k.Code)
	}
	rules := map[string]string{}
	var ruleOrder []string
	for _, r := range supervision.Rules {
		rules[r.Info().Code] = r.Info().Name
		ruleOrder = append(ruleOrder, r.Info().Code)
	}
	stateOrder := []string{"submitted", "returned", "approved", "pending_consent", "dispatched", "departed", "finished", "back", "closed", "cancelled", "rental"}
	tripState := map[string]string{"open": "行驶中", "closed": "已结束"}
	active := map[string]string{"true": "在用", "false": "停用", "1": "在用", "0": "停用"}
	return []*Dataset{
		{Key: "vehicles", Name: "车辆", Period: "购置日期", from: "vehicles AS v JOIN units AS u ON u.id = v.unit_id", path: "u.path", at: "v.purchase_date", atIsDate: true, order: "u.path, v.plate",
			Filters: []Filter{{Key: "category", Title: "车辆类别", Options: fleet.Categories, expr: "v.category"}, {Key: "status", Title: "状态", Options: fleet.Statuses, expr: "v.status"},
				{Key: "energy_type", Title: "能源类型", Options: fleet.EnergyTypes, expr: "v.energy_type"}},
			Columns: []Column{{Key: "plate", Title: "车牌号", expr: "v.plate"}, {Key: "unit", Title: "所属单位", expr: "u.name"},
				{Key: "category", Title: "车辆类别", expr: "v.category", names: cat}, {Key: "brand", Title: "品牌", expr: "v.brand"}, {Key: "model", Title: "型号", expr: "v.model"},
				{Key: "vin", Title: "车架号", expr: "v.vin"}, {Key: "engine_no", Title: "发动机号", expr: "v.engine_no"}, {Key: "energy_type", Title: "能源类型", expr: "v.energy_type", names: energy},
				{Key: "displacement", Title: "排量（毫升）", Kind: "int", expr: "v.displacement"}, {Key: "seats", Title: "座位数", Kind: "int", expr: "v.seats"},
				{Key: "purchase_date", Title: "购置日期", expr: "v.purchase_date"}, {Key: "purchase_price", Title: "购置价格（元）", Kind: "money", expr: "v.purchase_price"},
				{Key: "status", Title: "状态", expr: "v.status", names: status}}},
		{Key: "drivers", Name: "驾驶员", from: "drivers AS d JOIN units AS u ON u.id = d.unit_id", path: "u.path", order: "u.path, d.name",
			Columns: []Column{{Key: "name", Title: "姓名", expr: "d.name"}, {Key: "unit", Title: "所属单位", expr: "u.name"}, {Key: "phone", Title: "手机号", expr: "d.phone"},
				{Key: "licence_class", Title: "准驾车型", expr: "d.licence_class"}, {Key: "licence_expiry", Title: "驾驶证有效期至", expr: "d.licence_expiry"},
				{Key: "active", Title: "状态", expr: "CASE WHEN d.active THEN 'true' ELSE 'false' END", names: active}}},
		{Key: "orders", Name: "用车订单", Period: "报到时间", from: "orders AS o JOIN units AS u ON u.id = o.unit_id LEFT JOIN vehicles AS v ON v.id = o.vehicle_id LEFT JOIN drivers AS d ON d.id = o.driver_id",
			path: "u.path", at: "o.pickup_at", order: "o.pickup_at, o.no",
			Filters: []Filter{{Key: "state", Title: "状态", Options: codesOf(booking.StateNames, stateOrder), expr: "o.state"}},
			Columns: []Column{{Key: "no", Title: "订单号", expr: "o.no"}, {Key: "unit", Title: "用车单位", expr: "u.name"}, {Key: "applicant", Title: "申请人", expr: "o.applicant_name"},
				{Key: "reason", Title: "用车事由", expr: "o.reason"}, {Key: "pickup_place", Title: "报到地点", expr: "o.pickup_place"},
				{Key: "pickup_at", Title: "报到时间", Kind: "time", expr: "o.pickup_at"}, {Key: "return_at", Title: "预计返回", Kind: "time", expr: "o.return_at"},
				{Key: "passengers", Title: "乘车人数", Kind: "int", expr: "o.passenger_count"}, {Key: "state", Title: "状态", expr: "o.state", names: booking.StateNames},
				{Key: "plate", Title: "车牌号", expr: "COALESCE(v.plate, '')"}, {Key: "driver", Title: "驾驶员", expr: "COALESCE(d.name, '')"}}},
		{Key: "trips", Name: "行程", Period: "开始时间", from: "trips AS t JOIN vehicles AS v ON v.id = t.vehicle_id JOIN units AS u ON u.id = t.unit_id LEFT JOIN orders AS o ON o.id = t.order_id",
			path: "u.path", at: "t.started_at", order: "t.started_at, v.plate",
			Columns: []Column{{Key: "plate", Title: "车牌号", expr: "v.plate"}, {Key: "unit", Title: "所属单位", expr: "u.name"},
				{Key: "started_at", Title: "开始时间", Kind: "time", expr: "t.started_at"}, {Key: "ended_at", Title: "结束时间", Kind: "time", expr: "t.ended_at"},
				{Key: "distance", Title: "里程（公里）", Kind: "km", expr: "t.distance_m"}, {Key: "state", Title: "状态", expr: "t.state", names: tripState},
				{Key: "order", Title: "关联订单", expr: "COALESCE(o.no, '')"}}},
		{Key: "costs", Name: "费用", Period: "发生时间", from: "cost_entries AS c JOIN units AS u ON u.id = c.unit_id LEFT JOIN vehicles AS v ON v.id = c.vehicle_id",
			path: "c.unit_path", at: "c.occurred_at", order: "c.occurred_at, c.id",
			Filters: []Filter{{Key: "kind", Title: "费用类别", Options: codesOf(kinds, kindOrder), expr: "c.kind"}},
			Columns: []Column{{Key: "month", Title: "月份", expr: "c.month"}, {Key: "unit", Title: "单位", expr: "u.name"}, {Key: "plate", Title: "车牌号", expr: "COALESCE(v.plate, '')"},
				{Key: "kind", Title: "费用类别", expr: "c.kind", names: kinds}, {Key: "amount", Title: "金额（元）", Kind: "money", expr: "c.amount_fen"},
				{Key: "occurred_at", Title: "发生时间", Kind: "time", expr: "c.occurred_at"}, {Key: "note", Title: "说明", expr: "c.note"}}},
		{Key: "findings", Name: "监督发现", Period: "发生时间", from: "findings AS f JOIN units AS u ON u.id = f.unit_id LEFT JOIN vehicles AS v ON v.id = f.vehicle_id",
			path: "f.unit_path", at: "f.at", order: "f.at, f.id",
			Filters: []Filter{{Key: "rule", Title: "规则", Options: codesOf(rules, ruleOrder), expr: "f.rule"}},
			Columns: []Column{{Key: "at", Title: "发生时间", Kind: "time", expr: "f.at"}, {Key: "rule", Title: "规则", expr: "f.rule", names: rules},
				{Key: "unit", Title: "单位", expr: "u.name"}, {Key: "plate", Title: "车牌号", expr: "COALESCE(v.plate, '')"}, {Key: "summary", Title: "问题摘要", expr: "f.summary"}}},
	}
}()

// DatasetOf returns the data set key.
func DatasetOf(key string) *Dataset {
	for _, d := range Datasets {
		if d.Key == key {
			return d
		}
	}
	return nil
}

// Spec is an extraction: a data set, its filters and its columns.
type Spec struct {
	Dataset string            `json:"dataset" max:"40"`
	UnitID  int64             `json:"unit_id"`       // subtree (0: the caller's scope)
	From    string            `json:"from" max:"10"` // the period, Beijing dates
	To      string            `json:"to" max:"10"`   //
	Filters map[string]string `json:"filters"`       // coded filter → code ("" any)
	Q       string            `json:"q" max:"100"`   // text in any chosen text column
	Columns []string          `json:"columns"`       // keys, in order (none: all)
}

// Result is an extraction's rows under their headings.
type Result struct {
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
	Total   int      `json:"total"`
}

func (s *Service) query(ctx context.Context, a *access.Actor, sp Spec) (*Dataset, []Column, *bun.SelectQuery, error) {
	ds := DatasetOf(sp.Dataset)
	var f errs.Fields
	if ds == nil {
		f.Add("dataset", "请选择数据集")
		return nil, nil, nil, f.Err()
	}
	cols := []Column{}
	if len(sp.Columns) == 0 {
		cols = ds.Columns
	}
	for _, k := range sp.Columns {
		i := slices.IndexFunc(ds.Columns, func(c Column) bool { return c.Key == k })
		if i < 0 {
			f.Add("columns", fmt.Sprintf("数据集「%s」没有所选的列", ds.Name))
			continue
		}
		cols = append(cols, ds.Columns[i])
	}
	f.Check(len(sp.Columns) > len(ds.Columns), "columns", "所选列过多")
	var from, to time.Time
	var err error
	if sp.From != "" {
		if from, err = beijing.ParseDate(sp.From); err != nil {
			f.Add("from", "开始日期格式应为 YYYY-MM-DD")
		}
	}
	if sp.To != "" {
		if to, err = beijing.ParseDate(sp.To); err != nil {
			f.Add("to", "结束日期格式应为 YYYY-MM-DD")
		}
	}
	f.Check(utf8.RuneCountInString(sp.Q) > 100, "q", "关键字最多100字")
	if err := f.Err(); err != nil {
		return nil, nil, nil, err
	}
	path := a.ScopePath
	if sp.UnitID != 0 {
		n, err := s.node(ctx, a, sp.UnitID)
		if err != nil {
			return nil, nil, nil, err
		}
		path = n.Path
	}
	q := s.DB.R.NewSelect().TableExpr(ds.from).Where(ds.path+" LIKE ?", path+"%")
	if ds.at != "" {
		switch {
		case ds.atIsDate && sp.From != "":
			q = q.Where(ds.at+" >= ?", sp.From)
		case sp.From != "":
			q = q.Where(ds.at+" >= ?", from.UTC())
		}
		switch {
		case ds.atIsDate && sp.To != "":
			q = q.Where(ds.at+" <= ?", sp.To)
		case sp.To != "":
			q = q.Where(ds.at+" < ?", to.AddDate(0, 0, 1).UTC())
		}
	}
	for _, fl := range ds.Filters {
		if v := sp.Filters[fl.Key]; v != "" {
			q = q.Where(fl.expr+" = ?", v)
		}
	}
	if t := strings.TrimSpace(sp.Q); t != "" {
		var ors []string
		var args []any
		for _, c := range cols {
			if c.Kind == "" && c.names == nil {
				ors = append(ors, c.expr+" LIKE ?")
				args = append(args, "%"+t+"%")
			}
		}
		if len(ors) > 0 {
			q = q.Where("("+strings.Join(ors, " OR ")+")", args...)
		}
	}
	return ds, cols, q, nil
}

// Extract runs sp: the first limit rows (a preview: PreviewRows; an export:
// sheet.MaxExport, refused above) and the total, audited.
func (s *Service) Extract(ctx context.Context, a *access.Actor, sp Spec, export bool) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ExtractTimeout)
	defer cancel()
	ds, cols, q, err := s.query(ctx, a, sp)
	if err != nil {
		return nil, err
	}
	total, err := q.Count(ctx)
	if err != nil {
		return nil, timeout(err)
	}
	limit := PreviewRows
	if export {
		if total > sheet.MaxExport {
			return nil, errs.E(errs.Invalid, "筛选结果共%d条，超过单次导出上限%d条，请缩小筛选范围后分批导出", total, sheet.MaxExport)
		}
		limit = sheet.MaxExport
	}
	for _, c := range cols {
		q = q.ColumnExpr(c.expr)
	}
	rows, err := q.OrderExpr(ds.order).Limit(limit).Rows(ctx)
	if err != nil {
		return nil, timeout(err)
	}
	defer rows.Close()
	out := &Result{Columns: cols, Rows: [][]any{}, Total: total}
	for rows.Next() {
		dest := make([]any, len(cols))
		for i, c := range cols {
			switch c.Kind {
			case "int", "money", "km":
				dest[i] = new(sql.NullInt64)
			case "time":
				dest[i] = new(schema.NullTime)
			default:
				dest[i] = new(sql.NullString)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, timeout(err)
		}
		row := make([]any, len(cols))
		for i, c := range cols {
			switch v := dest[i].(type) {
			case *sql.NullInt64:
				switch c.Kind {
				case "money":
					row[i] = sheet.Money(v.Int64)
				case "km":
					row[i] = round(float64(v.Int64)/1000, 2)
				default:
					row[i] = v.Int64
				}
			case *schema.NullTime:
				if !v.Time.IsZero() {
					row[i] = v.Time.UTC()
				}
			case *sql.NullString:
				row[i] = v.String
				if c.names != nil {
					if n, ok := c.names[v.String]; ok {
						row[i] = n
					}
				}
			}
		}
		out.Rows = append(out.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, timeout(err)
	}
	act, what := actExtractPreview, "预览"
	if export {
		act, what = actExtractExport, "导出"
	}
	spec, _ := json.Marshal(sp)
	if err := s.note(ctx, a, audit.Event{Action: act, ScopePath: a.ScopePath,
		Summary: fmt.Sprintf("%s%s %d 条（共 %d 条）：%s", what, ds.Name, len(out.Rows), total, spec)}); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) note(ctx context.Context, a *access.Actor, ev audit.Event) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error { return audit.Record(ctx, tx, a, ev) })
}

func timeout(err error) error {
	if errorsIsDeadline(err) {
		return errs.E(errs.Invalid, "查询超过%d秒未完成，请缩小筛选范围", int(ExtractTimeout.Seconds()))
	}
	return store.Translate(err)
}

// Sheet is an extraction's result as a worksheet.
func (r *Result) Sheet(name string) sheet.Sheet {
	sh := sheet.Sheet{Name: name, Rows: r.Rows}
	for _, c := range r.Columns {
		col := sheet.Column{Title: c.Title}
		if c.Kind == "" {
			col.Text = true
		}
		sh.Columns = append(sh.Columns, col)
	}
	return sh
}

// Query is a saved extraction, shared with the accounts of its node and
// below.
type Query struct {
	bun.BaseModel `bun:"table:extract_queries"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	Name      string    `bun:"name" json:"name"`
	Dataset   string    `bun:"dataset" json:"dataset"`
	SpecJSON  string    `bun:"spec" json:"-"`
	Spec      Spec      `bun:"-" json:"spec"`
	UnitID    int64     `bun:"unit_id" json:"unit_id"`
	UnitPath  string    `bun:"unit_path" json:"-"`
	UnitName  string    `bun:"unit_name,scanonly" json:"unit_name"`
	OwnerID   int64     `bun:"owner_id" json:"-"`
	OwnerName string    `bun:"owner_name" json:"owner_name"`
	Mine      bool      `bun:"-" json:"mine"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// QueryInput saves an extraction under a name.
type QueryInput struct {
	Name string `json:"name" max:"60"`
	Spec Spec   `json:"spec"`
}

// Queries lists the saved extractions the actor sees: those saved at its
// scope node or above it (shared down), newest first.
func (s *Service) Queries(ctx context.Context, a *access.Actor) ([]*Query, error) {
	ids := pathIDs(a.ScopePath)
	out := []*Query{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.DB.R.NewSelect().Model(&out).ColumnExpr("q.*").ColumnExpr("u.name AS unit_name").ModelTableExpr("extract_queries AS q").
		Join("JOIN units AS u ON u.id = q.unit_id").Where("q.unit_id IN (?) OR q.unit_path LIKE ?", bun.In(ids), a.ScopePath+"%").
		OrderExpr("q.updated_at DESC, q.id DESC").Limit(200).Scan(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, q := range out {
		_ = json.Unmarshal([]byte(q.SpecJSON), &q.Spec)
		q.Mine = q.OwnerID == a.UserID
	}
	return out, nil
}

// SaveQuery saves an extraction at the actor's scope node, shared with its
// accounts and those below.
func (s *Service) SaveQuery(ctx context.Context, a *access.Actor, in QueryInput) (*Query, error) {
	in.Name = strings.TrimSpace(in.Name)
	var f errs.Fields
	f.Check(in.Name == "", "name", "请填写查询名称")
	f.Check(utf8.RuneCountInString(in.Name) > 60, "name", "名称最多60字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	if _, _, _, err := s.query(ctx, a, in.Spec); err != nil {
		return nil, err
	}
	spec, _ := json.Marshal(in.Spec)
	now := time.Now().UTC()
	q := &Query{Name: in.Name, Dataset: in.Spec.Dataset, SpecJSON: string(spec), Spec: in.Spec, UnitID: a.ScopeID, UnitPath: a.ScopePath,
		OwnerID: a.UserID, OwnerName: a.Name, Mine: true, CreatedAt: now, UpdatedAt: now}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if err := tx.NewSelect().Table("units").Column("name").Where("id = ?", q.UnitID).Scan(ctx, &q.UnitName); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.NewInsert().Model(q).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actExtractSave, ObjectType: audit.ExtractQuery, ObjectID: q.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("保存数据提取查询「%s」（%s）", q.Name, DatasetOf(q.Dataset).Name), After: q})
	})
	return q, err
}

// DeleteQuery deletes a saved extraction: its owner does.
func (s *Service) DeleteQuery(ctx context.Context, a *access.Actor, id int64) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		q := new(Query)
		if err := tx.NewSelect().Model(q).Where("id = ?", id).Scan(ctx); err != nil {
			return store.NotFoundAs(err, errs.E(errs.NotFound, "查询不存在"))
		}
		if !a.Covers(q.UnitPath) && !slices.Contains(pathIDs(a.ScopePath), q.UnitID) {
			return errs.E(errs.Forbidden, "查询「%s」不在您的管辖范围内", q.Name)
		}
		if q.OwnerID != a.UserID {
			return errs.E(errs.Forbidden, "查询「%s」由%s保存，只有保存人可以删除", q.Name, q.OwnerName)
		}
		if _, err := tx.NewDelete().Model(q).WherePK().Exec(ctx); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actExtractDelete, ObjectType: audit.ExtractQuery, ObjectID: q.ID, ScopePath: q.UnitPath,
			Summary: fmt.Sprintf("删除数据提取查询「%s」", q.Name), Before: q})
	})
}

// NoteExport records the export of a dashboard chart's data.
func (s *Service) NoteExport(ctx context.Context, a *access.Actor, node, chart string, rows int) error {
	return s.note(ctx, a, audit.Event{Action: actStatsExport, ScopePath: a.ScopePath, Summary: fmt.Sprintf("导出「%s」%s %d 行", node, chart, rows)})
}

func errorsIsDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "canceling statement due to statement timeout")
}
