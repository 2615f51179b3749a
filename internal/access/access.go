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
	UsersWrite  Perm = "users.write"  // create, edit, lock, reset accounts
	RolesAssign Perm = "roles.assign" // grant and revoke roles
	FilingsRead Perm = "filings.read" // R-9 filing of who holds which role
	AuditRead   Perm = "audit.read"   // the audit log (audit administrator only)
	PolicyWrite Perm = "policy.write" // password and session policy

	FleetRead    Perm = "fleet.read"    // view the vehicle and driver registry
	FleetWrite   Perm = "fleet.write"   // register and change vehicles, drivers, terminals, photos
	FleetConfirm Perm = "fleet.confirm" // confirm registry records as current

	OrderApply    Perm = "order.apply"    // apply for a vehicle, follow and rate one's orders (R-13(1)(6))
	OrderRead     Perm = "order.read"     // see the orders of one's scope
	OrderApprove  Perm = "order.approve"  // approve or return applications (R-13(2))
	OrderDispatch Perm = "order.dispatch" // dispatch, return to base, the dispatch board (R-13(3)(5))
	OrderConsent  Perm = "order.consent"  // the vehicle manager's consent to dispatch (R-13(3))
	OrderDrive    Perm = "order.drive"    // the driver's tasks (R-13(4))
	EmergencyFile Perm = "emergency.file" // file emergency use afterwards
	CalendarWrite Perm = "calendar.write" // statutory holidays and make-up working days

	MonitorRead    Perm = "monitor.read"    // the live map: positions and states of the vehicles in scope
	MonitorCommand Perm = "monitor.command" // commands to a vehicle's terminal from the live map
	TrackRead      Perm = "track.read"      // track playback of a vehicle, every view recorded
	HealthWrite    Perm = "health.write"    // request repair of a terminal fault and mark it fixed
)

// Perms lists every permission except Public and Self.
var Perms = []Perm{OrgRead, OrgWrite, UsersRead, UsersWrite, RolesAssign, FilingsRead, AuditRead, PolicyWrite, FleetRead, FleetWrite, FleetConfirm,
	OrderApply, OrderRead, OrderApprove, OrderDispatch, OrderConsent, OrderDrive, EmergencyFile, CalendarWrite,
	MonitorRead, MonitorCommand, TrackRead, HealthWrite}

var supervisors = []Role{SupervisorDiscipline, SupervisorFinance, SupervisorAudit}
var business = []Role{UnitAdmin, Approver, Dispatcher, VehicleManager, Driver, Applicant}

// grants says which roles hold each permission. Supervisors read, never
// write; the three separated administrators each do one thing.
var grants = map[Perm][]Role{
	OrgRead:     append(append([]Role{PlatformAdmin, SysAdmin, SecAdmin}, business...), supervisors...),
	OrgWrite:    {PlatformAdmin},
	UsersRead:   append([]Role{PlatformAdmin, UnitAdmin, SysAdmin, SecAdmin}, supervisors...),
	UsersWrite:  {PlatformAdmin, UnitAdmin, SysAdmin},
	RolesAssign: {PlatformAdmin, UnitAdmin, SecAdmin},
	FilingsRead: append([]Role{PlatformAdmin, SecAdmin}, supervisors...),
	AuditRead:   {AuditAdmin},
	PolicyWrite: {SecAdmin},
	// The registry: every staff role and the supervisors read;
	// administrators and vehicle managers write; unit and platform
	// administrators confirm the twice-yearly review.
	FleetRead:    append(append([]Role{PlatformAdmin}, business...), supervisors...),
	FleetWrite:   {PlatformAdmin, UnitAdmin, VehicleManager},
	FleetConfirm: {PlatformAdmin, UnitAdmin},
	// Booking: "who manages approves, who uses is responsible".
	OrderApply:    {Applicant, Approver, Dispatcher, VehicleManager, UnitAdmin, PlatformAdmin},
	OrderRead:     append(append([]Role{PlatformAdmin}, business...), supervisors...),
	OrderApprove:  {Approver},
	OrderDispatch: {Dispatcher},
	OrderConsent:  {VehicleManager},
	OrderDrive:    {Driver},
	EmergencyFile: {VehicleManager, Dispatcher, UnitAdmin},
	CalendarWrite: {PlatformAdmin},
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
	// Terminal health: the live map's readers see the events; the
	// vehicle manager (answers for the unit's vehicles) and the platform
	// administrator send terminals for repair and close the events.
	HealthWrite: {PlatformAdmin, VehicleManager},
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
// actor's scope subtree.
func (a *Actor) Covers(path string) bool {
	return a != nil && a.ScopePath != "" && strings.HasPrefix(path, a.ScopePath)
}

// HasRole reports whether the actor holds r.
func (a *Actor) HasRole(r Role) bool { return a != nil && slices.Contains(a.Roles, r) }

// CanGrant reports whether the actor may grant role r to an account whose
// scope node has path target. Nobody grants roles outside its scope;
// platform administrators hand platform administration only down to lower
// levels; unit administrators grant the business roles of their unit;
// the security administrator grants every role.
func (a *Actor) CanGrant(r Role, target string) bool {
	if !a.Covers(target) {
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
