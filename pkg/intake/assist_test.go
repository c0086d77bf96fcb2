package intake

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/session"
)

// denverTuesday is 9:00 AM on Tuesday, December 2, 2025 in Denver (MST).
var denverTuesday = time.Date(2025, 12, 2, 16, 0, 0, 0, time.UTC)

func sherpaWith(t *testing.T, store booking.Store) *Agent {
	t.Helper()
	kb, err := knowledge.OpenDir("../../configs/businesses/sherpaprompt/knowledge", "sherpaprompt", nil)
	if err != nil {
		t.Fatalf("knowledge: %v", err)
	}
	if store == nil {
		store = booking.NewMemoryStore()
	}
	return NewWith(businessFor(t, "sherpaprompt"), Options{Knowledge: kb, Bookings: store})
}

func TestSherpaPromptKnowledgeAndBooking(t *testing.T) {
	const email = "sam.lee@example.com"
	sam := func(reason string) session.Caller {
		return session.Caller{Name: "Sam Lee", Email: email, Reason: reason}
	}
	const bookReason = "Book a demo tomorrow at 10am"
	dialogues := []dialogue{
		{name: "price from the knowledge base, then no booking", lines: []line{
			{"how much is the team plan?", "Here's what I found: The Team plan costs $249 per month",
				session.Caller{Reason: "How much is the team plan?"}, false},
			{"Sam Lee", "Thanks, Sam. What's the best email address to reach you?",
				session.Caller{Name: "Sam Lee", Reason: "How much is the team plan?"}, false},
			{email, "I have your email as sam.lee@example.com. Would you like me to book a demo for you? If so, what day and time work best?",
				sam("How much is the team plan?"), false},
			{"no thanks", "No problem. Let me make sure I have everything: your name is Sam Lee, your email is sam.lee@example.com, and I've noted your question: how much is the team plan. Is that right?",
				sam("How much is the team plan?"), false},
			{"yes", "Thank you, Sam!", sam("How much is the team plan?"), true},
		}, state: func(st session.State) bool {
			return st.Intake.Step == StepDone && st.Intake.Outcome == OutcomeConfirmed && st.Booking.Want == session.WantNo && !st.Booking.Booked()
		}},

		{name: "knowledge answer repeats the pending question", lines: []line{
			{"This is Sam Lee", "Thanks, Sam. What's the best email address to reach you?", session.Caller{Name: "Sam Lee"}, false},
			{"do you offer a free trial?", "Here's what I found: Every plan starts with a 14-day free trial with no credit card required.",
				session.Caller{Name: "Sam Lee", Reason: "Do you offer a free trial?"}, false},
		}},

		{name: "unknown question is still noted", lines: []line{
			{"what's the weather on mars?", "I can't answer that, but I'll note it for the team. May I have your name, please?",
				session.Caller{Reason: "What's the weather on mars?"}, false},
		}},

		{name: "book a demo tomorrow at 10am, all at once", lines: []line{
			{"Hi, I'm Sam Lee, sam.lee@example.com. I'd like to book a demo tomorrow at 10am",
				"Thanks, Sam. I can help you book a demo. I have your email as sam.lee@example.com. I have Wed, Dec 3 at 10:00 AM MST available. Shall I book your demo for Wed, Dec 3 at 10:00 AM MST?",
				sam(bookReason), false},
			{"yes", "You're all set: your demo is booked for Wed, Dec 3 at 10:00 AM MST. Let me make sure I have everything: your name is Sam Lee, your email is sam.lee@example.com",
				sam(bookReason), false},
			{"yes", "Thank you, Sam!", sam(bookReason), true},
		}, state: func(st session.State) bool {
			return st.Booking.Start.Format(time.RFC3339) == "2025-12-03T10:00:00-07:00" && st.Booking.Service == "demo" && st.Intake.Step == StepDone && st.Intake.Outcome == OutcomeConfirmed && st.Booking.Proposed.IsZero() && st.Booking.Stage == ""
		}},

		{name: "asked first, details next, then proposal", lines: []line{
			{"I'd like to book a demo tomorrow at 10am", "I can help you book a demo. May I have your name, please?",
				session.Caller{Reason: bookReason}, false},
			{"Sam Lee", "Thanks, Sam. What's the best email address to reach you?", session.Caller{Name: "Sam Lee", Reason: bookReason}, false},
			{email, "I have Wed, Dec 3 at 10:00 AM MST available. Shall I book your demo for Wed, Dec 3 at 10:00 AM MST?", sam(bookReason), false},
			{"what happens in a demo?", "Here's what I found: A product specialist shows a real call being answered",
				sam(bookReason), false},
			{"yes please", "You're all set: your demo is booked for Wed, Dec 3 at 10:00 AM MST.", sam(bookReason), false},
		}, state: func(st session.State) bool {
			return st.Booking.Start.Format(time.RFC3339) == "2025-12-03T10:00:00-07:00" && st.Intake.Step == StepConfirm
		}},

		{name: "offered, no to the first time, another one", lines: []line{
			{"Sam Lee here", "Thanks, Sam.", session.Caller{Name: "Sam Lee"}, false},
			{email, "Would you like me to book a demo for you?", sam(""), false},
			{"sure", "Great. What day and time work best for you?", sam(""), false},
			{"friday at 2", "I have Fri, Dec 5 at 2:00 PM MST available. Shall I book your demo for Fri, Dec 5 at 2:00 PM MST?", sam(""), false},
			{"no", "No problem. What day and time would work better?", sam(""), false},
			{"monday or tuesday", "I heard both", sam(""), false},
			{"monday at 3", "Shall I book your demo for Mon, Dec 8 at 3:00 PM MST?", sam(""), false},
			{"yes", "You're all set: your demo is booked for Mon, Dec 8 at 3:00 PM MST.", sam(""), false},
		}, state: func(st session.State) bool {
			return st.Booking.Start.Format(time.RFC3339) == "2025-12-08T15:00:00-07:00" && st.Booking.Service == "demo"
		}},

		{name: "closed day and past time lead to the next open slot", lines: []line{
			{"I'm Sam Lee, sam.lee@example.com, can I schedule a demo on Saturday at 10?",
				"We don't book demos on Saturdays. The earliest open time is Mon, Dec 8 at 9:00 AM MST.", sam("Can I schedule a demo on Saturday at 10?"), false},
			{"what about today at 8:30am", "That time has already passed. The closest open time is Tue, Dec 2 at 9:30 AM MST.", sam("Can I schedule a demo on Saturday at 10?"), false},
		}},
	}
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) {
			d.channel = session.ChannelWeb
			d.now = denverTuesday
			runDialogue(t, sherpaWith(t, nil), d)
		})
	}
}

func TestBookingTakenSlots(t *testing.T) {
	ctx := context.Background()
	store := booking.NewMemoryStore()
	a := sherpaWith(t, store)
	b := a.b
	ten := time.Date(2025, 12, 3, 10, 0, 0, 0, booking.Location(b))
	slot, _ := booking.Find(b, ten)
	if err := store.Book(ctx, b.ID, slot, booking.Booking{SessionID: "other"}); err != nil {
		t.Fatal(err)
	}
	s := &session.Session{BusinessID: b.ID, ID: "s1", Channel: session.ChannelWeb}
	a.Greet(s)
	r := a.Respond(s, "I'm Sam Lee, sam.lee@example.com, book a demo tomorrow at 10am", denverTuesday)
	if want := "Sorry, Wed, Dec 3 at 10:00 AM MST is already booked. The closest open time is Wed, Dec 3 at 9:30 AM MST."; !strings.Contains(r.Text, want) {
		t.Fatalf("reply %q; want %q", r.Text, want)
	}
	// Someone else takes 9:30 before the caller says yes.
	nine30, _ := booking.Find(b, ten.Add(-30*time.Minute))
	if err := store.Book(ctx, b.ID, nine30, booking.Booking{SessionID: "other2"}); err != nil {
		t.Fatal(err)
	}
	r = a.Respond(s, "yes", denverTuesday)
	if want := "Sorry, that time was just booked by someone else. The closest open time is Wed, Dec 3 at 9:00 AM MST. Shall I book"; !strings.Contains(r.Text, want) {
		t.Fatalf("reply %q; want %q", r.Text, want)
	}
	if s.State.Booking.Booked() || len(r.Events) != 0 {
		t.Fatalf("booked a taken slot: state %+v events %v", s.State, r.Events)
	}
	r = a.Respond(s, "yes", denverTuesday)
	if len(r.Events) != 1 || r.Events[0] != (agent.Event{Kind: agent.EventAppointmentBooked, Detail: "Wed, Dec 3 at 9:00 AM MST"}) {
		t.Fatalf("events %v; reply %q", r.Events, r.Text)
	}
}

func TestFeaturesOffByConfig(t *testing.T) {
	kb, err := knowledge.OpenDir("../../configs/businesses/sherpaprompt/knowledge", "sherpaprompt", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Superior Fencing has neither ragEnabled nor appointmentBooking: the
	// options change nothing.
	a := NewWith(businessFor(t, "superior-fencing"), Options{Knowledge: kb, Bookings: booking.NewMemoryStore()})
	if a.kb != nil || a.canBook() {
		t.Fatalf("features on for superior-fencing: kb %v store %v", a.kb, a.store)
	}
	const reason = "My fence blew down in the storm last night"
	runDialogue(t, a, dialogue{name: "unchanged", lines: []line{
		{"Hi, my fence blew down in the storm last night.", "Got it, I'll pass that along to the team. May I have your name, please?",
			session.Caller{Reason: reason}, false},
		{"Jamie Rivera. How much is the team plan?", "I can't answer that, but I'll note it for the team. Thanks, Jamie. What's the best phone number",
			session.Caller{Name: "Jamie Rivera", Reason: reason}, false},
		{"five oh three, five five five, zero one four two", "Let me make sure I have everything",
			session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: reason}, false},
	}})
}
