package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"govfleet/internal/store"
)

// The chain's files in the data directory, beside the API-key master key:
// the MAC keys (never in the database) and the signed checkpoints of the
// head (outside the database, downloadable by the audit administrator).
const (
	KeyFile        = "audit-chain.key"
	CheckpointFile = "audit-checkpoints.log"
)

// chainKey is one key of the ring; id names it in the rows it MACs (the
// start of a hash of the key, which reveals nothing of it).
type chainKey struct {
	id  string
	key []byte
}

// ring holds the chain keys, the current (last) one MACs new rows; the
// others verify rows written before a rotation. It is set once at start
// (LoadKeys; tests: SetKeys) and read by Record from every domain's
// transactions, hence a package variable rather than a field.
var ring atomic.Pointer[[]chainKey]

// SetKeys installs the chain keys, oldest first; the last one MACs new rows.
func SetKeys(keys ...[]byte) {
	r := make([]chainKey, len(keys))
	for i, k := range keys {
		sum := sha256.Sum256(append([]byte("govfleet audit key id\n"), k...))
		r[i] = chainKey{id: hex.EncodeToString(sum[:4]), key: bytes.Clone(k)}
	}
	ring.Store(&r)
}

// LoadKeys reads the chain keys from path (one hex key of at least 32 bytes
// a line, oldest first: rotating a key appends a line) and installs them.
// With create, a missing file is made with one random key, mode 0600, as
// the server does at its first start; the verifier does not create it.
func LoadKeys(path string, create bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		k := make([]byte, 32)
		rand.Read(k)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
			return err
		}
		SetKeys(k)
		return nil
	}
	if err != nil {
		return err
	}
	var keys [][]byte
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := hex.DecodeString(line)
		if err != nil || len(k) < 32 {
			return fmt.Errorf("%s: each audit chain key must be at least 32 bytes in hex", path)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s: no audit chain key", path)
	}
	SetKeys(keys...)
	return nil
}

func current() *chainKey {
	if r := ring.Load(); r != nil && len(*r) > 0 {
		return &(*r)[len(*r)-1]
	}
	return nil
}

func keyByID(id string) *chainKey {
	if r := ring.Load(); r != nil {
		for i := range *r {
			if (*r)[i].id == id {
				return &(*r)[i]
			}
		}
	}
	return nil
}

// sign MACs the lines of a message under the key, each with its length
// (no two messages share an encoding); kind separates the uses of the key.
func (k *chainKey) sign(kind string, fields ...string) string {
	m := hmac.New(sha256.New, k.key)
	writeFields(m, append([]string{kind}, fields...))
	return hex.EncodeToString(m.Sum(nil))
}

func writeFields(h hash.Hash, fields []string) {
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
}

// headMAC authenticates the chain head, "<key id>:<mac>": a tail cut off
// with the head set back to the new last row is detected without a
// checkpoint.
func (k *chainKey) headMAC(seq int64, hash string) string {
	return k.id + ":" + k.sign("head", strconv.FormatInt(seq, 10), hash)
}

// stored is s as the database keeps it. Bun writes strings into the SQL
// text itself on both databases (schema.BaseDialect.AppendString): it
// drops NUL and writes each invalid UTF-8 byte as U+FFFD. Record hashes
// what is stored, so a NUL that slipped past the API's refusal cannot
// break the chain.
func stored(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r != 0 {
			b.WriteRune(r) // an invalid byte ranges as utf8.RuneError, U+FFFD
		}
	}
	return b.String()
}

// normalise makes every text field what the database will store.
func (e *Entry) normalise() {
	for _, f := range []*string{&e.ActorName, &e.IP, &e.ObjectID, &e.ScopePath, &e.Summary, &e.Before, &e.After} {
		if strings.IndexByte(*f, 0) >= 0 || !utf8.ValidString(*f) {
			*f = stored(*f)
		}
	}
}

// fields are what a row's hash covers: every column but the hash itself
// and the database id (ids of a PostgreSQL identity may skip; the chain
// order is the id order).
func (e *Entry) fields() []string {
	actor := ""
	if e.ActorID != nil {
		actor = strconv.FormatInt(*e.ActorID, 10)
	}
	return []string{e.PrevHash, e.At.UTC().Format(time.RFC3339Nano), actor, e.ActorName, e.IP,
		e.Action, e.ObjectType, e.ObjectID, e.ScopePath, e.Summary, e.Before, e.After}
}

// legacyHash is the unkeyed SHA-256 of the rows written before the keyed
// chain (alg ""); they stay verifiable.
func (e *Entry) legacyHash() string {
	h := sha256.New()
	writeFields(h, e.fields())
	return hex.EncodeToString(h.Sum(nil))
}

// mac is a keyed row's hash; it covers its alg too.
func (e *Entry) mac(key []byte) string {
	return (&chainKey{key: key}).sign("row", append(e.fields(), e.Alg)...)
}

// MaxProblems caps the problems a verification lists (all are counted).
const MaxProblems = 100

// Problem is one finding of a verification; ID is the row's, 0 for the
// chain as a whole (head, checkpoints).
type Problem struct {
	ID      int64  `json:"id"`
	Message string `json:"message"`
}

// VerifyResult reports the outcome of a chain check: every problem found,
// the first MaxProblems listed.
type VerifyResult struct {
	OK         bool      `json:"ok"`
	Checked    int       `json:"checked"`    // rows read
	Keyed      int       `json:"keyed"`      // of which under the keyed MAC
	Problems   []Problem `json:"problems"`   // at most MaxProblems
	Count      int       `json:"count"`      // all problems
	BrokenID   *int64    `json:"broken_id"`  // the first broken row
	Truncated  bool      `json:"truncated"`  // rows missing at the end
	Checkpoint int64     `json:"checkpoint"` // head of the latest valid checkpoint (0: none)
	Message    string    `json:"message"`
}

func (r *VerifyResult) add(id int64, format string, args ...any) {
	r.Count++
	if id != 0 && r.BrokenID == nil {
		r.BrokenID = &id
	}
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, Problem{id, fmt.Sprintf(format, args...)})
	}
}

// Verify walks the whole chain in id order and reports every row whose
// MAC (or, before the keyed chain, hash) or link does not match, an
// unkeyed row after a keyed one (a re-chain without the key), a head that
// does not match the last row or whose MAC fails (a cut tail), and a
// checkpoint of the file Checkpoints the chain no longer holds.
func (s *Service) Verify(ctx context.Context) (VerifyResult, error) {
	res := VerifyResult{Problems: []Problem{}}
	cps := s.readCheckpoints(&res)
	// Checkpoints are written by a release that MACs every row: rows after
	// the earliest one must be keyed.
	keyedAfter := int64(math.MaxInt64)
	for seq := range cps {
		keyedAfter = min(keyedAfter, seq)
	}
	prev := ""
	var lastID int64
	const batch = 5000
	for {
		var rows []*Entry
		if err := s.DB.R.NewSelect().Model(&rows).Where("id > ?", lastID).Order("id ASC").Limit(batch).Scan(ctx); err != nil {
			return res, store.Translate(err)
		}
		for _, e := range rows {
			res.Checked++
			s.verifyRow(&res, e, prev, res.Keyed > 0 || int64(res.Checked) > keyedAfter)
			if h, ok := cps[int64(res.Checked)]; ok && h != e.Hash {
				res.add(e.ID, "第 %d 条记录与校验点不符（第 %d 条处的校验码已变），之前的日志被改写", e.ID, res.Checked)
			}
			prev = e.Hash // the stored one: the next row is checked on its own
			lastID = e.ID
		}
		if len(rows) < batch {
			break
		}
	}
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
		MAC  string `bun:"mac"`
	}
	if err := s.DB.R.NewRaw("SELECT seq, hash, mac FROM audit_head WHERE id = 1").Scan(ctx, &head); err != nil {
		return res, store.Translate(err)
	}
	switch {
	case head.Hash != prev:
		res.Truncated = true
		res.add(0, "日志末尾的记录被删除（应有 %d 条，实有 %d 条）", head.Seq, res.Checked)
	case head.Seq != int64(res.Checked):
		res.add(0, "日志条数与链头不符（应有 %d 条，实有 %d 条），有记录被删除", head.Seq, res.Checked)
	}
	if id, _, _ := strings.Cut(head.MAC, ":"); head.MAC != "" || res.Keyed > 0 {
		if k := keyByID(id); k == nil || k.headMAC(head.Seq, head.Hash) != head.MAC {
			res.Truncated = true
			res.add(0, "链头（audit_head）的校验码不符：链头被改写，日志末尾可能被截断")
		}
	}
	if res.Checkpoint > int64(res.Checked) {
		res.Truncated = true
		res.add(0, "日志末尾被截断：校验点记录了 %d 条，实有 %d 条", res.Checkpoint, res.Checked)
	}
	res.OK = res.Count == 0
	switch {
	case res.OK && res.Checkpoint > 0:
		res.Message = fmt.Sprintf("审计日志完整，共校验 %d 条记录（%d 条带密钥校验），与校验点（第 %d 条）一致", res.Checked, res.Keyed, res.Checkpoint)
	case res.OK:
		res.Message = fmt.Sprintf("审计日志完整，共校验 %d 条记录（%d 条带密钥校验）", res.Checked, res.Keyed)
	case res.Count == 1:
		res.Message = res.Problems[0].Message
	default:
		first := make([]string, 0, 3)
		for _, p := range res.Problems[:min(3, len(res.Problems))] {
			first = append(first, p.Message)
		}
		res.Message = fmt.Sprintf("审计日志校验发现 %d 处问题：%s", res.Count, strings.Join(first, "；"))
		if res.Count > 3 {
			res.Message += "……"
		}
	}
	return res, nil
}

// verifyRow checks one row against the stored hash of the row before;
// mustKey: the row comes after a keyed one or after a checkpoint.
func (s *Service) verifyRow(res *VerifyResult, e *Entry, prev string, mustKey bool) {
	switch kid, keyed := strings.CutPrefix(e.Alg, "hmac-sha256:"); {
	case keyed:
		res.Keyed++
		if k := keyByID(kid); k == nil {
			res.add(e.ID, "第 %d 条记录的密钥（%s）不在密钥文件中，无法校验", e.ID, kid)
			return
		} else if e.mac(k.key) != e.Hash {
			res.add(e.ID, "第 %d 条记录的内容被篡改（校验码不符）", e.ID)
			return
		}
	case e.Alg != "":
		res.add(e.ID, "第 %d 条记录的校验算法（%s）无法识别", e.ID, e.Alg)
		return
	case mustKey:
		res.add(e.ID, "第 %d 条记录不带密钥校验码，而它写于启用密钥之后：日志被不持有密钥者重新串链", e.ID)
		return
	case e.legacyHash() != e.Hash:
		res.add(e.ID, "第 %d 条记录的内容被篡改（哈希不符）", e.ID)
		return
	}
	if e.PrevHash != prev {
		res.add(e.ID, "第 %d 条记录之前的日志被删除或篡改（链接断开）", e.ID)
	}
}

// checkpoint is one line of the checkpoints file: the head at a time,
// MACed under the chain key.
type checkpoint struct {
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
	Key  string    `json:"key"`
	MAC  string    `json:"mac"`
}

func (c *checkpoint) sign(k *chainKey) string {
	return k.sign("checkpoint", strconv.FormatInt(c.Seq, 10), c.Hash, c.At.UTC().Format(time.RFC3339Nano))
}

// Checkpoint appends the current head to the file Checkpoints, signed
// with the chain key, unless it is the head of the last checkpoint this
// process wrote. The server calls it at start, from its job loop and at
// shutdown; a chain cut or re-chained below a checkpoint then fails
// verification even by someone who can rewrite the whole database.
func (s *Service) Checkpoint(ctx context.Context) error {
	k := current()
	if s.Checkpoints == "" || k == nil {
		return errors.New("audit checkpoint: no checkpoints file or no chain key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := checkpoint{At: time.Now().UTC().Truncate(time.Second), Key: k.id}
	if err := s.DB.R.NewRaw("SELECT seq, hash FROM audit_head WHERE id = 1").Scan(ctx, &c.Seq, &c.Hash); err != nil {
		return store.Translate(err)
	}
	if c.Seq == s.lastSeq {
		return nil
	}
	c.MAC = c.sign(k)
	line, _ := json.Marshal(c)
	f, err := os.OpenFile(s.Checkpoints, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	s.lastSeq = c.Seq
	return nil
}

// CheckpointsFile returns the checkpoints file for download (empty when
// none has been written).
func (s *Service) CheckpointsFile() ([]byte, error) {
	if s.Checkpoints == "" {
		return nil, nil
	}
	b, err := os.ReadFile(s.Checkpoints)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// readCheckpoints reads the file Checkpoints: the hash of the chain at
// each checkpoint's head, by head. A line whose MAC fails is a problem
// (a forged or edited checkpoint), and so is a file that cannot be read;
// res.Checkpoint becomes the highest head.
func (s *Service) readCheckpoints(res *VerifyResult) map[int64]string {
	out := map[int64]string{}
	b, err := s.CheckpointsFile()
	if err != nil {
		res.add(0, "无法读取校验点文件：%v", err)
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			res.add(0, "校验点文件第 %d 行格式错误", n)
			continue
		}
		if k := keyByID(c.Key); k == nil || !hmac.Equal([]byte(c.sign(k)), []byte(c.MAC)) {
			res.add(0, "校验点文件第 %d 行的签名不符：校验点被伪造或改动", n)
			continue
		}
		out[c.Seq] = c.Hash
		res.Checkpoint = max(res.Checkpoint, c.Seq)
	}
	return out
}
