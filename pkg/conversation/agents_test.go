package conversation_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
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
}

type agentTurn struct {
	says  string
	model []llmtest.Response // the AI agent's model responses for this turn
}

func update(args string) llmtest.Response {
	return llmtest.Calls(llmtest.Call{Name: "update_user_info", Arguments: args})
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
	set := businesstest.Set(t)
	b, err := set.Business(tenant.ID(sc.biz))
	if err != nil {
		t.Fatal(err)
	}
	store := session.NewMemoryStore()
	rec := relaytest.New()
	e := &conversation.Engine{Configs: setConfigs{set}, Store: store, TurnTimeout: 5 * time.Second,
		Now: func() time.Time { return time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC) }}
	var fake *llmtest.Fake
	if ai {
		fake = llmtest.NewServer(t)
		e.LLM = newClient(fake)
	}
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
