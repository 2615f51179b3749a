package httpapi

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"govfleet/internal/audit"
	"govfleet/internal/booking"
)

// TestAuditActionsHaveLabels: every action the services record has a
// Chinese name in the audit log, which the log viewer, its filter and
// its Excel export show instead of the code. The actions are read from the
// source: each audit.Event literal's Action, the booking flow's order
// actions ("order." + action), and those chosen in a variable, by name.
func TestAuditActionsHaveLabels(t *testing.T) {
	action := regexp.MustCompile(`audit\.Event\{Action: +"([a-z_]+\.[a-z_]+)"`)
	var found []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range action.FindAllSubmatch(src, -1) {
			found = append(found, string(m[1]))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for a := range booking.ActionNames {
		found = append(found, "order."+a)
	}
	// Actions chosen in a variable before the audit.Event, which the pattern
	// does not see.
	found = append(found, "unit.activate", "unit.deactivate", "terminal_event.repair", "terminal_event.fix",
		"audit.read", "audit.export", "audit.verify", "user.lock", "user.unlock", "user.reset_password", "user.roles")
	if len(found) < 60 {
		t.Fatalf("found only %d recorded actions in the source: is the pattern still right?", len(found))
	}
	for _, a := range found {
		if audit.Labels[a] == "" {
			t.Errorf("the audit log shows %q as a code: no label in audit.Labels", a)
		}
	}
}
