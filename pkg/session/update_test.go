package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/session"
)

// racingStore is a MemoryStore where, before each of the first `races`
// Saves, another writer saves the session first, so that Save conflicts.
type racingStore struct {
	*session.MemoryStore
	races int
	saves int
	// saveErr, when set, is returned by every Save instead.
	saveErr error
}

func (r *racingStore) Save(ctx context.Context, s *session.Session) error {
	r.saves++
	if r.saveErr != nil {
		return r.saveErr
	}
	if r.races > 0 {
		r.races--
		other, err := r.MemoryStore.Get(ctx, s.BusinessID, s.ID)
		if err != nil {
			return err
		}
		other.Caller.Name = "set concurrently"
		other.Append(session.RoleAgent, "concurrent", time.Now())
		if err := r.MemoryStore.Save(ctx, other); err != nil {
			return err
		}
	}
	return r.MemoryStore.Save(ctx, s)
}

func newRacingStore(t *testing.T) (*racingStore, *session.Session) {
	t.Helper()
	st := &racingStore{MemoryStore: session.NewMemoryStore()}
	s := &session.Session{BusinessID: "acme-plumbing", ID: "s1", Channel: session.ChannelWeb, Status: session.StatusActive}
	if err := st.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return st, s
}

func TestUpdateRetriesOnConflict(t *testing.T) {
	st, s := newRacingStore(t)
	st.races = 1
	calls := 0
	saved, err := session.Update(context.Background(), st, s, func(s *session.Session) error {
		calls++
		s.Append(session.RoleCaller, "mine", time.Now())
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if calls != 2 || st.saves != 2 {
		t.Errorf("fn ran %d times with %d saves; want 2 and 2", calls, st.saves)
	}
	if saved.Version != 3 {
		t.Errorf("saved Version = %d, want 3", saved.Version)
	}
	got, err := st.Get(context.Background(), s.BusinessID, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || got.Caller.Name != "set concurrently" || len(got.Turns) != 2 ||
		got.Turns[0].Text != "concurrent" || got.Turns[1].Text != "mine" || got.Turns[1].Seq != 2 {
		t.Errorf("stored %+v: want the concurrent change, then mine, at version 3", got)
	}
	if s.Version != 1 || len(s.Turns) != 0 {
		t.Errorf("Update changed the session it was given: %+v", s)
	}
}

func TestUpdateGivesUpAfterMaxAttempts(t *testing.T) {
	st, s := newRacingStore(t)
	st.races = 1000
	calls := 0
	saved, err := session.Update(context.Background(), st, s, func(s *session.Session) error {
		calls++
		return nil
	})
	if !errors.Is(err, session.ErrConflict) || saved != nil {
		t.Fatalf("Update = %v, %v; want nil, ErrConflict", saved, err)
	}
	if calls != session.MaxAttempts || st.saves != session.MaxAttempts {
		t.Errorf("fn ran %d times with %d saves; want %d", calls, st.saves, session.MaxAttempts)
	}
}

func TestUpdateFnError(t *testing.T) {
	st, s := newRacingStore(t)
	boom := errors.New("boom")
	_, err := session.Update(context.Background(), st, s, func(*session.Session) error { return boom })
	if !errors.Is(err, boom) || st.saves != 0 {
		t.Fatalf("err = %v after %d saves; want boom and no save", err, st.saves)
	}
}

func TestUpdateOtherErrorNotRetried(t *testing.T) {
	st, s := newRacingStore(t)
	st.saveErr = fmt.Errorf("session store: save: %w", context.DeadlineExceeded)
	_, err := session.Update(context.Background(), st, s, func(*session.Session) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || st.saves != 1 {
		t.Fatalf("err = %v after %d saves; want DeadlineExceeded after 1", err, st.saves)
	}
}

func TestUpdateStaleInput(t *testing.T) {
	// The hot path hands Update what ByConnection read, which may be stale:
	// the first Save conflicts, Update re-reads and wins.
	st, s := newRacingStore(t)
	stale := s.Clone()
	cur := s.Clone()
	cur.Append(session.RoleCaller, "earlier", time.Now())
	if err := st.Save(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	saved, err := session.Update(context.Background(), st, stale, func(s *session.Session) error {
		s.Append(session.RoleCaller, "now", time.Now())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Turns) != 2 || saved.Turns[0].Text != "earlier" || saved.Turns[1].Text != "now" || saved.Version != 3 {
		t.Errorf("saved %+v", saved)
	}
}
