package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ahca/ahca/pkg/tenant"
)

// Store keeps sessions. Implementations: DynamoStore (AWS, DynamoDB Local)
// and MemoryStore (the embedded store of `make dev`); both pass the
// contract suite in sessiontest.
type Store interface {
	// Create stores a new session (Version must be 0; it becomes 1). It
	// fails with ErrExists if the business already has a session with that id.
	Create(ctx context.Context, s *Session) error
	// Get returns a copy of the business's session, read consistently.
	Get(ctx context.Context, biz tenant.ID, id string) (*Session, error)
	// ByConnection returns a copy of the session bound to a WebSocket
	// connection: the one read on a turn's hot path. It may lag a very recent
	// Save (DynamoDB reads it from an index); Save's version check catches that.
	ByConnection(ctx context.Context, connectionID string) (*Session, error)
	// Save writes s if the stored version is still s.Version, then increments
	// s.Version. Otherwise it returns ErrConflict and writes nothing. Once
	// the inline turns pass a high-water mark, the older ones move out into
	// records of their own in the same write; a consumed interrupt mark
	// (State.Engine.Interrupt set nil) stops being pending. Afterwards s
	// looks as a read returns it.
	Save(ctx context.Context, s *Session) error
	// Interrupt stores m as the session's pending mark without writing the
	// session (no version change): reads return it in
	// State.Engine.Interrupt until a Save consumes it.
	Interrupt(ctx context.Context, s *Session, m Interrupt) error
	// LastInterrupt returns the session's last interrupt mark, consumed or
	// not (nil if none): a cheap read for a streaming turn's polls, which
	// look only at marks set after the turn started.
	LastInterrupt(ctx context.Context, biz tenant.ID, id string) (*Interrupt, error)
	// EarlierTurns returns the turns moved out of the session item
	// (AllTurns adds the inline ones, and reads nothing when there are none).
	TurnReader
}

// IdleRef names an active session that counts as idle.
type IdleRef struct {
	BusinessID tenant.ID
	ID         string
	IdleAt     time.Time
}

// IdleLister lists active sessions by when they count as idle; both stores
// implement it (DynamoStore with the sparse index byIdle).
type IdleLister interface {
	// Idle returns up to limit active sessions of one shard (0 to
	// IdleShards-1) whose IdleAt is before before, soonest first.
	Idle(ctx context.Context, shard int, before time.Time, limit int) ([]IdleRef, error)
}

// MaxAttempts bounds the re-read-and-retry loop of Update.
const MaxAttempts = 8

// Update applies fn to the session and saves it, re-reading and re-applying
// fn when another invocation saved first, so no concurrent change is lost.
// s is the session already read (the hot path's one read); it may be stale.
// fn must be safe to run more than once. Update returns the saved session.
func Update(ctx context.Context, st Store, s *Session, fn func(*Session) error) (*Session, error) {
	cur := s.Clone()
	for attempt := 1; ; attempt++ {
		if err := fn(cur); err != nil {
			return nil, err
		}
		err := st.Save(ctx, cur)
		if err == nil {
			return cur, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == MaxAttempts {
			return nil, fmt.Errorf("update session %s/%s: %w", s.BusinessID, s.ID, err)
		}
		// Jittered backoff so writers that collided do not collide again.
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(attempt) * int64(2*time.Millisecond)))):
		case <-ctx.Done():
			return nil, fmt.Errorf("update session %s/%s: %w", s.BusinessID, s.ID, ctx.Err())
		}
		if cur, err = st.Get(ctx, s.BusinessID, s.ID); err != nil {
			return nil, fmt.Errorf("update session %s/%s: re-read: %w", s.BusinessID, s.ID, err)
		}
	}
}
