package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

// bookingNow is Monday 08:00 in Denver, the day after spring forward.
var bookingNow = time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC)

func bookCall(t *testing.T, store booking.Store, b *business.Business, s *session.Session, now time.Time, args string) (Outcome, map[string]any) {
	t.Helper()
	r := NewRegistry()
	r.Register(BookingTool(store))
	out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: now}, call(NameScheduleAppointment, args))
	return out, decode(t, out)
}

func bookCaller(b *business.Business, id string) *session.Session {
	s := newSession(b)
	s.ID = id
	s.Caller.Name, s.Caller.Email = "Jamie Rivera", "jamie@example.com"
	return s
}

func TestBookingToolEnabled(t *testing.T) {
	d := BookingTool(booking.NewMemoryStore())
	sp := biz(t, "sherpaprompt")
	if !d.Enabled(sp) {
		t.Error("sherpaprompt books appointments")
	}
	if d.Enabled(biz(t, "maple-street-vet")) {
		t.Error("maple-street-vet has appointmentBooking off")
	}
	other := *sp
	other.Calendar.Provider = business.CalendarGoogle
	if !d.Enabled(&other) {
		t.Error("a google calendar business books (through calendars.Router)")
	}
	other.Calendar.Provider = business.CalendarDisabled
	if d.Enabled(&other) {
		t.Error("disabled calendar")
	}
}

func TestBookingToolProposeConfirm(t *testing.T) {
	store := booking.NewMemoryStore()
	sp := biz(t, "sherpaprompt")
	s := newSession(sp)

	out, m := bookCall(t, store, sp, s, bookingNow, `{"date_time": "tomorrow at 2"}`)
	if m["status"] != "available" || out.Event != nil {
		t.Fatalf("propose: %s", out.Content)
	}
	slot := m["slot"].(map[string]any)
	if slot["start"] != "2026-03-10T14:00:00-06:00" || slot["display"] != "Tue, Mar 10 at 2:00 PM MDT" {
		t.Errorf("slot %v", slot)
	}
	if bk := s.State.Booking; bk.Proposed.Format(time.RFC3339) != "2026-03-10T14:00:00-06:00" || bk.Booked() {
		t.Errorf("booking %+v", bk)
	}
	if !strings.Contains(m["note"].(string), "confirm") {
		t.Errorf("note %v", m["note"])
	}

	// Confirming needs the caller's name and (for this business) email.
	out, _ = bookCall(t, store, sp, s, bookingNow, `{"date_time": "2026-03-10T14:00:00-06:00", "confirm": true}`)
	if e := errorOf(t, out); !strings.Contains(e, "missing the caller's name and email") {
		t.Errorf("confirm without details: %q", e)
	}
	s.Caller.Name = "Jamie Rivera"
	out, _ = bookCall(t, store, sp, s, bookingNow, `{"date_time": "2026-03-10T14:00:00-06:00", "confirm": true}`)
	if e := errorOf(t, out); !strings.Contains(e, "missing the caller's email") {
		t.Errorf("confirm without email: %q", e)
	}
	if m, _ := store.Taken(context.Background(), sp.ID, time.Date(2026, 3, 10, 0, 0, 0, 0, sp.Location())); len(m) != 0 {
		t.Fatalf("booked without details: %v", m)
	}

	s.Caller.Email = "jamie@example.com"
	out, m = bookCall(t, store, sp, s, bookingNow, `{"date_time": "2026-03-10T14:00:00-06:00", "confirm": true, "service": "product demo"}`)
	if m["status"] != "booked" {
		t.Fatalf("confirm: %s", out.Content)
	}
	if out.Event == nil || *out.Event != (agent.Event{Kind: agent.EventAppointmentBooked, Detail: "Tue, Mar 10 at 2:00 PM MDT"}) {
		t.Errorf("event %+v", out.Event)
	}
	if bk := s.State.Booking; bk.Start.Format(time.RFC3339) != "2026-03-10T14:00:00-06:00" || bk.Service != "product demo" || !bk.Proposed.IsZero() {
		t.Errorf("booking %+v", bk)
	}
	taken, _ := store.Taken(context.Background(), sp.ID, time.Date(2026, 3, 10, 0, 0, 0, 0, sp.Location()))
	if !taken[time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC)] || len(taken) != 1 {
		t.Errorf("store %v", taken)
	}
	// Confirming again in the same conversation does not double-book.
	out, m = bookCall(t, store, sp, s, bookingNow, `{"date_time": "2026-03-10T14:00:00-06:00", "confirm": true}`)
	if m["status"] != "booked" || out.Event != nil {
		t.Errorf("repeat confirm: %s", out.Content)
	}

	// Another caller asking for the same time is offered the nearest ones.
	other := bookCaller(sp, "s-2")
	out, m = bookCall(t, store, sp, other, bookingNow, `{"date_time": "Tuesday at 2 pm"}`)
	if m["status"] != "unavailable" || m["reason"] != "that time is already booked" {
		t.Fatalf("taken: %s", out.Content)
	}
	if got := bookStarts(m); got != "13:30,14:30,13:00" && got != "13:00,13:30,14:30" {
		t.Errorf("alternatives %s", got)
	}
	// ... and confirming it anyway books nothing and offers others.
	out, m = bookCall(t, store, sp, other, bookingNow, `{"date_time": "2026-03-10T14:00:00-06:00", "confirm": true}`)
	if m["status"] != "taken" || out.Event != nil || len(m["alternatives"].([]any)) == 0 {
		t.Errorf("confirm taken: %s", out.Content)
	}
}

func bookStarts(m map[string]any) string {
	var out []string
	alts, _ := m["alternatives"].([]any)
	for _, a := range alts {
		st, _ := time.Parse(time.RFC3339, a.(map[string]any)["start"].(string))
		out = append(out, st.Format("15:04"))
	}
	return strings.Join(out, ",")
}

func TestBookingToolAvailability(t *testing.T) {
	store := booking.NewMemoryStore()
	sp := biz(t, "sherpaprompt")
	den := sp.Location()
	for _, c := range []struct {
		now          time.Time
		in           string
		status, want string // want: slot display, or alternatives' days and times
	}{
		{bookingNow, "today at 10:30 am", "available", "Mon, Mar 9 at 10:30 AM MDT"},
		{bookingNow, "saturday at 10", "unavailable", "Mon, Mar 16 at 9:00 AM MDT"},
		{bookingNow, "tomorrow", "unavailable", "Tue, Mar 10 at 9:00 AM MDT"},
		{bookingNow, "tomorrow at 10:15", "unavailable", "Tue, Mar 10 at 10:00 AM MDT"},
		{bookingNow, "tomorrow at 6 pm", "unavailable", "Tue, Mar 10 at 3:00 PM MDT"},
		{time.Date(2026, 3, 9, 15, 10, 0, 0, den), "today at 3", "unavailable", "Mon, Mar 9 at 3:30 PM MDT"},
		{time.Date(2026, 3, 9, 15, 40, 0, 0, den), "today", "unavailable", "Tue, Mar 10 at 9:00 AM MDT"},
		{bookingNow, "16/10", "question", "Did you mean October 16?"},
		{bookingNow, "whenever", "question", "What day and time would you like?"},
	} {
		s := newSession(sp)
		out, m := bookCall(t, store, sp, s, c.now, fmt.Sprintf(`{"date_time": %q}`, c.in))
		if m["status"] != c.status {
			t.Errorf("%q: %s", c.in, out.Content)
			continue
		}
		var got string
		switch c.status {
		case "available":
			got = m["slot"].(map[string]any)["display"].(string)
		case "question":
			got = m["question"].(string)
		default:
			for _, a := range m["alternatives"].([]any) {
				got += a.(map[string]any)["display"].(string) + "; "
			}
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: got %q, want %q (%s)", c.in, got, c.want, out.Content)
		}
	}
}

// TestBookingToolRace: callers confirming one slot at once through the
// tool: exactly one is booked.
func TestBookingToolRace(t *testing.T) {
	store := booking.NewMemoryStore()
	sp := biz(t, "sherpaprompt")
	const n = 8
	results := make([]map[string]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := NewRegistry()
			r.Register(BookingTool(store))
			out := r.Execute(context.Background(), Env{Business: sp, Session: bookCaller(sp, fmt.Sprint("s-", i)), Now: bookingNow},
				call(NameScheduleAppointment, `{"date_time": "2026-03-11T10:00:00-06:00", "confirm": true}`))
			var m map[string]any
			_ = json.Unmarshal([]byte(out.Content), &m)
			results[i] = m
		}()
	}
	wg.Wait()
	booked := 0
	for _, m := range results {
		switch m["status"] {
		case "booked":
			booked++
		case "taken":
		default:
			t.Errorf("result %v", m)
		}
	}
	if booked != 1 {
		t.Errorf("%d booked, want 1", booked)
	}
}

func TestBookingToolRefusesBusinessArgument(t *testing.T) {
	sp := biz(t, "sherpaprompt")
	out, _ := bookCall(t, booking.NewMemoryStore(), sp, newSession(sp), bookingNow, `{"date_time": "tomorrow at 2 pm", "businessId": "superior-fencing"}`)
	if errorOf(t, out) == "" {
		t.Errorf("businessId accepted: %s", out.Content)
	}
}
