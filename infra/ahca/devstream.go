package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/sweep"
	"github.com/ahca/ahca/pkg/tenant"
)

// streamStore stands in for the table's DynamoDB stream in the local stack:
// it wraps the session store and hands every session that ends, or expires
// while still active (as TTL would remove it), to deliver — once, in the
// background, as the stream invokes the email Lambda.
type streamStore struct {
	session.Store
	deliver func(ctx context.Context, s *session.Session) error
	log     *slog.Logger
	now     func() time.Time

	mu    sync.Mutex
	open  map[sessionKey]bool // sessions created and not yet handed over
	wg    sync.WaitGroup
	slots chan struct{} // deliveries running at once
}

type sessionKey struct {
	biz tenant.ID
	id  string
}

func newStreamStore(st session.Store, deliver func(context.Context, *session.Session) error, log *slog.Logger) *streamStore {
	return &streamStore{Store: st, deliver: deliver, log: log, now: time.Now, open: map[sessionKey]bool{}, slots: make(chan struct{}, streamParallel)}
}

func (s *streamStore) Create(ctx context.Context, sess *session.Session) error {
	if err := s.Store.Create(ctx, sess); err != nil {
		return err
	}
	s.mu.Lock()
	s.open[sessionKey{sess.BusinessID, sess.ID}] = true
	s.mu.Unlock()
	return nil
}

func (s *streamStore) Save(ctx context.Context, sess *session.Session) error {
	if err := s.Store.Save(ctx, sess); err != nil {
		return err
	}
	if sess.Status == session.StatusEnded {
		s.handOver(sess.Clone())
	}
	return nil
}

// handOver delivers a session once.
func (s *streamStore) handOver(sess *session.Session) {
	k := sessionKey{sess.BusinessID, sess.ID}
	s.mu.Lock()
	if !s.open[k] {
		s.mu.Unlock()
		return
	}
	delete(s.open, k)
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		// Bounded, like the stream's one batch per shard at a time, so a
		// burst of endings does not pile onto a struggling store.
		s.slots <- struct{}{}
		defer func() { <-s.slots }()
		ctx := tenant.WithBusiness(context.Background(), sess.BusinessID)
		// The stream retries a failed batch until its records expire (a
		// day); the local stand-in retries patiently too, with backoff.
		for attempt := 1; ; attempt++ {
			err := s.deliver(ctx, sess)
			if err == nil {
				return
			}
			if attempt == streamAttempts {
				s.log.ErrorContext(ctx, "summary delivery failed; giving up as the stream would after its retries", "attempts", attempt, "sessionId", sess.ID, "err", err)
				return
			}
			s.log.WarnContext(ctx, "summary delivery failed; retrying", "attempt", attempt, "err", err)
			time.Sleep(min(streamBackoff<<(attempt-1), streamMaxBackoff))
		}
	}()
}

// The local stream's retries: 10 attempts over about a minute and a half.
const (
	streamAttempts   = 10
	streamBackoff    = 250 * time.Millisecond
	streamMaxBackoff = 16 * time.Second
	streamParallel   = 8
)

// sweep hands over sessions that expired while active (abandoned), like the
// TTL deletion the stream reports in AWS.
func (s *streamStore) sweep(ctx context.Context) {
	s.mu.Lock()
	keys := make([]sessionKey, 0, len(s.open))
	for k := range s.open {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	now := s.now()
	for _, k := range keys {
		sess, err := s.Store.Get(ctx, k.biz, k.id)
		if err != nil {
			continue
		}
		if sess.Status == session.StatusActive && sess.Expired(now) {
			s.handOver(sess)
		}
	}
}

// run sweeps every interval until ctx ends.
func (s *streamStore) run(ctx context.Context, every time.Duration) { sweep.Every(ctx, every, s.sweep) }

// wait lets in-flight deliveries finish (shutdown, after the gateway has
// closed its connections and so ended their sessions).
func (s *streamStore) wait() { s.wg.Wait() }
