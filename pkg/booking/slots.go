// Package booking is appointment booking on a business's built-in calendar:
// the slots a business offers (from calendar.businessHours, in its time
// zone, DST-correct), settling the dates and times callers say (parsed by
// pkg/speech) with the booking hours (Settle), and the Store that books a
// slot with a conditional write so two callers can never book the same one.
//
// Every time of day is built with time.Date in the business's location and
// never by adding fixed offsets, so slots on DST transition days are the
// wall-clock slots the business advertises: a 09:00 slot is 09:00 local on
// both sides of a change, a local time that does not exist (the spring-
// forward gap) is never offered, and a repeated local time (the fall-back
// hour) is offered once.
//
// Only the builtin provider is implemented here; Google Calendar and
// Microsoft Graph providers are not (Supported reports false for them).
package booking

import (
	"slices"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/business"
)

// DefaultSlotMinutes is the slot length when calendar.slotMinutes is unset.
const DefaultSlotMinutes = business.DefaultSlotMinutes

// SearchDays is how far ahead NextAvailable looks, today included.
const SearchDays = 14

// DefaultHours are the booking hours of a business whose calendar has no
// businessHours: 09:00 to 17:00, Monday to Friday.
var DefaultHours = business.BookingHours{
	Start: 9 * 60, End: 17 * 60,
	Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
}

// Slot is one bookable period, [Start, End). Start and End are in the
// business's location.
type Slot struct {
	Start time.Time
	End   time.Time
}

// Display renders the slot's start the way the agent reads it back:
// "Tue, Dec 1 at 10:00 AM MST".
func (s Slot) Display() string { return Display(s.Start) }

// Display renders t as "Tue, Dec 1 at 10:00 AM MST" in t's location.
func Display(t time.Time) string { return t.Format("Mon, Jan 2 at 3:04 PM MST") }

// Supported reports whether bookings for b can be made: the builtin calendar
// (the default) here, Google and Microsoft calendars through
// calendars.Router; a disabled calendar takes no bookings.
func Supported(b *business.Business) bool {
	switch b.Calendar.Provider {
	case business.CalendarBuiltin, "", business.CalendarGoogle, business.CalendarMicrosoft:
		return true
	}
	return false
}

var zones sync.Map // name → *time.Location

// Location is the zone b's appointments are in: calendar.timezone when set,
// else the business's own.
func Location(b *business.Business) *time.Location {
	if tz := b.Calendar.Timezone; tz != "" {
		if l, ok := zones.Load(tz); ok {
			return l.(*time.Location)
		}
		if l, err := time.LoadLocation(tz); err == nil {
			zones.Store(tz, l)
			return l
		}
	}
	return b.Location()
}

// Hours returns b's booking hours (DefaultHours when it has none).
func Hours(b *business.Business) business.BookingHours {
	if h := b.Calendar.BusinessHours; h != nil && h.End > h.Start {
		return *h
	}
	return DefaultHours
}

// SlotLength returns b's slot length.
func SlotLength(b *business.Business) time.Duration {
	m := b.Calendar.SlotMinutes
	if m <= 0 {
		m = DefaultSlotMinutes
	}
	return time.Duration(m) * time.Minute
}

// Day returns midnight of t's calendar day in loc.
func Day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// DaySlots returns every slot of b's booking hours on day's calendar date
// (in b's location), free or not, past or not; none on a closed day.
func DaySlots(b *business.Business, day time.Time) []Slot {
	loc := Location(b)
	d := day.In(loc)
	h := Hours(b)
	if !slices.Contains(h.Days, d.Weekday()) {
		return nil
	}
	step := int(SlotLength(b) / time.Minute)
	var out []Slot
	for m := int(h.Start); m+step <= int(h.End); m += step {
		start := time.Date(d.Year(), d.Month(), d.Day(), 0, m, 0, 0, loc)
		// A local time in the spring-forward gap does not exist: time.Date
		// moves it, which the wall clock shows.
		if start.Day() != d.Day() || start.Hour()*60+start.Minute() != m {
			continue
		}
		if n := len(out); n > 0 && !start.After(out[n-1].Start) {
			continue
		}
		end := time.Date(d.Year(), d.Month(), d.Day(), 0, m+step, 0, 0, loc)
		if e := (m + step) % (24 * 60); end.Hour()*60+end.Minute() != e || !end.After(start) {
			// The end's wall clock is in the spring-forward gap.
			end = start.Add(SlotLength(b))
		}
		out = append(out, Slot{Start: start, End: end})
	}
	return out
}

// Slots returns the free slots of b on day's date that start after now, in
// order. taken reports whether a slot starting at start is booked; nil means
// none is.
func Slots(b *business.Business, now, day time.Time, taken func(start time.Time) bool) []Slot {
	var out []Slot
	for _, s := range DaySlots(b, day) {
		if !s.Start.After(now) {
			continue
		}
		if taken != nil && taken(s.Start) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// TakenOn returns, for one day (midnight in b's location), a function
// reporting whether a slot start is booked. Store.Taken adapts to it with
// TakenFrom.
type TakenOn func(day time.Time) (func(start time.Time) bool, error)

// TakenFrom adapts a map of booked slot starts (any location) to a taken
// function.
func TakenFrom(m map[time.Time]bool) func(time.Time) bool {
	return func(t time.Time) bool { return m[t.UTC()] }
}

// NextAvailable returns the free slots of the first day, from from's date on,
// that has one, looking SearchDays days ahead (from's date included). It
// returns nil when no day within the window has a free slot. takenOn nil
// means nothing is booked.
func NextAvailable(b *business.Business, now, from time.Time, takenOn TakenOn) ([]Slot, error) {
	loc := Location(b)
	d := Day(from, loc)
	for i := 0; i < SearchDays; i++ {
		day := time.Date(d.Year(), d.Month(), d.Day()+i, 0, 0, 0, 0, loc)
		if len(DaySlots(b, day)) == 0 {
			continue
		}
		var taken func(time.Time) bool
		if takenOn != nil {
			var err error
			if taken, err = takenOn(day); err != nil {
				return nil, err
			}
		}
		if s := Slots(b, now, day, taken); len(s) > 0 {
			return s, nil
		}
	}
	return nil, nil
}

// Find returns the slot of b starting exactly at t, if t is one.
func Find(b *business.Business, t time.Time) (Slot, bool) {
	for _, s := range DaySlots(b, Day(t, Location(b))) {
		if s.Start.Equal(t) {
			return s, true
		}
	}
	return Slot{}, false
}
