package session_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
)

// Counters are atomic: concurrent adds all count, per business and window.
func TestCountersAtomic(t *testing.T) {
	run := func(t *testing.T, c session.Counters) {
		ctx := context.Background()
		day := session.DayWindow(time.Now())
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Add(ctx, "acme-plumbing", day, map[string]int64{session.CountModelTokens: 100, session.CountConversations: 1}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := c.Add(ctx, "acme-plumbing", day, map[string]int64{session.CountModelTokens: 0, session.CountConversations: 0})
		if err != nil {
			t.Fatal(err)
		}
		if got[session.CountModelTokens] != 2000 || got[session.CountConversations] != 20 {
			t.Errorf("counters = %v", got)
		}
		other, _ := c.Add(ctx, "bravo-fencing", day, map[string]int64{session.CountModelTokens: 0})
		if other[session.CountModelTokens] != 0 {
			t.Errorf("another business's counter = %v", other)
		}
		if _, err := c.Add(ctx, "BAD#ID", day, map[string]int64{"x": 1}); err == nil {
			if _, ok := c.(*session.DynamoCounters); ok {
				t.Error("a malformed business id was counted")
			}
		}
	}
	t.Run("memory", func(t *testing.T) { run(t, &session.MemoryCounters{}) })
	t.Run("dynamodb", func(t *testing.T) {
		client, table := sessiontest.LocalTable(t)
		run(t, &session.DynamoCounters{Client: client, Table: table})
	})
}
