package conversation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// oneBusiness serves one business, whatever the id.
type oneBusiness struct{ b *business.Business }

func (o oneBusiness) Business(context.Context, tenant.ID) (*business.Business, error) {
	return o.b, nil
}

// restartFrame sends the client's restart frame on conn.
func restartFrame(t *testing.T, e *Engine, p Poster, conn string) error {
	t.Helper()
	return e.Handle(context.Background(), p, conn, []byte(`{"type":"restart"}`))
}

func restartEngine(t *testing.T, b *business.Business) (*Engine, *relaytest.Recorder) {
	n := 0
	e := &Engine{Configs: oneBusiness{b}, Store: session.NewMemoryStore(), TurnTimeout: 5 * time.Second,
		NewID: func() string { n++; return "s" + string(rune('0'+n)) }}
	return e, relaytest.New()
}

func TestRestartStartsOverOnTheSameConnection(t *testing.T) {
	ctx := context.Background()
	b := businesstest.Get(t, "superior-fencing")
	e, rec := restartEngine(t, b)
	if _, err := e.Open(ctx, b, "c1", session.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`{"type":"setup"}`, `{"type":"prompt","voicePrompt":"My gate is broken","last":true}`} {
		if err := e.Handle(ctx, rec, "c1", []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	rec.Take("c1")
	stale, err := e.Store.ByConnection(ctx, "c1") // as a duplicate frame would have read it
	if err != nil {
		t.Fatal(err)
	}

	if err := restartFrame(t, e, rec, "c1"); err != nil {
		t.Fatal(err)
	}
	frames := rec.Take("c1")
	ready := relaytest.Find(frames, protocol.TypeSessionReady)
	greeting, closed := relaytest.Reply(frames)
	if ready == nil || ready["sessionId"] != "s2" || !closed || greeting != b.WebGreeting() {
		t.Fatalf("after restart: session_ready %v, greeting %q (closed %v); want s2 and %q", ready, greeting, closed, b.WebGreeting())
	}
	if relaytest.Find(frames, protocol.TypeEnd) != nil || rec.Closed("c1") {
		t.Errorf("the connection was ended: %v", frames)
	}
	old, err := e.Store.Get(ctx, b.ID, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != session.StatusEnded || old.EndReason != EndRestarted || old.ConnectionID != "" || old.Caller.Reason != "My gate is broken" {
		t.Errorf("old session: %s %s conn %q caller %+v; want ended as restarted, unbound, its lead kept", old.Status, old.EndReason, old.ConnectionID, old.Caller)
	}

	// The next prompt belongs to the new conversation.
	if err := e.Handle(ctx, rec, "c1", []byte(`{"type":"prompt","voicePrompt":"I need a quote for a new fence","last":true}`)); err != nil {
		t.Fatal(err)
	}
	cur, err := e.Store.ByConnection(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if cur.ID != "s2" || cur.Status != session.StatusActive || cur.Caller.Reason != "I need a quote for a new fence" || len(cur.Turns) != 4 || cur.Turns[0].Text != b.WebGreeting() {
		t.Errorf("new session %s %s caller %+v turns %+v", cur.ID, cur.Status, cur.Caller, cur.Turns)
	}
	if old, _ = e.Store.Get(ctx, b.ID, "s1"); strings.Contains(old.Caller.Reason, "quote") {
		t.Errorf("the old session took the new prompt: %+v", old.Caller)
	}

	rec.Take("c1")

	// A duplicate of a restart already done (read before it) starts nothing.
	tr := &turn{e: e, p: rec, b: b, s: stale}
	tr.agent, tr.usesModel = e.agent(b, stale)
	if err := tr.restart(ctx); err != nil {
		t.Fatal(err)
	}
	if frames := rec.Take("c1"); len(frames) != 0 {
		t.Errorf("a duplicate restart posted %v", frames)
	}
	if cur, _ := e.Store.ByConnection(ctx, "c1"); cur.ID != "s2" {
		t.Errorf("a duplicate restart moved the connection to %s", cur.ID)
	}
}

func TestRestartRefused(t *testing.T) {
	ctx := context.Background()
	b := *businesstest.Get(t, "superior-fencing")
	b.Limits.ConnectionsPerSourcePerMinute = 2
	e, rec := restartEngine(t, &b)

	// On the phone there is nothing to start over.
	now := time.Now().UTC()
	call := &session.Session{BusinessID: b.ID, ID: "CA1", Channel: session.ChannelPhone, CallSID: "CA1", ConnectionID: "leg1",
		Status: session.StatusActive, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := e.Store.Create(ctx, call); err != nil {
		t.Fatal(err)
	}
	if err := restartFrame(t, e, rec, "leg1"); err != nil {
		t.Fatal(err)
	}
	if f := relaytest.Find(rec.Take("leg1"), protocol.TypeError); f == nil || f["code"] != protocol.CodeBadFrame {
		t.Errorf("phone restart: %v; want a bad_frame error", f)
	}
	if s, _ := e.Store.Get(ctx, b.ID, "CA1"); s.Status != session.StatusActive || s.ConnectionID != "leg1" {
		t.Errorf("phone restart changed the call: %s %q", s.Status, s.ConnectionID)
	}

	// Restarts count as new connections: the third in a minute is refused.
	if _, err := e.Open(ctx, &b, "c1", session.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := restartFrame(t, e, rec, "c1"); err != nil {
			t.Fatal(err)
		}
		frames := rec.Take("c1")
		refused := relaytest.Find(frames, protocol.TypeError)
		if (i == 3) != (refused != nil) || refused != nil && refused["code"] != CodeRateLimited {
			t.Errorf("restart %d: %v", i, frames)
		}
	}
	if cur, _ := e.Store.ByConnection(ctx, "c1"); cur.ID != "s3" || cur.Status != session.StatusActive {
		t.Errorf("after a refused restart the conversation is %s (%s); want s3 going on", cur.ID, cur.Status)
	}
}
