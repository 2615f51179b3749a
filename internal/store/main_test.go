package store_test

import (
	"testing"

	"govfleet/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }
