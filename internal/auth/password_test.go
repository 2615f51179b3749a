package auth_test

import (
	"strings"
	"testing"

	"govfleet/internal/auth"
)

// TestCommonPasswords: passwords that meet the character rules but are
// common or follow a breached pattern are refused with a clear message;
// strong ones and generated ones pass.
func TestCommonPasswords(t *testing.T) {
	weak := []string{
		"Password1", "P@ssw0rd", "P@ssw0rd2024!", "Passw0rd!", "Admin@123", "Admin123!", "admin@2026A",
		"Welcome2024!", "Welcome1", "Qwerty123!", "QWERTY@2025a", "1qaz@WSX", "1qaz2wsx!Q", "Zaq1@xsw2",
		"1q2w3e4R!", "Abc@12345", "Abcd1234!", "Aaaa1111!", "Aa123456!", "Woaini1314!", "Zhang@19900101",
		"Wang@1985", "Li@19900101", "Govfleet@2026", "Changzhou#1", "Letmein!99", "Iloveyou#2", "Test@1234",
		"Xyz@2024", "Zyx@9876",
	}
	for _, pw := range weak {
		if msg := auth.PasswordProblem(pw, "", 8); !strings.Contains(msg, "过于常见") {
			t.Errorf("%q: %q, want it refused as common", pw, msg)
		}
	}
	strong := []string{"Test#2026pw", "New#2026pw", "Tiger$Moon47", "k7#Rq2!mZp", "Xy7$Lq9#Vb", "Rain-Bridge-88", "A!8472915z"}
	for _, pw := range strong {
		if msg := auth.PasswordProblem(pw, "", 8); msg != "" {
			t.Errorf("%q refused: %s", pw, msg)
		}
	}
	for range 200 {
		if pw := auth.GeneratePassword(); auth.PasswordProblem(pw, "", 8) != "" {
			t.Errorf("generated %q refused: %s", pw, auth.PasswordProblem(pw, "", 8))
		}
	}
}
