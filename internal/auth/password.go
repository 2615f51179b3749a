package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id parameters for new hashes. Tests lower them;
// stored hashes carry their own parameters, so changing these never breaks
// existing passwords.
var HashParams = struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}{Memory: 64 * 1024, Time: 1, Threads: 2}

// HashPassword returns a PHC-format argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := HashParams
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC hash.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when a user name does not exist, so that a
// wrong name takes as long as a wrong password. It is made at its first use,
// with the parameters new hashes have by then (the server's, or the lower
// ones a test or a demo's --demo-hash-memory set), not at package start.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not-a-real-password")
	return h
})

// PasswordProblem returns a Chinese message when pw breaks the policy: at
// least minLen characters from 3 of the 4 classes (upper, lower, digit,
// symbol), no whitespace, not containing the user name.
func PasswordProblem(pw, username string, minLen int) string {
	n := utf8.RuneCountInString(pw)
	if n < minLen {
		return fmt.Sprintf("密码至少%d位", minLen)
	}
	if n > 64 {
		return "密码不能超过64位"
	}
	var up, low, dig, sym bool
	for _, r := range pw {
		switch {
		case unicode.IsSpace(r):
			return "密码不能包含空格"
		case r >= 'A' && r <= 'Z':
			up = true
		case r >= 'a' && r <= 'z':
			low = true
		case r >= '0' && r <= '9':
			dig = true
		default:
			sym = true
		}
	}
	classes := 0
	for _, b := range []bool{up, low, dig, sym} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		return "密码须包含大写字母、小写字母、数字、符号中的至少三类"
	}
	if username != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(username)) {
		return "密码不能包含用户名"
	}
	if weakPassword(pw) {
		return "密码过于常见、容易被猜中（如Password1、Admin@123、Qwerty123!、姓名拼音加生日），请换一个"
	}
	return ""
}

//go:embed common_passwords.txt
var commonPasswordsFile string

// commonStems are the words of common_passwords.txt.
var commonStems = func() map[string]bool {
	m := map[string]bool{}
	for line := range strings.Lines(commonPasswordsFile) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			m[w] = true
		}
	}
	return m
}()

// leet reads look-alike characters back as the letters they stand for.
var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "1", "i", "!", "i", "3", "e", "$", "s", "5", "s", "7", "t", "+", "t")

// weakPassword reports whether pw is a common or breached-pattern password:
// a stem of common_passwords.txt with digits and symbols around it, in
// look-alike spelling, as its letters (and digits) only, or as its leading
// five or more letters (or letters and digits) before a symbol; or letters
// that are one repeated character or an alphabetical run together with
// digits that are few, repeated, a run or a date.
func weakPassword(pw string) bool {
	lower := strings.ToLower(pw)
	notLetter := func(r rune) bool { return r < 'a' || r > 'z' }
	var letters, alnum, digits strings.Builder
	for _, r := range lower {
		switch {
		case r >= 'a' && r <= 'z':
			letters.WriteRune(r)
			alnum.WriteRune(r)
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
			alnum.WriteRune(r)
		}
	}
	notAlnum := func(r rune) bool { return notLetter(r) && (r < '0' || r > '9') }
	lead := func(stop func(rune) bool) string { // the leading run up to stop, if 5 long
		if i := strings.IndexFunc(lower, stop); i >= 5 {
			return lower[:i]
		}
		return ""
	}
	core := strings.TrimFunc(lower, notLetter)
	for _, c := range []string{core, leet.Replace(core), leet.Replace(lower), letters.String(), alnum.String(), lead(notLetter), lead(notAlnum)} {
		if commonStems[c] {
			return true
		}
	}
	return trivialRun(letters.String()) && (digits.Len() <= 4 || trivialRun(digits.String()) || isDate(digits.String()))
}

// trivialRun reports whether s is empty, one repeated character, or a run
// of consecutive characters up or down (abcd, 4321).
func trivialRun(s string) bool {
	same, up, down := true, true, true
	for i := 1; i < len(s); i++ {
		same = same && s[i] == s[0]
		up = up && s[i] == s[i-1]+1
		down = down && s[i] == s[i-1]-1
	}
	return same || up || down
}

// isDate reports whether digits read as a year or a date from 1900 to 2099
// (1990, 19900101, 900101 is not matched).
func isDate(d string) bool {
	return (len(d) == 4 || len(d) == 6 || len(d) == 8) && (strings.HasPrefix(d, "19") || strings.HasPrefix(d, "20"))
}

// GeneratePassword returns a random 12-character password that meets the
// policy, for new accounts and resets.
func GeneratePassword() string {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnpqrstuvwxyz"
		digits = "23456789"
		syms   = "@#%*+=?"
	)
	pick := func(set string) byte {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		return set[n.Int64()]
	}
	all := upper + lower + digits + syms
	b := []byte{pick(upper), pick(lower), pick(digits), pick(syms)}
	for len(b) < 12 {
		b = append(b, pick(all))
	}
	for i := len(b) - 1; i > 0; i-- { // shuffle
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		j := n.Int64()
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
