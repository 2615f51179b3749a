// Package fleet is the registry of official vehicles and their drivers
// vehicles with their dated changes
// (acquisition, transfer, category change, disposal), BeiDou terminals and
// their binding history, drivers and the vehicles they are matched to,
// photos, the twice-yearly confirmation, unit quotas, and Excel import and
// export. Every write checks the caller's scope on the unit path, runs in one
// transaction and is recorded in the audit log in that transaction.
package fleet

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

func init() {
	store.RegisterUnique("vehicles", "plate", "plate", "车牌号已登记在其他车辆上")
	store.RegisterUnique("vehicles", "vin", "vin", "车辆识别代号已登记在其他车辆上")
	store.RegisterUnique("drivers", "id_card", "id_card", "该身份证号的驾驶员已登记")
	store.RegisterUnique("drivers", "user_id", "user_id", "该账号已关联其他驾驶员")
	store.RegisterUnique("terminals", "terminal_no", "terminal_no", "终端ID已登记")
	store.RegisterUnique("terminals", "sim", "sim", "终端手机号（SIM卡号）已登记在其他终端上")
	store.RegisterUnique("terminals", "vehicle_id", "vehicle_id", "该车辆已绑定其他终端，请先解绑")
}

// Service is the registry.
type Service struct {
	DB    *store.DB
	Blobs BlobStore        // photo storage (content-addressed)
	Now   func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// StaleAfter is how long a confirmation holds: records are reviewed at
// least twice a year.
const StaleAfter = 6 // months

// staleBefore is the confirmation time before which a record is stale.
func (s *Service) staleBefore() time.Time { return s.now().AddDate(0, -StaleAfter, 0) }

// Code is a coded value with its Chinese name.
type Code struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Code tables, in display order.
var (
	// Categories are the six vehicle categories of R-4.
	Categories = []Code{{"confidential", "机要通信用车"}, {"emergency", "应急保障用车"}, {"law_enforcement", "执法执勤用车"},
		{"special", "特种专业技术用车"}, {"retiree", "离退休干部服务用车"}, {"other", "其他用车"}}
	Statuses = []Code{{"available", "在库"}, {"in_use", "使用中"}, {"maintenance", "维修保养"}, {"sealed", "封存"}, {"disposed", "已处置"}}
	// EnergyTypes; displacement is required for the ones burning fuel.
	EnergyTypes = []Code{{"petrol", "汽油"}, {"diesel", "柴油"}, {"hybrid", "油电混合"}, {"phev", "插电式混合动力"},
		{"electric", "纯电动"}, {"fuel_cell", "燃料电池"}, {"gas", "天然气"}}
	// ExemptReasons are the R-12 grounds for keeping a vehicle out of the platform.
	ExemptReasons = []Code{{"national_security", "国家安全"}, {"investigation", "刑事侦查"}, {"special_technical", "特殊技术需要"}}
	Markings      = []Code{{"marked", "已标识"}, {"unmarked", "未标识"}}
	// VehicleClasses are the classes check.LicenceAllows knows, with the
	// licence class each needs.
	VehicleClasses = []Code{{"small", "小型汽车（C1）"}, {"small_automatic", "小型自动挡汽车（C2）"}, {"medium_bus", "中型客车（B1）"},
		{"large_bus", "大型客车（A1）"}, {"city_bus", "城市公交车（A3）"}, {"large_truck", "大型货车（B2）"}}
	FundingSources    = []Code{{"budget", "财政预算"}, {"special_fund", "专项资金"}, {"transfer", "调剂划转"}, {"donation", "捐赠"}, {"other", "其他"}}
	VehiclePhotoKinds = []Code{{"front", "车头照片"}, {"side", "侧面照片"}, {"rear", "车尾照片"}, {"other", "其他照片"}}
	DriverPhotoKinds  = []Code{{"driver", "驾驶员照片"}, {"licence", "驾驶证照片"}}
)

func known(codes []Code, c string) bool { return name(codes, c) != "" }

// name is the Chinese name of c ("" when unknown).
func name(codes []Code, c string) string {
	for _, x := range codes {
		if x.Code == c {
			return x.Name
		}
	}
	return ""
}

// NameOf is the Chinese name of code c in a code table ("" when unknown), for documents of other
// packages (the 派车单, the annual report).
func NameOf(codes []Code, c string) string { return name(codes, c) }

// codeOf maps a Chinese name (or a code) back to its code, for Excel.
func codeOf(codes []Code, s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, x := range codes {
		if x.Code == s || x.Name == s || strings.TrimSuffix(x.Name, "用车") == s || strings.SplitN(x.Name, "（", 2)[0] == s {
			return x.Code, true
		}
	}
	return "", false
}

// ---- units and scope ----

// unitRef is what the registry needs of a node of the hierarchy.
type unitRef struct {
	bun.BaseModel `bun:"table:units"`

	ID     int64  `bun:"id"`
	Kind   string `bun:"kind"`
	Name   string `bun:"name"`
	Path   string `bun:"path"`
	Active bool   `bun:"active"`
}

func loadUnit(ctx context.Context, db bun.IDB, id int64) (*unitRef, error) {
	u := new(unitRef)
	if err := db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在或已删除"))
	}
	return u, nil
}

// ownerUnit loads the unit a record is to belong to: it must exist, be a
// unit (not a district or the city), be active and lie inside the scope.
func ownerUnit(ctx context.Context, db bun.IDB, a *access.Actor, id int64, field string) (*unitRef, error) {
	if id == 0 {
		return nil, (&errs.Fields{field: "请选择所属单位"}).Err()
	}
	u, err := loadUnit(ctx, db, id)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, (&errs.Fields{field: "所属单位不存在"}).Err()
		}
		return nil, err
	}
	if !a.Covers(u.Path) {
		return nil, errs.E(errs.Forbidden, "单位「%s」不在您的管辖范围内", u.Name)
	}
	if u.Kind != "unit" {
		return nil, (&errs.Fields{field: "所属单位须为具体单位，不能是市级或辖市(区)节点"}).Err()
	}
	if !u.Active {
		return nil, (&errs.Fields{field: fmt.Sprintf("单位「%s」已停用", u.Name)}).Err()
	}
	return u, nil
}

// scopeBase returns the path a list is restricted to: the node id (checked
// against the actor's scope) or the actor's scope when id is 0.
func scopeBase(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*unitRef, error) {
	if id == 0 {
		return &unitRef{ID: a.ScopeID, Path: a.ScopePath}, nil
	}
	u, err := loadUnit(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !a.Covers(u.Path) {
		return nil, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
	}
	return u, nil
}

func outOfScope(what string) error {
	return errs.E(errs.Forbidden, "%s不在您的管辖范围内", what)
}

// recount refreshes units.vehicle_count (车辆实有数, R-6) of the units given,
// inside the caller's transaction. What counts: every vehicle of the unit
// that is not disposed. Exempt vehicles (R-12: managed by their own systems
// for national security, investigation or special technical needs) are
// still held by the unit and count toward 实有 — the exemption only takes
// them out of the platform's tracking, not out of the quota.
func recount(ctx context.Context, tx bun.IDB, unitIDs ...int64) error {
	seen := map[int64]bool{}
	for _, id := range unitIDs {
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		if _, err := tx.NewRaw(`UPDATE units SET vehicle_count = (SELECT COUNT(*) FROM vehicles WHERE unit_id = ? AND status <> 'disposed') WHERE id = ?`, id, id).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ---- shared validation helpers ----

const dateLayout = "2006-01-02"

// today is the current date in China.
func (s *Service) today() string { return s.now().In(beijing.Zone).Format(dateLayout) }

// checkDate validates a YYYY-MM-DD date; empty is allowed unless required.
func checkDate(f *errs.Fields, field, label, v string, required bool) {
	if v == "" {
		f.Check(required, field, "请填写"+label)
		return
	}
	if _, err := time.Parse(dateLayout, v); err != nil {
		f.Add(field, label+"格式应为“年-月-日”，如2024-03-15")
	}
}

func checkLen(f *errs.Fields, field, label, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		f.Add(field, fmt.Sprintf("%s不能超过%d个字", label, max))
	}
}

func trim(p *string) {
	if p != nil {
		*p = strings.TrimSpace(*p)
	}
}

// likeQ is a LIKE pattern for a search term.
func likeQ(q string) string {
	return "%" + strings.NewReplacer("%", "", "_", "").Replace(strings.TrimSpace(q)) + "%"
}

// ids de-duplicates and drops non-positive ids.
func uniqueIDs(in []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range in {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
