// Package access holds the platform's roles, permissions and scope rules
// who may do what, and where in the hierarchy. It has no I/O;
// every route declares one Perm, and services check the caller's scope.
package access

import (
	"slices"
	"strings"
)

// Role is a platform role held by a user at its scope.
type Role string

const (
	PlatformAdmin        Role = "platform_admin"        // 平台管理员 of a level
	UnitAdmin            Role = "unit_admin"            // 单位管理员
	Approver             Role = "approver"              // 审核员
	Dispatcher           Role = "dispatcher"            // 调度员
	VehicleManager       Role = "vehicle_manager"       // 车管负责人
	Driver               Role = "driver"                // 驾驶员
	Applicant            Role = "applicant"             // 用车申请人
	SupervisorDiscipline Role = "supervisor_discipline" // 纪检监察
	SupervisorFinance    Role = "supervisor_finance"    // 财政
	SupervisorAudit      Role = "supervisor_audit"      // 审计
	SysAdmin             Role = "sys_admin"             // 系统管理员: accounts
	SecAdmin             Role = "sec_admin"             // 安全管理员: roles and policy
	AuditAdmin           Role = "audit_admin"           // 审计管理员: reads the audit log

	// Outside organisations (issue 6): held only by accounts of a company
	// of the matching kind; what they see is what their contracts cover.
	RepairShop        Role = "repair_shop"        // 定点维修厂
	FuelCompany       Role = "fuel_company"       // 加油公司
	Insurer           Role = "insurer"            // 保险公司
	InspectionCompany Role = "inspection_company" // 检测机构
	RentalCompany     Role = "rental_company"     // 租赁公司

	// Visitor (R-19, issue 22 part 6): a visiting official from another
	// city who registered on the phone; scoped to the host unit, it sees
	// and acts on its own registration and visitor bookings only. Nobody
	// grants it: only the registration (internal/visitors) opens one.
	Visitor Role = "visitor" // 来访人员
)

// RoleInfo describes a role for the UI and for assignment rules.
type RoleInfo struct {
	Code       Role     `json:"code"`
	Name       string   `json:"name"`
	ScopeKinds []string `json:"scope_kinds"` // node kinds a holder's scope may be
}

var levels = []string{"city", "district"}
var anyKind = []string{"city", "district", "unit"}

// Roles lists every role in display order.
var Roles = []RoleInfo{
	{PlatformAdmin, "平台管理员", levels},
	{UnitAdmin, "单位管理员", []string{"unit"}},
	{Approver, "审核员", anyKind},
	{Dispatcher, "调度员", anyKind},
	{VehicleManager, "车管负责人", anyKind},
	{Driver, "驾驶员", anyKind},
	{Applicant, "用车申请人", anyKind},
	{SupervisorDiscipline, "纪检监察监督员", levels},
	{SupervisorFinance, "财政监督员", levels},
	{SupervisorAudit, "审计监督员", levels},
	{SysAdmin, "系统管理员", levels},
	{SecAdmin, "安全管理员", levels},
	{AuditAdmin, "审计管理员", levels},
	{RepairShop, "定点维修厂", levels},
	{FuelCompany, "加油公司", levels},
	{Insurer, "保险公司", levels},
	{InspectionCompany, "检测机构", levels},
	{RentalCompany, "租赁公司", levels},
	{Visitor, "来访人员", []string{"unit"}},
}

// CompanyKinds maps a company kind to the one role its accounts hold, in
// display order.
var CompanyKinds = []struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}{
	{"repair", "定点维修厂", RepairShop},
	{"fuel", "加油公司", FuelCompany},
	{"insurer", "保险公司", Insurer},
	{"inspection", "检测机构", InspectionCompany},
	{"rental", "租赁公司", RentalCompany},
}

// CompanyRole returns the role of a company kind's accounts ("" if the kind is unknown).
func CompanyRole(kind string) Role {
	for _, k := range CompanyKinds {
		if k.Kind == kind {
			return k.Role
		}
	}
	return ""
}

// IsCompanyRole reports whether r is held by outside organisations' accounts.
func IsCompanyRole(r Role) bool {
	for _, k := range CompanyKinds {
		if k.Role == r {
			return true
		}
	}
	return false
}

// Info returns the description of r and whether r exists.
func Info(r Role) (RoleInfo, bool) {
	for _, ri := range Roles {
		if ri.Code == r {
			return ri, true
		}
	}
	return RoleInfo{}, false
}

// Perm is a permission a route requires.
type Perm string

const (
	Public      Perm = "public"       // no login needed
	Self        Perm = "self"         // any logged-in user, on their own account
	OrgRead     Perm = "org.read"     // view the hierarchy and units
	OrgWrite    Perm = "org.write"    // create, edit, move, deactivate units
	UsersRead   Perm = "users.read"   // view accounts
	UsersWrite  Perm = "users.write"  // create and edit accounts
	UsersManage Perm = "users.manage" // lock, unlock, reset passwords (by one-time code) and approve resets, of the accounts CanManage allows
	RolesAssign Perm = "roles.assign" // grant and revoke roles
	FilingsRead Perm = "filings.read" // R-9 filing of who holds which role
	AuditRead   Perm = "audit.read"   // the audit log (audit administrator only)
	PolicyWrite Perm = "policy.write" // password and session policy
	// CredentialsManage: list and revoke the API tokens and company API keys
	// of the accounts in scope (issue 19 item 5).
	CredentialsManage Perm = "credentials.manage"

	FleetRead    Perm = "fleet.read"    // view the vehicle and driver registry
	FleetWrite   Perm = "fleet.write"   // register and change vehicles, drivers, terminals, photos
	FleetConfirm Perm = "fleet.confirm" // confirm registry records as current

	OrderApply    Perm = "order.apply"    // apply for a vehicle, follow and rate one's orders (R-13(1)(6))
	OrderView     Perm = "order.view"     // open an order one applied for, drives, or (with OrderRead) that lies in one's scope
	OrderRead     Perm = "order.read"     // list the orders and emergency filings of one's scope
	OrderApprove  Perm = "order.approve"  // approve or return applications (R-13(2))
	OrderDispatch Perm = "order.dispatch" // dispatch, return to base, the dispatch board (R-13(3)(5))
	OrderConsent  Perm = "order.consent"  // the vehicle manager's consent to dispatch (R-13(3))
	OrderDrive    Perm = "order.drive"    // the driver's tasks (R-13(4))
	EmergencyFile Perm = "emergency.file" // file emergency use afterwards
	CalendarWrite Perm = "calendar.write" // statutory holidays and make-up working days
	HolidayReview Perm = "holiday.review" // the authority reviews holiday use filed with it

	MonitorRead    Perm = "monitor.read"    // the live map: positions and states of the vehicles in scope
	MonitorCommand Perm = "monitor.command" // commands to a vehicle's terminal from the live map
	TrackRead      Perm = "track.read"      // track playback of a vehicle, every view recorded

	SupervisionRead  Perm = "supervision.read"  // supervision dashboard, findings and cases of one's scope
	CaseExplain      Perm = "case.explain"      // the unit explains a case
	CaseDecide       Perm = "case.decide"       // the authority verifies, dismisses or escalates a case (R-29(5))
	SupervisionRules Perm = "supervision.rules" // rule parameters of a level and their replay
	CompanyRead      Perm = "company.read"      // outside organisations and their contracts (issue 6)
	CompanyWrite     Perm = "company.write"     // register companies, contracts and company accounts
	CompanyKeys      Perm = "company.keys"      // a company's API keys for machine access
	CostRead         Perm = "cost.read"         // the cost ledger per unit, month and vehicle (issue 6 part 7)
	InsuranceRead    Perm = "insurance.read"    // policies and claims
	InsuranceWrite   Perm = "insurance.write"   // the insurer pushes policies and claims
	InspectionRead   Perm = "inspection.read"   // annual inspection due dates and results
	InspectionPlan   Perm = "inspection.plan"   // set a vehicle's next inspection due date
	InspectionRecord Perm = "inspection.record" // the inspection company records results

	RepairRead    Perm = "repair.read"    // repair jobs and each vehicle's repair history
	RepairRequest Perm = "repair.request" // request a repair or maintenance, with photos
	RepairManage  Perm = "repair.manage"  // the repair administrator: estimate, assign a shop, review items, close
	RepairApprove Perm = "repair.approve" // approve a budget within one's threshold tier
	RepairRules   Perm = "repair.rules"   // set a level's approval thresholds
	RepairQuote   Perm = "repair.quote"   // the designated shop: upload and revise work items and invoices
	RentalRead    Perm = "rental.read"    // rental orders and the companies' monthly assessments (R-21, R-29(2))
	RentalOperate Perm = "rental.operate" // the rental company: its vehicles, drivers, orders and usage
	RentalAssess  Perm = "rental.assess"  // sign off a rental company's monthly assessment (R-29(2))
	FuelRead      Perm = "fuel.read"      // fuelling records and consumption per vehicle
	FuelImport    Perm = "fuel.import"    // the fuel company imports its monthly records
	HealthWrite   Perm = "health.write"   // request repair of a terminal fault and mark it fixed

	// Cross-region bookings between partner cities' platforms (R-18, issue 22).
	PartnerRead   Perm = "partner.read"   // partner cities, shared bookings, settlement statements
	PartnerManage Perm = "partner.manage" // register partners, confirm statements (the city's platform administrator)
	PartnerAPI    Perm = "partner.api"    // a partner platform's signed request (/api/partner/v1): no role holds it
	// Visitors (R-19, issue 22 part 6).
	VisitorSelf   Perm = "visitor.self"       // a visitor's own registration, bookings and ratings
	VisitorRead   Perm = "visitor.read"       // the visitors of one's scope and their bookings
	VisitorVerify Perm = "visitor.verify"     // the host unit's approver verifies or refuses a registration
	VisitorCancel Perm = "visitor.cancel"     // the host unit's approver or dispatcher cancels a visitor's booking
	RideReconcile Perm = "ridehail.reconcile" // the monthly reconciliation with the ride-hailing provider
	// Cross-level loans and their costs (issue 21 parts 4 and 5).
	LoanRead        Perm = "loan.read"        // the loans lent or borrowed by one's level
	LoanRequest     Perm = "loan.request"     // ask another level for vehicles, return them
	LoanApprove     Perm = "loan.approve"     // the lending level (or the city above two districts) approves or refuses
	RateWrite       Perm = "rate.write"       // the city's tariff and market reference prices
	SettlementWrite Perm = "settlement.write" // generate monthly statements, confirm or dispute one's side
	// Integrated dispatch (R-16, issue 21): pools, support tasks, teams.
	DispatchRead   Perm = "dispatch.read"   // the pools, their availability board, support tasks and teams of one's levels
	DispatchWrite  Perm = "dispatch.write"  // the authority of a level: its pool, tasks, assignments, decisions, teams
	DispatchObject Perm = "dispatch.object" // the owning unit objects to a vehicle's assignment before the deadline
	// Statistics (issue 23, R-10): the dashboards of 统计分析 and data
	// extraction.
	StatsRead  Perm = "stats.read"  // the dashboards of a node: fleet, use, costs, terminals, supervision
	ExtractRun Perm = "extract.run" // data extraction: preview, export, saved queries
)

// Perms lists every permission except Public and Self.
var Perms = []Perm{OrgRead, OrgWrite, UsersRead, UsersWrite, UsersManage, RolesAssign, FilingsRead, AuditRead, PolicyWrite, CredentialsManage, FleetRead, FleetWrite, FleetConfirm,
	OrderApply, OrderView, OrderRead, OrderApprove, OrderDispatch, OrderConsent, OrderDrive, EmergencyFile, CalendarWrite, HolidayReview,
	MonitorRead, MonitorCommand, TrackRead,
	SupervisionRead, CaseExplain, CaseDecide, SupervisionRules,
	CompanyRead, CompanyWrite, CompanyKeys, CostRead, InsuranceRead, InsuranceWrite, InspectionRead, InspectionPlan, InspectionRecord,
	RepairRead, RepairRequest, RepairManage, RepairApprove, RepairRules, RepairQuote, RentalRead, RentalOperate, RentalAssess, FuelRead, FuelImport, HealthWrite,
	PartnerRead, PartnerManage, PartnerAPI,
	VisitorSelf, VisitorRead, VisitorVerify, VisitorCancel, RideReconcile,
	LoanRead, LoanRequest, LoanApprove, RateWrite, SettlementWrite,
	DispatchRead, DispatchWrite, DispatchObject,
	StatsRead, ExtractRun}

var supervisors = []Role{SupervisorDiscipline, SupervisorFinance, SupervisorAudit}
var business = []Role{UnitAdmin, Approver, Dispatcher, VehicleManager, Driver, Applicant}
var staff = []Role{UnitAdmin, Approver, Dispatcher, VehicleManager} // business roles that oversee a unit's vehicles and orders
var companies = []Role{RepairShop, FuelCompany, Insurer, InspectionCompany, RentalCompany}

// grants says which roles hold each permission. Supervisors read, never
// write; the three separated administrators each do one thing.
var grants = map[Perm][]Role{
	// Each role reads what its work needs (issue 24): the applicant applies
	// and follows its own orders, the driver its tasks and repair requests;
	// neither browses the hierarchy, the registry (drivers' phone numbers
	// among it) nor the unit's orders.
	OrgRead:    append(append([]Role{PlatformAdmin, SysAdmin, SecAdmin}, staff...), supervisors...),
	OrgWrite:   {PlatformAdmin},
	UsersRead:  append([]Role{PlatformAdmin, UnitAdmin, SysAdmin, SecAdmin}, supervisors...),
	UsersWrite: {PlatformAdmin, UnitAdmin, SysAdmin},
	// The security administrator keeps the accounts of the roles it grants
	// (the three administrators of the levels below among them); the audit
	// administrator acts only as the second of the city's three (DualControl).
	UsersManage: {PlatformAdmin, UnitAdmin, SysAdmin, SecAdmin, AuditAdmin},
	RolesAssign: {PlatformAdmin, UnitAdmin, SecAdmin},
	FilingsRead: append([]Role{PlatformAdmin, SecAdmin}, supervisors...),
	AuditRead:   {AuditAdmin},
	PolicyWrite: {SecAdmin},
	// Whoever manages accounts, and the security administrator, stops the
	// machine credentials of the accounts it may act on (auth.canRevoke).
	CredentialsManage: {PlatformAdmin, UnitAdmin, SysAdmin, SecAdmin},
	// The registry: the unit's staff and the supervisors read;
	// administrators and vehicle managers write; unit and platform
	// administrators confirm the twice-yearly review.
	FleetRead:    append(append([]Role{PlatformAdmin}, staff...), supervisors...),
	FleetWrite:   {PlatformAdmin, UnitAdmin, VehicleManager},
	FleetConfirm: {PlatformAdmin, UnitAdmin},
	// Booking: "who manages approves, who uses is responsible".
	OrderApply:    {Applicant, Approver, Dispatcher, VehicleManager, UnitAdmin, PlatformAdmin},
	OrderView:     append(append([]Role{PlatformAdmin}, business...), supervisors...),
	OrderRead:     append(append([]Role{PlatformAdmin}, staff...), supervisors...),
	OrderApprove:  {Approver},
	OrderDispatch: {Dispatcher},
	OrderConsent:  {VehicleManager},
	OrderDrive:    {Driver},
	EmergencyFile: {VehicleManager, Dispatcher, UnitAdmin},
	CalendarWrite: {PlatformAdmin},
	HolidayReview: {PlatformAdmin},
	// Monitoring. The live map serves those who run or oversee
	// the vehicles now; commands only those who operate them. Track history
	// says where a vehicle and its passengers went, so it is narrower: the
	// vehicle manager (answers for the unit's vehicles and anomalies), the
	// platform administrator (supervises its level, R-29) and the
	// supervisors (R-30 private-use investigations) — not the dispatcher,
	// who needs where a vehicle is, not where it has been, nor the unit
	// administrator, who administers accounts.
	MonitorRead:    append([]Role{PlatformAdmin, UnitAdmin, Dispatcher, VehicleManager}, supervisors...),
	MonitorCommand: {PlatformAdmin, Dispatcher, VehicleManager},
	TrackRead:      append([]Role{PlatformAdmin, VehicleManager}, supervisors...),
	// Supervision (issue 7): supervisors read everything of their scope and
	// change nothing; the unit (its administrator and vehicle
	// manager) explains; the platform administrator of the level above
	// decides and escalates (R-29(5)) and sets the rules.
	SupervisionRead:  append([]Role{PlatformAdmin, UnitAdmin, VehicleManager}, supervisors...),
	CaseExplain:      {UnitAdmin, VehicleManager},
	CaseDecide:       {PlatformAdmin},
	SupervisionRules: {PlatformAdmin},
	// Outside organisations (issue 6): the platform administrator of the
	// contracting level registers them; each company keeps its own API keys.
	CompanyRead:  append([]Role{PlatformAdmin}, supervisors...),
	CompanyWrite: {PlatformAdmin},
	CompanyKeys:  companies,
	// The ledger is read by those who answer for a unit's costs and by the
	// supervisors (财政 above all).
	CostRead: append([]Role{PlatformAdmin, UnitAdmin, VehicleManager}, supervisors...),
	// Insurance: staff read, the insurer writes through its account or API.
	InsuranceRead:  append([]Role{PlatformAdmin, UnitAdmin, VehicleManager, Insurer}, supervisors...),
	InsuranceWrite: {Insurer},
	// Annual inspection: the vehicle manager keeps due dates, the
	// inspection company records results.
	InspectionRead:   append([]Role{PlatformAdmin, UnitAdmin, VehicleManager, InspectionCompany}, supervisors...),
	InspectionPlan:   {PlatformAdmin, UnitAdmin, VehicleManager},
	InspectionRecord: {InspectionCompany},
	// Maintenance: the driver requests; the vehicle manager is the
	// repair administrator (estimates, assigns the designated shop, reviews
	// the items, closes); the approver of a budget depends on its amount
	// (maintenance.Thresholds: vehicle manager, unit administrator or
	// approver, platform administrator).
	RepairRead:    append([]Role{PlatformAdmin, UnitAdmin, Approver, VehicleManager, Driver, RepairShop}, supervisors...),
	RepairRequest: {Driver, VehicleManager},
	RepairManage:  {VehicleManager},
	RepairApprove: {VehicleManager, UnitAdmin, Approver, PlatformAdmin},
	RepairRules:   {PlatformAdmin},
	RepairQuote:   {RepairShop},
	// Rental: dispatchers hand orders over (order.dispatch); the
	// platform administrator assesses the companies (R-29(2)).
	RentalRead:    append([]Role{PlatformAdmin, Dispatcher, RentalCompany}, supervisors...),
	RentalOperate: {RentalCompany},
	RentalAssess:  {PlatformAdmin},
	// Fuel: the fuel company imports and reads its own records; those
	// who answer for the vehicles and the supervisors read.
	FuelRead:   append([]Role{PlatformAdmin, UnitAdmin, VehicleManager, FuelCompany}, supervisors...),
	FuelImport: {FuelCompany},
	// Terminal health: the live map's readers see the events; the
	// vehicle manager (answers for the unit's vehicles) and the platform
	// administrator send terminals for repair and close the events.
	HealthWrite: {PlatformAdmin, VehicleManager},
	// Cross-region bookings (R-18, issue 22): the platform administrators
	// and the supervisors read; the city's platform administrator registers
	// partners and confirms statements (partner.needCity); the partner's
	// platform signs its requests (partner.api, held by no role).
	PartnerRead:   append([]Role{PlatformAdmin}, supervisors...),
	PartnerManage: {PlatformAdmin},
	// Visitors: the visitor acts on its own bookings only; the host
	// unit's staff, the platform administrators and the supervisors read the
	// registrations; the host unit's approver verifies them, and with its
	// dispatcher may cancel a visitor's booking; the
	// administrators and the finance and audit supervisors read the ride-hailing
	// reconciliation.
	VisitorSelf:   {Visitor},
	VisitorRead:   append([]Role{PlatformAdmin, UnitAdmin, Approver, Dispatcher}, supervisors...),
	VisitorVerify: {Approver},
	VisitorCancel: {Approver, Dispatcher},
	RideReconcile: {PlatformAdmin, SupervisorFinance, SupervisorAudit},
	// Cross-level loans (R-17, issue 21 part 4): a level's dispatcher or
	// platform administrator asks for vehicles and returns them; the lending
	// level's platform administrator decides (the city's, between two
	// districts). Costs and savings (part 5): the city's platform
	// administrator keeps the rates (cost.read reads them and the
	// statements); each side's administrator confirms its statements.
	LoanRead:        append([]Role{PlatformAdmin, Dispatcher, VehicleManager}, supervisors...),
	LoanRequest:     {PlatformAdmin, Dispatcher},
	LoanApprove:     {PlatformAdmin},
	RateWrite:       {PlatformAdmin},
	SettlementWrite: {PlatformAdmin, UnitAdmin},
	// Integrated dispatch (R-16, issue 21): the platform administrator and
	// the dispatcher of a level (the city or a district) are its authority —
	// the service refuses them below a level; the owning unit's
	// administrator and vehicle manager see their vehicles' assignments and
	// object; supervisors read.
	DispatchRead:   append([]Role{PlatformAdmin, Dispatcher, UnitAdmin, VehicleManager}, supervisors...),
	DispatchWrite:  {PlatformAdmin, Dispatcher},
	DispatchObject: {UnitAdmin, VehicleManager},
	// Statistics (issue 23, R-10): those who answer for a level's or a
	// unit's vehicles and the supervisors read the dashboards; the
	// administrators (and the read-only supervisors, R-30) extract data.
	StatsRead:  append([]Role{PlatformAdmin, UnitAdmin, VehicleManager}, supervisors...),
	ExtractRun: append([]Role{PlatformAdmin, UnitAdmin}, supervisors...),
}

// ---- The annual report (R-11, issue 23 part 3) ----
// Every level reads the reports of its subtree (the supervisors too). The unit administrator
// corrects its unit's registry from the report; the unit administrator and the platform
// administrator sign and submit their own node's report; the platform administrator of the level
// above returns or accepts it, writes its level's work report, and the city's opens the year.
const (
	AnnualRead    Perm = "annual.read"    // annual reports of one's scope, their figures and exports
	AnnualCorrect Perm = "annual.correct" // correct one's unit's vehicles from its report (written back to the registry)
	AnnualSubmit  Perm = "annual.submit"  // sign and submit one's own node's report
	AnnualReview  Perm = "annual.review"  // return or accept the level below's reports; the level's work report; open a year (city)
)

func init() {
	Perms = append(Perms, AnnualRead, AnnualCorrect, AnnualSubmit, AnnualReview)
	grants[AnnualRead] = append([]Role{PlatformAdmin, UnitAdmin}, supervisors...)
	grants[AnnualCorrect] = []Role{UnitAdmin}
	grants[AnnualSubmit] = []Role{PlatformAdmin, UnitAdmin}
	grants[AnnualReview] = []Role{PlatformAdmin}
}

// RoleHas reports whether role r carries permission p.
func RoleHas(r Role, p Perm) bool { return slices.Contains(grants[p], r) }

// separated are the three administrators of a classified-protection system
// (三员分立): an account holding one holds no other role.
var separated = []Role{SysAdmin, SecAdmin, AuditAdmin}

// IsSeparated reports whether r is one of the three separated administrators.
func IsSeparated(r Role) bool { return slices.Contains(separated, r) }

// Actor is the authenticated caller of one request.
type Actor struct {
	UserID    int64
	Username  string
	Name      string
	ScopeID   int64
	ScopePath string // materialised path of the scope node, "/1/3/"
	ScopeKind string
	Roles     []Role
	IP        string

	// An outside organisation's account (issue 6): its company, and the
	// materialised paths of the nodes its contracts active today cover.
	CompanyID   int64
	CompanyKind string
	Contracts   []string
}

// Has reports whether any of the actor's roles carries p.
func (a *Actor) Has(p Perm) bool {
	if a == nil {
		return p == Public
	}
	if p == Public || p == Self {
		return true
	}
	for _, r := range a.Roles {
		if RoleHas(r, p) {
			return true
		}
	}
	return false
}

// Permissions lists the permissions the actor holds.
func (a *Actor) Permissions() []Perm {
	var out []Perm
	for _, p := range Perms {
		if a.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Covers reports whether the node with materialised path p lies inside the
// actor's scope subtree; for a company's account, inside a subtree its
// contracts active today cover.
func (a *Actor) Covers(path string) bool {
	if a == nil {
		return false
	}
	if a.CompanyID != 0 {
		for _, c := range a.Contracts {
			if strings.HasPrefix(path, c) {
				return true
			}
		}
		return false
	}
	return a.ScopePath != "" && strings.HasPrefix(path, a.ScopePath)
}

// ScopePaths are the subtrees the actor's lists cover: its contracts' for
// a company's account, its scope's for staff. List queries filter
// "path LIKE p || '%'" for any p (none: nothing).
func (a *Actor) ScopePaths() []string {
	if a.CompanyID != 0 {
		return a.Contracts
	}
	return []string{a.ScopePath}
}

// HasRole reports whether the actor holds r.
func (a *Actor) HasRole(r Role) bool { return a != nil && slices.Contains(a.Roles, r) }

// CanGrant reports whether the actor may grant role r to an account whose
// scope node has path target. Nobody grants roles outside its scope;
// platform administrators hand platform administration only down to lower
// levels; unit administrators grant the business roles of their unit;
// the security administrator grants every role.
func (a *Actor) CanGrant(r Role, target string) bool {
	if !a.Covers(target) || r == Visitor { // a visitor's account comes only from its registration
		return false
	}
	switch {
	case a.HasRole(SecAdmin):
		return true
	case a.HasRole(PlatformAdmin):
		if r == PlatformAdmin {
			return target != a.ScopePath
		}
		return !IsSeparated(r)
	case a.HasRole(UnitAdmin):
		return slices.Contains(business[1:], r)
	}
	return false
}

// Account is what the manage rule needs of the account acted on.
type Account struct {
	ID        int64
	ScopePath string
	Roles     []Role
}

// managers are the roles whose holders manage accounts at all (open, edit,
// lock, reset, or grant roles).
var managers = []Role{SecAdmin, PlatformAdmin, UnitAdmin, SysAdmin}

// sysManaged are the roles of the accounts the system administrator keeps
// (it grants no role): the people who use the platform, staff and
// companies. Accounts with power over the platform or oversight of it
// (platform administrators, supervisors, the three administrators) are
// kept by the security administrator, who grants those roles, or by the
// level above.
var sysManaged = append(append([]Role{}, business...), companies...)

// oversees reports whether a holder of r checks the work of an account
// holding any of roles, so that such an account may not manage it:
// supervisors oversee how their level uses the platform, the
// approver checks the applications of those who apply (R-13(2)), the audit
// administrator checks the other two administrators (三员分立).
func oversees(r Role, roles []Role) bool {
	for _, x := range roles {
		switch {
		case slices.Contains(supervisors, r) && (x == PlatformAdmin || slices.Contains(business, x)):
			return true
		case r == Approver && RoleHas(x, OrderApply):
			return true
		case r == AuditAdmin && (x == SysAdmin || x == SecAdmin):
			return true
		}
	}
	return false
}

func roleName(r Role) string {
	info, _ := Info(r)
	return info.Name
}

func anySeparated(rs []Role) bool { return slices.ContainsFunc(rs, IsSeparated) }

// CanManage decides whether the actor may reset, lock, unlock, deactivate,
// edit or change the roles of account t, and if not, says why in Chinese.
// The actor may manage t only when t lies in its scope and is not its own
// account; t is not one of the three administrators of the actor's own
// node when the actor is one too (三员分立: the level above's security
// administrator acts, or at the city two of the three together, see
// DualControl); t holds no role that oversees the actor's work at the
// actor's level or above; and the actor could grant every role t holds
// (R-5; the system administrator, which grants none, keeps the accounts of
// the business and company roles).
func CanManage(a *Actor, t Account) (bool, string) {
	switch {
	case !slices.ContainsFunc(a.Roles, func(r Role) bool { return slices.Contains(managers, r) }):
		return false, "您无权管理账号"
	case !a.Covers(t.ScopePath):
		return false, "该账号不在您的管辖范围内"
	case t.ID == a.UserID:
		return false, "不能在账号管理中修改自己的账号，请到个人中心操作"
	case anySeparated(a.Roles) && anySeparated(t.Roles) && t.ScopePath == a.ScopePath:
		if isRoot(t.ScopePath) {
			return false, "三员（系统、安全、审计管理员）不能单独管理彼此的账号：市级须由另外两名管理员共同办理（一人申请重置、一人审批）"
		}
		return false, "三员（系统、安全、审计管理员）不能管理彼此的账号，请由上级安全管理员办理"
	}
	for _, r := range t.Roles {
		if oversees(r, a.Roles) && strings.HasPrefix(a.ScopePath, t.ScopePath) {
			if r == Approver {
				return false, "不能管理审批您用车申请的审核员账号，请由上级管理员或安全管理员办理"
			}
			return false, "不能管理监督本级的" + roleName(r) + "账号，请由安全管理员或上级办理"
		}
	}
	for _, r := range t.Roles {
		if r == Visitor { // granted by nobody, kept by those who manage the host unit's accounts
			continue
		}
		ok := a.CanGrant(r, t.ScopePath)
		if a.HasRole(SysAdmin) {
			ok = slices.Contains(sysManaged, r)
		}
		if !ok {
			return false, "该账号持有「" + roleName(r) + "」角色，您无权授予该角色，因而不能管理该账号"
		}
	}
	return true, ""
}

// DualControl reports whether the actor may act on t only together with a
// second administrator: both are among the three administrators of the
// city, which has no level above to act for them. One of the three asks
// for a password reset of another, and the third approves it.
func DualControl(a *Actor, t Account) bool {
	return anySeparated(a.Roles) && anySeparated(t.Roles) && t.ScopePath == a.ScopePath &&
		isRoot(t.ScopePath) && t.ID != a.UserID
}

// isRoot reports whether path is the top of the hierarchy ("/1/").
func isRoot(path string) bool { return strings.Count(path, "/") == 2 }

// ---- Issue 23 parts 4 and 5: notices (通知公告, R-29(3)) and the savings
// rate (节支率). The authority — the platform administrators of the city or
// a district — publishes notices and the periodic report to its subtree;
// everyone who works in a unit or a level reads what reaches its node (the
// read receipts count per node). The savings rate is read with cost.read,
// beside the ledger it is computed from; its baseline (which basis, the
// budgets) is the authority's.
const (
	NoticeRead      Perm = "notice.read"      // read the notices that reach one's node, confirm reading
	NoticePublish   Perm = "notice.publish"   // draft, publish, remind; the read receipts; the periodic report
	SavingsBaseline Perm = "savings.baseline" // choose a level's savings baseline, enter budgets per node and year
)

func init() {
	Perms = append(Perms, NoticeRead, NoticePublish, SavingsBaseline)
	grants[NoticeRead] = append(append([]Role{PlatformAdmin}, business...), supervisors...)
	grants[NoticePublish] = []Role{PlatformAdmin}
	grants[SavingsBaseline] = []Role{PlatformAdmin}
}
