package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// API Gateway may run a leg's first prompt (or key press) before its
// setup: the leg's greeting is still recorded once, before the caller's
// words, and the setup arriving late neither repeats it nor asks its
// question again (the name was answered; the next answer is the number).
func TestLegFramesBeforeSetup(t *testing.T) {
	ctx := context.Background()
	f, b := newAgentFixture(t, "superior-fencing", false)
	store, rec, e := f.store, f.rec, f.engine
	now := time.Now().UTC()
	s := &session.Session{BusinessID: b.ID, ID: "CA1", Channel: session.ChannelPhone, CallSID: "CA1", ConnectionID: "leg1",
		Status: session.StatusActive, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := store.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	frame := func(conn, fr string) string {
		t.Helper()
		if err := e.Handle(ctx, rec, conn, []byte(fr)); err != nil {
			t.Fatal(err)
		}
		reply, _ := relaytest.Reply(rec.Take(conn))
		return reply
	}
	// Leg 1: the key press comes before the setup.
	frame("leg1", `{"type":"prompt","voicePrompt":"My fence blew down","last":true}`)
	frame("leg1", `{"type":"dtmf","digit":"#"}`)
	frame("leg1", `{"type":"setup","callSid":"CA1","sessionId":"VX1"}`)
	// The on-call line does not answer; leg 2's name answer comes before its setup.
	cur, err := store.Get(ctx, b.ID, "CA1")
	if err != nil {
		t.Fatal(err)
	}
	cur.State.Call.ResumeStaff, cur.ConnectionID = twiliovoice.ResumeEmergency, "leg2"
	if err := store.Save(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if reply := frame("leg2", `{"type":"prompt","voicePrompt":"Jamie Rivera","last":true}`); !containsText(reply, "phone number") {
		t.Errorf("the name answer got %q; want the number asked next", reply)
	}
	frame("leg2", `{"type":"setup","callSid":"CA1","sessionId":"VX2"}`)
	if reply := frame("leg2", `{"type":"prompt","voicePrompt":"503 555 0142","last":true}`); !containsText(reply, "Let me make sure I have everything") {
		t.Errorf("the number got %q; want the read-back", reply)
	}

	got, err := store.Get(ctx, b.ID, "CA1")
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, tu := range got.Turns {
		if tu.Role != session.RoleTool {
			said = append(said, tu.Role+": "+tu.Text)
		}
	}
	want := []string{
		"agent: " + b.Agent.Greeting,
		"caller: My fence blew down",
		"agent: Got it, I'll pass that along to the team. May I have your name, please?",
		"caller: #",
		"agent: Connecting you to our on-call team now. Please stay on the line.",
		"agent: I'm sorry, I couldn't reach our on-call crew. Let me take your details so they can call you back as soon as possible. What's your name?",
		"caller: Jamie Rivera",
		"agent: Thanks, Jamie. What's the best phone number for the team to reach you?",
		"caller: 503 555 0142",
	}
	if len(said) < len(want) {
		t.Fatalf("transcript %q", said)
	}
	for i, w := range want {
		if said[i] != w {
			t.Errorf("turn %d = %q; want %q", i+1, said[i], w)
		}
	}
	if got.Caller.Name != "Jamie Rivera" || got.Caller.Reason != "My fence blew down" {
		t.Errorf("caller %+v", got.Caller)
	}
}
