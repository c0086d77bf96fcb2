package conversation_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// agentScenario is one conversation both agents can hold: the caller's
// turns, what the model does on each (for the AI agent, through the
// wire-level OpenAI fake), and what either agent must end with.
type agentScenario struct {
	name   string
	biz    string
	turns  []agentTurn
	caller session.Caller // collected at the end (CallerID aside)
	events []string       // the event kinds recorded, in order
	books  bool           // the business's calendar is a memory store both agents book in
	booked string         // with books: the start booked (RFC 3339), "" for none
}

type agentTurn struct {
	says  string
	model []llmtest.Response // the AI agent's model responses for this turn
}

func update(args string) llmtest.Response { return call("update_user_info", args) }

func call(tool, args string) llmtest.Response {
	return llmtest.Calls(llmtest.Call{Name: tool, Arguments: args})
}

// TestAgentsBehaveAlike plays the same script to the scripted agent and to
// the AI agent through the real engine: where their capabilities overlap
// they collect the same fields, record the same events and end the same way.
func TestAgentsBehaveAlike(t *testing.T) {
	scenarios := []agentScenario{
		{name: "one field per turn, then the read-back", biz: "superior-fencing",
			turns: []agentTurn{
				{"My fence blew down in the storm", []llmtest.Response{update(`{"reason":"My fence blew down in the storm"}`), llmtest.Text("Sorry to hear that. May I have your name?")}},
				{"Jamie Rivera", []llmtest.Response{update(`{"name":"Jamie Rivera"}`), llmtest.Text("Thanks, Jamie. What's the best number to reach you?")}},
				{"five oh three, five five five, zero one four two", []llmtest.Response{
					llmtest.Calls(llmtest.Call{Name: "validate_phone_number", Arguments: `{"phone_number":"five oh three, five five five, zero one four two"}`}),
					update(`{"phone":"503 555 0142"}`),
					llmtest.Text("I have Jamie Rivera at 5 0 3, 5 5 5, 0 1 4 2, about your fence. Is that right?")}},
				{"Yes.", []llmtest.Response{llmtest.Calls(llmtest.Call{Name: "end_conversation", Arguments: `{"reason":"details collected"}`}), llmtest.Text("Thank you, Jamie! Goodbye.")}},
			},
			caller: session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "My fence blew down in the storm"},
			events: []string{"user_info_updated", "user_info_updated", "phone_validated", "user_info_updated", "end_conversation"}},
		{name: "an invalid number is refused, then corrected", biz: "maple-street-vet",
			turns: []agentTurn{
				{"My dog needs a refill", []llmtest.Response{update(`{"reason":"My dog needs a refill"}`), llmtest.Text("Of course. May I have your name?")}},
				{"Priya Shah", []llmtest.Response{update(`{"name":"Priya Shah"}`), llmtest.Text("Thanks, Priya. What's the best number to reach you?")}},
				{"555 0199", []llmtest.Response{
					llmtest.Calls(llmtest.Call{Name: "validate_phone_number", Arguments: `{"phone_number":"555 0199"}`}),
					llmtest.Text("That has 7 digits; could you say it with the area code?")}},
				{"541 555 0199", []llmtest.Response{
					llmtest.Calls(llmtest.Call{Name: "validate_phone_number", Arguments: `{"phone_number":"541 555 0199"}`}),
					update(`{"phone":"541 555 0199"}`),
					llmtest.Text("I have Priya Shah at 5 4 1, 5 5 5, 0 1 9 9, for a refill. Is that right?")}},
			},
			caller: session.Caller{Name: "Priya Shah", Phone: "+15415550199", Reason: "My dog needs a refill"},
			events: []string{"user_info_updated", "user_info_updated", "phone_invalid", "phone_validated", "user_info_updated"}},
		{name: "a demo booked for the time asked", biz: "sherpaprompt", books: true,
			turns: []agentTurn{
				{"I'd like to book a demo tomorrow at 10am", []llmtest.Response{update(`{"reason":"Book a demo tomorrow at 10am"}`), llmtest.Text("I can help you book a demo. May I have your name, please?")}},
				{"Sam Lee", []llmtest.Response{update(`{"name":"Sam Lee"}`), llmtest.Text("Thanks, Sam. What's the best email address to reach you?")}},
				{"sam.lee@example.com", []llmtest.Response{update(`{"email":"sam.lee@example.com"}`),
					call("schedule_appointment", `{"date_time":"tomorrow at 10am","service":"demo"}`),
					llmtest.Text("I have Wed, Mar 11 at 10:00 AM MDT available. Shall I book your demo?")}},
				{"yes please", []llmtest.Response{call("schedule_appointment", `{"date_time":"2026-03-11T10:00:00-06:00","service":"demo","confirm":true}`),
					llmtest.Text("You're all set: your demo is booked for Wed, Mar 11 at 10:00 AM MDT.")}},
			},
			caller: session.Caller{Name: "Sam Lee", Email: "sam.lee@example.com", Reason: "Book a demo tomorrow at 10am"},
			events: []string{"user_info_updated", "user_info_updated", "user_info_updated", "appointment_booked"},
			booked: "2026-03-11T10:00:00-06:00"},
		{name: "# typed in the chat: an urgent call back, no key to press", biz: "superior-fencing",
			turns: []agentTurn{
				{"#", []llmtest.Response{llmtest.Text("I'll mark this as urgent. If you leave a phone number, the team will call you back as soon as they can. What's happening?")}},
				{"A tree took out my fence", []llmtest.Response{update(`{"reason":"A tree took out my fence"}`), llmtest.Text("Got it. What's the best phone number for the team to reach you?")}},
			},
			caller: session.Caller{Reason: "A tree took out my fence"},
			events: []string{"emergency", "user_info_updated"}},
		{name: "a question about the opening hours", biz: "maple-street-vet",
			turns: []agentTurn{
				{"What are your hours?", []llmtest.Response{call("get_company_info", `{"info_type":"hours"}`), llmtest.Text("We're open Monday to Friday, 8 AM to 6 PM. How can I help you today?")}},
			},
			caller: session.Caller{},
			events: []string{"company_info"}},
	}
	for _, sc := range scenarios {
		for _, ai := range []bool{false, true} {
			name := sc.name + ", scripted agent"
			if ai {
				name = sc.name + ", AI agent"
			}
			t.Run(name, func(t *testing.T) {
				s := playScenario(t, sc, ai)
				if got := collected(s.Caller); got != sc.caller {
					t.Errorf("collected %+v;\n         want %+v", got, sc.caller)
				}
				var kinds []string
				for _, tu := range s.Turns {
					if tu.Role == session.RoleTool {
						kinds = append(kinds, tu.Tool)
					}
				}
				if !slices.Equal(kinds, sc.events) {
					t.Errorf("events %q;\n  want %q", kinds, sc.events)
				}
				if got := s.State.Booking.Start; sc.books && (got.IsZero() || got.Format(time.RFC3339) != sc.booked) {
					t.Errorf("booked %v; want %s", got, sc.booked)
				}
				ended := slices.Contains(sc.events, "end_conversation")
				if (s.Status == session.StatusEnded) != ended || ended && s.EndReason != conversation.EndCompleted {
					t.Errorf("status %s (%s); want ended: %v", s.Status, s.EndReason, ended)
				}
			})
		}
	}
}

// playScenario runs the scenario's turns through the engine on the web and
// returns the stored session.
func playScenario(t *testing.T, sc agentScenario, ai bool) *session.Session {
	t.Helper()
	ctx := context.Background()
	f := newAgentFixture(t, sc.biz, ai)
	if sc.books {
		bookings := booking.NewMemoryStore()
		f.e.NewAgent = conversation.Assistants(nil, bookings)
		f.e.Tools = tools.Default()
		f.e.Tools.Register(tools.BookingTool(bookings))
	}
	f.e.Now = func() time.Time { return time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC) }
	b, store, rec, e, fake := f.b, f.store, f.rec, f.e, f.fake
	if _, err := e.Open(ctx, b, "c1", session.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	if err := e.Handle(ctx, rec, "c1", []byte(`{"type":"setup"}`)); err != nil {
		t.Fatal(err)
	}
	rec.Take("c1") // session_ready and the greeting
	for _, turn := range sc.turns {
		if ai {
			fake.Enqueue(turn.model...)
		}
		if err := e.Handle(ctx, rec, "c1", []byte(promptFrame(turn.says))); err != nil {
			t.Fatalf("%q: %v", turn.says, err)
		}
		if reply, closed := relaytest.Reply(rec.Take("c1")); !closed || reply == "" {
			t.Fatalf("%q: reply %q, closed %v", turn.says, reply, closed)
		}
	}
	if ai && fake.Calls() != countResponses(sc) {
		t.Errorf("model calls %d; want %d (the script ran off)", fake.Calls(), countResponses(sc))
	}
	s, err := store.ByConnection(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// agentFixture is an engine for one business over a memory store, with
// the fake model when the AI agent plays.
type agentFixture struct {
	b     *business.Business
	store session.Store
	rec   *relaytest.Recorder
	e     *conversation.Engine
	fake  *llmtest.Fake
}

func newAgentFixture(t *testing.T, biz string, ai bool) agentFixture {
	t.Helper()
	set := businesstest.Set(t)
	b, err := set.Business(tenant.ID(biz))
	if err != nil {
		t.Fatal(err)
	}
	f := agentFixture{b: b, store: session.NewMemoryStore(), rec: relaytest.New()}
	f.e = &conversation.Engine{Configs: setConfigs{set}, Store: f.store, TurnTimeout: 5 * time.Second}
	if ai {
		f.fake = llmtest.NewServer(t)
		f.e.LLM = newClient(f.fake)
	}
	return f
}

func countResponses(sc agentScenario) int {
	n := 0
	for _, tu := range sc.turns {
		n += len(tu.model)
	}
	return n
}

func collected(c session.Caller) session.Caller {
	c.CallerID = ""
	return c
}

// A phone leg that opens with "What's your name?" (after the emergency
// line did not answer, and an after-hours call in voicemail mode) takes the
// caller's answer as the name, not as the reason for the call; with a model
// that fails, the scripted agent it falls back to does the same.
func TestLegGreetingQuestionIsAnswered(t *testing.T) {
	tests := []struct {
		name     string
		biz      string
		call     session.Call
		greeted  bool   // an earlier leg already greeted
		greeting string // the leg's greeting recorded
	}{
		{"after the emergency line did not answer", "superior-fencing", session.Call{ResumeStaff: twiliovoice.ResumeEmergency}, true,
			"I'm sorry, I couldn't reach our on-call crew. Let me take your details so they can call you back as soon as possible. What's your name?"},
		{"after hours in voicemail mode", "maple-street-vet", session.Call{Mode: session.CallVoicemail}, false,
			"We're closed right now, but I can take a message and someone will call you back. What's your name?"},
	}
	for _, tt := range tests {
		for _, model := range []bool{false, true} {
			name := tt.name + ", scripted agent"
			if model {
				name = tt.name + ", model failing"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				f := newAgentFixture(t, tt.biz, model)
				if model {
					f.fake.Enqueue(llmtest.Error(500, ""), llmtest.Error(500, ""), llmtest.Error(500, ""))
				}
				b, store, rec, e := f.b, f.store, f.rec, f.e
				now := time.Now().UTC()
				s := &session.Session{BusinessID: b.ID, ID: "CA1", Channel: session.ChannelPhone, CallSID: "CA1", ConnectionID: "leg2",
					Status: session.StatusActive, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
					State: session.State{Call: tt.call, Engine: session.Engine{Greeted: tt.greeted, Leg: "VX1"}}}
				if err := store.Create(ctx, s); err != nil {
					t.Fatal(err)
				}
				if err := e.Handle(ctx, rec, "leg2", []byte(`{"type":"setup","callSid":"CA1","sessionId":"VX2"}`)); err != nil {
					t.Fatal(err)
				}
				if err := e.Handle(ctx, rec, "leg2", []byte(`{"type":"prompt","voicePrompt":"Chris Park","last":true}`)); err != nil {
					t.Fatal(err)
				}
				got, err := store.Get(ctx, b.ID, "CA1")
				if err != nil {
					t.Fatal(err)
				}
				if got.Caller.Name != "Chris Park" || got.Caller.Reason != "" {
					t.Errorf("caller %+v; want the name Chris Park and no reason yet", got.Caller)
				}
				if !containsTurn(got, session.RoleAgent, tt.greeting) {
					t.Errorf("the leg's greeting was not recorded: %+v", got.Turns)
				}
				reply, _ := relaytest.Reply(rec.Take("leg2"))
				if containsText(reply, "your name") {
					t.Errorf("asked for the name again: %q", reply)
				}
			})
		}
	}
}

func containsTurn(s *session.Session, role, text string) bool {
	for _, tu := range s.Turns {
		if tu.Role == role && containsText(tu.Text, text) {
			return true
		}
	}
	return false
}
