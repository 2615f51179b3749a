// Package health watches the BeiDou terminals: it reads the stored
// positions of every terminal and raises terminal events — offline too
// long, main power cut, GNSS antenna fault, power cut followed by silence
// (a terminal unplugged on purpose), impossible jumps — one per episode of
// the condition, with evidence; people then follow each event from open to
// repair requested to fixed.
//
// An event whose condition clears (the terminal reports again, the alarm
// bit drops) gets cleared_at but stays in its state until someone marks it
// fixed: a terminal that was unplugged and plugged back in still wants a
// look, and the list shows which events are still going on.
package health

import (
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// Kinds of terminal events.
const (
	Offline        = "offline"                // 离线超时
	PowerCut       = "power_cut"              // 主电源掉电 (alarm bit 8)
	AntennaFault   = "antenna_fault"          // GNSS 模块故障、天线未接或剪断、天线短路 (alarm bits 4, 5, 6)
	SilentAfterCut = "silent_after_power_cut" // 断电后失联 (tamper-like)
	Jump           = "jump"                   // 位置跳变 (implied speed beyond any car)
	InvalidFixes   = "invalid_fixes"          // 持续无效定位 (InvalidRun invalid reports in a row)
	ClockOff       = "clock_off"              // 终端时钟偏差 (raised by the gateway)
	Clone          = "clone"                  // 疑似冒用/克隆终端 (raised by the gateway)
)

// KindNames are the kinds' Chinese names.
var KindNames = map[string]string{Offline: "离线超时", PowerCut: "主电源掉电", AntennaFault: "GNSS天线故障",
	SilentAfterCut: "断电后失联", Jump: "位置跳变", InvalidFixes: "持续无效定位", ClockOff: "终端时钟偏差", Clone: "疑似冒用/克隆终端"}

// States of an event.
const (
	Open            = "open"
	RepairRequested = "repair_requested"
	Fixed           = "fixed"
)

// StateNames are the states' Chinese names.
var StateNames = map[string]string{Open: "待处理", RepairRequested: "已报修", Fixed: "已修复"}

// Alarm bits of the JT/T 808-2013 alarm word (table 24) the detectors read.
const (
	powerCutBits = uint32(jt808.AlarmMainPowerCut)
	antennaBits  = uint32(jt808.AlarmGNSSModuleFault | jt808.AlarmGNSSAntennaDisconnected | jt808.AlarmGNSSAntennaShort)
)

// Params are the detectors' thresholds.
type Params struct {
	OfflineAfter    time.Duration // no report for longer: offline (default 30 min)
	SilenceAfterCut time.Duration // no report this long after a report with the power cut (default 10 min)
	JumpSpeed       float64       // km/h implied between two positions (default 250)
	JumpMin         float64       // metres: shorter hops are GNSS noise (default 1000)
	JumpEpisode     time.Duration // jumps closer than this are one episode (default 1 h)
	InvalidRun      int           // this many invalid reports in a row: a fault (default 10)
}

// DefaultParams are serve's thresholds.
var DefaultParams = Params{OfflineAfter: telematics.OfflineAfter, SilenceAfterCut: 10 * time.Minute, JumpSpeed: 250, JumpMin: 1000, JumpEpisode: time.Hour, InvalidRun: 10}

// Sample is a position as the detectors keep it.
type Sample struct {
	At      time.Time `json:"at"`
	Lat     float64   `json:"lat"`
	Lng     float64   `json:"lng"`
	Speed   float64   `json:"speed"` // km/h
	Alarm   uint32    `json:"alarm"`
	Invalid string    `json:"invalid,omitempty"` // why it is not a valid fix
}

func sample(p telematics.Position) Sample {
	return Sample{At: p.At, Lat: p.Latitude(), Lng: p.Longitude(), Speed: float64(p.Speed) / 10, Alarm: p.Alarm,
		Invalid: telematics.InvalidNames[p.Invalid]}
}

// State is a terminal's detector state between runs.
type State struct {
	Last   *Sample              `json:"last"`    // last position read
	Fix    *Sample              `json:"fix"`     // last valid fix read
	Bad    int                  `json:"bad"`     // invalid reports in a row
	Open   map[string]time.Time `json:"open"`    // kind → opened_at of the episode going on
	JumpAt time.Time            `json:"jump_at"` // last jump seen
}

// Change is what the detectors found: an episode begins (Opened), goes on
// (Seen) or ends (Cleared).
type Change struct {
	Kind     string
	OpenedAt time.Time
	Seen     time.Time
	Cleared  bool
	New      bool
	Evidence map[string]any
}

// Feed reads the next position of the terminal (in time order).
func (s *State) Feed(p telematics.Position, prm Params) []Change {
	if s.Open == nil {
		s.Open = map[string]time.Time{}
	}
	cur := sample(p)
	if s.Last != nil && !cur.At.After(s.Last.At) {
		return nil
	}
	var out []Change
	bit := func(kind string, on bool) {
		opened, going := s.Open[kind]
		switch {
		case on && !going:
			s.Open[kind] = cur.At
			out = append(out, Change{Kind: kind, OpenedAt: cur.At, Seen: cur.At, New: true, Evidence: map[string]any{"first": cur, "alarm_bits": alarmBits(cur.Alarm)}})
		case on:
			out = append(out, Change{Kind: kind, OpenedAt: opened, Seen: cur.At})
		case going:
			delete(s.Open, kind)
			out = append(out, Change{Kind: kind, OpenedAt: opened, Seen: cur.At, Cleared: true})
		}
	}
	bit(PowerCut, cur.Alarm&powerCutBits != 0)
	bit(AntennaFault, cur.Alarm&antennaBits != 0)
	// Any report ends the silences.
	for _, k := range []string{Offline, SilentAfterCut} {
		if opened, ok := s.Open[k]; ok {
			delete(s.Open, k)
			out = append(out, Change{Kind: k, OpenedAt: opened, Seen: cur.At, Cleared: true})
		}
	}
	// Invalid fixes in a row are a fault; a valid one ends it.
	if p.Invalid == telematics.Valid {
		s.Bad = 0
		if opened, ok := s.Open[InvalidFixes]; ok {
			delete(s.Open, InvalidFixes)
			out = append(out, Change{Kind: InvalidFixes, OpenedAt: opened, Seen: cur.At, Cleared: true})
		}
	} else {
		s.Bad++
		if opened, ok := s.Open[InvalidFixes]; ok {
			out = append(out, Change{Kind: InvalidFixes, OpenedAt: opened, Seen: cur.At})
		} else if s.Bad >= max(prm.InvalidRun, 1) {
			s.Open[InvalidFixes] = cur.At
			out = append(out, Change{Kind: InvalidFixes, OpenedAt: cur.At, Seen: cur.At, New: true,
				Evidence: map[string]any{"first": cur, "in_a_row": s.Bad}})
		}
	}
	// A jump is measured from the last valid fix; the gateway marks it
	// invalid (InvalidJump), so it never becomes that fix.
	if prev := s.Fix; prev != nil && (p.Invalid == telematics.Valid || p.Invalid == telematics.InvalidJump) {
		dt := cur.At.Sub(prev.At).Abs().Seconds()
		d := telematics.Haversine(int64(prev.Lat*1e6), int64(prev.Lng*1e6), int64(cur.Lat*1e6), int64(cur.Lng*1e6))
		if d >= prm.JumpMin && d/dt*3.6 > prm.JumpSpeed {
			ev := map[string]any{"from": *prev, "to": cur, "distance_m": int64(d), "seconds": int64(dt), "speed_kmh": int64(d / dt * 3.6)}
			if opened, ok := s.Open[Jump]; ok && cur.At.Sub(s.JumpAt) <= prm.JumpEpisode {
				out = append(out, Change{Kind: Jump, OpenedAt: opened, Seen: cur.At, Cleared: true, Evidence: ev})
			} else {
				s.Open[Jump] = cur.At
				out = append(out, Change{Kind: Jump, OpenedAt: cur.At, Seen: cur.At, Cleared: true, New: true, Evidence: ev})
			}
			s.JumpAt = cur.At
		}
	}
	s.Last = &cur
	if p.Invalid == telematics.Valid {
		s.Fix = &cur
	}
	return out
}

// Silence checks, at now, whether the terminal has been silent too long
// since its last report: offline, and, when that report had the main power
// cut, silent after the power cut. It returns the episodes that begin.
func (s *State) Silence(now time.Time, prm Params) []Change {
	if s.Last == nil {
		return nil // never reported: not installed yet, no event
	}
	if s.Open == nil {
		s.Open = map[string]time.Time{}
	}
	var out []Change
	quiet := now.Sub(s.Last.At)
	check := func(kind string, cond bool) {
		if _, going := s.Open[kind]; cond && !going {
			s.Open[kind] = s.Last.At
			out = append(out, Change{Kind: kind, OpenedAt: s.Last.At, Seen: now, New: true,
				Evidence: map[string]any{"last_report": *s.Last, "silent_minutes": int64(quiet.Minutes())}})
		} else if cond {
			out = append(out, Change{Kind: kind, OpenedAt: s.Open[kind], Seen: now})
		}
	}
	check(Offline, quiet > prm.OfflineAfter)
	check(SilentAfterCut, quiet > prm.SilenceAfterCut && s.Last.Alarm&powerCutBits != 0)
	return out
}

func alarmBits(a uint32) []int {
	var out []int
	for i := 0; i < 32; i++ {
		if a&(1<<i) != 0 {
			out = append(out, i)
		}
	}
	return out
}
