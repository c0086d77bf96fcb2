package booking

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/speech"
)

// ParseFor reads a day and time the caller said, in b's zone, and settles it
// with b's booking hours: speech.ParseWhen, then Settle.
func ParseFor(b *business.Business, text string, now time.Time) (speech.When, error) {
	w, err := speech.ParseWhen(text, now, Location(b))
	if err != nil {
		return w, err
	}
	return Settle(b, w, now)
}

// Settle settles the unsaid AM or PM of a day and time the caller said
// (speech.ParseWhen in Location(b)) with b's booking hours: when only one
// of them falls within the hours it is taken; when both do, a
// *speech.QuestionError asks which. A time-only answer is today, or
// tomorrow when that time has passed.
func Settle(b *business.Business, w speech.When, now time.Time) (speech.When, error) {
	if !w.HasTime || w.Meridiem {
		return w, nil
	}
	loc := Location(b)
	h := Hours(b)
	h12 := w.Hour % 12
	within := func(hour int) bool {
		m := business.Clock(hour*60 + w.Minute)
		return m >= h.Start && m < h.End
	}
	am, pm := within(h12), within(h12+12)
	switch {
	case am && pm:
		label := strconv.Itoa(h12)
		if h12 == 0 {
			label = "12"
		}
		if w.Minute != 0 {
			label += fmt.Sprintf(":%02d", w.Minute)
		}
		return speech.When{}, speech.Ask(fmt.Sprintf("Did you mean %s AM or %s PM?", label, label))
	case am:
		w.Hour = h12
	case pm:
		w.Hour = h12 + 12
	}
	w.Meridiem = am || pm
	if !w.DateSaid {
		now = now.In(loc)
		w.Date = Day(now, loc)
		if w.Time().Compare(now) <= 0 {
			w.Date = w.Date.AddDate(0, 0, 1)
		}
	}
	return w, nil
}
