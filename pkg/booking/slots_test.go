package booking_test

import (
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/booking"
)

func TestSlotsFromCalendarHours(t *testing.T) {
	b := newBiz(t, "denver-co", "America/Denver", weekdays9to4, 30)
	den := mustZone(t, "America/Denver")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, den) // Sunday
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, den)  // Monday
	s := booking.Slots(b, now, day, nil)
	if len(s) != 14 {
		t.Fatalf("%d slots, want 14 (09:00..15:30)", len(s))
	}
	if got := s[0].Start.Format("15:04 MST"); got != "09:00 MST" {
		t.Errorf("first %s", got)
	}
	if got := s[13].Start.Format("15:04") + "-" + s[13].End.Format("15:04"); got != "15:30-16:00" {
		t.Errorf("last %s", got)
	}
	if got := s[0].Display(); got != "Mon, Mar 2 at 9:00 AM MST" {
		t.Errorf("display %q", got)
	}
	// Closed on Sunday.
	if s := booking.Slots(b, now, now, nil); len(s) != 0 {
		t.Errorf("sunday: %d slots", len(s))
	}
	// Slot length from config; default 30.
	b60 := newBiz(t, "hourly", "America/Denver", weekdays9to4, 60)
	if s := booking.Slots(b60, now, day, nil); len(s) != 7 {
		t.Errorf("60-minute slots: %d, want 7", len(s))
	}
	b.Calendar.SlotMinutes = 0
	if s := booking.Slots(b, now, day, nil); len(s) != 14 {
		t.Errorf("default slot length: %d slots", len(s))
	}
}

func TestSlotsPastNeverOffered(t *testing.T) {
	b := newBiz(t, "denver-co", "America/Denver", weekdays9to4, 30)
	den := mustZone(t, "America/Denver")
	now := time.Date(2026, 3, 2, 11, 10, 0, 0, den)
	s := booking.Slots(b, now, now, nil)
	if len(s) == 0 || s[0].Start.Format("15:04") != "11:30" {
		t.Fatalf("first slot after 11:10: %v", s)
	}
	// Exactly at a slot start: that slot is gone.
	now = time.Date(2026, 3, 2, 11, 30, 0, 0, den)
	if s := booking.Slots(b, now, now, nil); s[0].Start.Format("15:04") != "12:00" {
		t.Errorf("at 11:30 first is %s", s[0].Start.Format("15:04"))
	}
	// After closing: nothing today; next available is tomorrow 09:00.
	now = time.Date(2026, 3, 2, 16, 0, 0, 0, den)
	if s := booking.Slots(b, now, now, nil); len(s) != 0 {
		t.Errorf("after hours: %d", len(s))
	}
	next, err := booking.NextAvailable(b, now, now, nil)
	if err != nil || len(next) == 0 || next[0].Display() != "Tue, Mar 3 at 9:00 AM MST" {
		t.Errorf("next %v %v", next, err)
	}
	// A day in the past has nothing.
	if s := booking.Slots(b, now, now.AddDate(0, 0, -1), nil); len(s) != 0 {
		t.Errorf("yesterday: %d", len(s))
	}
}

func TestSlotsTimezone(t *testing.T) {
	// The same instant is a different day and hour per business.
	now := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC) // Monday 08:00 PDT, 11:00 EDT
	la := newBiz(t, "la", "America/Los_Angeles", weekdays9to4, 30)
	ny := newBiz(t, "ny", "America/New_York", weekdays9to4, 30)
	if s := booking.Slots(la, now, now, nil); len(s) != 14 || s[0].Start.UTC().Hour() != 16 {
		t.Errorf("LA: %d slots, first %v", len(s), s[0].Start.UTC())
	}
	if s := booking.Slots(ny, now, now, nil); len(s) != 9 || s[0].Display() != "Mon, Jun 1 at 11:30 AM EDT" {
		t.Errorf("NY: %d slots, first %v", len(s), s[0].Display())
	}
	// calendar.timezone overrides the business's.
	ny.Calendar.Timezone = "America/Los_Angeles"
	if got := booking.Location(ny).String(); got != "America/Los_Angeles" {
		t.Errorf("location %s", got)
	}
}

func TestSlotsAcrossDST(t *testing.T) {
	for _, tz := range []string{"America/Denver", "America/Los_Angeles"} {
		t.Run(tz, func(t *testing.T) {
			loc := mustZone(t, tz)
			// Open every day, around the clock: the transition hour shows.
			b := newBiz(t, "allday", tz, `{"start": "00:00", "end": "24:00", "daysOfWeek": [0,1,2,3,4,5,6]}`, 30)
			long := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
			for _, c := range []struct {
				day   time.Time
				slots int
				hours time.Duration
			}{
				{time.Date(2026, 3, 7, 0, 0, 0, 0, loc), 48, 24 * time.Hour},
				{time.Date(2026, 3, 8, 0, 0, 0, 0, loc), 46, 23 * time.Hour},  // 02:00-03:00 does not exist
				{time.Date(2026, 11, 1, 0, 0, 0, 0, loc), 48, 25 * time.Hour}, // 01:00-02:00 twice, offered once
			} {
				s := booking.Slots(b, long, c.day, nil)
				if len(s) != c.slots {
					t.Errorf("%s: %d slots, want %d", c.day.Format("Jan 2"), len(s), c.slots)
				}
				for i, x := range s {
					if x.Start.Minute()%30 != 0 || x.Start.Day() != c.day.Day() {
						t.Errorf("%s: slot %d at %s", c.day.Format("Jan 2"), i, x.Start)
					}
					if i > 0 && !x.Start.After(s[i-1].Start) {
						t.Errorf("not increasing at %d", i)
					}
				}
				if got := s[len(s)-1].End.Sub(s[0].Start); got != c.hours {
					t.Errorf("%s: day spans %s, want %s", c.day.Format("Jan 2"), got, c.hours)
				}
			}
			// Business hours keep their wall clock across the change: 09:00
			// local is 16:00 UTC before and 15:00 UTC after (Denver).
			b9 := newBiz(t, "nine", tz, `{"start": "09:00", "end": "17:00", "daysOfWeek": [0,1,2,3,4,5,6]}`, 30)
			before := booking.Slots(b9, long, time.Date(2026, 3, 7, 0, 0, 0, 0, loc), nil)[0].Start
			after := booking.Slots(b9, long, time.Date(2026, 3, 8, 0, 0, 0, 0, loc), nil)[0].Start
			if before.Hour() != 9 || after.Hour() != 9 || after.Sub(before) != 23*time.Hour {
				t.Errorf("09:00 before %s after %s", before, after)
			}
			fall := booking.Slots(b9, long, time.Date(2026, 11, 1, 0, 0, 0, 0, loc), nil)[0].Start
			if fall.Hour() != 9 || fall.Sub(time.Date(2026, 10, 31, 9, 0, 0, 0, loc)) != 25*time.Hour {
				t.Errorf("09:00 on Nov 1: %s", fall)
			}
		})
	}
}

func TestNextAvailable(t *testing.T) {
	b := newBiz(t, "denver-co", "America/Denver", weekdays9to4, 60)
	den := mustZone(t, "America/Denver")
	now := time.Date(2026, 3, 6, 8, 0, 0, 0, den) // Friday
	full := func(day time.Time) (func(time.Time) bool, error) {
		if day.Day() == 6 { // Friday fully booked
			return func(time.Time) bool { return true }, nil
		}
		if day.Day() == 9 { // Monday: only 14:00 free
			return func(s time.Time) bool { return s.Hour() != 14 }, nil
		}
		return nil, nil
	}
	s, err := booking.NextAvailable(b, now, now, full)
	if err != nil || len(s) != 1 || s[0].Display() != "Mon, Mar 9 at 2:00 PM MDT" {
		t.Fatalf("next %v %v", s, err)
	}
	// Nothing free for 14 days: none.
	s, err = booking.NextAvailable(b, now, now, func(time.Time) (func(time.Time) bool, error) {
		return func(time.Time) bool { return true }, nil
	})
	if err != nil || s != nil {
		t.Errorf("all booked: %v %v", s, err)
	}
	// Free only on day 14 (inclusive window) but not day 15.
	var asked []string
	s, _ = booking.NextAvailable(b, now, now, func(day time.Time) (func(time.Time) bool, error) {
		asked = append(asked, day.Format("Jan 2"))
		return func(time.Time) bool { return day.Before(time.Date(2026, 3, 19, 0, 0, 0, 0, den)) }, nil
	})
	if len(s) == 0 || s[0].Start.Day() != 19 {
		t.Errorf("day 14: %v (asked %v)", s, asked)
	}
	s, _ = booking.NextAvailable(b, now, now, func(day time.Time) (func(time.Time) bool, error) {
		return func(time.Time) bool { return day.Before(time.Date(2026, 3, 20, 0, 0, 0, 0, den)) }, nil
	})
	if s != nil {
		t.Errorf("day 15 offered: %v", s)
	}
	// Closed days are not asked about.
	for _, d := range asked {
		if d == "Mar 7" || d == "Mar 8" {
			t.Errorf("asked about weekend %s", d)
		}
	}
	if _, ok := booking.Find(b, time.Date(2026, 3, 9, 14, 0, 0, 0, den)); !ok {
		t.Error("Find 14:00")
	}
	if _, ok := booking.Find(b, time.Date(2026, 3, 9, 14, 30, 0, 0, den)); ok {
		t.Error("Find 14:30 with 60-minute slots")
	}
}
