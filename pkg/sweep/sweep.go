// Package sweep ends the conversations nobody ended. API Gateway delivers
// $disconnect at most once and sometimes not at all, a $disconnect can fail
// after its retries, and a call's status callback can be lost; the session
// then stays active until its TTL (hours, plus DynamoDB's deletion lag of
// up to days), and its lead reaches the business that late. The sweeper
// runs every minute, lists the active sessions past their idle timeout (the
// store's sparse index, never a scan) and ends each through the same path
// as a disconnect, so the summary email follows within minutes of the last
// activity. TTL remains the last resort.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Ender ends an idle session (sessionend.Ender.EndIdle); it reports
// false when the session was not idle after all (activity since the list,
// or already ended).
type Ender func(ctx context.Context, biz tenant.ID, id string, now time.Time) (bool, error)

// Defaults.
const (
	DefaultBatch   = 200 // sessions ended per shard per sweep
	DefaultWorkers = 4
	// Reserve is the time left for reporting when the invocation's
	// deadline nears: the sweep stops starting new work before it.
	Reserve = 3 * time.Second
)

// Sweeper ends idle sessions.
type Sweeper struct {
	Sessions session.IdleLister
	End      Ender
	Now      func() time.Time
	Batch    int // per shard and sweep; DefaultBatch
	Workers  int // sessions ended at once; DefaultWorkers
	Log      *slog.Logger
}

// Result counts a sweep.
type Result struct {
	Due    int // listed as idle
	Ended  int // ended by this sweep
	Failed int // could not be ended (logged with the business; retried next sweep)
}

func (w *Sweeper) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Sweeper) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Sweep lists every shard's due sessions and ends them. It returns an error
// when a shard could not be listed or a session could not be ended: what is
// left is retried by the next sweep, and the error makes the invocation
// count as failed (the function's Errors alarm).
func (w *Sweeper) Sweep(ctx context.Context) (Result, error) {
	if w.Sessions == nil || w.End == nil {
		return Result{}, errors.New("sweep: Sessions and End are required")
	}
	now := w.now().UTC()
	batch := w.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	workers := w.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	var (
		mu   sync.Mutex
		res  Result
		errs []error
	)
	jobs := make(chan session.IdleRef)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ref := range jobs {
				ended, err := w.End(tenant.WithBusiness(ctx, ref.BusinessID), ref.BusinessID, ref.ID, now)
				mu.Lock()
				switch {
				case err != nil:
					res.Failed++
					errs = append(errs, err)
				case ended:
					res.Ended++
				}
				mu.Unlock()
				if err != nil {
					w.log().ErrorContext(tenant.WithBusiness(ctx, ref.BusinessID), "idle session not ended; the next sweep retries",
						"sessionId", ref.ID, "idleAt", ref.IdleAt, "err", err)
				}
			}
		})
	}
	for shard := range session.IdleShards {
		if late(ctx) {
			errs = append(errs, fmt.Errorf("sweep: stopped at shard %d of %d: the invocation's deadline is near", shard, session.IdleShards))
			break
		}
		refs, err := w.Sessions.Idle(ctx, shard, now, batch)
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep: %w", err))
			continue
		}
		mu.Lock()
		res.Due += len(refs)
		mu.Unlock()
		for _, ref := range refs {
			if late(ctx) {
				break
			}
			jobs <- ref
		}
	}
	close(jobs)
	wg.Wait()
	if res.Due > 0 || len(errs) > 0 {
		w.log().InfoContext(ctx, "sweep", "due", res.Due, "ended", res.Ended, "failed", res.Failed)
	}
	return res, errors.Join(errs...)
}

// late reports whether ctx's deadline is within Reserve.
func late(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && time.Until(d) < Reserve
}

// Run sweeps every interval until ctx ends (the local stack; in AWS a
// schedule invokes Sweep).
func (w *Sweeper) Run(ctx context.Context, every time.Duration) {
	Every(ctx, every, func(ctx context.Context) {
		if _, err := w.Sweep(ctx); err != nil && ctx.Err() == nil {
			w.log().WarnContext(ctx, "sweep incomplete", "err", err)
		}
	})
}

// Every runs fn every interval until ctx ends: a schedule's stand-in in
// the local stack.
func Every(ctx context.Context, every time.Duration, fn func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}
