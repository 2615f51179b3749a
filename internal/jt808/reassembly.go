package jt808

import (
	"fmt"
	"sort"
	"time"
)

// Default Reassembler limits, used for zero fields.
const (
	DefaultMaxParts    = 1024            // parts of one message
	DefaultMaxBytes    = 1 << 20         // bytes buffered over all pending messages
	DefaultMaxPending  = 16              // messages being reassembled at once
	DefaultPartTimeout = 2 * time.Minute // idle time before Expire drops a message
)

// Reassembler collects the sub-packages (分包) of long messages and returns
// the complete body once every part has arrived. It is a plain data
// structure: it never reads a clock (the caller passes now) and starts no
// goroutines. It is not safe for concurrent use; one per terminal
// connection is the natural use.
//
// Parts are grouped by terminal phone, message ID, part count and the
// serial of part 1: the standard gives the parts of one message
// consecutive serial numbers, so part i arrives with serial first+i-1. That
// first serial is also what a retransmission request (0x8003 补传分包请求)
// names; see Expire.
type Reassembler struct {
	MaxParts   int           // largest accepted part count; 0 means DefaultMaxParts
	MaxBytes   int           // bytes buffered over all pending messages; 0 means DefaultMaxBytes
	MaxPending int           // messages pending at once; 0 means DefaultMaxPending
	Timeout    time.Duration // Expire drops messages idle this long; 0 means DefaultPartTimeout
	// Retries is how many times Expire reports an idle message for the
	// missing parts to be asked for (0x8003) before it drops it; 0 drops
	// at once.
	Retries int

	pending map[partKey]*partSet
	bytes   int
}

type partKey struct {
	phone string
	msgID uint16
	first uint16
	total uint16
}

type partSet struct {
	header Header
	parts  [][]byte
	got    int
	size   int
	last   time.Time
	asked  int
}

// Incomplete describes a message dropped by Expire before all its parts
// arrived.
type Incomplete struct {
	Phone       string
	MsgID       uint16
	FirstSerial uint16   // serial of part 1
	Total       uint16   // number of parts
	Missing     []uint16 // part indexes (from 1) never received
	// Retry is true while the message is kept: ask for the missing parts.
	// False means it was dropped.
	Retry bool
}

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// Add stores one packet. When p completes a message, Add returns a packet
// with the full body and a header whose Serial is that of part 1 and
// SubPackage is false, and ok is true. Packets that are not sub-packaged
// are returned as they are with ok true. Otherwise ok is false: the part was
// stored, or was a duplicate and ignored. Errors report invalid part
// numbers or exceeded limits; a message whose parts exceed MaxBytes is
// dropped.
func (r *Reassembler) Add(p Packet, now time.Time) (full Packet, ok bool, err error) {
	h := p.Header
	if !h.SubPackage {
		return p, true, nil
	}
	if h.Total == 0 || h.Index == 0 || h.Index > h.Total {
		return Packet{}, false, fmt.Errorf("%w: part %d of %d", ErrSubPackage, h.Index, h.Total)
	}
	if maxParts := orDefault(r.MaxParts, DefaultMaxParts); int(h.Total) > maxParts {
		return Packet{}, false, fmt.Errorf("%w: %d parts, limit %d", ErrReassemblyLimit, h.Total, maxParts)
	}
	key := partKey{phone: h.Phone, msgID: h.MsgID, total: h.Total, first: h.Serial - (h.Index - 1)}
	set := r.pending[key]
	if set == nil {
		if maxPending := orDefault(r.MaxPending, DefaultMaxPending); len(r.pending) >= maxPending {
			return Packet{}, false, fmt.Errorf("%w: %d messages pending, limit %d", ErrReassemblyLimit, len(r.pending), maxPending)
		}
		if r.pending == nil {
			r.pending = make(map[partKey]*partSet)
		}
		hdr := h
		hdr.SubPackage, hdr.Total, hdr.Index, hdr.Serial = false, 0, 0, key.first
		set = &partSet{header: hdr, parts: make([][]byte, h.Total)}
		r.pending[key] = set
	}
	i := int(h.Index) - 1
	if set.parts[i] != nil {
		return Packet{}, false, nil // retransmitted part
	}
	if maxBytes := orDefault(r.MaxBytes, DefaultMaxBytes); r.bytes+len(p.Body) > maxBytes {
		r.drop(key, set)
		return Packet{}, false, fmt.Errorf("%w: more than %d bytes pending; dropped 0x%04x from %s", ErrReassemblyLimit, maxBytes, h.MsgID, h.Phone)
	}
	set.parts[i] = append(make([]byte, 0, len(p.Body)), p.Body...) // non-nil even if empty
	set.got++
	set.size += len(p.Body)
	r.bytes += len(p.Body)
	set.last = now
	if set.got < len(set.parts) {
		return Packet{}, false, nil
	}
	body := make([]byte, 0, set.size)
	for _, part := range set.parts {
		body = append(body, part...)
	}
	r.drop(key, set)
	return Packet{Header: set.header, Body: body}, true, nil
}

func (r *Reassembler) drop(key partKey, set *partSet) {
	r.bytes -= set.size
	delete(r.pending, key)
}

// Pending returns the number of messages waiting for parts.
func (r *Reassembler) Pending() int { return len(r.pending) }

// Missing returns the part indexes (from 1) still missing of the message
// that the sub-package with header h belongs to, or nil if none is pending
// (complete, dropped or never seen).
func (r *Reassembler) Missing(h Header) []uint16 {
	if !h.SubPackage || h.Index == 0 {
		return nil
	}
	set := r.pending[partKey{phone: h.Phone, msgID: h.MsgID, total: h.Total, first: h.Serial - (h.Index - 1)}]
	if set == nil {
		return nil
	}
	return set.missing()
}

func (set *partSet) missing() []uint16 {
	var out []uint16
	for i, part := range set.parts {
		if part == nil {
			out = append(out, uint16(i+1))
		}
	}
	return out
}

// Expire describes the messages that received no part for longer than
// Timeout before now, oldest first. Each is kept, with Retry set and its
// clock restarted, the first Retries times, so the caller can ask for the
// missing parts (0x8003); then it is dropped, so the caller can log the
// loss.
func (r *Reassembler) Expire(now time.Time) []Incomplete {
	timeout := orDefault(r.Timeout, DefaultPartTimeout)
	type expired struct {
		inc  Incomplete
		last time.Time
	}
	var out []expired
	for key, set := range r.pending {
		if now.Sub(set.last) <= timeout {
			continue
		}
		inc := Incomplete{Phone: key.phone, MsgID: key.msgID, FirstSerial: key.first, Total: key.total, Missing: set.missing()}
		out = append(out, expired{inc, set.last})
		if set.asked < r.Retries {
			set.asked++
			set.last = now
			out[len(out)-1].inc.Retry = true
			continue
		}
		r.drop(key, set)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].last.Before(out[j].last) })
	res := make([]Incomplete, len(out))
	for i := range out {
		res[i] = out[i].inc
	}
	return res
}
