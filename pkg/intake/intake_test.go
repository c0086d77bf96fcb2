package intake

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
)

var tuesday, sunday = businesstest.Tuesday, businesstest.Sunday

// businessFor returns a business of configs/ (shared: not to be changed).
func businessFor(t testing.TB, id string) *business.Business {
	return businesstest.Get(t, tenant.ID(id))
}

// line is one caller utterance and what must follow it.
type line struct {
	say    string
	want   string         // a substring of the reply
	caller session.Caller // s.Caller after the turn (CallerID is filled in)
	done   bool           // the reply ends the conversation
}

type dialogue struct {
	name     string
	channel  session.Channel // default phone
	callerID string
	now      time.Time // default tuesday
	lines    []line
	state    func(session.State) bool // the state wanted at the end
	setup    func(*session.Session)   // after the greeting: a phone leg's state
	handoff  string                   // the last reply's handoff reason, if any
}

// keypadWords are phone instructions no web reply may give.
var keypadWords = regexp.MustCompile(`(?i)\b(press|pound|dial)\b|#`)

// runDialogue greets, then plays the lines. Every turn is also run on a
// clone of the session to check that Respond is a pure function of its
// inputs.
func runDialogue(t *testing.T, a *Agent, d dialogue) {
	t.Helper()
	ch := d.channel
	if ch == "" {
		ch = session.ChannelPhone
	}
	now := d.now
	if now.IsZero() {
		now = tuesday
	}
	s := &session.Session{BusinessID: a.b.ID, ID: "s1", Channel: ch, Caller: session.Caller{CallerID: d.callerID}}
	g := a.Greet(s)
	if ch == session.ChannelWeb && keypadWords.MatchString(g.Text) {
		t.Errorf("web greeting %q gives a phone instruction", g.Text)
	}
	if g.Text == "" || s.State.Intake.Step != StepCollect || s.State.Intake.Ask != AskOpen {
		t.Fatalf("Greet = %q, state %+v", g.Text, s.State)
	}
	if want := agent.Greeting(a.b, ch); g.Text != want {
		t.Errorf("Greet = %q; want the channel's greeting %q", g.Text, want)
	}
	if d.setup != nil {
		d.setup(s)
	}
	var last agent.Reply
	for i, l := range d.lines {
		twin := s.Clone()
		r := a.Respond(s, l.say, now)
		r2 := a.Respond(twin, l.say, now)
		if !reflect.DeepEqual(r, r2) || !reflect.DeepEqual(s, twin) {
			t.Errorf("turn %d %q: Respond is not deterministic:\n%+v\n%+v\nstate %+v\nstate %+v", i+1, l.say, r, r2, s.State, twin.State)
		}
		last = r
		t.Logf("caller: %s\nagent:  %s", l.say, r.Text)
		if ch == session.ChannelWeb && keypadWords.MatchString(r.Text) {
			t.Errorf("turn %d %q: web reply %q gives a phone instruction", i+1, l.say, r.Text)
		}
		if !strings.Contains(r.Text, l.want) {
			t.Errorf("turn %d %q:\n got reply %q\nwant it to contain %q", i+1, l.say, r.Text, l.want)
		}
		want := l.caller
		want.CallerID = d.callerID
		if s.Caller != want {
			t.Errorf("turn %d %q: caller = %+v; want %+v", i+1, l.say, s.Caller, want)
		}
		if r.Done != l.done {
			t.Errorf("turn %d %q: Done = %v; want %v", i+1, l.say, r.Done, l.done)
		}
		if len(s.Turns) != 0 {
			t.Errorf("turn %d: the agent touched s.Turns", i+1)
		}
		if t.Failed() {
			t.Logf("state after turn %d: %+v", i+1, s.State)
			return
		}
	}
	if got := last.Handoff; d.handoff != "" && (got == nil || got.Reason != d.handoff) || d.handoff == "" && got != nil {
		t.Errorf("last handoff = %+v; want reason %q", got, d.handoff)
	}
	if d.state != nil && !d.state(s.State) {
		t.Errorf("state at the end is not the one wanted: %+v", s.State)
	}
}

func TestSuperiorFencing(t *testing.T) {
	a := New(businessFor(t, "superior-fencing"))
	if got := tools.Status(a.b, &session.Session{}); got.Next() != "reason" || !reflect.DeepEqual(got.Missing, []string{"name", "phone", "reason"}) {
		t.Fatalf("missing = %v, next %q; want name, phone, reason, next reason", got.Missing, got.Next())
	}
	const reason = "My fence blew down in the storm last night"
	jamie := session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "My fence blew down"}
	dialogues := []dialogue{
		{name: "one field per turn", lines: []line{
			{"Hi, my fence blew down in the storm last night.", "Got it, I'll pass that along to the team. May I have your name, please?",
				session.Caller{Reason: reason}, false},
			{"Jamie Rivera", "Thanks, Jamie. What's the best phone number for the team to reach you?",
				session.Caller{Name: "Jamie Rivera", Reason: reason}, false},
			{"five oh three, five five five, zero one four two",
				"Let me make sure I have everything: your name is Jamie Rivera, your number is (503) 555-0142, and I've noted: my fence blew down in the storm last night. Is that right?",
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: reason}, false},
			{"Yes.", "Thank you, Jamie! I've passed this along, and the team at Superior Fence & Construction will follow up with you soon. Have a great day!",
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: reason}, true},
		}, state: func(st session.State) bool {
			return st.Intake.Step == StepDone && st.Intake.Outcome == OutcomeConfirmed
		}},

		{name: "everything at once", lines: []line{
			{"This is Jamie Rivera, my number is 503 555 0142, my fence blew down",
				"Thanks, Jamie. I'll pass that along to the team. Let me make sure I have everything: your name is Jamie Rivera, your number is (503) 555-0142, and I've noted: my fence blew down. Is that right?",
				jamie, false},
			{"yep", "Thank you, Jamie!", jamie, true},
		}},

		{name: "corrections", lines: []line{
			{"This is Jamie Rivera, my number is 503 555 0142, my fence blew down", "Is that right?", jamie, false},
			{"no, the number is wrong", "Sorry about that. What's the correct number?", jamie, false},
			{"it's 503 555 0199", "your number is (503) 555-0199",
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550199", Reason: "My fence blew down"}, false},
			{"actually my name is Sam Rivera", "Thanks, I've updated that. Here's what I have now: your name is Sam Rivera, your number is (503) 555-0199",
				session.Caller{Name: "Sam Rivera", Phone: "+15035550199", Reason: "My fence blew down"}, false},
			{"No, it's about my gate, it won't latch", "I've noted: my gate, it won't latch. Is that right?",
				session.Caller{Name: "Sam Rivera", Phone: "+15035550199", Reason: "My gate, it won't latch"}, false},
			{"no", "What should I change: your name, your number, or the reason for your call?",
				session.Caller{Name: "Sam Rivera", Phone: "+15035550199", Reason: "My gate, it won't latch"}, false},
			{"the spelling of my last name", "What's the correct name? Spelling it out helps.",
				session.Caller{Name: "Sam Rivera", Phone: "+15035550199", Reason: "My gate, it won't latch"}, false},
			{"Sam Riviera, R I V I E R A", "your name is Sam Riviera,",
				session.Caller{Name: "Sam Riviera", Phone: "+15035550199", Reason: "My gate, it won't latch"}, false},
			{"no, wrong number, it's 503 555 0142", "Here's what I have now: your name is Sam Riviera, your number is (503) 555-0142",
				session.Caller{Name: "Sam Riviera", Phone: "+15035550142", Reason: "My gate, it won't latch"}, false},
			{"that's right", "Thank you, Sam!",
				session.Caller{Name: "Sam Riviera", Phone: "+15035550142", Reason: "My gate, it won't latch"}, true},
		}},

		{name: "same value again at the read-back", lines: []line{
			{"This is Jamie Rivera, my number is 503 555 0142, my fence blew down", "Is that right?", jamie, false},
			{"no, it's Jamie Rivera", "I still have that as Jamie Rivera. What's the correct name?", jamie, false},
			{"J A I M E Rivera", "your name is Jaime Rivera",
				session.Caller{Name: "Jaime Rivera", Phone: "+15035550142", Reason: "My fence blew down"}, false},
			{"correct", "Thank you, Jaime!", session.Caller{Name: "Jaime Rivera", Phone: "+15035550142", Reason: "My fence blew down"}, true},
		}},

		{name: "company questions mid-flow", lines: []line{
			{"What are your hours?",
				"Our hours are weekdays: 7 AM to 5 PM; Saturday: 8 AM to noon; Sunday: closed. Is there anything else I can help you with, or a message you'd like me to pass on to the team?",
				session.Caller{}, false},
			{"I need a quote for a new cedar fence", "May I have your name, please?",
				session.Caller{Reason: "I need a quote for a new cedar fence"}, false},
			{"Sure, but first, where are you located?", "We're based in Portland, Oregon. May I have your name, please?",
				session.Caller{Reason: "I need a quote for a new cedar fence"}, false},
			{"Jamie Rivera. What's your website?", "Our website is superior-fence.example. Thanks, Jamie. What's the best phone number",
				session.Caller{Name: "Jamie Rivera", Reason: "I need a quote for a new cedar fence"}, false},
			{"Do you do gate openers?", "We offer wood, vinyl and chain-link fences, gates and gate openers, fence repair, and storm damage securing. What's the best phone number",
				session.Caller{Name: "Jamie Rivera", Reason: "I need a quote for a new cedar fence"}, false},
			{"And what's your phone number?", "Our number is (503) 555-0142. What's the best phone number for the team to reach you?",
				session.Caller{Name: "Jamie Rivera", Reason: "I need a quote for a new cedar fence"}, false},
			{"How much does a cedar fence cost? Oh and mine is 503-555-0199", "I can't answer that, but I'll note it for the team. Let me make sure",
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550199", Reason: "I need a quote for a new cedar fence"}, false},
			{"Am I talking to a real person?", "I'm Riley, the virtual assistant for Superior Fence & Construction. Now, is everything I read back correct?",
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550199", Reason: "I need a quote for a new cedar fence"}, false},
			{"yes", "Thank you, Jamie!",
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550199", Reason: "I need a quote for a new cedar fence"}, true},
		}, state: func(st session.State) bool {
			return slices.Equal(st.Intake.Questions, []string{"How much does a cedar fence cost?"})
		}},

		{name: "unanswerable question becomes the reason", lines: []line{
			{"How much does a new cedar fence cost?", "I can't answer that, but I'll note it for the team. May I have your name, please?",
				session.Caller{Reason: "How much does a new cedar fence cost?"}, false},
			{"i'm jamie", "Thanks, Jamie.", session.Caller{Name: "Jamie", Reason: "How much does a new cedar fence cost?"}, false},
			{"503.555.0142", "and I've noted your question: how much does a new cedar fence cost. Is that right?",
				session.Caller{Name: "Jamie", Phone: "+15035550142", Reason: "How much does a new cedar fence cost?"}, false},
		}},

		{name: "emergency", lines: []line{
			{"It's an emergency, my gate won't close and the dogs are getting out",
				"If this can't wait, press the pound key now to reach our on-call team. Got it, I'll pass that along to the team. May I have your name, please?",
				session.Caller{Reason: "It's an emergency, my gate won't close and the dogs are getting out"}, false},
			{"It's urgent! Jamie.", "Thanks, Jamie. What's the best phone number",
				session.Caller{Name: "Jamie", Reason: "It's an emergency, my gate won't close and the dogs are getting out"}, false},
		}, state: func(st session.State) bool {
			return st.Intake.Emergency
		}},

		{name: "emergency on the web", channel: session.ChannelWeb, lines: []line{
			{"This is urgent, a tree took out my fence and the horses are loose",
				"I'll mark this as urgent. If you leave a phone number, the team will call you back as soon as they can. Got it, I'll pass that along to the team. What's the best phone number for the team to reach you?",
				session.Caller{Reason: "This is urgent, a tree took out my fence and the horses are loose"}, false},
			{"503 555 0142", "I have your number as (503) 555-0142. May I have your name, please?",
				session.Caller{Phone: "+15035550142", Reason: "This is urgent, a tree took out my fence and the horses are loose"}, false},
		}},

		{name: "three strikes on the phone keeps what was heard", lines: []line{
			{"My gate is broken", "May I have your name, please?", session.Caller{Reason: "My gate is broken"}, false},
			{"Jamie", "What's the best phone number", session.Caller{Name: "Jamie", Reason: "My gate is broken"}, false},
			{"555 0142", "Hmm, that has 7 digits; a US number has 10. Could you say the number again, starting with the area code?",
				session.Caller{Name: "Jamie", Reason: "My gate is broken"}, false},
			{"503-555-CALL", "Hmm, a phone number can only have digits, and that has letters in it. Let's try once more: please say all ten digits",
				session.Caller{Name: "Jamie", Reason: "My gate is broken"}, false},
			{"five oh three five five five oh one four", "I'll note the number as 5 0 3 5 5 5 0 1 4, and the team will double-check it. Let me make sure I have everything: your name is Jamie, your number is 5 0 3 5 5 5 0 1 4, and I've noted: my gate is broken.",
				session.Caller{Name: "Jamie", Phone: "503555014", Reason: "My gate is broken"}, false},
			{"yes", "Thank you, Jamie!", session.Caller{Name: "Jamie", Phone: "503555014", Reason: "My gate is broken"}, true},
		}, state: func(st session.State) bool {
			return st.Intake.IsUnvalidated("phone") && st.Intake.Outcome == OutcomeConfirmed
		}},

		{name: "no digits at all: move on, the caller id remains", callerID: "+15035550111", lines: []line{
			{"Hi, I'm Jamie and my gate is stuck open", "Thanks, Jamie. I'll pass that along to the team. What's the best phone number",
				session.Caller{Name: "Jamie", Reason: "My gate is stuck open"}, false},
			{"", "Sorry, I didn't catch that. Could you say the number again", session.Caller{Name: "Jamie", Reason: "My gate is stuck open"}, false},
			{"uh", "Sorry, I didn't catch that. Let's try once more", session.Caller{Name: "Jamie", Reason: "My gate is stuck open"}, false},
			{"hmm", "That's okay. The team can use the number you're calling from. Let me make sure I have everything: your name is Jamie and I've noted: my gate is stuck open.",
				session.Caller{Name: "Jamie", Reason: "My gate is stuck open"}, false},
			{"yes", "Thank you, Jamie! I've passed this along, and the team at Superior Fence & Construction will follow up with you soon.",
				session.Caller{Name: "Jamie", Reason: "My gate is stuck open"}, true},
		}, state: func(st session.State) bool {
			return st.Intake.IsSkipped("phone")
		}},

		{name: "caller declines the number", lines: []line{
			{"My gate is broken, this is Jamie", "What's the best phone number", session.Caller{Name: "Jamie", Reason: "My gate is broken"}, false},
			{"I'd rather not give my number", "No problem. Let me make sure I have everything: your name is Jamie and I've noted: my gate is broken.",
				session.Caller{Name: "Jamie", Reason: "My gate is broken"}, false},
		}},

		{name: "gibberish and silence never loop", lines: []line{
			{"", "Sorry, I didn't catch that. How can I help you today?", session.Caller{}, false},
			{"uh", "Sorry, I didn't catch that.", session.Caller{}, false},
			{"...", "That's okay, let's move on. May I have your name, please?", session.Caller{}, false},
			{"Jamie", "What's the best phone number", session.Caller{Name: "Jamie"}, false},
			{"503 555 0142", "Let me make sure I have everything: your name is Jamie and your number is (503) 555-0142. Is that right?",
				session.Caller{Name: "Jamie", Phone: "+15035550142"}, false},
			{"blah blah", "Sorry, I didn't catch that. Is everything I read back correct?", session.Caller{Name: "Jamie", Phone: "+15035550142"}, false},
			{"hmm", "Sorry, I didn't catch that.", session.Caller{Name: "Jamie", Phone: "+15035550142"}, false},
			{"potato", "Thank you, Jamie!", session.Caller{Name: "Jamie", Phone: "+15035550142"}, true},
		}, state: func(st session.State) bool {
			return st.Intake.Outcome == OutcomeUnconfirmed && st.Intake.IsSkipped("reason")
		}},

		{name: "greeting only, then goodbye", lines: []line{
			{"Hello?", "Hi there! How can I help you today?", session.Caller{}, false},
			{"Actually never mind, bye", "No problem. Thanks for calling Superior Fence & Construction.", session.Caller{}, true},
		}, state: func(st session.State) bool {
			return st.Intake.Outcome == OutcomeCallerEnded
		}},
	}
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) { runDialogue(t, a, d) })
	}
}

func TestSherpaPrompt(t *testing.T) {
	a := New(businessFor(t, "sherpaprompt"))
	if got, want := tools.Status(a.b, &session.Session{}).Missing, []string{"name", "email"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("missing = %v; want %v", got, want)
	}
	sam := session.Caller{Name: "Sam Lee", Email: "sam.lee@example.com", Reason: "Set up a demo"}
	dialogues := []dialogue{
		{name: "web: name and email, no phone", channel: session.ChannelWeb, lines: []line{
			{"I'd like to set up a demo", "Got it, I'll pass that along to the team. May I have your name, please?",
				session.Caller{Reason: "Set up a demo"}, false},
			{"Sam Lee", "Thanks, Sam. What's the best email address to reach you?",
				session.Caller{Name: "Sam Lee", Reason: "Set up a demo"}, false},
			{"sam.lee@example.com", "Let me make sure I have everything: your name is Sam Lee, your email is sam.lee@example.com, and I've noted: set up a demo. Is that right?",
				sam, false},
			{"what do you offer?", "We offer call answering automation, conversation-to-task capture, voice-to-estimate drafting, and product demos. Now, is everything I read back correct?",
				sam, false},
			{"correct", "Thank you, Sam! I've passed this along, and the team at SherpaPrompt will follow up with you by email soon.", sam, true},
		}},

		{name: "phone: spelled email after a bad one", lines: []line{
			{"Hi, I'm Dana Whitfield and I want to learn about the product", "Thanks, Dana. I'll pass that along to the team. What's the best email address to reach you? Feel free to spell it out.",
				session.Caller{Name: "Dana Whitfield", Reason: "Learn about the product"}, false},
			{"dana at acme", "Hmm, dana@acme doesn't look like a complete email address. Could you spell it for me, like j o h n at example dot com?",
				session.Caller{Name: "Dana Whitfield", Reason: "Learn about the product"}, false},
			{"d a n a at a c m e dot c o m", "your email is dana@acme.com",
				session.Caller{Name: "Dana Whitfield", Email: "dana@acme.com", Reason: "Learn about the product"}, false},
			{"No, it's dana dot whitfield at acme dash roofing dot com", "Thanks, I've updated that. Here's what I have now: your name is Dana Whitfield, your email is dana.whitfield@acme-roofing.com",
				session.Caller{Name: "Dana Whitfield", Email: "dana.whitfield@acme-roofing.com", Reason: "Learn about the product"}, false},
			{"yes that's it", "Thank you, Dana!", session.Caller{Name: "Dana Whitfield", Email: "dana.whitfield@acme-roofing.com", Reason: "Learn about the product"}, true},
		}},

		{name: "email three strikes keeps what was heard", channel: session.ChannelWeb, lines: []line{
			{"This is Dana. I have a question about pricing.", "Thanks, Dana.", session.Caller{Name: "Dana", Reason: "I have a question about pricing"}, false},
			{"dana at acme", "Hmm, dana@acme doesn't look like a complete email address. Could you type it again, like name@example.com?",
				session.Caller{Name: "Dana", Reason: "I have a question about pricing"}, false},
			{"I don't know, uh", "Sorry, I didn't catch that.", session.Caller{Name: "Dana", Reason: "I have a question about pricing"}, false},
			{"dana at acme dot c", "I'll note the email as dana@acme.c, and the team will double-check it.",
				session.Caller{Name: "Dana", Email: "dana@acme.c", Reason: "I have a question about pricing"}, false},
		}, state: func(st session.State) bool {
			return st.Intake.IsUnvalidated("email") && st.Intake.Step == StepConfirm
		}},

		{name: "greeting, question announcement, unknown question", lines: []line{
			{"Hello", "Hi there! How can I help you today?", session.Caller{}, false},
			{"I have a question", "Of course, go ahead.", session.Caller{}, false},
			{"Do you integrate with QuickBooks?", "I can't answer that, but I'll note it for the team. May I have your name, please?",
				session.Caller{Reason: "Do you integrate with QuickBooks?"}, false},
			{"It's Dana Whitfield", "Thanks, Dana.", session.Caller{Name: "Dana Whitfield", Reason: "Do you integrate with QuickBooks?"}, false},
		}},
	}
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) { runDialogue(t, a, d) })
	}
}

func TestMapleStreetVet(t *testing.T) {
	a := New(businessFor(t, "maple-street-vet"))
	const reason = "My cat Whiskers needs a refill on her thyroid meds"
	pat := session.Caller{Name: "Pat O'Brien", Phone: "+15415550199", Reason: reason}
	dialogues := []dialogue{
		{name: "caller id on request", callerID: "+15415550199", lines: []line{
			{"Hi, this is Pat O'Brien. My cat Whiskers needs a refill on her thyroid meds.",
				"Thanks, Pat. I'll pass that along to the team. What's the best phone number for the team to reach you?",
				session.Caller{Name: "Pat O'Brien", Reason: reason}, false},
			{"you can use the number I'm calling from", "your name is Pat O'Brien, your number is (541) 555-0199, and I've noted: my cat Whiskers needs a refill on her thyroid meds. Is that right?",
				pat, false},
			{"yes", "Thank you, Pat! I've passed this along, and the team at Maple Street Veterinary Clinic will follow up with you soon.", pat, true},
		}},

		{name: "message for a staff member, after hours", now: sunday, lines: []line{
			{"Hi yes I'd like to leave a message for Jordan", "Of course. What message would you like me to pass on?", session.Caller{}, false},
			{"Tell him Bella's prescription is ready to renew, thanks", "Got it. May I have your name, please?",
				session.Caller{Reason: "For Jordan: Tell him Bella's prescription is ready to renew"}, false},
			{"Chris", "Thanks, Chris.", session.Caller{Name: "Chris", Reason: "For Jordan: Tell him Bella's prescription is ready to renew"}, false},
			{"my number is five four one, five five five, oh one two three",
				"your name is Chris, your number is (541) 555-0123, and your message for Jordan is: tell him Bella's prescription is ready to renew. Is that right?",
				session.Caller{Name: "Chris", Phone: "+15415550123", Reason: "For Jordan: Tell him Bella's prescription is ready to renew"}, false},
			{"sure", "Thank you, Chris! I've passed your message along, and the team at Maple Street Veterinary Clinic will follow up with you during business hours.",
				session.Caller{Name: "Chris", Phone: "+15415550123", Reason: "For Jordan: Tell him Bella's prescription is ready to renew"}, true},
		}},

		{name: "asks for a person on the phone: the default staff member", lines: []line{
			{"Can I speak to Dr. Patel?", "I'll connect you with Front Desk now. Please hold for a moment.", session.Caller{}, true},
		}, handoff: agent.HandoffTransfer, state: func(st session.State) bool { return st.Call.TransferStaff == "frontdesk" }},

		{name: "asks for a person in the chat, adds what it is about", channel: session.ChannelWeb, lines: []line{
			{"Can I speak to Dr. Patel?", "I can't transfer a chat, but I'll make sure Front Desk gets your message. What message would you like me to pass on?",
				session.Caller{}, false},
			{"It's about Max's surgery follow-up", "Got it. May I have your name, please?",
				session.Caller{Reason: "For Front Desk: Max's surgery follow-up"}, false},
			{"Lee, L E E", "Thanks, Lee.", session.Caller{Name: "Lee", Reason: "For Front Desk: Max's surgery follow-up"}, false},
		}},

		{name: "hours only", lines: []line{
			{"What time do you close today?", "Our hours are weekdays: 8 AM to 6 PM (Friday to 5 PM); Saturday: 9 AM to 1 PM; Sunday: closed. We're open right now.",
				session.Caller{}, false},
			{"No, that's all, thanks.", "No problem. Thanks for calling Maple Street Veterinary Clinic. Have a great day!", session.Caller{}, true},
		}},

		{name: "closed now, urgent without the emergency feature", now: sunday, lines: []line{
			{"Are you open? My dog ate chocolate, it's urgent",
				"I'll mark this as urgent for the team. Our hours are weekdays: 8 AM to 6 PM (Friday to 5 PM); Saturday: 9 AM to 1 PM; Sunday: closed. We're closed right now. Got it, I'll pass that along to the team. May I have your name, please?",
				session.Caller{Reason: "My dog ate chocolate, it's urgent"}, false},
			{"Morgan Lee", "Thanks, Morgan. What's the best phone number", session.Caller{Name: "Morgan Lee", Reason: "My dog ate chocolate, it's urgent"}, false},
		}},
	}
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) { runDialogue(t, a, d) })
	}
}

func TestNothingRequiredTakesAMessage(t *testing.T) {
	b := &business.Business{ID: "acme-plumbing", Name: "Acme Plumbing", Intake: business.Intake{Required: []string{}}}
	a := New(b)
	s := &session.Session{Channel: session.ChannelPhone}
	if g := a.Greet(s); g.Text != "Hi, you've reached Acme Plumbing. How can I help you today?" {
		t.Errorf("Greet = %q", g.Text)
	}
	dialogues := []dialogue{
		{name: "message with details", lines: []line{
			{"Please tell Bob the water heater in unit 4 is leaking again. This is Alex, 971 555 0100.",
				"I'll mark this as urgent for the team. Thank you, Alex! I've passed your message along, and the team at Acme Plumbing will follow up with you as soon as possible.", // "leaking" is urgent
				session.Caller{Name: "Alex", Phone: "+19715550100", Reason: "Please tell Bob the water heater in unit 4 is leaking again"}, true},
		}, state: func(st session.State) bool {
			return st.Intake.Outcome == OutcomeMessage
		}},
		{name: "greeting first, anonymous message", lines: []line{
			{"hi", "Hi there! How can I help you today?", session.Caller{}, false},
			{"the gate code changed to 4412", "Thank you! I've passed your message along to the team at Acme Plumbing.",
				session.Caller{Reason: "The gate code changed to 4412"}, true},
		}},
	}
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) { runDialogue(t, a, d) })
	}
}

func TestResumeWithoutGreet(t *testing.T) {
	// The engine falls back mid-conversation: the LLM already collected the
	// name and reason, and the intake has no step.
	a := New(businessFor(t, "superior-fencing"))
	s := &session.Session{Channel: session.ChannelPhone, Caller: session.Caller{Name: "Jamie Rivera", Reason: "Gate repair"}}
	r := a.Respond(s, "it's 503 555 0142", tuesday)
	want := "Let me make sure I have everything: your name is Jamie Rivera, your number is (503) 555-0142, and I've noted: gate repair. Is that right?"
	if r.Text != want || s.Caller.Phone != "+15035550142" {
		t.Errorf("Respond = %q (caller %+v); want %q", r.Text, s.Caller, want)
	}
	// Nothing known yet: the utterance answers "how can I help?".
	s = &session.Session{Channel: session.ChannelPhone}
	r = a.Respond(s, "I need a new gate", tuesday)
	if s.Caller.Reason != "I need a new gate" || !strings.Contains(r.Text, "May I have your name") {
		t.Errorf("Respond = %q (caller %+v)", r.Text, s.Caller)
	}
}

func TestGreetKeepsOtherState(t *testing.T) {
	a := New(businessFor(t, "superior-fencing"))
	st := session.State{Intake: session.Intake{Step: StepDone, Tries: map[string]int{"phone": 2}, Outcome: "x"},
		Call: session.Call{Mode: session.CallVoicemail}, Engine: session.Engine{Leg: "VX1"}}
	s := &session.Session{State: st}
	a.Greet(s)
	want := st
	want.Intake = session.Intake{Step: StepCollect, Ask: AskOpen}
	if !reflect.DeepEqual(s.State, want) {
		t.Errorf("state = %+v; want %+v", s.State, want)
	}
}

func TestTurnLimit(t *testing.T) {
	a := New(businessFor(t, "superior-fencing"))
	s := &session.Session{Channel: session.ChannelPhone}
	a.Greet(s)
	var r agent.Reply
	n := 0
	for !r.Done && n < 100 {
		n++
		r = a.Respond(s, "What are your hours?", tuesday)
	}
	if n != maxTurns+1 || !strings.Contains(r.Text, "I want to make sure nothing gets lost") || s.State.Intake.Outcome != OutcomeTurnLimit {
		t.Errorf("ended after %d turns with %q (state %+v); want %d turns and a turn-limit close", n, r.Text, s.State, maxTurns+1)
	}
	// After the end the agent only says goodbye.
	r = a.Respond(s, "hello?", tuesday)
	if !r.Done || r.Text != "Thanks again for calling. Goodbye!" {
		t.Errorf("after done: %+v", r)
	}
}

func TestEvents(t *testing.T) {
	a := New(businessFor(t, "superior-fencing"))
	s := &session.Session{Channel: session.ChannelPhone}
	a.Greet(s)
	r := a.Respond(s, "This is Jamie Rivera, my number is 503 555 0142, my fence blew down. What are your hours?", tuesday)
	want := []agent.Event{
		{Kind: agent.EventPhoneValidated, Detail: "(503) 555-0142"},
		{Kind: agent.EventCompanyInfo, Detail: "hours"},
		{Kind: agent.EventInfoUpdated, Detail: "name=Jamie Rivera; phone=+15035550142; reason=My fence blew down"},
	}
	if !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events = %+v; want %+v", r.Events, want)
	}
	r = a.Respond(s, "yes", tuesday)
	if want := []agent.Event{{Kind: agent.EventEnd, Detail: OutcomeConfirmed}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events = %+v; want %+v", r.Events, want)
	}
}

// TestPurityAfterConflict replays a turn on the session as it was before,
// as the engine does after a conditional-write conflict.
func TestPurityAfterConflict(t *testing.T) {
	a := New(businessFor(t, "superior-fencing"))
	s := &session.Session{Channel: session.ChannelPhone}
	a.Greet(s)
	a.Respond(s, "my fence blew down", tuesday)
	stored := s.Clone()
	first := a.Respond(s, "Jamie Rivera, 503 555 0142", tuesday)
	firstState := s.Clone()
	for i := 0; i < 3; i++ {
		again := stored.Clone()
		r := a.Respond(again, "Jamie Rivera, 503 555 0142", tuesday)
		if !reflect.DeepEqual(r, first) || !reflect.DeepEqual(again, firstState) {
			t.Fatalf("replay %d differs:\n%+v\n%+v", i, r, first)
		}
	}
}
