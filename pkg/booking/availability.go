package booking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/speech"
	"github.com/ahca/ahca/pkg/tenant"
)

// Unavailable says why the slot a caller asked for cannot be booked.
type Unavailable int

// Why a requested slot cannot be booked.
const (
	Free          Unavailable = iota // it can: the slot is free
	ClosedThatDay                    // no appointments on that weekday
	NoTimeGiven                      // only a day was given
	Passed                           // the time has passed
	NotASlot                         // the time is not the start of a slot
	Taken                            // the slot is already booked
)

// Reason is why not in words a model can pass on to the caller ("" for
// Free); b gives the slot length and hours for NotASlot.
func (u Unavailable) Reason(b *business.Business, day time.Time) string {
	switch u {
	case ClosedThatDay:
		return fmt.Sprintf("no appointments on %ss", day.Weekday())
	case NoTimeGiven:
		return "no time was given"
	case Passed:
		return "that time has passed"
	case NotASlot:
		h := Hours(b)
		open := time.Date(day.Year(), day.Month(), day.Day(), 0, int(h.Start), 0, 0, day.Location())
		closes := time.Date(day.Year(), day.Month(), day.Day(), 0, int(h.End), 0, 0, day.Location())
		return fmt.Sprintf("appointments start every %d minutes from %s to %s", int(SlotLength(b)/time.Minute),
			open.Format("3:04 PM"), closes.Add(-SlotLength(b)).Format("3:04 PM"))
	case Taken:
		return "that time is already booked"
	}
	return ""
}

// Requested returns the slot a caller asked for (w, settled with Settle)
// and whether it can be booked: the one availability check of the scripted
// agent and the booking tool.
func Requested(b *business.Business, now time.Time, w speech.When, takenOn TakenOn) (Slot, Unavailable, error) {
	day := w.Date
	if len(DaySlots(b, day)) == 0 {
		return Slot{}, ClosedThatDay, nil
	}
	if !w.HasTime {
		return Slot{}, NoTimeGiven, nil
	}
	t := w.Time()
	if !t.After(now) {
		return Slot{}, Passed, nil
	}
	slot, ok := Find(b, t)
	if !ok {
		return Slot{}, NotASlot, nil
	}
	taken, err := takenOn(day)
	if err != nil {
		return Slot{}, 0, err
	}
	if taken(slot.Start) {
		return slot, Taken, nil
	}
	return slot, Free, nil
}

// Nearest returns up to n free slots for what the caller asked (w): on the
// asked day the ones nearest the asked time (the first ones when no time
// was given), else the first of the next day with a free slot within
// SearchDays; in time order.
func Nearest(b *business.Business, now time.Time, w speech.When, takenOn TakenOn, n int) ([]Slot, error) {
	var free []Slot
	if len(DaySlots(b, w.Date)) > 0 {
		taken, err := takenOn(w.Date)
		if err != nil {
			return nil, err
		}
		free = Slots(b, now, w.Date, taken)
	}
	if len(free) == 0 {
		var err error
		if free, err = NextAvailable(b, now, w.Date, takenOn); err != nil {
			return nil, err
		}
	}
	if w.HasTime && len(free) > 0 && free[0].Start.Year() == w.Date.Year() && free[0].Start.YearDay() == w.Date.YearDay() {
		t := w.Time()
		dist := func(s Slot) time.Duration { return max(s.Start.Sub(t), t.Sub(s.Start)) }
		slices.SortStableFunc(free, func(x, y Slot) int { return int((dist(x) - dist(y)) / time.Minute) })
		free = free[:min(len(free), n)]
		slices.SortFunc(free, func(x, y Slot) int { return x.Start.Compare(y.Start) })
		return free, nil
	}
	return free[:min(len(free), n)], nil
}

// StoreTakenOn is the TakenOn of a business's booking store.
func StoreTakenOn(ctx context.Context, store Store, biz tenant.ID) TakenOn {
	return func(day time.Time) (func(time.Time) bool, error) {
		m, err := store.Taken(ctx, biz, day)
		if err != nil {
			return nil, err
		}
		return TakenFrom(m), nil
	}
}
