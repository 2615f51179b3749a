package auth

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Policy is the platform's password, session and API token policy, set by
// the city's security administrator.
type Policy struct {
	PasswordMinLength  int `json:"password_min_length"`
	LockoutThreshold   int `json:"lockout_threshold"`
	LockoutMinutes     int `json:"lockout_minutes"`
	IdleTimeoutMinutes int `json:"idle_timeout_minutes"`
	TokenDays          int `json:"token_days"` // the longest life of an API token (credentials.go)
	// TOTPRoles are the roles whose holders must log in with a second
	// factor (totp.go). Absent from a change: left as it is.
	TOTPRoles []access.Role `json:"totp_roles"`
	// TerminalTakeover is what the JT/T 808 gateway does when a second
	// connection authenticates for a terminal already online (issue 20):
	// TakeoverRefuseNewcomer or TakeoverKeepNewer. Absent from a change:
	// left as it is.
	TerminalTakeover string `json:"terminal_takeover"`
}

// Terminal take-over policies (gateway.TakeoverPolicy's values).
const (
	// TakeoverRefuseNewcomer, the default, refuses the second connection
	// while the first is alive: whoever copied a SIM and its code cannot
	// push the genuine terminal off, and the genuine terminal, which
	// reconnects only after its old connection went silent, is not refused.
	TakeoverRefuseNewcomer = "refuse_newcomer"
	TakeoverKeepNewer      = "keep_newer" // closes the first connection
)

// DefaultPolicy: 8 characters, 5 failures lock for 15 minutes, 30 minutes
// idle, API tokens live 90 days at most; two factors for the three
// separated administrators, the platform administrators and the supervisors
// (等保 level 3: administrators log in with two factors). A new install
// (govfleet init) starts with it; the demo turns two factors off (demo.Seed).
var DefaultPolicy = Policy{PasswordMinLength: 8, LockoutThreshold: 5, LockoutMinutes: 15, IdleTimeoutMinutes: 30, TokenDays: 90,
	TOTPRoles: []access.Role{access.SysAdmin, access.SecAdmin, access.AuditAdmin, access.PlatformAdmin,
		access.SupervisorDiscipline, access.SupervisorFinance, access.SupervisorAudit},
	TerminalTakeover: TakeoverRefuseNewcomer}

// RequiresTOTP reports whether an account holding roles must use a second factor.
func (p Policy) RequiresTOTP(roles []access.Role) bool {
	return slices.ContainsFunc(roles, func(r access.Role) bool { return slices.Contains(p.TOTPRoles, r) })
}

func (p *Policy) fields() map[string]*int {
	return map[string]*int{
		"password_min_length":  &p.PasswordMinLength,
		"lockout_threshold":    &p.LockoutThreshold,
		"lockout_minutes":      &p.LockoutMinutes,
		"idle_timeout_minutes": &p.IdleTimeoutMinutes,
		"token_days":           &p.TokenDays,
	}
}

func (p Policy) validate() error {
	var f errs.Fields
	f.Check(p.PasswordMinLength < 8 || p.PasswordMinLength > 32, "password_min_length", "密码最小长度须在8至32之间")
	f.Check(p.LockoutThreshold < 3 || p.LockoutThreshold > 10, "lockout_threshold", "锁定前允许的失败次数须在3至10之间")
	f.Check(p.LockoutMinutes < 5 || p.LockoutMinutes > 1440, "lockout_minutes", "锁定时长须在5至1440分钟之间")
	f.Check(p.IdleTimeoutMinutes < 5 || p.IdleTimeoutMinutes > 480, "idle_timeout_minutes", "空闲超时须在5至480分钟之间")
	f.Check(p.TokenDays < 1 || p.TokenDays > 365, "token_days", "API令牌有效期须在1至365天之间")
	f.Check(p.TerminalTakeover != TakeoverRefuseNewcomer && p.TerminalTakeover != TakeoverKeepNewer, "terminal_takeover", "请选择终端重复登录的处理方式")
	for _, r := range p.TOTPRoles {
		_, ok := access.Info(r)
		f.Check(!ok, "totp_roles", "未知角色："+string(r))
	}
	return f.Err()
}

// policyColumn reads the policy's settings as one value, "key=value"
// pairs joined by semicolons (parsePolicy), so that a request's
// authentication reads it in the statement that reads its account.
const policyColumn = "COALESCE((SELECT string_agg(p.key || '=' || p.value, ';') FROM settings AS p WHERE p.key LIKE 'policy.%'), '')"

// Policy returns the policy in force.
func (s *Service) Policy(ctx context.Context) (Policy, error) {
	var settings string
	if err := s.DB.R.NewRaw("SELECT "+policyColumn).Scan(ctx, &settings); err != nil {
		return DefaultPolicy, store.Translate(err)
	}
	return parsePolicy(settings), nil
}

// parsePolicy is the policy of settings read by policyColumn: the default
// policy where a setting is absent.
func parsePolicy(settings string) Policy {
	p := DefaultPolicy
	fs := p.fields()
	for _, kv := range strings.Split(settings, ";") {
		key, value, _ := strings.Cut(kv, "=")
		if key == takeoverKey {
			p.TerminalTakeover = value
		}
		if key == totpRolesKey {
			p.TOTPRoles = []access.Role{}
			for _, c := range strings.Split(value, ",") {
				if c != "" {
					p.TOTPRoles = append(p.TOTPRoles, access.Role(c))
				}
			}
		}
		if dst, ok := fs[strings.TrimPrefix(key, "policy.")]; ok {
			if v, err := strconv.Atoi(value); err == nil {
				*dst = v
			}
		}
	}
	return p
}

// SetPolicy changes the policy. Only a security administrator at the city
// level sets it, for the whole platform.
func (s *Service) SetPolicy(ctx context.Context, a *access.Actor, p Policy) (Policy, error) {
	if a.ScopeKind != "city" {
		return Policy{}, errs.E(errs.Forbidden, "安全策略由市级安全管理员统一设置")
	}
	return s.writePolicy(ctx, a, p, "修改安全策略")
}

// SeedPolicy sets the policy without an actor (the demo), recorded as a
// system event.
func (s *Service) SeedPolicy(ctx context.Context, p Policy, summary string) error {
	_, err := s.writePolicy(ctx, nil, p, summary)
	return err
}

const (
	totpRolesKey = "policy.totp_roles"
	takeoverKey  = "policy.terminal_takeover"
)

func (s *Service) writePolicy(ctx context.Context, a *access.Actor, p Policy, summary string) (Policy, error) {
	before, err := s.Policy(ctx)
	if err != nil {
		return Policy{}, err
	}
	if p.TOTPRoles == nil {
		p.TOTPRoles = before.TOTPRoles
	}
	if p.TerminalTakeover == "" {
		p.TerminalTakeover = before.TerminalTakeover
	}
	if err := p.validate(); err != nil {
		return Policy{}, err
	}
	set := map[string]string{totpRolesKey: strings.Join(roleCodes(p.TOTPRoles), ","), takeoverKey: p.TerminalTakeover}
	for k, v := range p.fields() {
		set["policy."+k] = strconv.Itoa(*v)
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		for k, v := range set {
			if _, err := tx.NewRaw("DELETE FROM settings WHERE key = ?", k).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewRaw("INSERT INTO settings (key, value) VALUES (?, ?)", k, v).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPolicyUpdate, ObjectType: audit.Policy, Summary: summary, Before: before, After: p})
	})
	return p, err
}

func roleCodes(rs []access.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}
