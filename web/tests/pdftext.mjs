// What a PDF written by govfleet's internal/pdf says: the strings of its content streams' text operators
// (Tj, TJ), one line each, decoded from the embedded font's UTF-16 codes — the same reading as pdf.Text in Go.
import { inflateSync } from 'node:zlib'

export function pdfText(buf) {
  const bin = Buffer.from(buf)
  if (bin.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF')
  const s = bin.toString('latin1')
  const out = []
  const re = /<<((?:[^<>]|<<[^<>]*>>)*)>>\s*stream\r?\n/g
  let m
  while ((m = re.exec(s))) {
    const dict = m[1]
    if (dict.includes('/Length1') || dict.includes('/Subtype')) continue
    const start = m.index + m[0].length
    const end = s.indexOf('endstream', start)
    let data = bin.subarray(start, end)
    if (dict.includes('/FlateDecode')) {
      try {
        data = inflateSync(data)
      } catch {
        continue
      }
    }
    const c = data.toString('latin1')
    if (c.includes('begincmap')) continue
    out.push(showText(data))
  }
  return out.join('\n')
}

// Pieces drawn on the same baseline (the y of the last Td; a run of Latin letters beside Chinese is a piece of its
// own font) make one line.
function showText(c) {
  let text = ''
  let pending = []
  let nums = []
  let y = ''
  let lastY = null
  let i = 0
  const isNum = (t) => /^[-+.0-9]+$/.test(t)
  while (i < c.length) {
    const ch = c[i]
    if (ch === 0x28) {
      const [str, n] = literal(c, i)
      pending.push(str)
      i += n
    } else if ([0x5b, 0x5d, 0x20, 0x0a, 0x0d, 0x09].includes(ch)) {
      i++
    } else if (ch === 0x3c && c[i + 1] !== 0x3c) {
      const j = c.indexOf(0x3e, i)
      if (j < 0) break
      i = j + 1
    } else {
      let j = i
      while (j < c.length && !' \n\r\t()[]<>'.includes(String.fromCharCode(c[j]))) j++
      if (j === i) j++
      const op = c.subarray(i, j).toString('latin1')
      if (op === 'Td' && nums.length >= 2) y = nums[nums.length - 1]
      if (op === 'Tj' || op === 'TJ') {
        if (lastY !== null && y !== lastY) text += '\n'
        lastY = y
        text += pending.map(utf16).join('')
      }
      if (isNum(op)) nums.push(op)
      else {
        pending = []
        nums = []
      }
      i = j
    }
  }
  return text
}

function literal(c, at) {
  const bytes = []
  let depth = 0
  for (let i = at; i < c.length; i++) {
    const ch = c[i]
    if (ch === 0x5c && i + 1 < c.length) {
      i++
      const e = c[i]
      const map = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x66: 12 }
      if (map[e] !== undefined) bytes.push(map[e])
      else if (e === 0x0a || e === 0x0d) continue
      else if (e >= 0x30 && e <= 0x37) {
        let v = 0
        let k = 0
        while (k < 3 && c[i + k] >= 0x30 && c[i + k] <= 0x37) v = v * 8 + (c[i + k++] - 0x30)
        bytes.push(v & 0xff)
        i += k - 1
      } else bytes.push(e)
    } else if (ch === 0x28) {
      if (depth > 0) bytes.push(ch)
      depth++
    } else if (ch === 0x29) {
      depth--
      if (depth === 0) return [Buffer.from(bytes), i - at + 1]
      bytes.push(ch)
    } else bytes.push(ch)
  }
  return [Buffer.from(bytes), c.length - at]
}

function utf16(b) {
  if (b.length % 2) return b.toString('latin1')
  let s = ''
  for (let i = 0; i < b.length; i += 2) s += String.fromCharCode((b[i] << 8) | b[i + 1])
  return s
}
