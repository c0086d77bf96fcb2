package email

import (
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// call builds a phone session of business biz ("": superior-fencing) from its lines, each said
// one second after the last: "agent: …", "caller: …" or "tool <kind>: …".
func call(biz string, lines ...string) *session.Session {
	if biz == "" {
		biz = "superior-fencing"
	}
	start := at("America/Los_Angeles", 2026, time.December, 2, 2, 58, 0).UTC()
	s := &session.Session{BusinessID: tenant.ID(biz), ID: "CA-test", CallSID: "CA-test", Channel: session.ChannelPhone,
		Status: session.StatusEnded, CreatedAt: start}
	s.Caller.CallerID = "+15035550199"
	for i, l := range lines {
		now := start.Add(time.Duration(i+1) * time.Second)
		who, text, _ := strings.Cut(l, ": ")
		if kind, ok := strings.CutPrefix(who, "tool "); ok {
			agent.Record(s, agent.Event{Kind: agent.Kind(kind), Detail: text}, now)
			continue
		}
		s.Append(who, text, now)
	}
	s.EndedAt = start.Add(time.Duration(len(lines)+1) * time.Second)
	return s
}

// TestRenderOutcomes renders representative calls, built as the phone
// webhooks and agents record them, and checks that the owner sees at a
// glance what happened: the emergency and its transfer's result, a hang-up
// mid-question, a booking, a voicemail; with readable event labels and no
// claim that no number was given next to a caller-ID callback.
func TestRenderOutcomes(t *testing.T) {
	greeting := "agent: Thanks for calling Superior Fence and Construction. Press pound now to reach our on-call crew. Otherwise, how can I help?"
	pressed := []string{greeting, "caller: #", "tool emergency_transfer: caller pressed # for the emergency line", "agent: Connecting you to our on-call team now. Please stay on the line."}
	tests := []struct {
		name          string
		s             func() *session.Session
		subject       []string // in the subject
		want, notWant []string // in the text body
		ics           bool
	}{
		{"emergency not answered", func() *session.Session {
			s := call("", append(pressed,
				"tool "+transcript.EventTransferNotAnswered+": "+session.ResumeEmergency,
				"agent: I'm sorry, I couldn't reach our on-call crew. Let me take your details so they can call you back as soon as possible. What's your name?",
				"caller: Dana Whitfield",
				"agent: Thanks, Dana. What happened?")...)
			s.Caller.Name, s.EndReason = "Dana Whitfield", transcript.EndCallerHungUp
			return s
		},
			[]string{"EMERGENCY: Dana Whitfield", "on-call did not answer"},
			[]string{"!!! Emergency: the on-call transfer was not answered", "nobody answered", "Call them back as soon as possible: (503) 555-0199",
				"Caller hung up — The caller hung up while being asked: “Thanks, Dana. What happened?”",
				"On-call transfer not answered", "Caller: (pressed #)", "(from caller ID)"},
			[]string{"No callback number", "Completed", "emergency_transfer", "transfer_not_answered"}, false},
		{"emergency answered", func() *session.Session {
			s := call("", pressed...)
			s.EndReason = transcript.EndEmergencyTransferred
			return s
		},
			[]string{"EMERGENCY: (503) 555-0199", "transferred to on-call"},
			[]string{"!!! Emergency: transferred to the on-call line", "Transferred to the on-call line — The call was transferred to the on-call line, which answered."},
			[]string{"Call them back"}, false},
		{"emergency without an on-call number", func() *session.Session {
			s := call("", append(pressed, "tool "+transcript.EventEmergencyUnavailable+": the on-call number is not set (its reference did not resolve)")...)
			s.EndReason = transcript.EndEmergencyUnavailable
			return s
		},
			[]string{"EMERGENCY:", "on-call not reachable"},
			[]string{"!!! Emergency: the on-call line could not be dialled", "the on-call number is not set", "On-call line not reachable —"},
			nil, false},
		{"described, not pressed", func() *session.Session {
			s := call("", greeting, "caller: A pipe burst and my basement is flooding!", "tool emergency: offered_transfer",
				"agent: If this can't wait, press the pound key now to reach our on-call team. What's your name?")
			s.Caller.Reason, s.EndReason = "A pipe burst and my basement is flooding!", "call_completed"
			return s
		},
			[]string{"EMERGENCY: (503) 555-0199 — A pipe burst"},
			[]string{"!!! Emergency: the caller described an emergency", "was told to press # for the on-call line, but did not", "Emergency: told to press # for the on-call line"},
			[]string{"offered_transfer"}, false},
		{"hang-up mid-question", func() *session.Session {
			s := call("", greeting, "caller: My gate won't latch.", "tool user_info_updated: reason=gate won't latch",
				"agent: I can help with that. May I have your name, please?")
			s.Caller.Reason, s.EndReason = "gate won't latch", transcript.EndCallerHungUp
			return s
		},
			[]string{"New lead: (503) 555-0199 — gate won't latch"},
			[]string{"Caller hung up — The caller hung up while being asked: “May I have your name, please?”"},
			[]string{"Completed", "EMERGENCY"}, false},
		{"booking", func() *session.Session {
			s := call("sherpaprompt", "agent: Hi, this is Scout. How can I help?", "caller: I'd like a demo next Tuesday at 10am.",
				"tool knowledge_answer: pricing#starter_plan", "tool appointment_booked: Tuesday, December 8 at 10:00 AM",
				"agent: You're booked for Tuesday, December 8 at 10:00 AM. Anything else?", "caller: No, thanks.",
				"tool end_conversation: confirmed", "agent: Goodbye!")
			s.Caller = session.Caller{Name: "Priya Natarajan", Email: "priya@example.com", Reason: "demo", CallerID: "+15035550199"}
			s.EndReason = transcript.EndCompleted
			s.State.Booking = session.Booking{Start: at("America/Denver", 2026, time.December, 8, 10, 0, 0), Service: "demo"}
			return s
		},
			[]string{"New lead: Priya Natarajan — demo · booked Tue Dec 8, 10:00 AM"},
			[]string{"Appointment:     Tue, Dec 8, 2026 at 10:00 AM MST — demo (calendar file attached)", "Appointment booked for Tue, Dec 8, 2026 at 10:00 AM MST",
				"Answered from your information: pricing: starter plan", "Conversation closed: the caller confirmed the details", "Completed — "},
			[]string{"pricing#starter_plan", "knowledge_answer"}, true},
		{"voicemail", func() *session.Session {
			s := call("maple-street-vet", "agent: Thank you for calling Maple Street Veterinary Clinic. What's your name?", "caller: Sam Lee",
				"tool call_transfer: pharmacy (Jordan): refills", "tool "+transcript.EventTransferNotAnswered+": pharmacy",
				"agent: It looks like Jordan isn't available right now. I can take a message.", "caller: Please refill Biscuit's meds.",
				"tool voicemail: message for Jordan; 1 text(s) sent", "agent: I'll pass that on. Goodbye!")
			// The engine ends it "completed" before the Connect action's "voicemail".
			s.Caller.Name, s.Caller.Reason, s.EndReason = "Sam Lee", "refill for Biscuit", transcript.EndCompleted
			s.State.Voicemail = &session.Voicemail{For: "pharmacy", Notified: 1}
			return s
		},
			[]string{"Voicemail: Sam Lee — refill for Biscuit · for Jordan"},
			[]string{"Voicemail for Jordan — A message was taken for Jordan and texted to them.", "Transfer: to Jordan (refills)", "Transfer not answered: Jordan did not answer", "Message taken: message for Jordan"},
			[]string{"EMERGENCY", "call_transfer"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s()
			tr := transcript.FromSession(s, s.EndedAt)
			b := biz(t, string(s.BusinessID))
			m := mustRender(t, b, tr, "")
			checkSafe(t, m)
			for _, w := range tc.subject {
				if !strings.Contains(m.Subject, w) {
					t.Errorf("subject %q lacks %q", m.Subject, w)
				}
			}
			if len([]rune(m.Subject)) > MaxSubject {
				t.Errorf("subject over %d characters: %q", MaxSubject, m.Subject)
			}
			for _, w := range tc.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, m.Text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(m.Text, w) || strings.Contains(m.HTML, w) {
					t.Errorf("body has %q:\n%s", w, m.Text)
				}
			}
			if tr.Emergency != nil && !strings.Contains(m.HTML, "#dc2626") {
				t.Error("HTML has no emergency banner")
			}
			if got := len(m.Attachments) == 1 && m.Attachments[0].Filename == "appointment.ics"; got != tc.ics {
				t.Errorf("attachments %v, want the .ics: %v", m.Attachments, tc.ics)
			}
			golden(t, "outcome-"+strings.NewReplacer(" ", "-", ",", "").Replace(tc.name), dump(m))
		})
	}
}
