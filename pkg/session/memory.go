package session

import (
	"cmp"
	"context"
	"fmt"
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
	sessions map[memKey]*Session
	byConn   map[string]map[memKey]struct{}
}

type memKey struct {
	biz tenant.ID
	id  string
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		sessions: map[memKey]*Session{},
		byConn:   map[string]map[memKey]struct{}{},
	}
}

// stored is the copy of s the store keeps, at the given version.
func stored(s *Session, version int64) *Session {
	c := s.Clone()
	c.Version = version
	if !c.ExpiresAt.IsZero() {
		c.ExpiresAt = time.Unix(c.ExpiresAt.Unix(), 0).UTC()
	}
	return c
}

// prepare validates s for a write at version and checks its stored size.
func prepare(s *Session, version int64) error {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return err
	}
	item, err := marshalItem(s, version)
	if err != nil {
		return err
	}
	return checkSize(s, item)
}

// Create stores a new session; see Store.
func (m *MemoryStore) Create(_ context.Context, s *Session) error {
	if s.Version != 0 {
		return fmt.Errorf("session store: create %s/%s: version is %d, want 0 for a new session", s.BusinessID, s.ID, s.Version)
	}
	if err := prepare(s, 1); err != nil {
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, err)
	}
	k := memKey{s.BusinessID, s.ID}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[k]; ok {
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, ErrExists)
	}
	m.put(k, nil, stored(s, 1))
	s.Version = 1
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
	return s.Clone(), nil
}

// ByConnection returns a copy of the session bound to connectionID. When
// several are, it returns the most recently updated, as DynamoStore does.
func (m *MemoryStore) ByConnection(_ context.Context, connectionID string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *Session
	for k := range m.byConn[connectionID] {
		if s := m.sessions[k]; best == nil || newer(s, best) {
			best = s
		}
	}
	if best == nil {
		return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, ErrNotFound)
	}
	return best.Clone(), nil
}

// Save writes s if the stored version is s.Version; see Store. Saving a
// session that does not exist returns ErrNotFound.
func (m *MemoryStore) Save(_ context.Context, s *Session) error {
	if err := prepare(s, s.Version+1); err != nil {
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
	m.put(k, cur, stored(s, s.Version+1))
	s.Version++
	return nil
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
	m.put(k, m.sessions[k], stored(s, s.Version))
	return nil
}
