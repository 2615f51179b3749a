package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"govfleet/internal/demo"
	"govfleet/internal/partner"
)

// partnerDemo is `govfleet partner-demo` (R-18, issue 22): Changzhou and a
// partner city (无锡) side by side on this machine — two data directories,
// two ports, each platform with its demo data — registered as partners of
// each other; then a Changzhou official's request to 无锡 (outbound) and a
// 无锡 official's request to Changzhou (inbound) are played to the end
// through each platform's API, every state printed as it arrives.
func partnerDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("partner-demo", flag.ExitOnError)
	dir := fs.String("dir", "", "directory for the two cities' data (default: a new temporary directory)")
	keep := fs.Bool("keep", false, "keep both platforms running after the play (Ctrl-C stops them)")
	czPort := fs.Int("changzhou-port", 8091, "HTTP port of Changzhou's platform")
	wxPort := fs.Int("wuxi-port", 8092, "HTTP port of 无锡's platform")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "govfleet-partner-demo-")
		if err != nil {
			return err
		}
		*dir = d
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	start := time.Now()
	say := func(format string, a ...any) {
		if strings.HasPrefix(format, "  [") { // a state: with the time since the start
			format = fmt.Sprintf("%6.1fs", time.Since(start).Seconds()) + format
		}
		fmt.Printf(format+"\n", a...)
	}
	cz := &city{Name: "常州市", Code: "changzhou", Dir: filepath.Join(*dir, "changzhou"), Port: *czPort, Exe: exe, Log: say}
	wx := &city{Name: "无锡市", Code: "wuxi", Dir: filepath.Join(*dir, "wuxi"), Port: *wxPort, Exe: exe, Log: say}
	say("两个城市的平台：数据目录 %s", *dir)
	for _, c := range []*city{cz, wx} {
		if err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Stop()
		say("  %s平台已启动：%s", c.Name, c.URL())
	}
	p := &play{CZ: cz, WX: wx, Say: say}
	if err := p.Pair(ctx); err != nil {
		return err
	}
	if err := p.Outbound(ctx, nil); err != nil {
		return err
	}
	if err := p.Inbound(ctx, nil); err != nil {
		return err
	}
	say("\n完成：两单异地用车均已结束并计费。登录 %s 或 %s（city_admin / %s）查看「跨区域协作」。", cz.URL(), wx.URL(), demo.Password)
	if *keep {
		say("两个平台继续运行，按 Ctrl-C 停止。")
		<-ctx.Done()
	}
	return nil
}

// city is one platform run as a child process (`govfleet serve --demo`).
type city struct {
	Name, Code, Dir string
	DB              string // the database (postgres://…); empty: SQLite in Dir
	Port            int
	Exe             string
	Env             []string // extra environment (the tests' GOVFLEET_TEST_MAIN)
	Args            []string // more flags for serve (the tests' --demo-hash-memory)
	Log             func(string, ...any)

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  bytes.Buffer
}

func (c *city) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", c.Port) }

// Start runs the platform (seeding its demo on the first start) and waits
// until it answers.
func (c *city) Start(ctx context.Context) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	args := []string{"serve", "--demo", "--data-dir", c.Dir, "--listen", fmt.Sprintf("127.0.0.1:%d", c.Port),
		"--gateway-listen", "", "--demo-fleet", "0", "--partner-every", "500ms"}
	if c.Name != "常州市" {
		args = append(args, "--demo-city", c.Name)
	}
	if c.DB != "" {
		args = append(args, "--db", c.DB)
	}
	args = append(args, c.Args...)
	cmd := exec.Command(c.Exe, args...)
	cmd.Env = append(os.Environ(), c.Env...)
	logf, err := os.OpenFile(filepath.Join(c.Dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("%s的平台启动失败，见 %s", c.Name, filepath.Join(c.Dir, "server.log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		if res, err := http.Get(c.URL() + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s的平台3分钟内未启动", c.Name)
}

// Kill ends the platform with SIGKILL (nothing flushed, nothing closed).
func (c *city) Kill() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd != nil {
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// Stop ends the platform gracefully.
func (c *city) Stop() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// client is a logged-in account of a platform.
type client struct {
	c    *city
	who  string
	http *http.Client
	csrf string
}

func (c *city) Login(user string) (*client, error) {
	jar, _ := cookiejar.New(nil)
	cl := &client{c: c, who: user, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := cl.Do("POST", "/api/auth/login", map[string]string{"username": user, "password": demo.Password}, &out); err != nil {
		return nil, err
	}
	cl.csrf = out.CSRF
	return cl, nil
}

// Do calls the API; a platform that is down (killed) is retried for a minute.
func (cl *client) Do(method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	var last error
	for range 120 {
		req, _ := http.NewRequest(method, cl.c.URL()+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", cl.csrf)
		res, err := cl.http.Do(req)
		var ne net.Error
		if err != nil && (errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "EOF")) {
			last = err
			time.Sleep(500 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			return fmt.Errorf("%s %s %s（%s）：HTTP %d %s", cl.c.Name, method, path, cl.who, res.StatusCode, strings.TrimSpace(string(b)))
		}
		if out != nil && len(b) > 0 {
			return json.Unmarshal(b, out)
		}
		return nil
	}
	return fmt.Errorf("%s平台无响应：%v", cl.c.Name, last)
}

// play drives the two platforms through their APIs.
type play struct {
	CZ, WX *city
	Say    func(string, ...any)
	ids    map[*city]int64 // each side's partner id of the other
}

type partnerRow struct {
	ID        int64  `json:"id"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Reachable bool   `json:"reachable"`
	Waiting   int    `json:"waiting"`
}

// Pair registers each platform as the other's partner, with two keys: one
// each side signs with.
func (p *play) Pair(ctx context.Context) error {
	k1, k2 := partner.NewSecret(), partner.NewSecret()
	p.ids = map[*city]int64{}
	p.Say("\n— 登记合作关系（各自的市级平台管理员）—")
	for _, side := range []struct {
		self, other *city
		in, out     string
	}{{p.CZ, p.WX, k2, k1}, {p.WX, p.CZ, k1, k2}} {
		admin, err := side.self.Login("city_admin")
		if err != nil {
			return err
		}
		var rows []partnerRow
		if err := admin.Do("GET", "/api/partners", nil, &rows); err != nil {
			return err
		}
		in := map[string]any{"name": side.other.Name, "code": side.other.Code, "self_code": side.self.Code, "base_url": side.other.URL(),
			"inbound_secret": side.in, "outbound_secret": side.out, "active": true}
		var id int64
		for _, r := range rows { // the demo lists 无锡 already (and, in 无锡's copy, itself): re-point it
			if r.Code == side.other.Code || r.Code == side.self.Code || r.Name == side.other.Name {
				id = r.ID
				break
			}
		}
		var got partnerRow
		if id != 0 {
			err = admin.Do("PATCH", fmt.Sprintf("/api/partners/%d", id), in, &got)
		} else {
			err = admin.Do("POST", "/api/partners", in, &got)
		}
		if err != nil {
			return err
		}
		p.ids[side.self] = got.ID
		p.Say("  %s登记合作城市「%s」：%s", side.self.Name, side.other.Name, side.other.URL())
	}
	for _, c := range []*city{p.CZ, p.WX} {
		admin, err := c.Login("city_admin")
		if err != nil {
			return err
		}
		var got partnerRow
		if err := admin.Do("POST", fmt.Sprintf("/api/partners/%d/check", p.ids[c]), nil, &got); err != nil {
			return err
		}
		if !got.Reachable {
			return fmt.Errorf("%s连不上%s", c.Name, got.Name)
		}
		p.Say("  %s检查连接：%s 可达，签名有效", c.Name, got.Name)
	}
	return nil
}

type orderView struct {
	ID        int64  `json:"id"`
	No        string `json:"no"`
	State     string `json:"state"`
	StateName string `json:"state_name"`
	Events    []struct {
		Action    string `json:"action"`
		ActorName string `json:"actor_name"`
		Note      string `json:"note"`
		ToState   string `json:"to_state"`
	} `json:"events"`
}

type linkView struct {
	OrderID    int64  `json:"order_id"`
	Ref        string `json:"ref"`
	Status     string `json:"status"`
	StatusName string `json:"status_name"`
	FeeFen     *int64 `json:"fee_fen"`
	FeeNote    string `json:"fee_note"`
}

// Hooks let a test act in the middle of a play (kill a platform).
type Hooks struct {
	AfterSend   func() error // the request left the origin
	AfterDepart func() error // the host's driver departed
}

// Outbound: a Changzhou official travels to 无锡.
func (p *play) Outbound(ctx context.Context, h *Hooks) error {
	p.Say("\n— 外出：常州市公职人员赴无锡，申请无锡平台的车辆 —")
	return p.booking(ctx, p.CZ, p.WX, "赴无锡参加长三角公务用车协作会议", h)
}

// Inbound: a 无锡 official visits Changzhou.
func (p *play) Inbound(ctx context.Context, h *Hooks) error {
	p.Say("\n— 来单：无锡市公职人员来常州，申请常州平台的车辆 —")
	return p.booking(ctx, p.WX, p.CZ, "来常州调研公务用车平台建设", h)
}

// booking plays one request from origin to host: apply, approve, sent;
// the host's dispatcher dispatches the reception car, its driver departs
// and finishes, the dispatcher returns it to base (the fee); the origin's
// order follows each step.
func (p *play) booking(ctx context.Context, origin, host *city, reason string, h *Hooks) error {
	staff, err := origin.Login("jgj_staff")
	if err != nil {
		return err
	}
	approver, err := origin.Login("jgj_approver")
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var o orderView
	if err := staff.Do("POST", "/api/orders", map[string]any{"reason": reason, "passengers": "秦小敏等", "passenger_count": 2,
		"contact_phone": "13905191001", "pickup_place": host.Name + "高铁站", "destinations": []string{host.Name + "行政中心"},
		"pickup_at": now.Add(20 * time.Minute), "return_at": now.Add(5 * time.Hour), "out_of_city": true, "partner_id": p.ids[origin]}, &o); err != nil {
		return err
	}
	p.Say("  [%s] 秦小敏提交异地用车申请 %s（%s）", origin.Name, o.No, o.StateName)
	if err := approver.Do("POST", fmt.Sprintf("/api/orders/%d/approve", o.ID), map[string]string{"reason": "同意"}, &o); err != nil {
		return err
	}
	p.Say("  [%s] 审核员审批通过：%s，请求进入发件箱", origin.Name, o.StateName)
	if h != nil && h.AfterSend != nil {
		if err := h.AfterSend(); err != nil {
			return err
		}
	}
	follow := &follower{cl: staff, id: o.ID, say: p.Say, city: origin.Name}
	// The host: the request arrives as an order for the city's dispatcher.
	admin, err := host.Login("city_admin")
	if err != nil {
		return err
	}
	var link linkView
	ref := origin.Code + "-" + o.No
	if err := waitFor(ctx, 2*time.Minute, func() (bool, error) {
		follow.poll()
		var l struct {
			Items []linkView `json:"items"`
		}
		if err := admin.Do("GET", "/api/partner-bookings?direction=in&page_size=100", nil, &l); err != nil {
			return false, err
		}
		for _, x := range l.Items {
			if x.Ref == ref {
				link = x
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		return fmt.Errorf("%s未收到请求 %s：%w", host.Name, ref, err)
	}
	disp, err := host.Login("city_dispatcher")
	if err != nil {
		return err
	}
	var ho orderView
	if err := disp.Do("GET", fmt.Sprintf("/api/orders/%d", link.OrderID), nil, &ho); err != nil {
		return err
	}
	p.Say("  [%s] 收到来单，生成订单 %s（%s），待市级调度员派车", host.Name, ho.No, ho.StateName)
	var cands struct {
		Items []struct {
			ID       int64  `json:"id"`
			Plate    string `json:"plate"`
			Suitable bool   `json:"suitable"`
			Drivers  []struct {
				ID       int64  `json:"id"`
				Name     string `json:"name"`
				Suitable bool   `json:"suitable"`
			} `json:"drivers"`
		} `json:"items"`
	}
	if err := disp.Do("GET", fmt.Sprintf("/api/orders/%d/suggestions?plate=%s&page_size=5", ho.ID, "6J801"), nil, &cands); err != nil {
		return err
	}
	var vid, did int64
	var plate string
	for _, v := range cands.Items {
		for _, d := range v.Drivers {
			if v.Suitable && d.Suitable && d.Name == "严师傅" {
				vid, did, plate = v.ID, d.ID, v.Plate
			}
		}
	}
	if vid == 0 {
		return fmt.Errorf("%s的接待车（苏D6J801，严师傅）不可派：%+v", host.Name, cands.Items)
	}
	if err := disp.Do("POST", fmt.Sprintf("/api/orders/%d/dispatch", ho.ID), map[string]any{"vehicle_id": vid, "driver_id": did}, &ho); err != nil {
		return err
	}
	if ho.State == "pending_consent" {
		vm, err := host.Login("jgj_vm")
		if err != nil {
			return err
		}
		if err := vm.Do("POST", fmt.Sprintf("/api/orders/%d/consent", ho.ID), nil, &ho); err != nil {
			return err
		}
	}
	p.Say("  [%s] 调度员派车 %s，驾驶员严师傅（%s）", host.Name, plate, ho.StateName)
	if err := follow.until(ctx, "partner_assign"); err != nil {
		return err
	}
	drv, err := host.Login("jd_driver")
	if err != nil {
		return err
	}
	odo := 20000 + int(time.Now().Unix()%1000)*10
	if err := drv.Do("POST", fmt.Sprintf("/api/orders/%d/depart", ho.ID), map[string]int{"odometer": odo}, &ho); err != nil {
		return err
	}
	p.Say("  [%s] 驾驶员出车（里程表 %d 公里）", host.Name, odo)
	if h != nil && h.AfterDepart != nil {
		if err := h.AfterDepart(); err != nil {
			return err
		}
	}
	if err := follow.until(ctx, "partner_start"); err != nil {
		return err
	}
	if err := drv.Do("POST", fmt.Sprintf("/api/orders/%d/finish", ho.ID), map[string]int{"odometer": odo + 86}, &ho); err != nil {
		return err
	}
	p.Say("  [%s] 任务结束，本次 86 公里", host.Name)
	if err := disp.Do("POST", fmt.Sprintf("/api/orders/%d/back", ho.ID), map[string]string{"parking_place": "市行政中心停车场"}, &ho); err != nil {
		return err
	}
	p.Say("  [%s] 回场，按收费标准计费，订单%s", host.Name, ho.StateName)
	return follow.until(ctx, "partner_fee")
}

// follower prints the origin's order timeline as the partner's reports arrive.
type follower struct {
	cl   *client
	id   int64
	say  func(string, ...any)
	city string
	seen int
	last orderView
}

func (f *follower) poll() error {
	var o orderView
	if err := f.cl.Do("GET", fmt.Sprintf("/api/orders/%d", f.id), nil, &o); err != nil {
		return err
	}
	for _, e := range o.Events[min(f.seen, len(o.Events)):] {
		if strings.HasPrefix(e.Action, "partner_") {
			f.say("  [%s] 订单 %s ← %s：%s %s（%s）", f.city, o.No, e.ActorName, actionWord(e.Action), e.Note, o.StateName)
		}
	}
	f.seen, f.last = len(o.Events), o
	return nil
}

func (f *follower) until(ctx context.Context, action string) error {
	return waitFor(ctx, 2*time.Minute, func() (bool, error) {
		if err := f.poll(); err != nil {
			return false, err
		}
		for _, e := range f.last.Events {
			if e.Action == action {
				return true, nil
			}
		}
		return false, nil
	})
}

func actionWord(a string) string {
	return map[string]string{"partner_accept": "受理", "partner_assign": "派车", "partner_start": "出车", "partner_finish": "任务结束",
		"partner_fee": "计费", "partner_refuse": "拒绝", "partner_cancel": "取消"}[a]
}

func waitFor(ctx context.Context, d time.Duration, ok func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		done, err := ok()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("等待超时（%s）", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

var _ = bufio.NewScanner
