package session_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/session"
)

func BenchmarkMemoryTurn(b *testing.B) {
	benchmarkTurn(b, session.NewMemoryStore())
}

// benchmarkTurn measures one turn's store work: ByConnection, then Update
// appending the caller's and the agent's turns. The session is reset to two
// turns every 50 turns so its size stays that of a typical conversation.
func benchmarkTurn(b *testing.B, st session.Store) {
	ctx := context.Background()
	now := time.Now()
	var s *session.Session
	fresh := func(n int) {
		s = &session.Session{
			BusinessID: "acme-plumbing", ID: fmt.Sprintf("bench-%d-%d", now.UnixNano(), n),
			Channel: session.ChannelWeb, ConnectionID: fmt.Sprintf("conn-bench-%d-%d", now.UnixNano(), n),
			Status: session.StatusActive, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
			Caller: session.Caller{Name: "Ada", Reason: "leak"},
			State:  session.State{Intake: session.Intake{Step: session.StepCollect}},
		}
		s.Append(session.RoleAgent, "Thanks for calling, how can I help?", now)
		s.Append(session.RoleCaller, "My kitchen pipe is leaking.", now)
		if err := st.Create(ctx, s); err != nil {
			b.Fatal(err)
		}
		waitByConnection(b, st, s.ConnectionID)
	}
	fresh(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%50 == 0 {
			b.StopTimer()
			fresh(i)
			b.StartTimer()
		}
		cur, err := st.ByConnection(ctx, s.ConnectionID)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := session.Update(ctx, st, cur, func(s *session.Session) error {
			s.Append(session.RoleCaller, "Can someone come tomorrow morning?", now)
			s.Append(session.RoleAgent, "Yes, I can book 9am. What is your phone number?", now)
			s.UpdatedAt = now
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// waitByConnection polls until the session bound to conn is visible through
// ByConnection (DynamoDB's index is eventually consistent).
func waitByConnection(tb testing.TB, st session.Store, conn string) *session.Session {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		s, err := st.ByConnection(context.Background(), conn)
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("ByConnection(%q): %v", conn, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
