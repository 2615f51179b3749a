package partner

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/audit"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// VisitorQuery asks a visitor's home platform whether a person is one of
// its officials.
type VisitorQuery struct {
	Name   string `json:"name" max:"50"`
	Mobile string `json:"mobile" max:"20"`
	Unit   string `json:"unit" max:"100"`
}

// VisitorAnswer is the home platform's answer: only yes or no.
type VisitorAnswer struct {
	Official bool `json:"official"`
}

// VerifyVisitor asks partner partnerID whether name with mobile is an
// official of unitName there (for the visitors' registration, R-19). An
// unreachable partner or a refusal is an error, not a no.
func (s *Service) VerifyVisitor(ctx context.Context, partnerID int64, name, mobile, unitName string) (bool, error) {
	p, err := s.Get(ctx, partnerID)
	if err != nil {
		return false, err
	}
	if !p.Active {
		return false, errs.E(errs.Conflict, "合作城市「%s」已停用", p.Name)
	}
	body, _ := json.Marshal(VisitorQuery{Name: strings.TrimSpace(name), Mobile: check.NormalisePhone(mobile), Unit: strings.TrimSpace(unitName)})
	status, out, err := s.post(ctx, p, "/api/partner/v1/visitors/verify", body, "")
	if err != nil {
		return false, errs.E(errs.Conflict, "无法连接「%s」平台核验身份：%v", p.Name, err)
	}
	if status >= 300 {
		return false, errs.E(errs.Conflict, "「%s」平台未能核验身份：%s", p.Name, errText(out, status))
	}
	var a VisitorAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return false, errs.E(errs.Conflict, "「%s」平台的核验结果无法读取", p.Name)
	}
	return a.Official, nil
}

// AnswerVisitor answers a partner's question about a visitor: yes when an
// active account or driver of a unit of that name has that name and mobile.
func (s *Service) AnswerVisitor(ctx context.Context, p *Partner, q VisitorQuery) (*VisitorAnswer, error) {
	q.Name, q.Unit, q.Mobile = strings.TrimSpace(q.Name), strings.TrimSpace(q.Unit), check.NormalisePhone(q.Mobile)
	var f errs.Fields
	f.Check(q.Name == "" || len([]rune(q.Name)) > 50, "name", "请填写姓名")
	f.Check(check.Phone(q.Mobile) != nil, "mobile", "手机号码无效")
	f.Check(q.Unit == "" || len([]rune(q.Unit)) > 100, "unit", "请填写单位名称")
	if err := f.Err(); err != nil {
		return nil, err
	}
	n, err := s.DB.R.NewSelect().TableExpr("users AS us").Join("JOIN units AS un ON un.id = us.scope_id").
		Where("us.active AND us.real_name = ? AND us.phone = ? AND un.name = ?", q.Name, q.Mobile, q.Unit).Count(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		n, err = s.DB.R.NewSelect().TableExpr("drivers AS d").Join("JOIN units AS un ON un.id = d.unit_id").
			Where("d.active AND d.name = ? AND d.phone = ? AND un.name = ?", q.Name, q.Mobile, q.Unit).Count(ctx)
		if err != nil {
			return nil, err
		}
	}
	ans := &VisitorAnswer{Official: n > 0}
	word := "否"
	if ans.Official {
		word = "是"
	}
	_, cityPath, err := cityNode(ctx, s.DB.R)
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, p.Actor(cityPath), audit.Event{Action: actVisitorAsk, ObjectType: audit.Partner, ObjectID: p.ID, ScopePath: cityPath,
			Summary: fmt.Sprintf("「%s」核验来访人员 %s（%s，%s）：%s", p.Name, q.Name, maskPhone(q.Mobile), q.Unit, word)})
	})
	return ans, err
}

func maskPhone(p string) string {
	if len(p) >= 11 {
		return p[:3] + "****" + p[len(p)-4:]
	}
	return p
}

// Ping is the answer to a status check.
type Ping struct {
	Platform string `json:"platform"`
	Version  string `json:"version"`
}

// Check asks a partner whether it is reachable and accepts our signature,
// and records the outcome on the partner.
func (s *Service) Check(ctx context.Context, id int64) (*Partner, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	status, out, err := s.post(ctx, p, "/api/partner/v1/ping", nil, "")
	ok, msg := err == nil && status == 200, ""
	switch {
	case err != nil:
		msg = fmt.Sprintf("无法连接：%v", err)
	case status != 200:
		msg = errText(out, status)
	}
	if _, err := s.DB.W.NewRaw("UPDATE partners SET checked_at = ?, reachable = ?, check_error = ? WHERE id = ?", s.now(), ok, msg, id).Exec(ctx); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Platform is this platform's name as partners see it: the city's name.
func (s *Service) Platform(ctx context.Context) string {
	var name string
	_ = s.DB.R.NewSelect().Table("units").Column("name").Where("parent_id IS NULL").Order("id").Limit(1).Scan(ctx, &name)
	return name + "公务用车平台"
}

// ByCity is the active partner of a city's name as a visitor writes it
// ("无锡" or "无锡市"); nil when the city is no active partner.
func (s *Service) ByCity(ctx context.Context, city string) (*Partner, error) {
	city = strings.TrimSuffix(strings.TrimSpace(city), "市")
	if city == "" {
		return nil, nil
	}
	var ps []*Partner
	if err := s.DB.R.NewSelect().Model(&ps).Where("active AND name IN (?, ?)", city, city+"市").Order("id").Limit(1).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return ps[0], nil
}
