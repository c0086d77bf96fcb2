package intake

import (
	"testing"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

// afterUnanswered is a phone leg after the transfer to key was not
// answered: the leg's greeting offered a message and asked for the name.
func afterUnanswered(key string) func(*session.Session) {
	return func(s *session.Session) {
		s.State.Call.ResumeStaff = key
		s.State.Intake.Asked(fieldName)
	}
}

// afterHours is a call in after-hours voicemail mode, whose greeting
// asked for the name.
func afterHours(s *session.Session) {
	s.State.Call.Mode = session.CallVoicemail
	s.State.Intake.Asked(fieldName)
}

func TestStaffRouting(t *testing.T) {
	a := New(businessFor(t, "maple-street-vet"))
	const msg = "For Priya: My invoice is wrong"
	sam := session.Caller{Name: "Sam Lee", Phone: "+15035550142", Reason: msg}
	dialogues := []dialogue{
		{name: "by what it is about", lines: []line{
			{"Can I talk to someone in billing?", "I'll connect you with Priya now. Please hold for a moment.", session.Caller{}, true},
		}, handoff: agent.HandoffTransfer, state: func(st session.State) bool { return st.Call.TransferStaff == "billing" }},

		{name: "by a handles entry inside a sentence", lines: []line{
			{"I need to speak with someone about a prescription refill for Max", "I'll connect you with Jordan now.", session.Caller{}, true},
		}, handoff: agent.HandoffTransfer, state: func(st session.State) bool { return st.Call.TransferStaff == "pharmacy" }},

		{name: "anyone: the default", lines: []line{
			{"I'd like to talk to a real person", "I'll connect you with Front Desk now.", session.Caller{}, true},
		}, handoff: agent.HandoffTransfer, state: func(st session.State) bool { return st.Call.TransferStaff == "frontdesk" }},

		{name: "someone else wanting to talk is no request for a person", lines: []line{
			{"My neighbor wants to talk to you about her cat's prescription", "May I have your name, please?",
				session.Caller{Reason: "My neighbor wants to talk to you about her cat's prescription"}, false},
		}},

		{name: "is there someone I can speak with", lines: []line{
			{"Is there someone I can speak with about insurance?", "I'll connect you with Priya now.", session.Caller{}, true},
		}, handoff: agent.HandoffTransfer, state: func(st session.State) bool { return st.Call.TransferStaff == "billing" }},

		{name: "at the read-back", lines: []line{
			{"My cat needs a refill", "May I have your name, please?", session.Caller{Reason: "My cat needs a refill"}, false},
			{"Sam Lee", "What's the best phone number", session.Caller{Name: "Sam Lee", Reason: "My cat needs a refill"}, false},
			{"503 555 0142", "Is that right?", session.Caller{Name: "Sam Lee", Phone: "+15035550142", Reason: "My cat needs a refill"}, false},
			{"actually can I just talk to the pharmacy?", "I'll connect you with Jordan now.", session.Caller{Name: "Sam Lee", Phone: "+15035550142", Reason: "My cat needs a refill"}, true},
		}, handoff: agent.HandoffTransfer, state: func(st session.State) bool { return st.Call.TransferStaff == "pharmacy" }},

		{name: "in the chat: a message for them", channel: session.ChannelWeb, lines: []line{
			{"talk to someone in billing", "I can't transfer a chat, but I'll make sure Priya gets your message. What message would you like me to pass on?", session.Caller{}, false},
			{"my invoice is wrong", "Got it. May I have your name, please?", session.Caller{Reason: msg}, false},
			{"Sam Lee", "Thanks, Sam.", session.Caller{Name: "Sam Lee", Reason: msg}, false},
			{"503 555 0142", "your message for Priya is: my invoice is wrong. Is that right?", sam, false},
			{"yes", "Thank you, Sam!", sam, true},
		}, state: func(st session.State) bool { return st.Call.TransferStaff == "" && st.Voicemail == nil }},

		{name: "not answered: a message, saved as the voicemail", setup: afterUnanswered("billing"), lines: []line{
			{"Sam Lee", "Thanks, Sam. What message would you like me to pass on?", session.Caller{Name: "Sam Lee"}, false},
			{"my invoice is wrong", "Got it. What's the best phone number", session.Caller{Name: "Sam Lee", Reason: msg}, false},
			{"503 555 0142", "your message for Priya is: my invoice is wrong. Is that right?", sam, false},
			{"yes", "Thank you, Sam! I've passed your message along", sam, true},
		}, handoff: agent.HandoffVoicemail, state: func(st session.State) bool {
			vm := st.Voicemail
			return vm != nil && vm.For == "billing" && vm.Name == "Sam Lee" && vm.Phone == "+15035550142" && vm.Reason == msg && st.Intake.Outcome == OutcomeConfirmed
		}},

		{name: "after hours: a message for the one it names, saved as the voicemail", setup: afterHours, now: sunday, lines: []line{
			{"Chris Park", "Thanks, Chris.", session.Caller{Name: "Chris Park"}, false},
			{"can I talk to the pharmacy?", "Nobody can take a call right now, but I'll make sure Jordan gets your message. What message would you like me to pass on?",
				session.Caller{Name: "Chris Park"}, false},
			{"Bella needs her refill", "What's the best phone number", session.Caller{Name: "Chris Park", Reason: "For Jordan: Bella needs her refill"}, false},
			{"541 555 0123", "Is that right?", session.Caller{Name: "Chris Park", Phone: "+15415550123", Reason: "For Jordan: Bella needs her refill"}, false},
			{"yes", "will follow up with you during business hours", session.Caller{Name: "Chris Park", Phone: "+15415550123", Reason: "For Jordan: Bella needs her refill"}, true},
		}, handoff: agent.HandoffVoicemail, state: func(st session.State) bool {
			return st.Voicemail != nil && st.Voicemail.For == "pharmacy" && st.Voicemail.Phone == "+15415550123" && st.Call.TransferStaff == ""
		}},

		{name: "not answered: no second transfer to them", setup: afterUnanswered("billing"), lines: []line{
			{"can I talk to billing again?", "Priya isn't available right now, but I'll make sure they get your message. What message would you like me to pass on?", session.Caller{}, false},
		}, state: func(st session.State) bool { return st.Call.TransferStaff == "" }},
	}
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) { runDialogue(t, a, d) })
	}

	// Without callForwarding the agent never hands a call on.
	plain := New(businessFor(t, "superior-fencing"))
	runDialogue(t, plain, dialogue{lines: []line{
		{"Can I talk to someone in billing?", "I can't transfer you from here", session.Caller{}, false},
	}})
}

// withEmergencyNumber is superior-fencing with its on-call number written
// out (published) instead of a reference.
func withEmergencyNumber(t *testing.T) *business.Business {
	b := *businessFor(t, "superior-fencing")
	e := *b.Company.Emergency
	e.Phone = "+15035550199"
	b.Company.Emergency = &e
	return &b
}

func TestUrgentOnBothChannels(t *testing.T) {
	fence := New(businessFor(t, "superior-fencing"))
	const burst = "A pipe burst and my basement is flooding!"
	urgent := func(st session.State) bool { return st.Intake.Emergency }
	tests := []struct {
		a *Agent
		d dialogue
	}{
		{fence, dialogue{name: "phone: press #", lines: []line{
			{burst, "If this can't wait, press the pound key now to reach our on-call team. Got it, I'll pass that along to the team. May I have your name, please?",
				session.Caller{Reason: burst}, false},
		}, state: urgent}},
		{fence, dialogue{name: "web: the same words offer a call back", channel: session.ChannelWeb, lines: []line{
			{burst, "I'll mark this as urgent. If you leave a phone number, the team will call you back as soon as they can.",
				session.Caller{Reason: burst}, false},
		}, state: urgent}},
		{fence, dialogue{name: "web: # typed", channel: session.ChannelWeb, lines: []line{
			{"#", "I'll mark this as urgent. If you leave a phone number, the team will call you back as soon as they can. Please tell me briefly what's happening.",
				session.Caller{}, false},
			{"my gate is down", "Got it, I'll pass that along to the team. What's the best phone number for the team to reach you?",
				session.Caller{Reason: "My gate is down"}, false},
			{"503 555 0142", "I have your number as (503) 555-0142. May I have your name, please?",
				session.Caller{Phone: "+15035550142", Reason: "My gate is down"}, false},
		}, state: urgent}},
		{New(withEmergencyNumber(t)), dialogue{name: "web: a published on-call number is shown", channel: session.ChannelWeb, lines: []line{
			{"#", "If this can't wait, please call our on-call line at (503) 555-0199. Please tell me briefly what's happening.", session.Caller{}, false},
			{"my gate is down", "Got it, I'll pass that along to the team. May I have your name, please?", session.Caller{Reason: "My gate is down"}, false},
		}}},
		{New(businessFor(t, "maple-street-vet")), dialogue{name: "phone without emergency handling", lines: []line{
			{burst, "I'll mark this as urgent for the team.", session.Caller{Reason: burst}, false},
		}}},
		{fence, dialogue{name: "on-call line not answered: the name is the name, no second #", setup: afterUnanswered(session.ResumeEmergency), lines: []line{
			{"Jamie Smith", "Thanks, Jamie. How can we help you today?", session.Caller{Name: "Jamie Smith"}, false},
			{"it's urgent, the gate is down", "Got it, I'll pass that along to the team. What's the best phone number", session.Caller{Name: "Jamie Smith", Reason: "It's urgent, the gate is down"}, false},
			{"503 555 0142", "Is that right?", session.Caller{Name: "Jamie Smith", Phone: "+15035550142", Reason: "It's urgent, the gate is down"}, false},
			{"yes", "the team at Superior Fence & Construction will follow up with you as soon as possible.",
				session.Caller{Name: "Jamie Smith", Phone: "+15035550142", Reason: "It's urgent, the gate is down"}, true},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.d.name, func(t *testing.T) { runDialogue(t, tt.a, tt.d) })
	}
}

func TestBookingWishWhileAskedForAName(t *testing.T) {
	const first = "I have a question about your plans"
	const both = first + ". I'd like to book a demo next Tuesday at 10am"
	runDialogue(t, sherpaWith(t, nil), dialogue{lines: []line{
		{first, "May I have your name, please?", session.Caller{Reason: first}, false},
		{"I'd like to book a demo next Tuesday at 10am", "I can help you book a demo. May I have your name, please?", session.Caller{Reason: both}, false},
		{"Sam Lee", "Thanks, Sam. What's the best email address", session.Caller{Name: "Sam Lee", Reason: both}, false},
		{"sam@example.com", "I have Tue, Dec 9 at 10:00 AM MST available. Shall I book your demo for Tue, Dec 9 at 10:00 AM MST?",
			session.Caller{Name: "Sam Lee", Email: "sam@example.com", Reason: both}, false},
	}, now: denverTuesday})

	// The day and time given while asked for the email are kept for the booking.
	const demo = "Book a demo"
	runDialogue(t, sherpaWith(t, nil), dialogue{lines: []line{
		{"I'd like to book a demo", "I can help you book a demo. May I have your name, please?", session.Caller{Reason: demo}, false},
		{"Sam Lee", "What's the best email address", session.Caller{Name: "Sam Lee", Reason: demo}, false},
		{"next Tuesday at 10am works for me", "Noted, I'll check that time for your demo. What's the best email address", session.Caller{Name: "Sam Lee", Reason: demo}, false},
		{"sam@example.com", "I have Tue, Dec 9 at 10:00 AM MST available.", session.Caller{Name: "Sam Lee", Email: "sam@example.com", Reason: demo}, false},
	}, now: denverTuesday})

	// Without a calendar the wish goes to the team.
	const fence = "My fence is down"
	const fenceBoth = fence + ". I'd like to book a visit next Tuesday at 10am"
	runDialogue(t, New(businessFor(t, "superior-fencing")), dialogue{lines: []line{
		{fence, "May I have your name, please?", session.Caller{Reason: fence}, false},
		{"I'd like to book a visit next Tuesday at 10am", "Got it, I'll let the team know. May I have your name, please?", session.Caller{Reason: fenceBoth}, false},
	}})
}

// A chat is thanked for reaching out, not for calling.
func TestWebWording(t *testing.T) {
	runDialogue(t, New(businessFor(t, "maple-street-vet")), dialogue{channel: session.ChannelWeb, lines: []line{
		{"hello", "How can I help you today?", session.Caller{}, false},
		{"nothing, bye", "No problem. Thanks for reaching out to Maple Street Veterinary Clinic.", session.Caller{}, true},
		{"hello?", "Thanks again for reaching out. Goodbye!", session.Caller{}, true},
	}})
}
