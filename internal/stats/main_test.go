package stats_test

import (
	"testing"

	"govfleet/internal/storetest"
)

// TestMain removes the demo databases seeded for the package's tests.
func TestMain(m *testing.M) { storetest.Main(m) }
