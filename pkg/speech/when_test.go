package speech_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/speech"
)

func TestParseWhen(t *testing.T) {
	den := mustZone(t, "America/Denver")
	la := mustZone(t, "America/Los_Angeles")
	// Saturday 10:00 MST, the day before spring forward (Sunday, March 8).
	sat := time.Date(2026, 3, 7, 10, 0, 0, 0, den)
	// Saturday 18:00 PDT, the day before fall back (Sunday, November 1).
	halloween := time.Date(2026, 10, 31, 18, 0, 0, 0, la)
	// 20:00 on the 20th, for days of the month already past.
	late := time.Date(2026, 1, 20, 20, 0, 0, 0, den)

	cases := []struct {
		now  time.Time
		in   string
		want string // "2006-01-02" or "2006-01-02 15:04 MST"; "~" suffix: AM/PM guessed
	}{
		{sat, "today", "2026-03-07"},
		{sat, "Today please", "2026-03-07"},
		{sat, "tomorrow", "2026-03-08"},
		{sat, "tomorrow at 2 pm", "2026-03-08 14:00 MDT"},
		{sat, "tomorrow at 9am", "2026-03-08 09:00 MDT"},
		{sat, "the day after tomorrow", "2026-03-09"},
		{sat, "next Tuesday", "2026-03-10"},
		{sat, "next tues at 10:30 a.m.", "2026-03-10 10:30 MDT"},
		{sat, "this Friday", "2026-03-13"},
		{sat, "Friday at noon", "2026-03-13 12:00 MDT"},
		{sat, "Saturday", "2026-03-07"},
		{sat, "this saturday", "2026-03-07"},
		{sat, "next Saturday", "2026-03-14"},
		{sat, "Sunday at 2", "2026-03-08 14:00 MDT~"},
		{sat, "Tuesday at 10", "2026-03-10 10:00 MDT~"},
		{sat, "the 16th", "2026-03-16"},
		{sat, "on the sixteenth at 3 pm", "2026-03-16 15:00 MDT"},
		{sat, "the 7th", "2026-03-07"},
		{sat, "the 5th", "2026-04-05"},
		{sat, "the twenty first", "2026-03-21"},
		{late, "the 5th", "2026-02-05"},
		{time.Date(2026, 1, 31, 9, 0, 0, 0, den), "the 30th", "2026-03-30"}, // February has none
		{sat, "October 16", "2026-10-16"},
		{sat, "Oct 16th, 2026 at 10am", "2026-10-16 10:00 MDT"},
		{sat, "October sixteenth", "2026-10-16"},
		{sat, "the 16th of October", "2026-10-16"},
		{sat, "16 October", "2026-10-16"},
		{sat, "March 8 at 9 in the morning", "2026-03-08 09:00 MDT"},
		{sat, "March 1", "2027-03-01"},
		{sat, "may 4 at 1:15pm", "2026-05-04 13:15 MDT"},
		{sat, "10/16", "2026-10-16"},
		{sat, "10/16/2026 at 3:15 PM", "2026-10-16 15:15 MDT"},
		{sat, "3/9/26 2pm", "2026-03-09 14:00 MDT"},
		{sat, "2026-03-09 14:30", "2026-03-09 14:30 MDT"},
		{sat, "2026-03-09T21:30:00Z", "2026-03-09 15:30 MDT"},
		{sat, "2 pm", "2026-03-07 14:00 MST"},
		{sat, "2pm", "2026-03-07 14:00 MST"},
		{sat, "at 2:30", "2026-03-07 14:30 MST~"},
		{sat, "14:30", "2026-03-07 14:30 MST"},
		{sat, "9 am", "2026-03-08 09:00 MDT"}, // passed today: tomorrow, after the change
		{sat, "two thirty", "2026-03-07 14:30 MST~"},
		{sat, "two thirty pm", "2026-03-07 14:30 MST"},
		{sat, "eleven forty five", "2026-03-07 11:45 MST~"},
		{sat, "three oh five in the afternoon", "2026-03-07 15:05 MST"},
		{sat, "four o'clock", "2026-03-07 16:00 MST~"},
		{sat, "noon", "2026-03-07 12:00 MST"},
		{sat, "midnight", "2026-03-08 00:00 MST"},
		{sat, "half past two", "2026-03-07 14:30 MST~"},
		{sat, "quarter to three", "2026-03-07 14:45 MST~"},
		{sat, "tonight at 8", "2026-03-07 20:00 MST"},
		{sat, "tomorrow morning at 10", "2026-03-08 10:00 MDT"},
		{sat, "monday 10am", "2026-03-09 10:00 MDT"},
		{halloween, "tomorrow at 9 am", "2026-11-01 09:00 PST"},
		{halloween, "Sunday", "2026-11-01"},
		{halloween, "next Sunday", "2026-11-01"}, // the first Sunday after today
		{halloween, "next Saturday", "2026-11-07"},
		{halloween, "today at 5 pm", "2026-10-31 17:00 PDT"},
		{halloween, "tomorrow 1:30 am", "2026-11-01 01:30 PDT"}, // the repeated hour: the first
		{halloween, "11/2 at 10", "2026-11-02 10:00 PST~"},
		{halloween, "7 pm", "2026-10-31 19:00 PDT"},
		{halloween, "5 pm", "2026-11-01 17:00 PST"},
	}
	for _, c := range cases {
		w, err := speech.ParseWhen(c.in, c.now, c.now.Location())
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var got string
		if w.HasTime {
			got = w.Time().Format("2006-01-02 15:04 MST")
			if !w.Meridiem {
				got += "~"
			}
		} else {
			got = w.Date.Format("2006-01-02")
		}
		if got != c.want {
			t.Errorf("%q at %s: got %s, want %s", c.in, c.now.Format("Jan 2 15:04 MST"), got, c.want)
		}
		if w.Date.Location() != c.now.Location() || w.Date.Hour() != 0 {
			t.Errorf("%q: date %s not midnight in the zone", c.in, w.Date)
		}
	}
}

func TestParseWhenQuestions(t *testing.T) {
	den := mustZone(t, "America/Denver")
	sat := time.Date(2026, 3, 7, 10, 0, 0, 0, den)
	for _, c := range []struct{ in, want string }{
		{"", "What day and time would you like?"},
		{"whenever works", "What day and time would you like?"},
		{"October 16, 2025", "October 16, 2025 has passed. Did you mean Friday, October 16, 2026?"},
		{"16/10", "Did you mean October 16?"},
		{"February 30", "February has no 30th. Which day did you mean?"},
		{"the 32nd", "There's no 32nd in a month"},
		{"Tuesday or Wednesday", "I heard both Tuesday and Wednesday. Which day did you mean?"},
		{"at 2 or 3 pm", "What time did you mean?"},
		{"15 am", "15 AM isn't a time"},
		{"at 25:00", "I didn't catch the time"},
		{"february 29", "February has no 29th"},
	} {
		_, err := speech.ParseWhen(c.in, sat, den)
		var q *speech.QuestionError
		if !errors.As(err, &q) {
			t.Errorf("%q: err %v, want a question", c.in, err)
			continue
		}
		if !strings.Contains(q.Question, c.want) {
			t.Errorf("%q: question %q, want %q", c.in, q.Question, c.want)
		}
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
