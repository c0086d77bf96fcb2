package booking_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/tenant"
)

// newBiz builds a business through the config parser, so its location is
// loaded as in production. hours is the calendar.businessHours JSON.
func newBiz(t testing.TB, id, tz, hours string, slotMinutes int) *business.Business {
	t.Helper()
	cfg := fmt.Sprintf(`{
  "businessId": %q, "businessName": "Test %s", "phone": "+15035550100", "timezone": %q,
  "features": {"appointmentBooking": true, "emailSummary": false},
  "calendar": {"provider": "builtin", "slotMinutes": %d, "businessHours": %s}
}`, id, id, tz, slotMinutes, hours)
	return businesstest.One(t, tenant.ID(id), cfg)
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const weekdays9to4 = `{"start": "09:00", "end": "16:00", "daysOfWeek": [1, 2, 3, 4, 5]}`
