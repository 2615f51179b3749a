package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"
)

var streamRe = regexp.MustCompile(`(?s)<<([^<>]*(?:<<[^<>]*>>[^<>]*)*)>>\s*stream\r?\n`)

// Text returns what the pages of a PDF written by Render say: the strings shown by its content
// streams' text operators (Tj, TJ), one line each, decoded from the font's UTF-16 codes. It reads
// this package's output (Flate-compressed or not, text in the one embedded font), not PDF at large;
// tests use it to check what a printed document says.
func Text(pdf []byte) (string, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return "", errors.New("pdf: not a PDF")
	}
	var out strings.Builder
	for _, m := range streamRe.FindAllSubmatchIndex(pdf, -1) {
		dict := string(pdf[m[2]:m[3]])
		if strings.Contains(dict, "/Length1") || strings.Contains(dict, "/Subtype") {
			continue // the font file, images
		}
		start := m[1]
		end := bytes.Index(pdf[start:], []byte("endstream"))
		if end < 0 {
			return "", errors.New("pdf: stream without end")
		}
		data := pdf[start : start+end]
		if strings.Contains(dict, "/FlateDecode") {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				continue // not a content stream we can read
			}
			data, err = io.ReadAll(zr)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				continue
			}
		}
		if bytes.Contains(data, []byte("begincmap")) {
			continue // the ToUnicode map
		}
		showText(data, &out)
		out.WriteByte('\n')
	}
	return out.String(), nil
}

// showText appends the strings of Tj and TJ operators of a content stream: pieces drawn on the
// same baseline (the y of the last Td; a run of Latin letters beside Chinese is a piece of its own
// font) on one line, a new line for each new baseline.
func showText(c []byte, out *strings.Builder) {
	var pending [][]byte
	var nums []string
	y, lastY := "", "\x00"
	i := 0
	for i < len(c) {
		switch ch := c[i]; {
		case ch == '(':
			s, n := literal(c[i:])
			pending = append(pending, s)
			i += n
		case ch == '[' || ch == ']' || ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t':
			i++
		case ch == '<' && i+1 < len(c) && c[i+1] != '<':
			j := bytes.IndexByte(c[i:], '>')
			if j < 0 {
				return
			}
			i += j + 1 // hex strings: fpdf writes text as literals
		default:
			j := i
			for j < len(c) && !strings.ContainsRune(" \n\r\t()[]<>", rune(c[j])) {
				j++
			}
			if j == i {
				j++
			}
			op := string(c[i:j])
			if op == "Td" && len(nums) >= 2 {
				y = nums[len(nums)-1]
			}
			if op == "Tj" || op == "TJ" || op == "'" || op == `"` {
				if y != lastY && out.Len() > 0 {
					out.WriteByte('\n')
				}
				lastY = y
				for _, s := range pending {
					out.WriteString(decodeUTF16(s))
				}
			}
			if isNumber(op) {
				nums = append(nums, op)
			} else {
				pending, nums = nil, nil
			}
			i = j
		}
	}
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.-+", r) {
			return false
		}
	}
	return true
}

// literal reads a PDF literal string at c[0] == '(' and returns its bytes and length.
func literal(c []byte) ([]byte, int) {
	var s []byte
	depth := 0
	for i := 0; i < len(c); i++ {
		ch := c[i]
		switch {
		case ch == '\\' && i+1 < len(c):
			i++
			switch e := c[i]; e {
			case 'n':
				s = append(s, '\n')
			case 'r':
				s = append(s, '\r')
			case 't':
				s = append(s, '\t')
			case 'b':
				s = append(s, '\b')
			case 'f':
				s = append(s, '\f')
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v, k := 0, 0
					for k < 3 && i+k < len(c) && c[i+k] >= '0' && c[i+k] <= '7' {
						v = v*8 + int(c[i+k]-'0')
						k++
					}
					s = append(s, byte(v))
					i += k - 1
				} else {
					s = append(s, e)
				}
			}
		case ch == '(':
			if depth > 0 {
				s = append(s, ch)
			}
			depth++
		case ch == ')':
			depth--
			if depth == 0 {
				return s, i + 1
			}
			s = append(s, ch)
		default:
			s = append(s, ch)
		}
	}
	return s, len(c)
}

func decodeUTF16(b []byte) string {
	if len(b)%2 != 0 {
		return string(b)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
