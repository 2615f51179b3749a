package httpapi

import (
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/sheet"
	"govfleet/internal/stats"
)

// statsRoutes: 统计分析 (issue 23, R-10) — the dashboards of a node read
// from the roll-ups, each chart's data as Excel, the figures' definitions,
// and data extraction with saved queries.
func (s *Server) statsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/stats/dashboard", Perm: access.StatsRead, Tag: "统计分析", Summary: "统计看板：单位（含下级，默认本人管辖范围）某月（默认本月）的车辆构成、编制与实有、使用（订单、车日、里程、时长、使用率）、费用、终端在线率、监督与同比环比，以及下级（单位时为车辆）的同口径数字", Query: []string{"unit_id", "month"}, Out: stats.Dashboard{}, Handle: s.statsDashboard},
		{Method: "GET", Path: "/api/stats/dashboard/export", Perm: access.StatsRead, Tag: "统计分析", Summary: "导出一个图表的数据（xlsx；chart: category|energy|age|level|months|children|costs|compare）", Query: []string{"unit_id", "month", "chart"}, Handle: s.statsExport},
		{Method: "GET", Path: "/api/stats/definitions", Perm: access.Self, Tag: "统计分析", Summary: "统计口径：每个指标的名称与定义", Out: []stats.Definition{}, Handle: s.statsDefinitions},
		{Method: "GET", Path: "/api/extract/datasets", Perm: access.ExtractRun, Tag: "数据提取", Summary: "可提取的数据集及其列与筛选条件", Out: []*stats.Dataset{}, Handle: s.extractDatasets},
		{Method: "POST", Path: "/api/extract/preview", Perm: access.ExtractRun, Tag: "数据提取", Summary: "预览数据提取结果（前50行与总行数，记入审计日志）", In: stats.Spec{}, Out: stats.Result{}, Example: `{"dataset":"orders","from":"2026-01-01","to":"2026-01-31","filters":{"state":"closed"},"columns":["no","unit","pickup_at","plate"]}`, Handle: s.extractPreview},
		{Method: "POST", Path: "/api/extract/export", Perm: access.ExtractRun, Tag: "数据提取", Summary: "导出数据提取结果（xlsx，最多100000行，记入审计日志）", In: stats.Spec{}, Example: `{"dataset":"vehicles","filters":{"category":"emergency"}}`, Handle: s.extractExport},
		{Method: "GET", Path: "/api/extract/queries", Perm: access.ExtractRun, Tag: "数据提取", Summary: "已保存的查询（本级及上级保存、共享给本级的）", Out: []*stats.Query{}, Handle: s.extractQueries},
		{Method: "POST", Path: "/api/extract/queries", Perm: access.ExtractRun, Tag: "数据提取", Summary: "保存查询（共享给本级及下级）", In: stats.QueryInput{}, Out: stats.Query{}, Example: `{"name":"本月已完成订单","spec":{"dataset":"orders","filters":{"state":"closed"}}}`, Handle: create(s.Stats.SaveQuery)},
		{Method: "DELETE", Path: "/api/extract/queries/{id}", Perm: access.ExtractRun, Tag: "数据提取", Summary: "删除本人保存的查询", Handle: s.extractDelete},
	}
}

func (s *Server) statsDashboard(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	return s.Stats.Dashboard(r.Context(), r.Actor(), unit, r.URL.Query().Get("month"))
}

func (s *Server) statsExport(r *Request) (any, error) {
	d, err := s.statsDashboard(r)
	if err != nil {
		return nil, err
	}
	db := d.(*stats.Dashboard)
	sh, err := db.Sheet(r.URL.Query().Get("chart"))
	if err != nil {
		return nil, err
	}
	data, err := sheet.XLSX(sh)
	if err != nil {
		return nil, err
	}
	if err := s.Stats.NoteExport(r.Context(), r.Actor(), db.Node.Name, sh.Name, len(sh.Rows)); err != nil {
		return nil, err
	}
	return xlsx(fmt.Sprintf("%s-%s-%s", db.Node.Name, sh.Name, db.Month), data), nil
}

func (s *Server) statsDefinitions(r *Request) (any, error) { return stats.Definitions, nil }

func (s *Server) extractDatasets(r *Request) (any, error) { return stats.Datasets, nil }

func (s *Server) extractPreview(r *Request) (any, error) {
	var sp stats.Spec
	if err := decode(r, &sp); err != nil {
		return nil, err
	}
	return s.Stats.Extract(r.Context(), r.Actor(), sp, false)
}

func (s *Server) extractExport(r *Request) (any, error) {
	var sp stats.Spec
	if err := decode(r, &sp); err != nil {
		return nil, err
	}
	res, err := s.Stats.Extract(r.Context(), r.Actor(), sp, true)
	if err != nil {
		return nil, err
	}
	name := "数据提取"
	if ds := stats.DatasetOf(sp.Dataset); ds != nil {
		name = ds.Name
	}
	data, err := sheet.XLSX(res.Sheet(name))
	if err != nil {
		return nil, err
	}
	return xlsx("数据提取-"+name, data), nil
}

func (s *Server) extractQueries(r *Request) (any, error) {
	return s.Stats.Queries(r.Context(), r.Actor())
}

func (s *Server) extractDelete(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return noContent{}, s.Stats.DeleteQuery(r.Context(), r.Actor(), id)
}
