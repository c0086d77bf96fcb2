package booking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/speech"
)

func TestParseFor(t *testing.T) {
	den := mustZone(t, "America/Denver")
	sat := time.Date(2026, 3, 7, 10, 0, 0, 0, den)
	b := newBiz(t, "denver-co", "America/Denver", weekdays9to4, 30)
	allDay := newBiz(t, "allday", "America/Denver", `{"start": "00:00", "end": "24:00", "daysOfWeek": [0,1,2,3,4,5,6]}`, 30)
	evenings := newBiz(t, "evenings", "America/Denver", `{"start": "06:00", "end": "22:00", "daysOfWeek": [1,2,3,4,5]}`, 30)
	for _, c := range []struct {
		b    *business.Business
		in   string
		want string // "?question" for a question
	}{
		{b, "Tuesday at 2", "2026-03-10 14:00 MDT"},
		{b, "Tuesday at 10", "2026-03-10 10:00 MDT"},
		{b, "Tuesday at 9", "2026-03-10 09:00 MDT"},
		{b, "Tuesday at 3:30", "2026-03-10 15:30 MDT"},
		{b, "Tuesday at 8", "2026-03-10 08:00 MDT~"}, // neither: the guess stands (closed then)
		{b, "at 11", "2026-03-07 11:00 MST"},
		{b, "at 9", "2026-03-08 09:00 MDT"}, // 9 AM has passed today
		{evenings, "Tuesday at 7", "?Did you mean 7 AM or 7 PM?"},
		{allDay, "Tuesday at 2", "?Did you mean 2 AM or 2 PM?"},
		{allDay, "Tuesday at 12:30", "?Did you mean 12:30 AM or 12:30 PM?"},
		{allDay, "Tuesday at 2 pm", "2026-03-10 14:00 MDT"},
	} {
		w, err := speech.ParseWhen(c.in, sat, booking.Location(c.b))
		if err == nil {
			w, err = booking.Settle(c.b, w, sat)
		}
		var got string
		var q *speech.QuestionError
		switch {
		case errors.As(err, &q):
			got = "?" + q.Question
		case err != nil:
			got = "error " + err.Error()
		default:
			got = w.Time().Format("2006-01-02 15:04 MST")
			if !w.Meridiem {
				got += "~"
			}
		}
		if got != c.want {
			t.Errorf("%s %q: got %s, want %s", c.b.ID, c.in, got, c.want)
		}
	}
}
