package sweep_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/sweep"
	"github.com/ahca/ahca/pkg/tenant"
)

type configs struct{ s *business.Set }

func (c configs) Business(_ context.Context, id tenant.ID) (*business.Business, error) {
	return c.s.Business(id)
}

// clock is a test clock the engine and the sweeper share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	clock  *clock
	store  *session.MemoryStore
	engine *conversation.Engine
	rec    *relaytest.Recorder
	sweep  *sweep.Sweeper
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC)}, store: session.NewMemoryStore(), rec: relaytest.New()}
	f.engine = &conversation.Engine{Configs: configs{businesstest.Set(t)}, Store: f.store, Now: f.clock.Now}
	f.sweep = &sweep.Sweeper{Sessions: f.store, Now: f.clock.Now, End: func(ctx context.Context, biz tenant.ID, id string, now time.Time) (bool, error) {
		return f.engine.EndIdle(ctx, f.rec, biz, id, now)
	}}
	return f
}

func (f *fixture) open(t *testing.T, biz tenant.ID, conn string, ch session.Channel) *session.Session {
	t.Helper()
	b := businesstest.Get(t, biz)
	s, err := f.engine.Open(context.Background(), b, conn, ch)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) status(t *testing.T, s *session.Session) (session.Status, string) {
	t.Helper()
	got, err := f.store.Get(context.Background(), s.BusinessID, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status, got.EndReason
}

// Sessions whose $disconnect never came are ended once idle for their
// channel's timeout, through the engine (so the stream sends the email);
// a session with activity since is not; a web visitor still connected is
// told and disconnected.
func TestSweepEndsIdleSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	web := f.open(t, "superior-fencing", "c-web", session.ChannelWeb)
	phone := f.open(t, "superior-fencing", "c-phone", session.ChannelPhone)
	busy := f.open(t, "maple-street-vet", "c-busy", session.ChannelWeb)

	f.clock.Add(9 * time.Minute)
	if err := f.engine.Handle(ctx, f.rec, "c-busy", []byte(`{"type":"setup"}`)); err != nil {
		t.Fatal(err) // activity at minute 9
	}
	f.clock.Add(2 * time.Minute) // minute 11
	res, err := f.sweep.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != 1 {
		t.Errorf("sweep at 11 min: %+v, want only the web session ended", res)
	}
	if st, why := f.status(t, web); st != session.StatusEnded || why != conversation.EndIdle {
		t.Errorf("web session: %s (%s), want ended (idle)", st, why)
	}
	for _, s := range []*session.Session{phone, busy} {
		if st, _ := f.status(t, s); st != session.StatusActive {
			t.Errorf("%s session %s ended at 11 min", s.Channel, s.ID)
		}
	}
	frames := f.rec.Take("c-web")
	if len(frames) != 1 || frames[0]["type"] != "end" || !f.rec.Closed("c-web") {
		t.Errorf("web visitor got %v (closed %v), want one end frame and the connection closed", frames, f.rec.Closed("c-web"))
	}

	f.clock.Add(20 * time.Minute) // minute 31
	if res, err = f.sweep.Sweep(ctx); err != nil || res.Ended != 2 {
		t.Errorf("sweep at 31 min: %+v, %v; want the phone and the other web session ended", res, err)
	}
	if f.rec.Closed("c-phone") || len(f.rec.Take("c-phone")) != 0 {
		t.Error("a phone leg got web frames")
	}
	if res, err = f.sweep.Sweep(ctx); err != nil || res != (sweep.Result{}) {
		t.Errorf("a second sweep: %+v, %v; want nothing due", res, err)
	}
}

// --idle-timeout: the engine's override applies to every new session.
func TestSweepOverride(t *testing.T) {
	f := newFixture(t)
	f.engine.IdleTimeout = 20 * time.Second
	s := f.open(t, "superior-fencing", "c1", session.ChannelPhone)
	f.clock.Add(21 * time.Second)
	if res, err := f.sweep.Sweep(context.Background()); err != nil || res.Ended != 1 {
		t.Fatalf("sweep: %+v, %v", res, err)
	}
	if st, _ := f.status(t, s); st != session.StatusEnded {
		t.Errorf("status %s", st)
	}
}

// A session that cannot be ended is counted, reported and left for the
// next sweep; the others are still ended.
func TestSweepFailures(t *testing.T) {
	f := newFixture(t)
	a := f.open(t, "superior-fencing", "c1", session.ChannelWeb)
	b := f.open(t, "maple-street-vet", "c2", session.ChannelWeb)
	end := f.sweep.End
	f.sweep.End = func(ctx context.Context, biz tenant.ID, id string, now time.Time) (bool, error) {
		if id == a.ID {
			return false, errors.New("store unavailable")
		}
		return end(ctx, biz, id, now)
	}
	f.clock.Add(11 * time.Minute)
	res, err := f.sweep.Sweep(context.Background())
	if err == nil || res.Failed != 1 || res.Ended != 1 || res.Due != 2 {
		t.Fatalf("sweep: %+v, %v; want one failure reported and one ended", res, err)
	}
	if st, _ := f.status(t, b); st != session.StatusEnded {
		t.Error("a failure stopped the rest of the sweep")
	}
	f.sweep.End = end
	if res, err := f.sweep.Sweep(context.Background()); err != nil || res.Ended != 1 {
		t.Errorf("next sweep: %+v, %v; want the one left ended", res, err)
	}
}
