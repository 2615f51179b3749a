package httpapi_test

import (
	"testing"

	"govfleet/internal/audit"
)

// TestAuditActionsHaveLabels: every action the services declare (the
// registry holds them all once this package, which links every domain, is
// initialised) has a Chinese name and a code of its own, and so has every
// object type: the log viewer, its filters and its Excel export show the
// name instead of the code. Recording an undeclared action does not
// compile.
func TestAuditActionsHaveLabels(t *testing.T) {
	t.Parallel()
	actions := audit.Actions()
	if len(actions) < 90 {
		t.Fatalf("only %d actions declared: is every domain linked?", len(actions))
	}
	seen := map[string]bool{}
	for _, a := range actions {
		if a.Code() == "" || a.Label() == "" {
			t.Errorf("action %q has no name (%q)", a.Code(), a.Label())
		}
		if seen[a.Code()] {
			t.Errorf("action %q is declared twice", a.Code())
		}
		seen[a.Code()] = true
	}
	objects := map[string]bool{}
	for _, o := range audit.ObjectTypes {
		if o.Code() == "" || o.Label() == "" || objects[o.Code()] {
			t.Errorf("object type %q: empty or duplicate (name %q)", o.Code(), o.Label())
		}
		objects[o.Code()] = true
	}
}
