package session

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/tenant"
)

// MemoryStore is the embedded Store of `make dev` and of unit tests. It
// behaves like DynamoStore: keys carry the business id, Create and Save are
// conditional on the version, ExpiresAt keeps whole seconds (the TTL
// attribute's precision), oversized sessions are refused with ErrTooLarge,
// and every session going in or out is a deep copy. ByConnection is
// immediately consistent here (DynamoDB's index may lag).
type MemoryStore struct {
	mu       sync.Mutex
	sessions map[memKey]*Session // as DynamoStore's session item: recent turns inline
	turns    map[memKey][]Turn   // every turn, by Seq-1
	marks    map[memKey]Interrupt
	byConn   map[string]map[memKey]struct{}
}

type memKey struct {
	biz tenant.ID
	id  string
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ IdleLister = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		sessions: map[memKey]*Session{},
		turns:    map[memKey][]Turn{},
		marks:    map[memKey]Interrupt{},
		byConn:   map[string]map[memKey]struct{}{},
	}
}

// stored is the copy of s the store keeps at version (as DynamoStore's
// session item), and the turns the save moves out.
func stored(s *Session, version int64) (*Session, []Turn) {
	c, evicted := s.storedForm()
	c.State.Engine.Interrupt = nil // kept in marks
	c.Version = version
	if !c.ExpiresAt.IsZero() {
		c.ExpiresAt = time.Unix(c.ExpiresAt.Unix(), 0).UTC()
	}
	return c, evicted
}

// prepare validates s for a write at version, checks the sizes DynamoDB
// would refuse, and returns what the store keeps.
func prepare(s *Session, version int64) (*Session, []Turn, error) {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return nil, nil, err
	}
	w, evicted := stored(s, version)
	item, err := marshalItem(w, version)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSize(w, item); err != nil {
		return nil, nil, err
	}
	for _, t := range evicted {
		if _, err := turnItem(s, t); err != nil {
			return nil, nil, err
		}
	}
	return w, evicted, nil
}

// commit stores w and the turns moved out, the mark when it must be
// (re)written, and brings s up to date. m.mu is held.
func (m *MemoryStore) commit(k memKey, old, w *Session, evicted []Turn, s *Session) {
	m.put(k, old, w)
	all := m.turns[k]
	for _, t := range evicted {
		if t.Seq < 1 {
			continue
		}
		for len(all) < t.Seq {
			all = append(all, Turn{})
		}
		all[t.Seq-1] = t
	}
	m.turns[k] = all
	if s.markPending() {
		m.marks[k] = *s.State.Engine.Interrupt
	}
	s.saved(w, w.Version)
}

// read is a copy of the stored session k, with its mark. m.mu is held.
func (m *MemoryStore) read(k memKey, s *Session) *Session {
	c := s.Clone()
	var mark *Interrupt
	if mk, ok := m.marks[k]; ok {
		mark = &mk
	}
	c.withMark(mark)
	return c
}

// Create stores a new session; see Store.
func (m *MemoryStore) Create(_ context.Context, s *Session) error {
	if s.Version != 0 {
		return fmt.Errorf("session store: create %s/%s: version is %d, want 0 for a new session", s.BusinessID, s.ID, s.Version)
	}
	w, turns, err := prepare(s, 1)
	if err != nil {
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, err)
	}
	k := memKey{s.BusinessID, s.ID}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[k]; ok {
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, ErrExists)
	}
	m.commit(k, nil, w, turns, s)
	return nil
}

// Get returns a copy of the business's session; see Store.
func (m *MemoryStore) Get(_ context.Context, biz tenant.ID, id string) (*Session, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[memKey{biz, id}]
	if !ok {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, ErrNotFound)
	}
	return m.read(memKey{biz, id}, s), nil
}

// ByConnection returns a copy of the session bound to connectionID. When
// several are, it returns the most recently updated, as DynamoStore does.
func (m *MemoryStore) ByConnection(_ context.Context, connectionID string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *Session
	var bestKey memKey
	for k := range m.byConn[connectionID] {
		if s := m.sessions[k]; best == nil || newer(s, best) {
			best, bestKey = s, k
		}
	}
	if best == nil {
		return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, ErrNotFound)
	}
	return m.read(bestKey, best), nil
}

// Save writes s if the stored version is s.Version; see Store. Saving a
// session that does not exist returns ErrNotFound.
func (m *MemoryStore) Save(_ context.Context, s *Session) error {
	w, turns, err := prepare(s, s.Version+1)
	if err != nil {
		return fmt.Errorf("session store: save %s/%s: %w", s.BusinessID, s.ID, err)
	}
	k := memKey{s.BusinessID, s.ID}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.sessions[k]
	if !ok {
		return fmt.Errorf("session store: save %s/%s: %w", s.BusinessID, s.ID, ErrNotFound)
	}
	if cur.Version != s.Version {
		return fmt.Errorf("session store: save %s/%s at version %d (stored: %d): %w",
			s.BusinessID, s.ID, s.Version, cur.Version, ErrConflict)
	}
	m.commit(k, cur, w, turns, s)
	return nil
}

// Interrupt stores m as the session's pending mark; see Store.
func (m *MemoryStore) Interrupt(_ context.Context, s *Session, mark Interrupt) error {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return fmt.Errorf("session store: interrupt %s/%s: %w", s.BusinessID, s.ID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.marks[memKey{s.BusinessID, s.ID}] = mark
	return nil
}

// LastInterrupt returns the session's last mark; see Store.
func (m *MemoryStore) LastInterrupt(_ context.Context, biz tenant.ID, id string) (*Interrupt, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: last interrupt %s/%s: %w", biz, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mark, ok := m.marks[memKey{biz, id}]
	if !ok {
		return nil, nil
	}
	return &mark, nil
}

// EarlierTurns returns the turns moved out of the session; see Store.
func (m *MemoryStore) EarlierTurns(_ context.Context, biz tenant.ID, id string) ([]Turn, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: earlier turns %s/%s: %w", biz, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Turn
	for _, t := range m.turns[memKey{biz, id}] {
		if t.Seq > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

// Idle lists one shard's active sessions due before before; see
// IdleLister.
func (m *MemoryStore) Idle(_ context.Context, shard int, before time.Time, limit int) ([]IdleRef, error) {
	if shard < 0 || shard >= IdleShards {
		return nil, fmt.Errorf("session store: idle: shard %d out of 0..%d", shard, IdleShards-1)
	}
	m.mu.Lock()
	var refs []IdleRef
	for k, s := range m.sessions {
		if s.Status == StatusActive && s.IdleAt().Before(before) && idleShard(k.biz, k.id) == idleShardKey(shard) {
			refs = append(refs, IdleRef{BusinessID: k.biz, ID: k.id, IdleAt: s.IdleAt()})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(refs, func(a, b IdleRef) int { return a.IdleAt.Compare(b.IdleAt) })
	if limit > 0 && len(refs) > limit {
		refs = refs[:limit]
	}
	return refs, nil
}

// put replaces old (nil for a new session) with s and keeps the connection
// index in step. m.mu is held.
func (m *MemoryStore) put(k memKey, old, s *Session) {
	if old != nil && old.ConnectionID != "" {
		if set := m.byConn[old.ConnectionID]; set != nil {
			delete(set, k)
			if len(set) == 0 {
				delete(m.byConn, old.ConnectionID)
			}
		}
	}
	if s.ConnectionID != "" {
		set := m.byConn[s.ConnectionID]
		if set == nil {
			set = map[memKey]struct{}{}
			m.byConn[s.ConnectionID] = set
		}
		set[k] = struct{}{}
	}
	m.sessions[k] = s
}

// newer orders the sessions sharing a connection id: latest UpdatedAt, then
// latest CreatedAt, then the larger key, so the choice is deterministic.
func newer(a, b *Session) bool {
	if c := a.UpdatedAt.Compare(b.UpdatedAt); c != 0 {
		return c > 0
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c > 0
	}
	return cmp.Or(cmp.Compare(a.BusinessID, b.BusinessID), cmp.Compare(a.ID, b.ID)) > 0
}

// PutItem stores the session an item in DynamoStore's form decodes to,
// unconditionally (see DynamoStore.PutItem): the embedded store keeps
// decoded sessions, so an item in a previous version's shape is converted
// on the way in rather than on the way out.
func (m *MemoryStore) PutItem(_ context.Context, item map[string]types.AttributeValue) error {
	s, err := unmarshalItem(item)
	if err != nil {
		return fmt.Errorf("session store: put item: %w", err)
	}
	k := memKey{s.BusinessID, s.ID}
	m.mu.Lock()
	defer m.mu.Unlock()
	w, evicted := stored(s, s.Version)
	m.commit(k, m.sessions[k], w, evicted, s)
	return nil
}
