package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

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
				set := businesstest.Set(t)
				b, err := set.Business(tenant.ID(tt.biz))
				if err != nil {
					t.Fatal(err)
				}
				store := session.NewMemoryStore()
				rec := relaytest.New()
				e := &conversation.Engine{Configs: setConfigs{set}, Store: store, TurnTimeout: 5 * time.Second}
				if model {
					fake := llmtest.NewServer(t)
					for range 3 {
						fake.Enqueue(llmtest.Error(500, ""))
					}
					e.LLM = newClient(fake)
				}
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
