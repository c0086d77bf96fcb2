// Package sessiontest is the contract every session.Store must meet. Each
// implementation's tests call RunContract with a constructor of fresh,
// empty stores.
package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// IndexWait bounds how long the suite polls ByConnection for a write to
// show: DynamoDB's index is eventually consistent.
const IndexWait = 2 * time.Second

const (
	bizA tenant.ID = "acme-plumbing"
	bizB tenant.ID = "bravo-fencing"
)

// RunContract runs the contract suite; newStore returns a fresh, empty store
// for each subtest.
func RunContract(t *testing.T, newStore func(t *testing.T) session.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, st session.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"RoundTripEnded", testRoundTripEnded},
		{"CreateTwice", testCreateTwice},
		{"CreateRequiresVersionZero", testCreateRequiresVersionZero},
		{"GetMissing", testGetMissing},
		{"ByConnectionMissing", testByConnectionMissing},
		{"ByConnectionFollowsSaves", testByConnectionFollowsSaves},
		{"ByConnectionPrefersLatest", testByConnectionPrefersLatest},
		{"TurnOrderAcrossSaves", testTurnOrder},
		{"StaleSave", testStaleSave},
		{"SaveMissing", testSaveMissing},
		{"ConcurrentAppends", testConcurrentAppends},
		{"Copies", testCopies},
		{"ExpiredStillReturned", testExpired},
		{"TenantSameID", testTenantSameID},
		{"TenantGetOtherBusiness", testTenantGetOther},
		{"TenantSaveUnderOtherBusiness", testTenantSave},
		{"TenantByConnection", testTenantByConnection},
		{"InvalidKeys", testInvalidKeys},
		{"TooLarge", testTooLarge},
		{"LongConversation", testLongConversation},
		{"InterruptMark", testInterruptMark},
		{"ConflictWritesNoTurns", testConflictWritesNoTurns},
		{"Idle", testIdle},
		{"PreviousVersionItem", testPreviousVersionItem},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

var t0 = time.Date(2026, 3, 14, 22, 5, 7, 123456789, time.UTC)

// futureExpiry is a day from now with a fractional second. Expiry must be
// in the future: DynamoDB deletes items whose TTL attribute has passed (by
// its documentation within days; DynamoDB Local sweeps every few seconds),
// which would make sessions vanish mid-test.
func futureExpiry() time.Time {
	return time.Now().Truncate(time.Second).Add(24*time.Hour + 700*time.Millisecond)
}

// fullSession has every field set, times with nanoseconds and a zone.
func fullSession(biz tenant.ID, id string) *session.Session {
	la := time.FixedZone("PDT", -7*3600)
	s := &session.Session{
		BusinessID:   biz,
		ID:           id,
		Channel:      session.ChannelPhone,
		ConnectionID: "conn-" + string(biz) + "-" + id,
		CallSID:      "CA0123456789abcdef0123456789abcdef",
		Status:       session.StatusActive,
		Caller: session.Caller{
			Name: "Ada Lovelace", Phone: "+15035550100", Email: "ada@example.com",
			Reason: "leaking pipe", CallerID: "+15035550199",
		},
		State:     fullState(la),
		CreatedAt: t0.In(la),
		UpdatedAt: t0.Add(90 * time.Second),
		ExpiresAt: futureExpiry(),
	}
	s.Append(session.RoleAgent, "Thanks for calling Acme, this is Sam.", t0.Add(time.Second))
	s.Append(session.RoleCaller, "Hi, my kitchen pipe is leaking — ünïcode ✓", t0.Add(3*time.Second).In(la))
	tool := s.Append(session.RoleTool, `{"ok":true}`, t0.Add(4*time.Second))
	tool.Tool = "collect_info"
	agent := s.Append(session.RoleAgent, "I can have someone", t0.Add(5*time.Second+1))
	agent.Interrupted = true
	return s
}

// Diff describes how got differs from want, or returns "" when they are the
// same session. Times are compared with time.Equal; ExpiresAt to the second
// (the TTL attribute's precision); in State, nil and empty maps and slices
// are the same.
func Diff(got, want *session.Session) string {
	var d []string
	f := func(name string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	ft := func(name string, g, w time.Time) {
		if !g.Equal(w) {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	f("BusinessID", got.BusinessID, want.BusinessID)
	f("ID", got.ID, want.ID)
	f("Channel", got.Channel, want.Channel)
	f("ConnectionID", got.ConnectionID, want.ConnectionID)
	f("CallSID", got.CallSID, want.CallSID)
	f("Status", got.Status, want.Status)
	f("EndReason", got.EndReason, want.EndReason)
	f("Caller", got.Caller, want.Caller)
	if g, w := canonical(got.State), canonical(want.State); g != w {
		d = append(d, fmt.Sprintf("State: got %s, want %s", g, w))
	}
	f("Version", got.Version, want.Version)
	ft("CreatedAt", got.CreatedAt, want.CreatedAt)
	ft("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	ft("EndedAt", got.EndedAt, want.EndedAt)
	ft("ExpiresAt", got.ExpiresAt, want.ExpiresAt.Truncate(time.Second))
	if len(got.Turns) != len(want.Turns) {
		d = append(d, fmt.Sprintf("Turns: got %d, want %d", len(got.Turns), len(want.Turns)))
	} else {
		for i := range got.Turns {
			g, w := got.Turns[i], want.Turns[i]
			if !g.At.Equal(w.At) {
				d = append(d, fmt.Sprintf("Turns[%d].At: got %v, want %v", i, g.At, w.At))
			}
			g.At, w.At = time.Time{}, time.Time{}
			f(fmt.Sprintf("Turns[%d]", i), g, w)
		}
	}
	return strings.Join(d, "\n")
}

func mustCreate(t *testing.T, st session.Store, s *session.Session) {
	t.Helper()
	if err := st.Create(context.Background(), s); err != nil {
		t.Fatalf("Create %s/%s: %v", s.BusinessID, s.ID, err)
	}
}

func mustGet(t *testing.T, st session.Store, biz tenant.ID, id string) *session.Session {
	t.Helper()
	s, err := st.Get(context.Background(), biz, id)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", biz, id, err)
	}
	if s == nil {
		t.Fatalf("Get %s/%s: nil session, nil error", biz, id)
	}
	return s
}

func mustSave(t *testing.T, st session.Store, s *session.Session) {
	t.Helper()
	if err := st.Save(context.Background(), s); err != nil {
		t.Fatalf("Save %s/%s: %v", s.BusinessID, s.ID, err)
	}
}

func wantSame(t *testing.T, what string, got, want *session.Session) {
	t.Helper()
	if d := Diff(got, want); d != "" {
		t.Errorf("%s differs:\n%s", what, d)
	}
}

// wantRefused checks a write the store refused: err is want, the session
// written keeps its version, and the store still holds stored.
func wantRefused(t *testing.T, st session.Store, what string, err, want error, s *session.Session, version int64, stored *session.Session) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
	if s.Version != version {
		t.Errorf("%s changed Version to %d", what, s.Version)
	}
	wantSame(t, "stored session after "+what, mustGet(t, st, stored.BusinessID, stored.ID), stored)
}

// eventually polls check until it returns nil or IndexWait passes.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(IndexWait)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, IndexWait, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// findByConnection polls ByConnection until it returns a session matching
// biz/id at version.
func findByConnection(t *testing.T, st session.Store, conn string, biz tenant.ID, id string, version int64) *session.Session {
	t.Helper()
	var got *session.Session
	eventually(t, "ByConnection("+conn+")", func() error {
		s, err := st.ByConnection(context.Background(), conn)
		if err != nil {
			return err
		}
		if s.BusinessID != biz || s.ID != id || s.Version != version {
			return fmt.Errorf("got %s/%s v%d, want %s/%s v%d", s.BusinessID, s.ID, s.Version, biz, id, version)
		}
		got = s
		return nil
	})
	return got
}

// goneByConnection polls ByConnection until it reports ErrNotFound.
func goneByConnection(t *testing.T, st session.Store, conn string) {
	t.Helper()
	eventually(t, "ByConnection("+conn+") not found", func() error {
		s, err := st.ByConnection(context.Background(), conn)
		if errors.Is(err, session.ErrNotFound) {
			if s != nil {
				return fmt.Errorf("ErrNotFound with a non-nil session")
			}
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("still returns %s/%s v%d", s.BusinessID, s.ID, s.Version)
	})
}

func testRoundTrip(t *testing.T, st session.Store) {
	want := fullSession(bizA, "s-roundtrip")
	mustCreate(t, st, want)
	if want.Version != 1 {
		t.Fatalf("after Create, Version = %d, want 1", want.Version)
	}
	got := mustGet(t, st, bizA, want.ID)
	wantSame(t, "Get after Create", got, want)
	if !got.Expired(want.ExpiresAt) || got.Expired(want.ExpiresAt.Add(-2*time.Second)) {
		t.Errorf("ExpiresAt %v: Expired does not match the stored second", got.ExpiresAt)
	}
	byConn := findByConnection(t, st, want.ConnectionID, bizA, want.ID, 1)
	wantSame(t, "ByConnection after Create", byConn, want)

	got.Append(session.RoleCaller, "and the basement", t0.Add(time.Minute))
	got.Caller.Reason = "leaking pipe, flooded basement"
	got.State.Intake.Step = session.StepBooking
	got.State.Intake.AddTry("booking")
	got.UpdatedAt = t0.Add(2 * time.Minute)
	got.ExpiresAt = time.Time{}
	mustSave(t, st, got)
	if got.Version != 2 {
		t.Fatalf("after Save, Version = %d, want 2", got.Version)
	}
	wantSame(t, "Get after Save", mustGet(t, st, bizA, want.ID), got)
}

func testRoundTripEnded(t *testing.T, st session.Store) {
	want := &session.Session{
		BusinessID: bizA, ID: "s-ended", Channel: session.ChannelWeb,
		Status: session.StatusEnded, EndReason: "caller hung up",
		CreatedAt: t0, UpdatedAt: t0.Add(time.Minute), EndedAt: t0.Add(time.Minute + time.Nanosecond),
	}
	mustCreate(t, st, want)
	got := mustGet(t, st, bizA, want.ID)
	wantSame(t, "minimal ended session", got, want)
	if got.Active(t0) {
		t.Errorf("ended session is Active")
	}
}

func testCreateTwice(t *testing.T, st session.Store) {
	first := fullSession(bizA, "s-twice")
	mustCreate(t, st, first)
	second := fullSession(bizA, "s-twice")
	second.Caller.Name = "Someone Else"
	wantRefused(t, st, "a second Create", st.Create(context.Background(), second), session.ErrExists, second, 0, first)
}

func testCreateRequiresVersionZero(t *testing.T, st session.Store) {
	s := fullSession(bizA, "s-v5")
	s.Version = 5
	if err := st.Create(context.Background(), s); err == nil {
		t.Fatal("Create with Version 5 succeeded")
	}
	if _, err := st.Get(context.Background(), bizA, "s-v5"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get after refused Create: err = %v, want ErrNotFound", err)
	}
}

func testGetMissing(t *testing.T, st session.Store) {
	mustCreate(t, st, fullSession(bizA, "s-present"))
	s, err := st.Get(context.Background(), bizA, "s-absent")
	if !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
	}
	if s != nil {
		t.Fatalf("Get missing returned a session with the error")
	}
}

func testByConnectionMissing(t *testing.T, st session.Store) {
	mustCreate(t, st, fullSession(bizA, "s-present"))
	for _, conn := range []string{"no-such-connection", ""} {
		s, err := st.ByConnection(context.Background(), conn)
		if !errors.Is(err, session.ErrNotFound) || s != nil {
			t.Errorf("ByConnection(%q) = %v, %v; want nil, ErrNotFound", conn, s, err)
		}
	}
	// A session without a connection is not found under the empty id.
	noConn := fullSession(bizA, "s-noconn")
	noConn.ConnectionID = ""
	mustCreate(t, st, noConn)
	if s, err := st.ByConnection(context.Background(), ""); !errors.Is(err, session.ErrNotFound) || s != nil {
		t.Errorf(`ByConnection("") with a connectionless session = %v, %v; want nil, ErrNotFound`, s, err)
	}
}

func testByConnectionFollowsSaves(t *testing.T, st session.Store) {
	s := fullSession(bizA, "s-moves")
	s.ConnectionID = "conn-1"
	mustCreate(t, st, s)
	findByConnection(t, st, "conn-1", bizA, s.ID, 1)

	s.ConnectionID = "conn-2"
	mustSave(t, st, s)
	got := findByConnection(t, st, "conn-2", bizA, s.ID, 2)
	wantSame(t, "ByConnection after the connection changed", got, s)
	goneByConnection(t, st, "conn-1")

	s.ConnectionID = ""
	mustSave(t, st, s)
	goneByConnection(t, st, "conn-2")
	if got := mustGet(t, st, bizA, s.ID); got.ConnectionID != "" || got.Version != 3 {
		t.Errorf("after unbinding: ConnectionID %q, Version %d; want empty, 3", got.ConnectionID, got.Version)
	}
}

func testByConnectionPrefersLatest(t *testing.T, st session.Store) {
	// A stale session still carrying the connection id (e.g. an earlier
	// phone leg) and the current one: ByConnection returns the most
	// recently updated.
	stale := fullSession(bizA, "s-stale")
	stale.ConnectionID = "conn-shared"
	stale.UpdatedAt = t0
	current := fullSession(bizA, "s-current")
	current.ConnectionID = "conn-shared"
	current.UpdatedAt = t0.Add(time.Minute)
	mustCreate(t, st, current)
	mustCreate(t, st, stale)
	findByConnection(t, st, "conn-shared", bizA, "s-current", 1)

	stale.UpdatedAt = t0.Add(2 * time.Minute)
	mustSave(t, st, stale)
	findByConnection(t, st, "conn-shared", bizA, "s-stale", 2)
}

func testTurnOrder(t *testing.T, st session.Store) {
	s := fullSession(bizA, "s-order")
	s.Turns = nil
	mustCreate(t, st, s)
	const n = 30
	for i := range n {
		cur := mustGet(t, st, bizA, s.ID)
		cur.Append([]string{session.RoleCaller, session.RoleAgent}[i%2], fmt.Sprintf("turn %d", i+1), t0.Add(time.Duration(i)*time.Second))
		mustSave(t, st, cur)
	}
	got := mustGet(t, st, bizA, s.ID)
	if got.Version != n+1 {
		t.Errorf("Version = %d, want %d", got.Version, n+1)
	}
	if len(got.Turns) != n {
		t.Fatalf("%d turns, want %d", len(got.Turns), n)
	}
	for i, tr := range got.Turns {
		if tr.Seq != i+1 || tr.Text != fmt.Sprintf("turn %d", i+1) || !tr.At.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("turn %d = %+v", i, tr)
		}
	}
}

func testStaleSave(t *testing.T, st session.Store) {
	s := fullSession(bizA, "s-stale-save")
	mustCreate(t, st, s)
	a := mustGet(t, st, bizA, s.ID)
	b := mustGet(t, st, bizA, s.ID)
	a.Append(session.RoleCaller, "from a", t0.Add(time.Minute))
	mustSave(t, st, a)

	b.Append(session.RoleCaller, "from b", t0.Add(time.Minute))
	b.Caller.Name = "Overwritten"
	wantRefused(t, st, "a stale Save", st.Save(context.Background(), b), session.ErrConflict, b, 1, a)

	// A version from the future conflicts too.
	c := mustGet(t, st, bizA, s.ID)
	c.Version = 10
	wantRefused(t, st, "a future-version Save", st.Save(context.Background(), c), session.ErrConflict, c, 10, a)
}

func testSaveMissing(t *testing.T, st session.Store) {
	s := fullSession(bizA, "s-never-created")
	for _, v := range []int64{0, 1} {
		s.Version = v
		if err := st.Save(context.Background(), s); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Save of a missing session at version %d: err = %v, want ErrNotFound", v, err)
		}
	}
	if _, err := st.Get(context.Background(), bizA, s.ID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Save of a missing session created it: Get err = %v", err)
	}
}

func testConcurrentAppends(t *testing.T, st session.Store) {
	const writers, perWriter = 8, 5
	s := fullSession(bizA, "s-concurrent")
	s.Turns = nil
	mustCreate(t, st, s)
	ctx := context.Background()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		exhausted int
		errs      []error
	)
	for w := range writers {
		wg.Go(func() {
			cur, err := st.Get(ctx, bizA, s.ID)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			for i := range perWriter {
				text := fmt.Sprintf("w%d-%d", w, i)
				// Update gives up after MaxAttempts conflicts; with 8 writers
				// hammering one session that can happen, and the caller would
				// then start over, as here.
				for try := 0; ; try++ {
					saved, err := session.Update(ctx, st, cur, func(s *session.Session) error {
						s.Append(session.RoleCaller, text, t0)
						return nil
					})
					if err == nil {
						cur = saved
						break
					}
					if errors.Is(err, session.ErrConflict) && try < 20 {
						mu.Lock()
						exhausted++
						mu.Unlock()
						if cur, err = st.Get(ctx, bizA, s.ID); err == nil {
							continue
						}
					}
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", text, err))
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("Update errors: %v", errors.Join(errs...))
	}
	if exhausted > 0 {
		t.Logf("Update exhausted its %d attempts %d times; the writer started over", session.MaxAttempts, exhausted)
	}
	got := mustGet(t, st, bizA, s.ID)
	if want := int64(1 + writers*perWriter); got.Version != want {
		t.Errorf("Version = %d, want %d (one per save)", got.Version, want)
	}
	seen := map[string]int{}
	last := map[int]int{}
	for i, tr := range got.Turns {
		seen[tr.Text]++
		if tr.Seq != i+1 {
			t.Errorf("turn %d has Seq %d", i, tr.Seq)
		}
		var w, n int
		if _, err := fmt.Sscanf(tr.Text, "w%d-%d", &w, &n); err != nil {
			t.Errorf("unexpected turn %q", tr.Text)
			continue
		}
		if p, ok := last[w]; ok && n <= p {
			t.Errorf("writer %d's turn %d after its turn %d", w, n, p)
		}
		last[w] = n
	}
	for w := range writers {
		for i := range perWriter {
			if text := fmt.Sprintf("w%d-%d", w, i); seen[text] != 1 {
				t.Errorf("turn %q present %d times, want once", text, seen[text])
			}
		}
	}
	if len(got.Turns) != writers*perWriter {
		t.Errorf("%d turns, want %d", len(got.Turns), writers*perWriter)
	}
}

func testCopies(t *testing.T, st session.Store) {
	ctx := context.Background()
	s := fullSession(bizA, "s-copies")
	want := s.Clone()
	mustCreate(t, st, s)
	want.Version = 1
	mutate := func(x *session.Session) {
		x.Turns[0].Text = "MUTATED"
		x.Turns = append(x.Turns, session.Turn{Seq: 99, Text: "MUTATED"})
		x.State.Intake.Step = "MUTATED"
		x.State.Intake.Tries["name"] = 99
		x.State.Intake.Skipped[0] = "MUTATED"
		x.State.Voicemail.Name = "MUTATED"
		x.State.Engine.Interrupt.Heard = "MUTATED"
		x.Caller.Name = "MUTATED"
		x.ConnectionID = "MUTATED"
	}
	mutate(s)
	wantSame(t, "after mutating the created session", mustGet(t, st, bizA, s.ID), want)

	got := mustGet(t, st, bizA, s.ID)
	mutate(got)
	wantSame(t, "after mutating a returned session", mustGet(t, st, bizA, s.ID), want)

	byConn := findByConnection(t, st, want.ConnectionID, bizA, s.ID, 1)
	mutate(byConn)
	wantSame(t, "after mutating a session from ByConnection", mustGet(t, st, bizA, s.ID), want)

	saved := mustGet(t, st, bizA, s.ID)
	saved.Append(session.RoleAgent, "saved", t0)
	mustSave(t, st, saved)
	want = saved.Clone()
	mutate(saved)
	wantSame(t, "after mutating the saved session", mustGet(t, st, bizA, s.ID), want)

	// Concurrent readers and a writer share nothing (run with -race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if g, err := st.Get(ctx, bizA, s.ID); err == nil {
				mutate(g)
			}
		})
	}
	wg.Wait()
	wantSame(t, "after concurrent mutation of copies", mustGet(t, st, bizA, s.ID), want)
}

func testExpired(t *testing.T, st session.Store) {
	now := time.Now()
	s := fullSession(bizA, "s-expired")
	// More than five years in the past: DynamoDB's TTL (and DynamoDB
	// Local's sweeper) leave such items alone, so this checks that the store
	// itself does not hide expired sessions. A recently expired session may
	// be deleted by TTL at any moment, so callers handle both Expired and
	// ErrNotFound.
	s.ExpiresAt = now.AddDate(-6, 0, 0)
	mustCreate(t, st, s)
	got := mustGet(t, st, bizA, s.ID)
	if !got.Expired(now) || got.Active(now) {
		t.Errorf("stored expired session: Expired %v, Active %v; want true, false", got.Expired(now), got.Active(now))
	}
	byConn := findByConnection(t, st, s.ConnectionID, bizA, s.ID, 1)
	if !byConn.Expired(now) {
		t.Errorf("ByConnection: session not Expired")
	}
}

func testTenantSameID(t *testing.T, st session.Store) {
	a := fullSession(bizA, "s-same")
	a.Caller.Name = "Caller of A"
	a.State = session.State{Call: session.Call{TransferStaff: "A"}}
	b := fullSession(bizB, "s-same")
	b.Caller.Name = "Caller of B"
	b.State = session.State{Call: session.Call{TransferStaff: "B"}}
	b.Turns = b.Turns[:1]
	mustCreate(t, st, a)
	mustCreate(t, st, b)
	wantSame(t, "Get(A, id)", mustGet(t, st, bizA, "s-same"), a)
	wantSame(t, "Get(B, id)", mustGet(t, st, bizB, "s-same"), b)

	// Saving A's session does not touch B's.
	a.Append(session.RoleCaller, "more for A", t0)
	mustSave(t, st, a)
	wantSame(t, "Get(B, id) after saving A's", mustGet(t, st, bizB, "s-same"), b)
	wantSame(t, "Get(A, id) after saving A's", mustGet(t, st, bizA, "s-same"), a)
}

func testTenantGetOther(t *testing.T, st session.Store) {
	a := fullSession(bizA, "s-only-a")
	mustCreate(t, st, a)
	s, err := st.Get(context.Background(), bizB, a.ID)
	if !errors.Is(err, session.ErrNotFound) || s != nil {
		t.Fatalf("Get(B, A's id) = %v, %v; want nil, ErrNotFound", s, err)
	}
}

func testTenantSave(t *testing.T, st session.Store) {
	ctx := context.Background()
	a := fullSession(bizA, "s-claimed")
	mustCreate(t, st, a)
	a.Append(session.RoleCaller, "second", t0)
	mustSave(t, st, a) // A at version 2
	wantA := mustGet(t, st, bizA, a.ID)

	// A copy of A's session relabelled as B's, at A's exact id and version.
	claim := wantA.Clone()
	claim.BusinessID = bizB
	claim.Caller.Name = "Attacker"
	claim.ConnectionID = "conn-claim"
	if err := st.Save(ctx, claim); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Save claiming B with A's id (B has none): err = %v, want ErrNotFound", err)
	}
	wantSame(t, "A's session after a Save claiming B", mustGet(t, st, bizA, a.ID), wantA)
	if _, err := st.Get(ctx, bizB, a.ID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Save claiming B created B's session: err = %v", err)
	}

	// B gets its own session with the same id (version 1): the claim at
	// version 2 conflicts under B's key and leaves both alone.
	b := fullSession(bizB, a.ID)
	mustCreate(t, st, b)
	claim.Version = wantA.Version
	if err := st.Save(ctx, claim); !errors.Is(err, session.ErrConflict) {
		t.Errorf("Save claiming B at A's version: err = %v, want ErrConflict", err)
	}
	wantSame(t, "A's session after a conflicting claim", mustGet(t, st, bizA, a.ID), wantA)
	wantSame(t, "B's session after a conflicting claim", mustGet(t, st, bizB, a.ID), b)

	// At B's version it is simply a save of B's session: A's is unchanged.
	claim.Version = b.Version
	if err := st.Save(ctx, claim); err != nil {
		t.Fatalf("Save of B's session: %v", err)
	}
	wantSame(t, "A's session after B's save", mustGet(t, st, bizA, a.ID), wantA)
	wantSame(t, "B's session after B's save", mustGet(t, st, bizB, a.ID), claim)

	// Create for B with A's id never touches A's either.
	c := fullSession(bizB, "s-a-only")
	a2 := fullSession(bizA, "s-a-only")
	mustCreate(t, st, a2)
	mustCreate(t, st, c)
	wantSame(t, "A's session after B's Create with its id", mustGet(t, st, bizA, "s-a-only"), a2)
}

func testTenantByConnection(t *testing.T, st session.Store) {
	a := fullSession(bizA, "s-conn")
	a.ConnectionID = "conn-of-a"
	b := fullSession(bizB, "s-conn")
	b.ConnectionID = "conn-of-b"
	mustCreate(t, st, a)
	mustCreate(t, st, b)
	gotA := findByConnection(t, st, "conn-of-a", bizA, "s-conn", 1)
	gotB := findByConnection(t, st, "conn-of-b", bizB, "s-conn", 1)
	wantSame(t, "ByConnection(A's connection)", gotA, a)
	wantSame(t, "ByConnection(B's connection)", gotB, b)
}

func testInvalidKeys(t *testing.T, st session.Store) {
	ctx := context.Background()
	stored := fullSession(bizA, "x#SESSION#y")
	mustCreate(t, st, stored)
	wantStored := stored.Clone() // built once: fullSession's expiry follows the clock
	// "acme-plumbing#SESSION#x" / "y" would otherwise spell the same key as
	// "acme-plumbing" / "x#SESSION#y".
	for _, k := range []struct {
		biz tenant.ID
		id  string
	}{{"", "s"}, {bizA + "#SESSION#x", "y"}, {"Acme", "s"}, {bizA, ""}} {
		if s, err := st.Get(ctx, k.biz, k.id); err == nil || s != nil {
			t.Errorf("Get(%q, %q) = %v, %v; want an error", k.biz, k.id, s, err)
		}
		bad := fullSession(k.biz, k.id)
		if err := st.Create(ctx, bad); err == nil {
			t.Errorf("Create(%q, %q) succeeded", k.biz, k.id)
		}
		bad.Version = 1
		if err := st.Save(ctx, bad); err == nil {
			t.Errorf("Save(%q, %q) succeeded", k.biz, k.id)
		}
	}
	wantSame(t, "session after invalid writes", mustGet(t, st, bizA, "x#SESSION#y"), wantStored)
}

func testTooLarge(t *testing.T, st session.Store) {
	ctx := context.Background()
	huge := strings.Repeat("x", session.MaxItemBytes+1)
	s := fullSession(bizA, "s-huge")
	s.Append(session.RoleCaller, huge, t0)
	if err := st.Create(ctx, s); !errors.Is(err, session.ErrTooLarge) {
		t.Fatalf("Create with a turn over %d bytes: err = %v, want ErrTooLarge", session.MaxItemBytes, err)
	}
	if _, err := st.Get(ctx, bizA, "s-huge"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("refused Create stored something: %v", err)
	}

	s = fullSession(bizA, "s-grows")
	mustCreate(t, st, s)
	want := mustGet(t, st, bizA, s.ID)
	s.Append(session.RoleAgent, huge, t0)
	if err := st.Save(ctx, s); !errors.Is(err, session.ErrTooLarge) {
		t.Fatalf("Save with a turn over %d bytes: err = %v, want ErrTooLarge", session.MaxItemBytes, err)
	}
	wantSame(t, "session after a refused Save", mustGet(t, st, bizA, "s-grows"), want)
}

// testLongConversation: no length of conversation is too long to store,
// and what a save writes does not grow with it. Each save appends a caller
// turn and an agent turn, as a turn of the conversation does.
func testLongConversation(t *testing.T, st session.Store) {
	ctx := context.Background()
	tests := []struct {
		name  string
		turns int
		chars int
	}{
		{"500 short turns", 500, 80},
		{"500 turns of 4000 characters", 500, 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("s-long-%d-%d", tt.turns, tt.chars)
			s := fullSession(bizA, id)
			s.Turns = nil
			s.State.Engine.Interrupt = nil
			s.Append(session.RoleAgent, "Welcome! How can I help?", t0)
			mustCreate(t, st, s)
			text := func(seq int) string {
				head := fmt.Sprintf("turn %d ", seq)
				return head + strings.Repeat(string(rune('a'+seq%26)), max(tt.chars-len(head), 0))
			}
			var sizes []int
			cur := mustGet(t, st, bizA, id)
			for seq := 2; seq <= tt.turns; seq += 2 {
				cur.Append(session.RoleCaller, text(seq), t0.Add(time.Duration(seq)*time.Second))
				if seq+1 <= tt.turns {
					cur.Append(session.RoleAgent, text(seq+1), t0.Add(time.Duration(seq)*time.Second))
				}
				mustSave(t, st, cur)
				n, err := session.StoredSize(cur)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, n)
			}
			got := mustGet(t, st, bizA, id)
			if len(got.Turns) > 2*session.RecentTurns || got.Earlier.Count()+len(got.Turns) != tt.turns {
				t.Errorf("session keeps %d turns inline and %d earlier; want at most %d inline and %d in all",
					len(got.Turns), got.Earlier.Count(), 2*session.RecentTurns, tt.turns)
			}
			if g := got.Greeting(); g != "Welcome! How can I help?" {
				t.Errorf("Greeting() = %q after the greeting left the inline turns", g)
			}
			if got.Earlier.FirstCaller == "" || !strings.HasPrefix(got.Earlier.FirstCaller, "turn 2 ") {
				t.Errorf("Earlier.FirstCaller = %q, want the caller's first words", got.Earlier.FirstCaller)
			}
			earlier, err := st.EarlierTurns(ctx, bizA, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(earlier) != got.Earlier.Count() {
				t.Errorf("%d turns moved out, the session counts %d", len(earlier), got.Earlier.Count())
			}
			turns, err := session.AllTurns(ctx, st, got)
			if err != nil {
				t.Fatal(err)
			}
			if len(turns) != tt.turns {
				t.Fatalf("%d turns stored, want %d", len(turns), tt.turns)
			}
			for i, tu := range turns {
				if tu.Seq != i+1 || (i > 0 && tu.Text != text(i+1)) {
					t.Fatalf("turn %d = seq %d %.20q…, want seq %d %.20q…", i, tu.Seq, tu.Text, i+1, text(i+1))
				}
			}
			// What a save writes is flat: the session item in the last
			// fifth of the conversation is at most twice the first fifth's.
			fifth := len(sizes) / 5
			first, last := median(sizes[:fifth]), median(sizes[len(sizes)-fifth:])
			if last > 2*first || last > 64*1024 {
				t.Errorf("stored session item: median %d bytes in the first fifth, %d in the last; want the last at most twice the first and under 64 KB", first, last)
			}
		})
	}
}

func median(xs []int) int {
	c := slices.Clone(xs)
	slices.Sort(c)
	return c[len(c)/2]
}

// testInterruptMark: an interrupt is a mark beside the session, not a
// write of it; a save that consumes the mark makes it no longer pending,
// and a mark set after the read stays pending for the next save.
func testInterruptMark(t *testing.T, st session.Store) {
	ctx := context.Background()
	s := fullSession(bizA, "s-mark")
	s.State.Engine.Interrupt = nil
	mustCreate(t, st, s)
	read := mustGet(t, st, bizA, s.ID)

	first := session.Interrupt{At: t0.Add(time.Minute), Heard: "Thanks for"}
	if err := st.Interrupt(ctx, read, first); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, st, bizA, s.ID)
	if got.Version != read.Version {
		t.Errorf("Interrupt changed the version %d → %d; it must not write the session", read.Version, got.Version)
	}
	pending := func(what string, x *session.Session, want *session.Interrupt) {
		t.Helper()
		m := x.State.Engine.Interrupt
		if (m == nil) != (want == nil) || (m != nil && (!m.At.Equal(want.At) || m.Heard != want.Heard)) {
			t.Errorf("%s: pending mark = %+v, want %+v", what, m, want)
		}
	}
	pending("Get", got, &first)
	pending("ByConnection", findByConnection(t, st, s.ConnectionID, bizA, s.ID, got.Version), &first)
	if m, err := st.LastInterrupt(ctx, bizA, s.ID); err != nil || m == nil || m.Heard != first.Heard {
		t.Errorf("LastInterrupt = %+v, %v; want %+v", m, err, first)
	}

	// A newer mark after the read: the save consumes the mark it read, and
	// the newer one stays pending.
	second := session.Interrupt{At: t0.Add(2 * time.Minute), Heard: "Thanks"}
	if err := st.Interrupt(ctx, got, second); err != nil {
		t.Fatal(err)
	}
	got.State.Engine.Interrupt = nil
	got.Interrupted(first.Heard)
	mustSave(t, st, got)
	after := mustGet(t, st, bizA, s.ID)
	pending("after consuming the first mark", after, &second)

	after.State.Engine.Interrupt = nil
	after.Interrupted(second.Heard)
	mustSave(t, st, after)
	pending("after consuming the second mark", mustGet(t, st, bizA, s.ID), nil)
	turns, err := session.AllTurns(ctx, st, mustGet(t, st, bizA, s.ID))
	if err != nil {
		t.Fatal(err)
	}
	var agent *session.Turn
	for i := range turns {
		if turns[i].Role == session.RoleAgent {
			agent = &turns[i]
		}
	}
	if agent == nil || !agent.Interrupted || agent.Text != second.Heard {
		t.Errorf("stored agent turn = %+v; want it interrupted, cut to %q", agent, second.Heard)
	}
}

// testConflictWritesNoTurns: a save that loses the version check moves
// none of its turns out.
func testConflictWritesNoTurns(t *testing.T, st session.Store) {
	ctx := context.Background()
	s := fullSession(bizA, "s-conflict-turns")
	s.Turns = nil
	for i := range 2 * session.RecentTurns {
		s.Append([]string{session.RoleCaller, session.RoleAgent}[i%2], fmt.Sprintf("turn %d", i+1), t0)
	}
	mustCreate(t, st, s)
	a, b := mustGet(t, st, bizA, s.ID), mustGet(t, st, bizA, s.ID)
	b.Append(session.RoleCaller, "from b", t0)
	b.Append(session.RoleAgent, "to b", t0)
	a.Append(session.RoleCaller, "from a", t0) // passes the high-water mark
	mustSave(t, st, a)
	if err := st.Save(ctx, b); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("stale Save: err = %v, want ErrConflict", err)
	}
	got := mustGet(t, st, bizA, s.ID)
	if got.Earlier.Count() == 0 {
		t.Fatal("passing the high-water mark moved no turn out")
	}
	turns, err := session.AllTurns(ctx, st, got)
	if err != nil {
		t.Fatal(err)
	}
	if n := 2*session.RecentTurns + 1; len(turns) != n || turns[n-1].Text != "from a" {
		t.Fatalf("%d turns stored (last %+v), want %d ending with a's", len(turns), turns[len(turns)-1], n)
	}
	for _, tu := range turns {
		if tu.Text == "from b" || tu.Text == "to b" {
			t.Errorf("the refused save stored turn %d %q", tu.Seq, tu.Text)
		}
	}
}

// testIdle: active sessions are listed by when they count as idle (their
// last activity plus their idle timeout), across the shards; ended ones
// never; a save that shows activity moves a session out of what is due.
func testIdle(t *testing.T, st session.Store) {
	ctx := context.Background()
	lister, ok := st.(session.IdleLister)
	if !ok {
		t.Fatalf("%T does not list idle sessions (session.IdleLister)", st)
	}
	mk := func(biz tenant.ID, id string, ch session.Channel, status session.Status, last time.Time, timeout time.Duration) *session.Session {
		s := fullSession(biz, id)
		s.Channel, s.Status, s.CreatedAt, s.UpdatedAt, s.IdleTimeout = ch, status, t0, last, timeout
		s.ConnectionID, s.EndedAt = "conn-"+id, time.Time{}
		if status == session.StatusEnded {
			s.EndedAt = last
		}
		mustCreate(t, st, s)
		return s
	}
	web := mk(bizA, "idle-web", session.ChannelWeb, session.StatusActive, t0, 0)                                     // due t0+10m
	mk(bizA, "idle-phone", session.ChannelPhone, session.StatusActive, t0, 0)                                        // due t0+30m
	short := mk(bizA, "idle-short", session.ChannelWeb, session.StatusActive, t0.Add(5*time.Minute), 20*time.Second) // due t0+5m20s
	mk(bizA, "idle-ended", session.ChannelWeb, session.StatusEnded, t0, 0)
	mk(bizB, "idle-other", session.ChannelWeb, session.StatusActive, t0, 0) // due t0+10m
	due := func(before time.Time) ([]string, error) {
		var ids []string
		for shard := range session.IdleShards {
			refs, err := lister.Idle(ctx, shard, before, 0)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				if r.IdleAt.IsZero() || !r.IdleAt.Before(before) {
					return nil, fmt.Errorf("%s/%s listed with IdleAt %v, not before %v", r.BusinessID, r.ID, r.IdleAt, before)
				}
				ids = append(ids, string(r.BusinessID)+"/"+r.ID)
			}
		}
		slices.Sort(ids)
		return ids, nil
	}
	expect := func(what string, before time.Time, want ...string) {
		t.Helper()
		slices.Sort(want)
		eventually(t, what, func() error {
			got, err := due(before)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("due before %v: %v, want %v", before, got, want)
			}
			return nil
		})
	}
	expect("nothing due yet", t0.Add(5*time.Minute))
	expect("the short timeout", t0.Add(6*time.Minute), "acme-plumbing/idle-short")
	expect("the web timeouts", t0.Add(11*time.Minute), "acme-plumbing/idle-short", "acme-plumbing/idle-web", "bravo-fencing/idle-other")
	expect("the phone timeout", t0.Add(31*time.Minute), "acme-plumbing/idle-short", "acme-plumbing/idle-web", "acme-plumbing/idle-phone", "bravo-fencing/idle-other")

	web.UpdatedAt = t0.Add(20 * time.Minute) // activity: due at t0+30m now
	mustSave(t, st, web)
	short.Status, short.EndedAt = session.StatusEnded, t0.Add(6*time.Minute)
	mustSave(t, st, short)
	expect("after activity and an end", t0.Add(11*time.Minute), "bravo-fencing/idle-other")
	if _, err := lister.Idle(ctx, session.IdleShards, t0, 0); err == nil {
		t.Error("a shard out of range was accepted")
	}
}

// fullState has every part of the state set.
func fullState(zone *time.Location) session.State {
	return session.State{
		Intake: session.Intake{
			Step: session.StepConfirm, Ask: "email", Turns: 4,
			Tries: map[string]int{"name": 1, "confirm": 2}, Heard: map[string]string{"phone": "50355501"},
			Unvalidated: []string{"email"}, Skipped: []string{"phone"}, Message: "for Jordan",
			Questions: []string{"do you do gates?", "is it ünïcode ✓?"}, Emergency: true, Outcome: "confirmed",
		},
		Booking: session.Booking{
			Stage: session.BookConfirm, Want: session.WantYes, When: "tomorrow at 2",
			Proposed: t0.Add(48 * time.Hour).In(zone), Start: t0.Add(24 * time.Hour).In(zone), Service: "demo",
		},
		Call: session.Call{Mode: session.CallVoicemail, ResumeStaff: "billing", TransferStaff: "billing"},
		Voicemail: &session.Voicemail{
			Name: "Ada Lovelace", Phone: "+15035550100", PhoneSource: "caller", Reason: "call me back",
			For: "billing", At: t0.Add(time.Minute), Notified: 2, Sent: "0123abcd",
		},
		Engine: session.Engine{Greeted: true, Leg: "VX123", Interrupt: &session.Interrupt{At: t0.Add(6 * time.Second), Heard: "I can"}},
		Usage: session.Usage{
			Prompts: 7, MinuteStart: t0.Add(2 * time.Minute).In(zone), MinutePrompts: 3,
			TurnUntil: t0.Add(3 * time.Minute).In(zone), TurnID: "turn-7", Bookings: 1, SMS: 2, ModelTokens: 12345, Scripted: "modelTokensPerDay",
		},
	}
}

// canonical renders a state for comparison: times in UTC, and nil and empty
// maps and slices alike.
func canonical(st session.State) string {
	utc := func(t time.Time) string { return t.UTC().String() }
	in, bk := st.Intake, st.Booking
	s := fmt.Sprintf("intake %s %s %d %v %v %q %q %q %q %v %s; booking %s %s %s %s %s %s; call %+v; engine %v %s",
		in.Step, in.Ask, in.Turns, fmt.Sprint(in.Tries), fmt.Sprint(in.Heard), in.Unvalidated, in.Skipped, in.Message, in.Questions, in.Emergency, in.Outcome,
		bk.Stage, bk.Want, bk.When, utc(bk.Proposed), utc(bk.Start), bk.Service, st.Call, st.Engine.Greeted, st.Engine.Leg)
	if v := st.Voicemail; v != nil {
		s += fmt.Sprintf("; voicemail %s %s %s %s %s %s %d %s", v.Name, v.Phone, v.PhoneSource, v.Reason, v.For, utc(v.At), v.Notified, v.Sent)
	}
	if i := st.Engine.Interrupt; i != nil {
		s += "; interrupt " + utc(i.At) + " " + i.Heard
	}
	u := st.Usage
	s += fmt.Sprintf("; usage %d %s %d %s %s %d %d %d %s", u.Prompts, utc(u.MinuteStart), u.MinutePrompts, utc(u.TurnUntil), u.TurnID, u.Bookings, u.SMS, u.ModelTokens, u.Scripted)
	return s
}

// ItemPutter is a store that can store an item in DynamoStore's form as is
// (both stores can).
type ItemPutter interface {
	PutItem(ctx context.Context, item map[string]types.AttributeValue) error
}

// testPreviousVersionItem reads a session item written by the previous
// version, whose state was a map of strings ("flow"), and converts it: a
// deploy must not break the conversations under way (sessions live at most
// 3 hours). The next save writes the typed form.
func testPreviousVersionItem(t *testing.T, st session.Store) {
	ctx := context.Background()
	p, ok := st.(ItemPutter)
	if !ok {
		t.Fatalf("%T cannot store a raw item (ItemPutter): every store must, so a previous version's items can be tested", st)
	}
	s := fullSession(bizA, "s-previous")
	s.State = session.State{}
	s.Version = 3
	item, err := session.Item(s)
	if err != nil {
		t.Fatal(err)
	}
	delete(item, "state")
	flow := map[string]string{
		"step": "collect", "ask": "phone", "turns": "3", "tries.phone": "2", "heard.phone": "50355501",
		"skipped.email": "1", "unvalidated.name": "1", "message": "for Jordan", "questions": "do you do gates?\nare you open?",
		"emergency": "1", "booking.want": "1", "booking.service": "demo", "booking.start": "2026-03-16T10:00:00-07:00",
		"call.mode": "voicemail", "resume.staff": "billing", "voicemail.name": "Ada", "voicemail.notified": "2",
		"engine.greeted": "1", "engine.leg": "VX1", "engine.interrupt.at": "2026-03-14T22:05:10Z", "engine.interrupt.heard": "I can",
		"tries.confirm": "not a number", "some.future.key": "x", "empty": "",
	}
	m := map[string]types.AttributeValue{}
	for k, v := range flow {
		m[k] = &types.AttributeValueMemberS{Value: v}
	}
	item["flow"] = &types.AttributeValueMemberM{Value: m}
	if err := p.PutItem(ctx, item); err != nil {
		t.Fatal(err)
	}
	start, _ := time.Parse(time.RFC3339, "2026-03-16T10:00:00-07:00")
	want := s.Clone()
	want.State = session.State{
		Intake: session.Intake{Step: session.StepCollect, Ask: "phone", Turns: 3, Tries: map[string]int{"phone": 2},
			Heard: map[string]string{"phone": "50355501"}, Skipped: []string{"email"}, Unvalidated: []string{"name"},
			Message: "for Jordan", Questions: []string{"do you do gates?", "are you open?"}, Emergency: true},
		Booking:   session.Booking{Want: session.WantYes, Service: "demo", Start: start},
		Call:      session.Call{Mode: session.CallVoicemail, ResumeStaff: "billing"},
		Voicemail: &session.Voicemail{Name: "Ada", Notified: 2},
		Engine:    session.Engine{Greeted: true, Leg: "VX1", Interrupt: &session.Interrupt{At: time.Date(2026, 3, 14, 22, 5, 10, 0, time.UTC), Heard: "I can"}},
	}
	got := mustGet(t, st, bizA, s.ID)
	wantSame(t, "Get of a previous version's item", got, want)
	wantSame(t, "ByConnection of a previous version's item", findByConnection(t, st, s.ConnectionID, bizA, s.ID, 3), want)

	// Saving writes the typed state; the old map is gone for good.
	got.State.Intake.Turns++
	mustSave(t, st, got)
	wantSame(t, "Get after saving a converted item", mustGet(t, st, bizA, s.ID), got)
}
