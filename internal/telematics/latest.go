package telematics

import (
	"hash/maphash"
	"sync"
)

const latestShards = 64

// Latest keeps the most recent committed position of every terminal and
// vehicle in memory for live views. Older positions (blind-area reports
// arriving late) never replace newer ones. The zero value is ready; it is
// safe for concurrent use.
type Latest struct {
	seed   maphash.Seed
	once   sync.Once
	shards [latestShards]latestShard
}

type latestShard struct {
	mu        sync.RWMutex
	byPhone   map[string]Position
	byVehicle map[int64]Position
}

func (l *Latest) shard(phone string) *latestShard {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	return &l.shards[maphash.String(l.seed, phone)%latestShards]
}

func (l *Latest) vshard(id int64) *latestShard {
	return &l.shards[uint64(id)%latestShards]
}

// Update records positions (typically a committed batch). Invalid fixes
// (Position.Invalid) are not positions: they never become the latest, nor
// does a future-dated one (InvalidFuture), which would freeze the vehicle.
func (l *Latest) Update(ps []Position) {
	for _, p := range ps {
		if p.Invalid != Valid {
			continue
		}
		s := l.shard(p.Phone)
		s.mu.Lock()
		if s.byPhone == nil {
			s.byPhone = map[string]Position{}
		}
		if old, ok := s.byPhone[p.Phone]; !ok || p.At.After(old.At) {
			s.byPhone[p.Phone] = p
		}
		s.mu.Unlock()
		if p.VehicleID == 0 {
			continue
		}
		s = l.vshard(p.VehicleID)
		s.mu.Lock()
		if s.byVehicle == nil {
			s.byVehicle = map[int64]Position{}
		}
		if old, ok := s.byVehicle[p.VehicleID]; !ok || p.At.After(old.At) {
			s.byVehicle[p.VehicleID] = p
		}
		s.mu.Unlock()
	}
}

// ByTerminal returns the latest position of the terminal phone.
func (l *Latest) ByTerminal(phone string) (Position, bool) {
	phone = NormalizePhone(phone)
	s := l.shard(phone)
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.byPhone[phone]
	return p, ok
}

// ByVehicle returns the latest position of vehicle id.
func (l *Latest) ByVehicle(id int64) (Position, bool) {
	s := l.vshard(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.byVehicle[id]
	return p, ok
}

// Vehicles returns the latest position of every vehicle, in no order.
func (l *Latest) Vehicles() []Position {
	var out []Position
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.RLock()
		for _, p := range s.byVehicle {
			out = append(out, p)
		}
		s.mu.RUnlock()
	}
	return out
}

// Len returns the number of terminals known.
func (l *Latest) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.RLock()
		n += len(s.byPhone)
		s.mu.RUnlock()
	}
	return n
}
