package conversation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
)

// A web chat opens with the web greeting and never asks for a key press,
// with either agent; "#" typed in it gets the browser's emergency path
// (the AI agent's model is told what to offer, once).
func TestWebChatIsAWebChat(t *testing.T) {
	for _, ai := range []bool{false, true} {
		ctx := context.Background()
		f, b := newAgentFixture(t, "superior-fencing", ai)
		if _, err := f.engine.Open(ctx, b, "c1", session.ChannelWeb); err != nil {
			t.Fatal(err)
		}
		if err := f.engine.Handle(ctx, f.rec, "c1", []byte(`{"type":"setup"}`)); err != nil {
			t.Fatal(err)
		}
		greeting, _ := relaytest.Reply(f.rec.Take("c1"))
		if greeting != b.WebGreeting() || strings.Contains(greeting, "press") || strings.Contains(greeting, "pound") {
			t.Errorf("ai=%v: web greeting %q; want %q", ai, greeting, b.WebGreeting())
		}
		for i, typed := range []string{"#", "#"} {
			if ai {
				f.fake.Enqueue(llmtest.Text("Understood."))
			}
			if err := f.engine.Handle(ctx, f.rec, "c1", []byte(`{"type":"dtmf","digit":"`+typed+`"}`)); err != nil {
				t.Fatal(err)
			}
			reply, _ := relaytest.Reply(f.rec.Take("c1"))
			if strings.Contains(reply, "didn't catch") || strings.Contains(reply, "press") {
				t.Errorf("ai=%v: %q typed got %q", ai, typed, reply)
			}
			if !ai {
				if offered := strings.Contains(reply, "If you leave a phone number"); offered != (i == 0) {
					t.Errorf("scripted: # number %d got %q; the call back is offered once", i+1, reply)
				}
				continue
			}
			req := f.fake.Last()
			note := lastMessage(req)
			if told := note.Role == "system" && strings.Contains(note.Content, "If you leave a phone number"); told != (i == 0) {
				t.Errorf("ai: # number %d: the model's last message is %s %q; told once", i+1, note.Role, note.Content)
			}
		}
	}
}
