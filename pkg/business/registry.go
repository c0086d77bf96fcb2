package business

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ahca/ahca/pkg/tenant"
)

// DefaultRefresh is how long a loaded Set is served before the registry
// checks its source again.
const DefaultRefresh = time.Minute

// Registry answers "which business is this, and what are its rules?" for a
// long-lived process (a warm Lambda, the local stack).
//
// Business and ByNumber load only what they are asked about (the index,
// the fallback prompt and that business's directory; see lazy.go), so a
// function's cold start costs the same with 3 tenants or 3,000. Current
// loads the whole tree, for the tools that need every business (the local
// stack's listings, redrive of every business).
//
// Either way, at most every Refresh the registry checks the source again
// and re-fetches only the files whose ETag changed, so an operator's
// configs push takes effect without a redeploy. A refreshed file that does
// not validate is logged and not used: the last good version stays.
type Registry struct {
	src     Source
	refresh time.Duration
	now     func() time.Time
	log     *slog.Logger

	cur      atomic.Pointer[state]
	reloadMu sync.Mutex // one reload at a time

	lazy lazy // what Business and ByNumber loaded
}

type state struct {
	set      *Set
	files    map[string]version
	loadedAt time.Time
}

// RegistryOptions configures a Registry; zero values take defaults.
type RegistryOptions struct {
	Refresh time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// NewRegistry returns a registry over src. Nothing is fetched until first use,
// which keeps network calls out of Lambda init.
func NewRegistry(src Source, opts RegistryOptions) *Registry {
	r := &Registry{src: src, refresh: opts.Refresh, now: opts.Now, log: opts.Logger}
	if r.refresh <= 0 {
		r.refresh = DefaultRefresh
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r
}

// Current returns the current Set, loading or refreshing it when due. Only
// the first load can fail; after that a failed refresh serves the last good
// Set (and is retried at the next refresh).
func (r *Registry) Current(ctx context.Context) (*Set, error) {
	st := r.cur.Load()
	if st != nil && r.now().Sub(st.loadedAt) < r.refresh {
		return st.set, nil
	}
	if st != nil && !r.reloadMu.TryLock() {
		return st.set, nil // another caller is refreshing; do not wait for it
	}
	if st == nil {
		r.reloadMu.Lock()
		if st = r.cur.Load(); st != nil { // loaded while we waited
			r.reloadMu.Unlock()
			return st.set, nil
		}
	}
	defer r.reloadMu.Unlock()
	if err := r.reload(ctx); err != nil {
		if st = r.cur.Load(); st != nil {
			r.log.ErrorContext(ctx, "business configs refresh failed; serving the last good configs", "origin", r.src.Origin(), "err", err)
			return st.set, nil
		}
		return nil, err
	}
	return r.cur.Load().set, nil
}

// Reload fetches the changed files of the whole tree now, regardless of
// the refresh interval; businesses loaded by Business and ByNumber are
// checked again on their next use.
func (r *Registry) Reload(ctx context.Context) error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	r.lazy.sharedMu.Lock()
	if sh := r.lazy.shared.Load(); sh != nil {
		cp := *sh
		cp.checkedAt = time.Time{}
		r.lazy.shared.Store(&cp)
	}
	r.lazy.sharedMu.Unlock()
	r.lazy.mu.Lock()
	for _, e := range r.lazy.entries {
		e.mu.Lock()
		e.checkedAt = time.Time{}
		e.mu.Unlock()
	}
	r.lazy.mu.Unlock()
	return r.reload(ctx)
}

func (r *Registry) reload(ctx context.Context) error {
	old := r.cur.Load()
	var cached map[string]version
	if old != nil {
		cached = old.files
	}
	files, changed, err := fetchAll(ctx, r.src, cached)
	if err != nil {
		return fmt.Errorf("load business configs: %w", err)
	}
	if old != nil && !changed {
		r.cur.Store(&state{set: old.set, files: old.files, loadedAt: r.now()})
		return nil
	}
	set, err := Build(r.src.Origin(), contents(files))
	if err != nil {
		if old != nil { // try again at the next refresh, not on every call
			r.cur.Store(&state{set: old.set, files: old.files, loadedAt: r.now()})
		}
		return fmt.Errorf("load business configs: %w", err)
	}
	r.cur.Store(&state{set: set, files: files, loadedAt: r.now()})
	return nil
}

// Business returns the business with the given id, loading only it (and
// the shared files) from the source.
func (r *Registry) Business(ctx context.Context, id tenant.ID) (*Business, error) {
	return r.businessLazy(ctx, id)
}

// ByNumber returns the business a dialled number routes to, loading only the
// index and that business. The number is normalized first.
func (r *Registry) ByNumber(ctx context.Context, number string) (*Business, error) {
	sh, err := r.sharedNow(ctx)
	if err != nil {
		return nil, err
	}
	id, ok := sh.lookupNumber(number)
	if !ok {
		return nil, fmt.Errorf("number %q is not routed to any business: %w", number, ErrUnknownBusiness)
	}
	return r.businessLazy(ctx, id)
}
