package fleet_test

import (
	"testing"

	"govfleet/internal/check"

	"govfleet/internal/fleet"
)

// The templates' example rows must themselves be valid: a clerk copies them.
func TestTemplateExamplesAreValid(t *testing.T) {
	checks := map[string]func(string) error{"plate": check.Plate, "vin": check.VIN, "id_card": check.IDCard, "licence_class": check.LicenceClass, "phone": check.Mobile}
	for _, cols := range fleet.TemplateColumns() {
		for _, c := range cols {
			if fn := checks[c.Field]; fn != nil && c.Example != "" {
				if err := fn(c.Example); err != nil {
					t.Errorf("example %s %q: %v", c.Field, c.Example, err)
				}
			}
		}
	}
}
