package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
)

// TestRoleReads: applicants and drivers read what their work needs — their
// own orders, tasks and repair requests — and the server refuses the
// registry (the driver list with phone numbers and its export), the
// hierarchy and the unit's orders, which their menu no longer shows
// (issue 24). The unit's staff still read them.
func TestRoleReads(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		applicant := e.caller(e.inUnit, access.Applicant)
		driver := e.caller(e.inUnit, access.Driver)
		dispatcher := e.caller(e.inUnit, access.Dispatcher)
		colleague := e.caller(e.inUnit, access.Applicant)
		mine := e.order(e.inUnit, booking.Submitted, applicant.user.ID, 0, 0)
		theirs := e.order(e.inUnit, booking.Submitted, colleague.user.ID, 0, 0)
		unit := fmt.Sprintf("?unit_id=%d", e.inUnit)
		for _, tc := range []struct {
			who  string
			c    caller
			path string
			want int
		}{
			{"applicant", applicant, "/api/drivers" + unit, http.StatusForbidden},
			{"applicant", applicant, "/api/drivers/export" + unit, http.StatusForbidden},
			{"applicant", applicant, "/api/vehicles" + unit, http.StatusForbidden},
			{"applicant", applicant, "/api/terminals", http.StatusForbidden},
			{"applicant", applicant, "/api/units/tree", http.StatusForbidden},
			{"applicant", applicant, "/api/orders" + unit, http.StatusForbidden},
			{"applicant", applicant, "/api/emergency-filings", http.StatusForbidden},
			{"applicant", applicant, fmt.Sprintf("/api/orders/%d", theirs), http.StatusForbidden},
			{"applicant", applicant, fmt.Sprintf("/api/orders/%d", mine), http.StatusOK},
			{"applicant", applicant, "/api/my/orders", http.StatusOK},
			{"driver", driver, "/api/drivers" + unit, http.StatusForbidden},
			{"driver", driver, "/api/drivers/export" + unit, http.StatusForbidden},
			{"driver", driver, "/api/vehicles" + unit, http.StatusForbidden},
			{"driver", driver, "/api/units/tree", http.StatusForbidden},
			{"driver", driver, "/api/orders" + unit, http.StatusForbidden},
			{"driver", driver, fmt.Sprintf("/api/orders/%d", theirs), http.StatusForbidden},
			{"driver", driver, "/api/driver/tasks", http.StatusOK},
			{"driver", driver, "/api/repair-jobs", http.StatusOK},
			{"driver", driver, "/api/repair-jobs/vehicles", http.StatusOK},
			{"dispatcher", dispatcher, "/api/drivers" + unit, http.StatusOK},
			{"dispatcher", dispatcher, "/api/drivers/export" + unit, http.StatusOK},
			{"dispatcher", dispatcher, fmt.Sprintf("/api/orders/%d", theirs), http.StatusOK},
		} {
			if status, body := e.do(&tc.c.sess, "GET", tc.path, nil); status != tc.want {
				t.Errorf("%s GET %s: %d %.200s, want %d", tc.who, tc.path, status, body, tc.want)
			}
		}
	})
}
