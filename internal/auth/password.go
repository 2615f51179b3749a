package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
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
// wrong name takes as long as a wrong password.
var dummyHash, _ = HashPassword("not-a-real-password")

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
	return ""
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
