package httpapi

import (
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/dispatch"
	"govfleet/internal/errs"
	"govfleet/internal/sheet"
)

// dispatchRoutes are the integrated dispatch's routes (R-16, issue 21):
// pools, support tasks with their assignments and board, support teams.
func (s *Server) dispatchRoutes() []Route {
	pq := []string{"level_id", "q", "vehicle_type", "with_driver", "page", "page_size"}
	tq := []string{"q", "kind", "page", "page_size"}
	aq := []string{"task_id", "state", "page", "page_size"}
	mq := []string{"q", "page", "page_size"}
	return []Route{
		{Method: "GET", Path: "/api/pool-vehicles", Perm: access.DispatchRead, Tag: "统筹调度", Summary: "统筹调度车辆池：本级及下级的车辆池，和本单位被纳入上级车辆池的车辆（level_id 某一级；q 车牌、单位或驾驶员；vehicle_type coach|minibus|van|sedan；with_driver yes|no）", Query: pq, Out: List[dispatch.PoolVehicle]{}, Handle: paged(s.poolVehicles)},
		{Method: "GET", Path: "/api/pool-vehicles/export", Perm: access.DispatchRead, Tag: "统筹调度", Summary: "导出统筹调度车辆池（xlsx，筛选条件同列表）", Query: exportQuery(pq), Handle: exportOf(s, "统筹调度车辆池", poolFields, s.poolVehicles)},
		{Method: "POST", Path: "/api/pool-vehicles", Perm: access.DispatchWrite, Tag: "统筹调度", Summary: "将所辖单位的车辆（带或不带驾驶员）纳入本级统筹调度车辆池（R-16）", In: dispatch.PoolInput{}, Out: dispatch.PoolVehicle{}, Handle: create(s.Dispatch.AddToPool)},
		{Method: "DELETE", Path: "/api/pool-vehicles/{id}", Perm: access.DispatchWrite, Tag: "统筹调度", Summary: "将车辆移出统筹调度车辆池", Handle: s.removePoolVehicle},
		{Method: "GET", Path: "/api/pool-board", Perm: access.DispatchRead, Tag: "统筹调度", Summary: "车辆池可用情况：每辆车当前和未来几天的订单、保障任务、维修、节假日封存（from=YYYY-MM-DD，days 1–14）", Query: []string{"level_id", "from", "days", "page", "page_size"}, Out: dispatch.Board{}, Handle: s.poolBoard},
		{Method: "GET", Path: "/api/support-tasks", Perm: access.DispatchRead, Tag: "保障任务", Summary: "保障任务（本级及下级的，及抽调了本单位车辆的）", Query: tq, Out: List[dispatch.Task]{}, Handle: paged(s.supportTasks)},
		{Method: "GET", Path: "/api/support-tasks/export", Perm: access.DispatchRead, Tag: "保障任务", Summary: "导出保障任务（xlsx，筛选条件同列表）", Query: exportQuery(tq), Handle: exportOf(s, "保障任务", taskFields, s.supportTasks)},
		{Method: "POST", Path: "/api/support-tasks", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "创建保障任务：班次（时间、地点、路线）、所需车型及数量、异议截止时间（R-16）",
			In: dispatch.TaskInput{}, Example: map[string]any{"name": "2026常州马拉松", "kind": "event", "objection_deadline": "2026-03-20T18:00:00+08:00",
				"shifts": []map[string]any{{"name": "3月22日早班", "start_at": "2026-03-22T05:00:00+08:00", "end_at": "2026-03-22T12:00:00+08:00", "place": "常州奥体中心", "route": "奥体中心—龙城大道—奥体中心"}},
				"needs":  []map[string]any{{"vehicle_type": "coach", "count": 10}}}, Out: dispatch.TaskDetail{}, Handle: create(s.Dispatch.CreateTask)},
		{Method: "GET", Path: "/api/support-tasks/{id}", Perm: access.DispatchRead, Tag: "保障任务", Summary: "保障任务详情：班次、需求、调派的车辆", Out: dispatch.TaskDetail{}, Handle: get(s.Dispatch.GetTask)},
		{Method: "GET", Path: "/api/support-tasks/{id}/board", Perm: access.DispatchRead, Tag: "保障任务", Summary: "任务看板：车辆 × 日期，班次与其他占用，冲突", Out: dispatch.TaskBoard{}, Handle: get(s.Dispatch.Board)},
		{Method: "GET", Path: "/api/support-tasks/{id}/convoy", Perm: access.DispatchRead, Tag: "保障任务", Summary: "任务车队的车辆编号（实时地图按任务筛选）", Out: []int64{}, Handle: get(s.Dispatch.Convoy)},
		{Method: "GET", Path: "/api/support-tasks/{id}/candidates", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "可调派车辆：本级所辖的车辆按车辆池优先、空闲优先排列，含不能调派的原因（vehicle_type、plate）", Query: []string{"vehicle_type", "plate", "page", "page_size"}, Out: List[dispatch.Slot]{}, Handle: paged(s.taskCandidates)},
		{Method: "POST", Path: "/api/support-tasks/{id}/assignments", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "调派车辆（及驾驶员）：车辆池的车辆直接确认，所属单位的车辆通知其单位，可在截止时间前提出异议；每个班次生成一张用车订单", In: dispatch.AssignInput{}, Out: dispatch.Assignment{}, Handle: update(s.Dispatch.Assign)},
		{Method: "POST", Path: "/api/support-tasks/{id}/team", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "保障班组整体调派（成员及其车辆承担全部班次）", In: teamIn{}, Out: dispatch.TaskDetail{}, Handle: s.assignTeam},
		{Method: "POST", Path: "/api/support-tasks/{id}/cancel", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "取消保障任务（须填原因）：未出车的订单取消、车辆和驾驶员释放，执行中的订单照常结束；通知所属单位和驾驶员", In: reasonIn{}, Out: dispatch.TaskDetail{}, Handle: reasoned(s.Dispatch.CancelTask)},
		{Method: "POST", Path: "/api/support-tasks/{id}/shifts", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "增加班次；with_vehicles 为真时任务的车辆随之出车（各生成一张订单，有冲突则整体拒绝）", In: dispatch.ShiftAddInput{}, Out: dispatch.TaskDetail{}, Handle: update(s.Dispatch.AddShift)},
		{Method: "PUT", Path: "/api/task-shifts/{id}", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "修改班次（时间、名称、地点、路线）：未出车的订单随之调整；与车辆或驾驶员其他订单、任务、维修、封存、借调冲突则拒绝并指明", In: dispatch.ShiftInput{}, Out: dispatch.TaskDetail{}, Handle: update(s.Dispatch.EditShift)},
		{Method: "DELETE", Path: "/api/task-shifts/{id}", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "删除班次（取消其订单；已有车辆出车或仅剩一个班次时拒绝）", Out: dispatch.TaskDetail{}, Handle: get(s.Dispatch.RemoveShift)},
		{Method: "GET", Path: "/api/task-assignments", Perm: access.DispatchRead, Tag: "保障任务", Summary: "保障任务调派记录：本单位被抽调的车辆，或本级任务的（state=notified|objected|…，可逗号分隔）", Query: aq, Out: List[dispatch.Assignment]{}, Handle: paged(s.taskAssignments)},
		{Method: "GET", Path: "/api/task-assignments/export", Perm: access.DispatchRead, Tag: "保障任务", Summary: "导出保障任务调派记录（xlsx，筛选条件同列表）", Query: exportQuery(aq), Handle: exportOf(s, "保障任务调派记录", assignmentFields, s.taskAssignments)},
		{Method: "POST", Path: "/api/task-assignments/{id}/object", Perm: access.DispatchObject, Tag: "保障任务", Summary: "车辆所属单位提出异议（须填理由，截止时间前）", In: reasonIn{}, Out: dispatch.Assignment{}, Handle: reasoned(s.Dispatch.Object)},
		{Method: "POST", Path: "/api/task-assignments/{id}/uphold", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "主管部门维持调派（答复异议）", In: reasonIn{}, Out: dispatch.Assignment{}, Handle: decided(s.Dispatch.Decide, true)},
		{Method: "POST", Path: "/api/task-assignments/{id}/withdraw", Perm: access.DispatchWrite, Tag: "保障任务", Summary: "主管部门撤回调派（取消其未出车的订单）", In: reasonIn{}, Out: dispatch.Assignment{}, Handle: decided(s.Dispatch.Decide, false)},
		{Method: "GET", Path: "/api/support-teams", Perm: access.DispatchRead, Tag: "保障班组", Summary: "保障班组：成员、车辆、班组长、值班表", Query: mq, Out: List[dispatch.Team]{}, Handle: paged(s.supportTeams)},
		{Method: "GET", Path: "/api/support-teams/export", Perm: access.DispatchRead, Tag: "保障班组", Summary: "导出保障班组（xlsx，筛选条件同列表）", Query: exportQuery(mq), Handle: exportOf(s, "保障班组", teamFields, s.supportTeams)},
		{Method: "POST", Path: "/api/support-teams", Perm: access.DispatchWrite, Tag: "保障班组", Summary: "新建保障班组", In: dispatch.TeamInput{}, Out: dispatch.Team{}, Handle: create(s.Dispatch.CreateTeam)},
		{Method: "PUT", Path: "/api/support-teams/{id}", Perm: access.DispatchWrite, Tag: "保障班组", Summary: "修改保障班组（成员、班组长、值班表整体替换）", In: dispatch.TeamInput{}, Out: dispatch.Team{}, Handle: update(s.Dispatch.SaveTeam)},
		{Method: "GET", Path: "/api/driver/support-tasks", Perm: access.OrderDrive, Tag: "保障任务", Summary: "我的保障任务：班次与值班（驾驶员）", Out: dispatch.MyTasks{}, Handle: s.mySupportTasks},
	}
}

type teamIn struct {
	TeamID int64 `json:"team_id"`
}

func (s *Server) poolVehicles(r *Request, p, size int) ([]*dispatch.PoolVehicle, int, error) {
	level, err := queryID(r, "level_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Dispatch.Pool(r.Context(), r.Actor(), dispatch.PoolFilter{LevelID: level, Q: q.Get("q"), VType: q.Get("vehicle_type"), WithDriver: q.Get("with_driver"), Page: p, Size: size})
}

var poolFields = []sheet.Field[*dispatch.PoolVehicle]{
	{Title: "车辆池", Width: 16, Value: func(v *dispatch.PoolVehicle) any { return v.LevelName }},
	sheet.F("车牌号", func(v *dispatch.PoolVehicle) any { return v.Plate }),
	{Title: "品牌型号", Width: 20, Value: func(v *dispatch.PoolVehicle) any { return v.Model }},
	sheet.F("车型", func(v *dispatch.PoolVehicle) any { return v.TypeName }),
	sheet.F("座位数", func(v *dispatch.PoolVehicle) any { return v.Seats }),
	{Title: "所属单位", Width: 22, Value: func(v *dispatch.PoolVehicle) any { return v.UnitName }},
	sheet.F("随车驾驶员", func(v *dispatch.PoolVehicle) any { return v.DriverName }),
	sheet.F("驾驶员电话", func(v *dispatch.PoolVehicle) any { return v.DriverPhone }),
	sheet.F("车辆状态", func(v *dispatch.PoolVehicle) any { return v.StatusName }),
	{Title: "纳入时间", Width: 20, Value: func(v *dispatch.PoolVehicle) any { return v.AddedAt }},
	{Title: "备注", Width: 24, Value: func(v *dispatch.PoolVehicle) any { return v.Note }},
}

func (s *Server) removePoolVehicle(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return nil, s.Dispatch.RemoveFromPool(r.Context(), r.Actor(), id)
}

func (s *Server) poolBoard(r *Request) (any, error) {
	level, err := queryID(r, "level_id")
	if err != nil {
		return nil, err
	}
	from := time.Now()
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = beijing.ParseDate(v); err != nil {
			return nil, (&errs.Fields{"from": "日期格式应为 YYYY-MM-DD"}).Err()
		}
	}
	days, err := queryInt(r, "days", 7)
	if err != nil {
		return nil, err
	}
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	return s.Dispatch.PoolBoard(r.Context(), r.Actor(), level, from, days, p, size)
}

func (s *Server) supportTasks(r *Request, p, size int) ([]*dispatch.Task, int, error) {
	q := r.URL.Query()
	return s.Dispatch.Tasks(r.Context(), r.Actor(), dispatch.TaskFilter{Q: q.Get("q"), Kind: q.Get("kind"), Page: p, Size: size})
}

var taskFields = []sheet.Field[*dispatch.Task]{
	{Title: "任务名称", Width: 26, Value: func(t *dispatch.Task) any { return t.Name }},
	sheet.F("类型", func(t *dispatch.Task) any { return t.KindName }),
	sheet.F("状态", func(t *dispatch.Task) any { return t.StateName }),
	sheet.F("统筹层级", func(t *dispatch.Task) any { return t.LevelName }),
	{Title: "开始", Width: 20, Value: func(t *dispatch.Task) any { return t.StartAt }},
	{Title: "结束", Width: 20, Value: func(t *dispatch.Task) any { return t.EndAt }},
	sheet.F("需要车辆", func(t *dispatch.Task) any { return t.Needed }),
	sheet.F("已调派车辆", func(t *dispatch.Task) any { return t.Vehicles }),
	sheet.F("待处理异议", func(t *dispatch.Task) any { return t.Objections }),
	{Title: "异议截止", Width: 20, Value: func(t *dispatch.Task) any { return t.ObjectionDeadline }},
	sheet.F("创建人", func(t *dispatch.Task) any { return t.CreatedByName }),
}

func (s *Server) taskCandidates(r *Request, p, size int) ([]*dispatch.Slot, int, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Dispatch.Candidates(r.Context(), r.Actor(), id, q.Get("vehicle_type"), q.Get("plate"), p, size)
}

func (s *Server) assignTeam(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in teamIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Dispatch.AssignTeam(r.Context(), r.Actor(), id, in.TeamID)
}

func (s *Server) taskAssignments(r *Request, p, size int) ([]*dispatch.Assignment, int, error) {
	task, err := queryID(r, "task_id")
	if err != nil {
		return nil, 0, err
	}
	return s.Dispatch.Assignments(r.Context(), r.Actor(), dispatch.AssignmentFilter{TaskID: task, State: r.URL.Query().Get("state"), Page: p, Size: size})
}

var assignmentFields = []sheet.Field[*dispatch.Assignment]{
	{Title: "保障任务", Width: 26, Value: func(x *dispatch.Assignment) any { return x.TaskName }},
	sheet.F("车牌号", func(x *dispatch.Assignment) any { return x.Plate }),
	sheet.F("车型", func(x *dispatch.Assignment) any { return x.TypeName }),
	{Title: "所属单位", Width: 22, Value: func(x *dispatch.Assignment) any { return x.OwnerName }},
	sheet.F("驾驶员", func(x *dispatch.Assignment) any { return x.DriverName }),
	sheet.F("来源", func(x *dispatch.Assignment) any { return x.SourceName }),
	sheet.F("保障班组", func(x *dispatch.Assignment) any { return x.TeamName }),
	sheet.F("状态", func(x *dispatch.Assignment) any { return x.StateName }),
	{Title: "异议理由", Width: 30, Value: func(x *dispatch.Assignment) any { return x.Objection }},
	{Title: "异议截止", Width: 20, Value: func(x *dispatch.Assignment) any { return x.Deadline }},
	{Title: "处理意见", Width: 30, Value: func(x *dispatch.Assignment) any { return x.Decision }},
}

func (s *Server) supportTeams(r *Request, p, size int) ([]*dispatch.Team, int, error) {
	return s.Dispatch.Teams(r.Context(), r.Actor(), r.URL.Query().Get("q"), p, size)
}

var teamFields = []sheet.Field[*dispatch.Team]{
	{Title: "班组名称", Width: 22, Value: func(t *dispatch.Team) any { return t.Name }},
	sheet.F("统筹层级", func(t *dispatch.Team) any { return t.LevelName }),
	sheet.F("班组长", func(t *dispatch.Team) any { return t.LeaderName }),
	sheet.F("成员数", func(t *dispatch.Team) any { return len(t.Members) }),
	{Title: "成员及车辆", Width: 50, Value: func(t *dispatch.Team) any {
		var out []string
		for _, m := range t.Members {
			if m.Plate != "" {
				out = append(out, m.DriverName+"（"+m.Plate+"）")
			} else {
				out = append(out, m.DriverName)
			}
		}
		return strings.Join(out, "、")
	}},
	{Title: "备注", Width: 24, Value: func(t *dispatch.Team) any { return t.Note }},
}

func (s *Server) mySupportTasks(r *Request) (any, error) {
	return s.Dispatch.Mine(r.Context(), r.Actor())
}
