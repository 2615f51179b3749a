package pdf

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// The fonts every document is set in (fonts/README.md): Droid Sans Fallback (Apache-2.0) for
// Chinese, which has no Latin glyphs, and DejaVu Sans Condensed (Bitstream Vera licence) for
// letters, digits and Western punctuation.
var (
	//go:embed fonts/DroidSansFallbackFull.ttf
	droid []byte
	//go:embed fonts/DejaVuSansCondensed.ttf
	dejavu []byte
)

// font is the embedded TrueType file parsed once per process: its table directory, its Unicode cmap
// (through sfnt) and its loca. A document never hands the 4 MB file to fpdf, which would parse it
// again for each document (~30 ms and 26 MB of garbage); subset cuts a small TrueType file holding
// only the document's glyphs, under their original glyph ids, which fpdf then parses and subsets in
// well under a millisecond.
type font struct {
	tables    map[string][]byte
	cmap      *sfnt.Font
	offsets   []uint32 // loca: glyph i is glyf[offsets[i]:offsets[i+1]]
	numGlyphs int
}

var (
	fontOnce   sync.Once
	fontCJK    *font
	fontLatin  *font
	fontErr    error
	fontParses int // how many times the embedded fonts were parsed (tests: once per process)
)

// embedded returns the two fonts, parsed at the first call.
func embedded() (cjk, latin *font, err error) {
	fontOnce.Do(func() {
		fontParses++
		if fontCJK, fontErr = parseFont(droid); fontErr != nil {
			return
		}
		fontLatin, fontErr = parseFont(dejavu)
	})
	return fontCJK, fontLatin, fontErr
}

// has reports whether the font has a glyph for c.
func (f *font) has(c rune) bool {
	var buf sfnt.Buffer
	g, err := f.cmap.GlyphIndex(&buf, c)
	return err == nil && g != 0
}

func parseFont(b []byte) (*font, error) {
	if len(b) < 12 {
		return nil, errors.New("pdf: font too short")
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	f := &font{tables: map[string][]byte{}}
	for i := range n {
		r := b[12+16*i:]
		tag := string(r[:4])
		off, size := binary.BigEndian.Uint32(r[8:]), binary.BigEndian.Uint32(r[12:])
		if int(off)+int(size) > len(b) {
			return nil, fmt.Errorf("pdf: font table %q out of range", tag)
		}
		f.tables[tag] = b[off : off+size]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap", "post", "name"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("pdf: font has no %q table", t)
		}
	}
	var err error
	if f.cmap, err = sfnt.Parse(b); err != nil {
		return nil, fmt.Errorf("pdf: font: %w", err)
	}
	f.numGlyphs = int(binary.BigEndian.Uint16(f.tables["maxp"][4:]))
	long := binary.BigEndian.Uint16(f.tables["head"][50:]) == 1
	loca := f.tables["loca"]
	f.offsets = make([]uint32, f.numGlyphs+1)
	for i := range f.offsets {
		if long {
			f.offsets[i] = binary.BigEndian.Uint32(loca[4*i:])
		} else {
			f.offsets[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		}
	}
	return f, nil
}

func (f *font) glyph(g int) []byte {
	if g < 0 || g >= f.numGlyphs {
		return nil
	}
	return f.tables["glyf"][f.offsets[g]:f.offsets[g+1]]
}

// subset returns a TrueType file with the glyphs of runes (and the components of composite
// glyphs) renumbered in their order, and a format-4 cmap of runes alone.
// Runes outside the Basic Multilingual Plane or without a glyph are left out (fpdf draws .notdef).
func (f *font) subset(runes []rune) []byte {
	var buf sfnt.Buffer
	type pair struct {
		r rune
		g uint16
	}
	var pairs []pair
	keep := map[int]bool{0: true}
	slices.Sort(runes)
	runes = slices.Compact(runes)
	for _, r := range runes {
		if r <= 0 || r >= 0xFFFF {
			continue
		}
		g, err := f.cmap.GlyphIndex(&buf, r)
		if err != nil || g == 0 {
			continue
		}
		pairs = append(pairs, pair{r, uint16(g)})
		keep[int(g)] = true
	}
	// components of composite glyphs
	queue := make([]int, 0, len(keep))
	for g := range keep {
		queue = append(queue, g)
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range components(f.glyph(g)) {
			if !keep[c] {
				keep[c] = true
				queue = append(queue, c)
			}
		}
	}

	// renumber: the kept glyphs, in their order, become 0 … k-1 (fpdf reads loca and hmtx per glyph)
	ids := make([]int, 0, len(keep))
	for g := range keep {
		ids = append(ids, g)
	}
	slices.Sort(ids)
	newID := make(map[int]uint16, len(ids))
	for i, g := range ids {
		newID[g] = uint16(i)
	}
	k := len(ids)
	be := binary.BigEndian
	glyf := []byte{}
	loca := make([]byte, 4*(k+1))
	hmtx := make([]byte, 4*k)
	for i, g := range ids {
		be.PutUint32(loca[4*i:], uint32(len(glyf)))
		at := len(glyf)
		glyf = append(glyf, f.glyph(g)...)
		for _, off := range componentOffsets(f.glyph(g)) {
			old := int(be.Uint16(glyf[at+off:]))
			be.PutUint16(glyf[at+off:], newID[old])
		}
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.metrics(g)
		be.PutUint16(hmtx[4*i:], adv)
		be.PutUint16(hmtx[4*i+2:], lsb)
	}
	be.PutUint32(loca[4*k:], uint32(len(glyf)))
	for i := range pairs {
		pairs[i].g = newID[int(pairs[i].g)]
	}
	maxp := slices.Clone(f.tables["maxp"])
	be.PutUint16(maxp[4:], uint16(k))
	hhea := slices.Clone(f.tables["hhea"])
	be.PutUint16(hhea[34:], uint16(k))

	// cmap: one format-4 subtable (platform 3, encoding 1), a segment per rune and the final one.
	seg := len(pairs) + 1
	sub := make([]byte, 16+8*seg)
	be.PutUint16(sub[0:], 4)
	be.PutUint16(sub[2:], uint16(len(sub)))
	be.PutUint16(sub[6:], uint16(2*seg))
	// searchRange = 2 × 2^floor(log2(segCount))
	p, es := 1, 0
	for p*2 <= seg {
		p *= 2
		es++
	}
	be.PutUint16(sub[8:], uint16(2*p))
	be.PutUint16(sub[10:], uint16(es))
	be.PutUint16(sub[12:], uint16(2*seg-2*p))
	ends, starts := 14, 16+2*seg
	deltas, ranges := starts+2*seg, starts+4*seg
	for i, pr := range pairs {
		be.PutUint16(sub[ends+2*i:], uint16(pr.r))
		be.PutUint16(sub[starts+2*i:], uint16(pr.r))
		be.PutUint16(sub[deltas+2*i:], pr.g-uint16(pr.r))
		be.PutUint16(sub[ranges+2*i:], 0)
	}
	last := seg - 1
	be.PutUint16(sub[ends+2*last:], 0xFFFF)
	be.PutUint16(sub[starts+2*last:], 0xFFFF)
	be.PutUint16(sub[deltas+2*last:], 1)
	cmap := make([]byte, 12, 12+len(sub))
	be.PutUint16(cmap[2:], 1)
	be.PutUint16(cmap[4:], 3)
	be.PutUint16(cmap[6:], 1)
	be.PutUint32(cmap[8:], 12)
	cmap = append(cmap, sub...)

	head := slices.Clone(f.tables["head"])
	be.PutUint32(head[8:], 0) // checkSumAdjustment: not checked by PDF readers
	be.PutUint16(head[50:], 1)

	out := map[string][]byte{
		"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx,
		"post": f.tables["post"], "name": f.tables["name"], "cmap": cmap, "loca": loca, "glyf": glyf,
	}
	for _, t := range []string{"OS/2", "cvt ", "fpgm", "prep", "gasp"} {
		if f.tables[t] != nil {
			out[t] = f.tables[t]
		}
	}
	return writeFont(out)
}

// components lists the glyph ids a composite glyph refers to.
func components(g []byte) []int {
	var ids []int
	for _, off := range componentOffsets(g) {
		ids = append(ids, int(binary.BigEndian.Uint16(g[off:])))
	}
	return ids
}

// componentOffsets gives where in a composite glyph its components' glyph ids are.
func componentOffsets(g []byte) []int {
	if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return nil
	}
	var offs []int
	p := 10
	for p+4 <= len(g) {
		flags := binary.BigEndian.Uint16(g[p:])
		offs = append(offs, p+2)
		p += 4
		if flags&0x0001 != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&0x0008 != 0:
			p += 2
		case flags&0x0040 != 0:
			p += 4
		case flags&0x0080 != 0:
			p += 8
		}
		if flags&0x0020 == 0 {
			break
		}
	}
	return offs
}

// metrics returns a glyph's advance width and left side bearing from hmtx.
func (f *font) metrics(g int) (uint16, uint16) {
	hm := f.tables["hmtx"]
	n := int(binary.BigEndian.Uint16(f.tables["hhea"][34:]))
	if g < n {
		return binary.BigEndian.Uint16(hm[4*g:]), binary.BigEndian.Uint16(hm[4*g+2:])
	}
	adv := binary.BigEndian.Uint16(hm[4*(n-1):])
	p := 4*n + 2*(g-n)
	if p+2 > len(hm) {
		return adv, 0
	}
	return adv, binary.BigEndian.Uint16(hm[p:])
}

func writeFont(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	be := binary.BigEndian
	n := len(tags)
	head := make([]byte, 12+16*n)
	be.PutUint32(head[0:], 0x00010000)
	be.PutUint16(head[4:], uint16(n))
	p, es := 1, 0
	for p*2 <= n {
		p *= 2
		es++
	}
	be.PutUint16(head[6:], uint16(16*p))
	be.PutUint16(head[8:], uint16(es))
	be.PutUint16(head[10:], uint16(16*n-16*p))
	out := head
	for i, t := range tags {
		data := tables[t]
		r := head[12+16*i:]
		copy(r, t)
		be.PutUint32(r[4:], checksum(data))
		be.PutUint32(r[8:], uint32(len(out)))
		be.PutUint32(r[12:], uint32(len(data)))
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		head = out[:12+16*n] // out may have moved
	}
	return out
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
