package business

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/tenant"
)

// A function serves a handful of businesses per execution environment, so
// Registry.Business and Registry.ByNumber load only what they are asked
// about: the shared files (businesses.json, the fallback prompt_rules.json)
// and the asked business's own directory. A cold start serving one business
// costs a constant number of requests, however many tenants the bucket
// holds:
//
//	GET businesses.json, GET prompt_rules.json     shared, once per Refresh
//	LIST businesses/<id>/, GET its config.json
//	and prompt_rules.json                          per business, once per Refresh
//
// Later refreshes send the shared GETs with If-None-Match and list the
// business's directory, fetching only files whose ETag changed.
//
// Each business is validated on its own (Build over its files, the fallback
// prompt and the index entries that route to it); the cross-business rules
// (a number claimed twice, a number routed to a missing business) are
// checked by `ahca configs validate` and `configs push`, which load the
// whole tree. A file that does not validate is logged and the last good
// version of that business (or of the index) keeps serving.

// PrefixLister is implemented by sources that can list part of a tree; the
// registry uses it to list one business's directory. Sources without it are
// listed whole and filtered.
type PrefixLister interface {
	ListPrefix(ctx context.Context, prefix string) ([]Object, error)
}

func listPrefix(ctx context.Context, src Source, prefix string) ([]Object, error) {
	if pl, ok := src.(PrefixLister); ok {
		return pl.ListPrefix(ctx, prefix)
	}
	return listFiltered(ctx, src, prefix)
}

// listFiltered lists everything and keeps the keys that start with prefix.
func listFiltered(ctx context.Context, src Source, prefix string) ([]Object, error) {
	all, err := src.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, o := range all {
		if strings.HasPrefix(o.Key, prefix) {
			out = append(out, o)
		}
	}
	return out, nil
}

// isNotFound reports whether a Source.Get error means the file does not
// exist (a directory's missing file, S3's NoSuchKey or a 404).
func isNotFound(err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// maxUnknown bounds the remembered unknown business ids (a client may send
// any id); past it they are forgotten.
const maxUnknown = 1024

// lazy is the registry's per-business state.
type lazy struct {
	shared   atomic.Pointer[sharedFiles]
	sharedMu sync.Mutex // one refresh of the shared files at a time

	mu      sync.Mutex
	entries map[tenant.ID]*entry
	unknown int
}

// sharedFiles are businesses.json and the fallback prompt_rules.json.
type sharedFiles struct {
	index     version
	prompts   *version // nil: no fallback prompt in the tree
	numbers   map[string]tenant.ID
	shared    map[string]SharedNumber
	gen       uint64 // changes whenever either file does
	checkedAt time.Time
}

// entry is one business as last loaded.
type entry struct {
	mu        sync.Mutex
	loaded    bool
	b         *Business // nil: no such business
	files     map[string]version
	gen       uint64 // sharedFiles.gen it was built with
	checkedAt time.Time
	// snapshot is what the last load published, for callers that find the
	// entry being refreshed and serve the previous result meanwhile.
	snapshot atomic.Pointer[entrySnapshot]
}

type entrySnapshot struct{ b *Business }

// sharedNow returns the shared files, fetching or refreshing them when due.
func (r *Registry) sharedNow(ctx context.Context) (*sharedFiles, error) {
	sh := r.lazy.shared.Load()
	if sh != nil && r.now().Sub(sh.checkedAt) < r.refresh {
		return sh, nil
	}
	if sh != nil && !r.lazy.sharedMu.TryLock() {
		return sh, nil // another caller is refreshing
	}
	if sh == nil {
		r.lazy.sharedMu.Lock()
		if sh = r.lazy.shared.Load(); sh != nil {
			r.lazy.sharedMu.Unlock()
			return sh, nil
		}
	}
	defer r.lazy.sharedMu.Unlock()
	next, err := r.fetchShared(ctx, sh)
	if err != nil {
		if sh == nil {
			return nil, fmt.Errorf("load business configs: %w", err)
		}
		r.log.ErrorContext(ctx, "business configs refresh failed; serving the last good configs", "origin", r.src.Origin(), "err", err)
		cp := *sh
		cp.checkedAt = r.now() // retry at the next refresh, not on every call
		r.lazy.shared.Store(&cp)
		return &cp, nil
	}
	r.lazy.shared.Store(next)
	return next, nil
}

func (r *Registry) fetchShared(ctx context.Context, old *sharedFiles) (*sharedFiles, error) {
	next := &sharedFiles{checkedAt: r.now()}
	changed := old == nil
	if old != nil {
		*next = *old
		next.checkedAt = r.now()
	}
	// businesses.json
	var oldTag string
	if old != nil {
		oldTag = old.index.etag
	}
	body, etag, err := r.src.Get(ctx, IndexFile, oldTag)
	switch {
	case errors.Is(err, ErrNotModified) && old != nil:
	case err != nil:
		return nil, fmt.Errorf("fetch %s: %w", IndexFile, err)
	default:
		numbers, shared, err := parseIndexOnly(body)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", strings.TrimSuffix(r.src.Origin(), "/"), IndexFile, err)
		}
		next.index, next.numbers, next.shared = version{etag: etag, body: body}, numbers, shared
		changed = true
	}
	// The fallback prompt_rules.json, which may not exist.
	oldTag = ""
	if old != nil && old.prompts != nil {
		oldTag = old.prompts.etag
	}
	body, etag, err = r.src.Get(ctx, PromptsFile, oldTag)
	switch {
	case errors.Is(err, ErrNotModified) && oldTag != "":
	case err != nil && isNotFound(err):
		if next.prompts != nil {
			next.prompts, changed = nil, true
		}
	case err != nil:
		return nil, fmt.Errorf("fetch %s: %w", PromptsFile, err)
	default:
		next.prompts, changed = &version{etag: etag, body: body}, true
	}
	if changed && old != nil {
		next.gen = old.gen + 1
	}
	return next, nil
}

// parseIndexOnly reads the routing table of businesses.json without the
// businesses it names (they are checked at push).
func parseIndexOnly(body []byte) (map[string]tenant.ID, map[string]SharedNumber, error) {
	var doc struct {
		Map    map[string]string       `json:"phoneToBusinessMap"`
		Shared map[string]SharedNumber `json:"sharedNumbers"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	numbers := map[string]tenant.ID{}
	for k, id := range doc.Map {
		if n, err := phone.ParseE164(k); err == nil {
			numbers[n] = tenant.ID(id)
		}
	}
	shared := map[string]SharedNumber{}
	for k, sh := range doc.Shared {
		if n, err := phone.ParseE164(k); err == nil && sh.Primary != "" {
			shared[n] = sh
		}
	}
	return numbers, shared, nil
}

// lookupNumber returns the business a number routes to.
func (sh *sharedFiles) lookupNumber(number string) (tenant.ID, bool) {
	n, err := phone.ParseE164(number)
	if err != nil {
		n = phone.Normalize(number)
	}
	if id, ok := sh.numbers[n]; ok {
		return id, true
	}
	if s, ok := sh.shared[n]; ok {
		return s.Primary, true
	}
	return "", false
}

// businessLazy returns one business, loading or refreshing only it.
func (r *Registry) businessLazy(ctx context.Context, id tenant.ID) (*Business, error) {
	if _, err := tenant.ParseID(string(id)); err != nil {
		return nil, fmt.Errorf("business %q: %w", id, ErrUnknownBusiness)
	}
	sh, err := r.sharedNow(ctx)
	if err != nil {
		return nil, err
	}
	e := r.lazy.entry(id)
	fresh := func() bool { return e.loaded && e.gen == sh.gen && r.now().Sub(e.checkedAt) < r.refresh }
	e.mu.Lock()
	if fresh() {
		defer e.mu.Unlock()
		return e.result(id)
	}
	e.mu.Unlock()
	if !e.mu.TryLock() {
		if e.peekLoaded() {
			return e.peek(id) // another caller is refreshing it
		}
		e.mu.Lock()
	}
	defer e.mu.Unlock()
	if fresh() {
		return e.result(id)
	}
	if err := r.refreshEntry(ctx, id, sh, e); err != nil {
		if e.loaded && e.b != nil {
			r.log.ErrorContext(ctx, "business configs refresh failed; serving the last good configs", "origin", r.src.Origin(), "businessId", string(id), "err", err)
			e.checkedAt = r.now()
			return e.b, nil
		}
		return nil, err
	}
	if e.b == nil {
		r.lazy.forgetUnknown(id)
	}
	return e.result(id)
}

func (l *lazy) entry(id tenant.ID) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		l.entries = map[tenant.ID]*entry{}
	}
	e, ok := l.entries[id]
	if !ok {
		e = &entry{}
		l.entries[id] = e
	}
	return e
}

// forgetUnknown counts an unknown id and, past maxUnknown, drops every
// remembered unknown id so the map cannot grow without bound.
func (l *lazy) forgetUnknown(tenant.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unknown++
	if l.unknown <= maxUnknown {
		return
	}
	for id, e := range l.entries {
		if e.mu.TryLock() {
			if e.loaded && e.b == nil {
				delete(l.entries, id)
			}
			e.mu.Unlock()
		}
	}
	l.unknown = 0
}

func (e *entry) result(id tenant.ID) (*Business, error) {
	if e.b == nil {
		return nil, fmt.Errorf("business %q: %w", id, ErrUnknownBusiness)
	}
	return e.b, nil
}

// peekLoaded and peek read the snapshot of an entry another goroutine is
// refreshing (its fields are only read and written under e.mu).
func (e *entry) peekLoaded() bool { return e.snapshot.Load() != nil }

func (e *entry) peek(id tenant.ID) (*Business, error) {
	s := e.snapshot.Load()
	if s.b == nil {
		return nil, fmt.Errorf("business %q: %w", id, ErrUnknownBusiness)
	}
	return s.b, nil
}

// refreshEntry lists the business's directory, fetches its changed config
// files and rebuilds it when anything it depends on changed.
func (r *Registry) refreshEntry(ctx context.Context, id tenant.ID, sh *sharedFiles, e *entry) error {
	dir := businessDir + "/" + string(id) + "/"
	objs, err := listPrefix(ctx, r.src, dir)
	if err != nil {
		return fmt.Errorf("load business configs: %w", err)
	}
	files := map[string]version{}
	changed := !e.loaded || e.gen != sh.gen
	for _, o := range objs {
		if !IsConfigKey(o.Key) {
			continue
		}
		old, had := e.files[o.Key]
		if had && o.ETag != "" && old.etag == o.ETag {
			files[o.Key] = old
			continue
		}
		body, etag, err := r.src.Get(ctx, o.Key, old.etag)
		switch {
		case errors.Is(err, ErrNotModified) && had:
			files[o.Key] = old
			continue
		case err != nil:
			return fmt.Errorf("load business configs: fetch %s/%s: %w", r.src.Origin(), o.Key, err)
		}
		files[o.Key] = version{etag: etag, body: body}
		changed = true
	}
	if len(files) != len(e.files) {
		changed = true
	}
	if !changed {
		e.checkedAt = r.now()
		return nil
	}
	var b *Business
	if _, ok := files[dir+ConfigFile]; ok {
		if b, err = buildOne(r.src.Origin(), id, files, sh); err != nil {
			return fmt.Errorf("load business configs: %w", err)
		}
	}
	e.loaded, e.b, e.files, e.gen, e.checkedAt = true, b, files, sh.gen, r.now()
	e.snapshot.Store(&entrySnapshot{b: b})
	return nil
}

// buildOne validates one business with the fallback prompt and the index
// entries that route to it.
func buildOne(origin string, id tenant.ID, files map[string]version, sh *sharedFiles) (*Business, error) {
	tree := map[string][]byte{}
	for k, v := range files {
		tree[k] = v.body
	}
	if sh.prompts != nil {
		tree[PromptsFile] = sh.prompts.body
	}
	idx := struct {
		Map    map[string]string       `json:"phoneToBusinessMap"`
		Shared map[string]SharedNumber `json:"sharedNumbers,omitempty"`
	}{Map: map[string]string{}, Shared: map[string]SharedNumber{}}
	for n, to := range sh.numbers {
		if to == id {
			idx.Map[n] = string(id)
		}
	}
	for n, s := range sh.shared {
		if s.Primary == id {
			idx.Shared[n] = SharedNumber{Primary: id, Note: s.Note}
		}
	}
	tree[IndexFile], _ = json.Marshal(idx)
	set, err := Build(origin, tree)
	if err != nil {
		return nil, err
	}
	return set.Business(id)
}
