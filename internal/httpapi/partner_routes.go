package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/errs"
	"govfleet/internal/partner"
	"govfleet/internal/savings"
	"govfleet/internal/sheet"
)

// partnerRoutes are the cross-region routes (R-18, issue 22): the city
// authority's registry of partner cities, tariffs, shared bookings and
// settlement statements, and the partner platforms' signed API
// (/api/partner/v1, docs/partner-api.md).
func (s *Server) partnerRoutes() []Route {
	ps := s.Partner
	if ps == nil {
		return nil
	}
	bookingQuery := []string{"partner_id", "direction", "month", "page", "page_size"}
	settleQuery := []string{"partner_id", "month", "page", "page_size"}
	return []Route{
		{Method: "GET", Path: "/api/partners", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "合作城市及其连接状态（可达、最近往来、待发消息）", Out: []partner.Partner{}, Handle: s.listPartners},
		{Method: "POST", Path: "/api/partners", Perm: access.PartnerManage, Interactive: true, Tag: "跨区域协作", Summary: "登记合作城市（未填的密钥由平台生成，只显示一次）", In: partner.Input{}, Example: partnerExample, Out: partner.Created{}, Handle: create(ps.Create)},
		{Method: "PATCH", Path: "/api/partners/{id}", Perm: access.PartnerManage, Interactive: true, Tag: "跨区域协作", Summary: "修改合作城市（密钥留空不变）", In: partner.Input{}, Out: partner.Partner{}, Handle: update(ps.Update)},
		{Method: "POST", Path: "/api/partners/{id}/check", Perm: access.PartnerManage, Tag: "跨区域协作", Summary: "检查与合作城市平台的连接与签名", Out: partner.Partner{}, Handle: s.checkPartner},
		{Method: "POST", Path: "/api/partners/{id}/retry", Perm: access.PartnerManage, Tag: "跨区域协作", Summary: "待发消息立即重试", Out: partner.Partner{}, Handle: s.retryPartner},
		{Method: "GET", Path: "/api/partners/{id}/outbox", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "发往合作城市的消息（待发在前）", Out: []partner.Outgoing{}, Handle: s.partnerOutbox},
		{Method: "GET", Path: "/api/partner-log", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "被拒绝或失败的往来记录", Query: []string{"partner_id"}, Out: []partner.LogLine{}, Handle: s.partnerLog},
		{Method: "GET", Path: "/api/partner-options", Perm: access.OrderApply, Tag: "跨区域协作", Summary: "可申请异地用车的合作城市", Out: []partner.Option{}, Handle: s.partnerOptions},
		{Method: "GET", Path: "/api/partner-bookings", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "异地用车：本市人员外出（out）与合作城市来单（in）", Query: bookingQuery, Out: List[partner.Link]{}, Handle: paged(s.listPartnerBookings)},
		{Method: "GET", Path: "/api/partner-bookings/export", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "导出异地用车（xlsx，筛选条件同列表）", Query: exportQuery(bookingQuery), Handle: exportOf(s, "异地用车", partnerBookingFields, s.listPartnerBookings)},
		{Method: "GET", Path: "/api/orders/{id}/partner", Perm: access.OrderView, Tag: "跨区域协作", Summary: "订单的异地用车信息（合作城市、对方车辆与驾驶员、费用）", Out: partner.Link{}, Handle: s.orderPartner},
		{Method: "GET", Path: "/api/partner-settlements", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "异地用车月度结算单", Query: settleQuery, Out: List[partner.Settlement]{}, Handle: paged(s.listSettlements)},
		{Method: "GET", Path: "/api/partner-settlements/export", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "导出结算单列表（xlsx，筛选条件同列表）", Query: exportQuery(settleQuery), Handle: exportOf(s, "异地用车结算单", partnerSettlementFields, s.listSettlements)},
		{Method: "POST", Path: "/api/partner-settlements", Perm: access.PartnerManage, Tag: "跨区域协作", Summary: "生成（或重新计算未确认的）某合作城市某月的结算单", In: settleIn{}, Example: settleIn{PartnerID: 1, Month: "2026-11"}, Out: partner.Settlement{}, Handle: s.generateSettlement},
		{Method: "GET", Path: "/api/partner-settlements/{id}", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "结算单及其明细", Out: partner.Settlement{}, Handle: s.getSettlement},
		{Method: "POST", Path: "/api/partner-settlements/{id}/confirm", Perm: access.PartnerManage, Tag: "跨区域协作", Summary: "本方确认结算单（并通知对方核对确认）", Out: partner.Settlement{}, Handle: s.confirmSettlement},
		{Method: "GET", Path: "/api/partner-settlements/{id}/statement.pdf", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "打印结算单（PDF：双向明细与合计、市场价与节约、双方确认与签字栏）", Handle: fileOf(s.Partner.SettlementPDF, "application/pdf")},
		{Method: "GET", Path: "/api/partner-settlements/{id}/xlsx", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "结算单及明细导出（xlsx）", Handle: s.settlementXLSX},
		{Method: "GET", Path: "/api/partner-settlements/{id}/lines", Perm: access.PartnerRead, Tag: "跨区域协作", Summary: "结算单明细（与打印、导出的明细相同）：一个方向（direction=in 对方应付，out 本方应付）的每次用车及全部明细的合计", Query: []string{"direction", "page", "page_size"}, Out: Lines[partner.Link]{}, Handle: linesPage(s.partnerSettlementLines)},

		// The partner platforms' API: signed with X-Partner-Id, X-Timestamp, X-Nonce, X-Signature.
		{Method: "GET", Path: "/api/partner/v1/ping", Perm: access.PartnerAPI, Tag: "合作平台接口", Summary: "连接与签名检查", Out: partner.Ping{}, Handle: s.partnerPing},
		{Method: "POST", Path: "/api/partner/v1/messages", Perm: access.PartnerAPI, Tag: "合作平台接口", Summary: "投递消息：用车请求、状态变化、取消、结算确认（同一 key 只处理一次）", In: partner.Message{}, Example: messageExample, Out: partner.Ack{}, Handle: s.partnerMessage},
		{Method: "POST", Path: "/api/partner/v1/visitors/verify", Perm: access.PartnerAPI, Tag: "合作平台接口", Summary: "来访人员身份核验：姓名、手机号与单位是否为本市公职人员（只答是或否）", In: partner.VisitorQuery{}, Out: partner.VisitorAnswer{}, Handle: s.partnerVisitor},
	}
}

var partnerExample = partner.Input{Name: "无锡市", Code: "wuxi", SelfCode: "changzhou", BaseURL: "https://gwyc.wuxi.example"}

var messageExample = map[string]any{"key": "5f0c2d3e9b8a4c71a6e2f0d4c3b2a190", "kind": "booking.status", "ref": "changzhou-YC2026120100042", "seq": 3,
	"sent_at": "2026-12-01T02:00:00Z", "status": map[string]any{"status": "assigned", "plate": "苏B12345", "vehicle_type": "sedan", "driver": "王师傅", "driver_phone": "13900000000", "at": "2026-12-01T02:00:00Z"}}

type settleIn struct {
	PartnerID int64  `json:"partner_id"`
	Month     string `json:"month" max:"7"`
}

func (s *Server) listPartners(r *Request) (any, error) { return s.Partner.List(r.Context(), r.Actor()) }

func (s *Server) partnerOptions(r *Request) (any, error) { return s.Partner.Options(r.Context()) }

func (s *Server) checkPartner(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	if err := cityCaller(r.Actor()); err != nil {
		return nil, err
	}
	return s.Partner.Check(r.Context(), id)
}

func (s *Server) retryPartner(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	if err := cityCaller(r.Actor()); err != nil {
		return nil, err
	}
	if _, err := s.Partner.Get(r.Context(), id); err != nil {
		return nil, err
	}
	if err := s.Partner.Retry(r.Context(), id); err != nil {
		return nil, err
	}
	s.Partner.Job(r.Context())
	return s.Partner.Get(r.Context(), id)
}

func cityCaller(a *access.Actor) error {
	if a.ScopeKind != "city" {
		return errs.E(errs.Forbidden, "合作城市由市级平台管理员登记和管理")
	}
	return nil
}

func (s *Server) partnerOutbox(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	if _, err := s.Partner.Get(r.Context(), id); err != nil {
		return nil, err
	}
	return s.Partner.Outbox(r.Context(), id, 50)
}

func (s *Server) partnerLog(r *Request) (any, error) {
	id, _ := strconv.ParseInt(r.URL.Query().Get("partner_id"), 10, 64)
	return s.Partner.Log(r.Context(), id, 100)
}

func (s *Server) listPartnerBookings(r *Request, p, size int) ([]*partner.Link, int, error) {
	q := r.URL.Query()
	id, _ := strconv.ParseInt(q.Get("partner_id"), 10, 64)
	dir := q.Get("direction")
	if dir != "" && dir != "in" && dir != "out" {
		return nil, 0, (&errs.Fields{"direction": "方向须为 in 或 out"}).Err()
	}
	return s.Partner.Links(r.Context(), r.Actor(), partner.LinkFilter{PartnerID: id, Direction: dir, Month: q.Get("month"), Page: p, Size: size})
}

var partnerBookingFields = []sheet.Field[*partner.Link]{
	sheet.F("合作城市", func(l *partner.Link) any { return l.PartnerName }),
	sheet.F("方向", func(l *partner.Link) any {
		if l.Direction == "in" {
			return "合作城市来单"
		}
		return "本市人员外出"
	}),
	{Title: "订单号", Width: 20, Value: func(l *partner.Link) any { return l.OrderNo }},
	sheet.F("用车人", func(l *partner.Link) any { return l.Applicant }),
	{Title: "事由", Width: 30, Value: func(l *partner.Link) any { return l.Reason }},
	{Title: "报到时间", Width: 20, Value: func(l *partner.Link) any { return l.PickupAt }},
	sheet.F("协作状态", func(l *partner.Link) any { return l.StatusName }),
	sheet.F("订单状态", func(l *partner.Link) any { return l.StateName }),
	sheet.F("车牌号", func(l *partner.Link) any { return l.Plate }),
	sheet.F("驾驶员", func(l *partner.Link) any { return l.DriverName }),
	sheet.F("里程（公里）", func(l *partner.Link) any { return fmt.Sprintf("%.1f", float64(l.DistanceM)/1000) }),
	sheet.F("费用（元）", func(l *partner.Link) any { return fenOrNil(l.FeeFen) }),
	sheet.F("市场价（元）", func(l *partner.Link) any { return fenOrNil(l.MarketFen) }),
	sheet.F("节约（元）", func(l *partner.Link) any { return fenOrNil(l.SavingFen) }),
}

func (s *Server) orderPartner(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	if _, err := s.Booking.Get(r.Context(), r.Actor(), id); err != nil {
		return nil, err
	}
	l, err := s.Partner.ForOrder(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, errs.E(errs.NotFound, "该订单不是异地用车")
	}
	return l, nil
}

func (s *Server) listSettlements(r *Request, p, size int) ([]*partner.Settlement, int, error) {
	q := r.URL.Query()
	id, _ := strconv.ParseInt(q.Get("partner_id"), 10, 64)
	return s.Partner.Settlements(r.Context(), r.Actor(), id, q.Get("month"), p, size)
}

var partnerSettlementFields = []sheet.Field[*partner.Settlement]{
	sheet.F("合作城市", func(st *partner.Settlement) any { return st.PartnerName }),
	sheet.F("月份", func(st *partner.Settlement) any { return st.Month }),
	sheet.F("来单数", func(st *partner.Settlement) any { return st.InCount }),
	sheet.F("对方应付（元）", func(st *partner.Settlement) any { return sheet.Money(st.InFen) }),
	sheet.F("外出单数", func(st *partner.Settlement) any { return st.OutCount }),
	sheet.F("本方应付（元）", func(st *partner.Settlement) any { return sheet.Money(st.OutFen) }),
	sheet.F("来单市场价（元）", func(st *partner.Settlement) any { return sheet.Money(st.MarketFen) }),
	sheet.F("较市场价节约（元）", func(st *partner.Settlement) any { return sheet.Money(st.SavingFen) }),
	{Title: "状态", Width: 22, Value: func(st *partner.Settlement) any { return st.StateName }},
}

func (s *Server) generateSettlement(r *Request) (any, error) {
	var in settleIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	st, err := s.Partner.Generate(r.Context(), r.Actor(), in.PartnerID, strings.TrimSpace(in.Month))
	if err != nil {
		return nil, err
	}
	return created{st}, nil
}

func (s *Server) getSettlement(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Partner.Settlement(r.Context(), r.Actor(), id)
}

func (s *Server) partnerSettlementLines(r *Request, id int64, p, size int) ([]*partner.Link, int, savings.Sum, error) {
	return s.Partner.Lines(r.Context(), r.Actor(), id, r.URL.Query().Get("direction"), p, size)
}

func (s *Server) confirmSettlement(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Partner.Confirm(r.Context(), r.Actor(), id)
}

func (s *Server) settlementXLSX(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	name, data, err := s.Partner.SettlementXLSX(r.Context(), r.Actor(), id)
	if err != nil {
		return nil, err
	}
	return download{name: name, contentType: sheet.XLSXType, data: data}, nil
}

// ---- the partner platforms' API ----

// hasCredentials reports whether a request carries a session or a token:
// one on a partner route is refused like any caller without the
// permission, one without anything is a partner's unsigned request.
func hasCredentials(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-Key-Id") != "" {
		return true
	}
	c, err := r.Cookie(SessionCookie)
	return err == nil && c.Value != ""
}

type partnerCtxKey struct{}

// servePartner authenticates a partner platform's signed request and runs
// the route with the partner in the request's context.
func (s *Server) servePartner(w http.ResponseWriter, hr *http.Request, rt Route) {
	body, err := readBody(hr)
	if err != nil {
		writeError(w, hr, err)
		return
	}
	p, err := s.Partner.Authenticate(hr.Context(), hr.Header.Get("X-Partner-Id"), hr.Header.Get("X-Timestamp"), hr.Header.Get("X-Nonce"),
		hr.Header.Get("X-Signature"), hr.Method, hr.URL.RequestURI(), body)
	if err != nil {
		writeError(w, hr, err)
		return
	}
	hr = hr.WithContext(context.WithValue(hr.Context(), partnerCtxKey{}, p))
	req := &Request{Request: hr, W: w, P: &auth.Principal{Actor: p.Actor("")}}
	out, err := rt.Handle(req)
	if err != nil {
		writeError(w, hr, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func callingPartner(r *Request) (*partner.Partner, error) {
	p, _ := r.Context().Value(partnerCtxKey{}).(*partner.Partner)
	if p == nil {
		return nil, errs.E(errs.Unauthenticated, "合作平台接口只接受签名的请求（X-Partner-Id、X-Timestamp、X-Nonce、X-Signature）")
	}
	return p, nil
}

func (s *Server) partnerPing(r *Request) (any, error) {
	if _, err := callingPartner(r); err != nil {
		return nil, err
	}
	return partner.Ping{Platform: s.Partner.Platform(r.Context()), Version: "v1"}, nil
}

func (s *Server) partnerMessage(r *Request) (any, error) {
	p, err := callingPartner(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
	if err != nil {
		return nil, err
	}
	return s.Partner.Receive(r.Context(), p, body)
}

func (s *Server) partnerVisitor(r *Request) (any, error) {
	p, err := callingPartner(r)
	if err != nil {
		return nil, err
	}
	var q partner.VisitorQuery
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	return s.Partner.AnswerVisitor(r.Context(), p, q)
}
