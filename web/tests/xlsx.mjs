// Minimal .xlsx editing for the import tests, with no dependency: unzips the server's import
// template (node:zlib), replaces the example row(s) of the first sheet with given rows (inline
// strings) and zips it again (stored entries, CRC-32 computed here).
import zlib from 'node:zlib'

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

export function unzip(buf) {
  // End of central directory: scan back for its signature.
  let eocd = buf.length - 22
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--
  if (eocd < 0) throw new Error('not a zip file')
  const count = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const files = []
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10)
    const csize = buf.readUInt32LE(p + 20)
    const nlen = buf.readUInt16LE(p + 28)
    const xlen = buf.readUInt16LE(p + 30)
    const clen = buf.readUInt16LE(p + 32)
    const local = buf.readUInt32LE(p + 42)
    const name = buf.subarray(p + 46, p + 46 + nlen).toString('utf8')
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    const raw = buf.subarray(dataStart, dataStart + csize)
    files.push({ name, data: method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw) })
    p += 46 + nlen + xlen + clen
  }
  return files
}

export function zip(files) {
  const locals = []
  const centrals = []
  let offset = 0
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8')
    const crc = crc32(f.data)
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    lh.writeUInt16LE(20, 4)
    lh.writeUInt16LE(0x0800, 6) // UTF-8 names
    lh.writeUInt16LE(0, 8) // stored
    lh.writeUInt32LE(crc, 14)
    lh.writeUInt32LE(f.data.length, 18)
    lh.writeUInt32LE(f.data.length, 22)
    lh.writeUInt16LE(name.length, 26)
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE(20, 4)
    ch.writeUInt16LE(20, 6)
    ch.writeUInt16LE(0x0800, 8)
    ch.writeUInt32LE(crc, 16)
    ch.writeUInt32LE(f.data.length, 20)
    ch.writeUInt32LE(f.data.length, 24)
    ch.writeUInt16LE(name.length, 28)
    ch.writeUInt32LE(offset, 42)
    locals.push(lh, name, f.data)
    centrals.push(ch, name)
    offset += 30 + name.length + f.data.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
function colName(i) {
  let s = ''
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s
  return s
}

// Header names of the first sheet (row 1), without the trailing "*" of required columns.
export function headers(files) {
  const sheet = files.find((f) => f.name === 'xl/worksheets/sheet1.xml').data.toString('utf8')
  const sst = files.find((f) => f.name === 'xl/sharedStrings.xml')?.data.toString('utf8') || ''
  const strings = [...sst.matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => [...m[1].matchAll(/<t[^>]*>([\s\S]*?)<\/t>/g)].map((x) => x[1]).join(''))
  const row1 = sheet.match(/<row r="1"[^>]*>([\s\S]*?)<\/row>/)[1]
  return [...row1.matchAll(/<c ([^>]*)>([\s\S]*?)<\/c>/g)].map((m) => {
    const inner = m[2]
    const v = (inner.match(/<v>([^<]*)<\/v>/) || inner.match(/<t[^>]*>([^<]*)<\/t>/) || [])[1] || ''
    return (/t="s"/.test(m[1]) ? strings[Number(v)] : v).replace(/\*$/, '')
  })
}

// Returns a new .xlsx: the template with its data rows replaced by rows (objects keyed by header).
export function fillTemplate(templateBuf, rows) {
  const files = unzip(templateBuf)
  const head = headers(files)
  const sheetFile = files.find((f) => f.name === 'xl/worksheets/sheet1.xml')
  let xml = sheetFile.data.toString('utf8')
  const body = rows.map((r, i) => {
    const n = i + 2
    const cells = head.map((h, c) => (r[h] === undefined || r[h] === '' ? '' : `<c r="${colName(c)}${n}" t="inlineStr"><is><t>${esc(r[h])}</t></is></c>`)).join('')
    return `<row r="${n}">${cells}</row>`
  }).join('')
  xml = xml.replace(/(<row r="1"[^>]*>[\s\S]*?<\/row>)[\s\S]*?(<\/sheetData>)/, `$1${body}$2`)
  xml = xml.replace(/<dimension ref="[^"]*"\s*(\/>|><\/dimension>)/, '<dimension ref="A1"></dimension>')
  sheetFile.data = Buffer.from(xml, 'utf8')
  return zip(files)
}

// A VIN with a correct check digit (position 9) from a 17-character draft.
export function vinWithCheck(draft) {
  const map = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 }
  const w = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
  let s = 0
  for (let i = 0; i < 17; i++) {
    const ch = draft[i]
    s += (/\d/.test(ch) ? Number(ch) : map[ch]) * w[i]
  }
  const r = s % 11
  return draft.slice(0, 8) + (r === 10 ? 'X' : String(r)) + draft.slice(9)
}

// Number of data rows (rows after the header) of the first sheet.
export function dataRows(files) {
  const sheet = files.find((f) => f.name === 'xl/worksheets/sheet1.xml').data.toString('utf8')
  return sheet.match(/<row /g).length - 1
}
