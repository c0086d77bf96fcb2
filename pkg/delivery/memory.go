package delivery

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/tenant"
)

// MemoryRecords is the embedded Records of `make dev` and unit tests. It
// behaves like DynamoRecords (conditional claims, write-once transcripts,
// merged dead letters, keys by business) and hands out copies only.
type MemoryRecords struct {
	mu          sync.Mutex
	transcripts map[tenant.ID]map[string]*Record // by business, by key
	claims      map[ClaimKey]*Claim
	dead        map[tenant.ID]map[string]*DeadLetter // by business, by session
}

var _ Records = (*MemoryRecords)(nil)

// NewMemoryRecords returns empty records.
func NewMemoryRecords() *MemoryRecords {
	return &MemoryRecords{
		transcripts: map[tenant.ID]map[string]*Record{},
		claims:      map[ClaimKey]*Claim{},
		dead:        map[tenant.ID]map[string]*DeadLetter{},
	}
}

func cloneRecord(r *Record, turns bool) *Record {
	c := *r
	c.Turns = nil
	if turns {
		c.Turns = slices.Clone(r.Turns)
	}
	return &c
}

func cloneClaim(c *Claim) *Claim { cc := *c; return &cc }

func cloneDeadLetter(dl *DeadLetter) *DeadLetter {
	c := *dl
	c.Emails = slices.Clone(dl.Emails)
	return &c
}

// PutTranscript stores r unless its key exists; see Records.
func (m *MemoryRecords) PutTranscript(_ context.Context, r *Record) (bool, error) {
	if err := checkBusiness(r.BusinessID); err != nil {
		return false, fmt.Errorf("delivery records: put transcript: %w", err)
	}
	if r.SessionID == "" || r.EndedAt.IsZero() {
		return false, fmt.Errorf("delivery records: put transcript %s/%q: session id and end time are required", r.BusinessID, r.SessionID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byKey := m.transcripts[r.BusinessID]
	if byKey == nil {
		byKey = map[string]*Record{}
		m.transcripts[r.BusinessID] = byKey
	}
	k := r.Key()
	if _, ok := byKey[k]; ok {
		return false, nil
	}
	byKey[k] = cloneRecord(r, true)
	return true, nil
}

// Transcript reads a transcript by key; see Records.
func (m *MemoryRecords) Transcript(_ context.Context, biz tenant.ID, k string) (*Record, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: transcript: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.transcripts[biz][k]
	if !ok {
		return nil, fmt.Errorf("delivery records: transcript %s/%s: %w", biz, k, ErrNotFound)
	}
	return cloneRecord(r, true), nil
}

// sortedKeys returns a business's transcript keys, newest first.
func (m *MemoryRecords) sortedKeys(biz tenant.ID) []string {
	var keys []string
	for k := range m.transcripts[biz] {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(b, a) })
	return keys
}

// FindTranscript finds a transcript by session id; see Records.
func (m *MemoryRecords) FindTranscript(_ context.Context, biz tenant.ID, sessionID string) (*Record, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: find transcript: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.sortedKeys(biz) {
		if r := m.transcripts[biz][k]; r.SessionID == sessionID {
			return cloneRecord(r, true), nil
		}
	}
	return nil, fmt.Errorf("delivery records: find transcript %s/%s: %w", biz, sessionID, ErrNotFound)
}

// ListTranscripts lists transcripts that ended at or after since; see Records.
func (m *MemoryRecords) ListTranscripts(_ context.Context, biz tenant.ID, since time.Time, limit int) ([]*Record, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: list transcripts: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	from := SinceKey(since)
	var out []*Record
	for _, k := range m.sortedKeys(biz) {
		if strings.Compare(k, from) < 0 || (limit > 0 && len(out) == limit) {
			break
		}
		out = append(out, cloneRecord(m.transcripts[biz][k], false))
	}
	return out, nil
}

// Claim takes a claim if nobody holds it; see Records.
func (m *MemoryRecords) Claim(_ context.Context, k ClaimKey, req ClaimRequest) (*Claim, bool, error) {
	if err := checkClaimKey(k); err != nil {
		return nil, false, fmt.Errorf("delivery records: claim: %w", err)
	}
	if req.Owner == "" {
		return nil, false, fmt.Errorf("delivery records: claim %s: empty owner", k)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	// leaseUntil is stored in milliseconds, as in DynamoDB.
	if ok && c.State != StateFailed && !(c.State == StateInProgress && c.LeaseUntil.UnixMilli() < req.Now.UnixMilli()) {
		return cloneClaim(c), false, nil
	}
	if !ok {
		c = &Claim{ClaimKey: k}
		m.claims[k] = c
	}
	c.State, c.Owner = StateInProgress, req.Owner
	c.LeaseUntil = time.UnixMilli(req.LeaseUntil.UnixMilli()).UTC()
	c.Attempts++
	c.UpdatedAt = req.Now.UTC()
	if req.TranscriptKey != "" {
		c.TranscriptKey = req.TranscriptKey
	}
	return cloneClaim(c), true, nil
}

// settle applies done to the claim, under the lock, if owner holds it.
func (m *MemoryRecords) settle(op string, k ClaimKey, owner string, done func(c *Claim)) error {
	if err := checkClaimKey(k); err != nil {
		return fmt.Errorf("delivery records: %s: %w", op, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	if !ok {
		return fmt.Errorf("delivery records: %s %s: %w (stored: no claim)", op, k, ErrLostClaim)
	}
	if c.State != StateInProgress || c.Owner != owner {
		return fmt.Errorf("delivery records: %s %s: %w (stored: state %s, attempts %d)", op, k, ErrLostClaim, c.State, c.Attempts)
	}
	done(c)
	return nil
}

// MarkSent marks the owner's claim sent; see Records.
func (m *MemoryRecords) MarkSent(_ context.Context, k ClaimKey, owner, providerID string, now time.Time) error {
	return m.settle("mark sent", k, owner, func(c *Claim) {
		c.State, c.ProviderID, c.SentAt, c.UpdatedAt, c.LeaseUntil = StateSent, providerID, now.UTC(), now.UTC(), time.Time{}
	})
}

// Release gives up the owner's claim after a failure; see Records.
func (m *MemoryRecords) Release(_ context.Context, k ClaimKey, owner, lastErr string, now time.Time) error {
	return m.settle("release", k, owner, func(c *Claim) {
		c.State, c.LastError, c.UpdatedAt, c.LeaseUntil, c.Owner = StateFailed, truncate(lastErr, maxErrorLen), now.UTC(), time.Time{}, ""
	})
}

// Bury moves the owner's claim to dead and records dl; see Records.
func (m *MemoryRecords) Bury(_ context.Context, k ClaimKey, owner string, dl *DeadLetter) error {
	if err := checkDeadLetter(dl); err != nil {
		return fmt.Errorf("delivery records: bury %s: %w", k, err)
	}
	return m.settle("bury", k, owner, func(c *Claim) {
		c.State, c.LastError, c.UpdatedAt, c.LeaseUntil, c.Owner = StateDead, truncate(dl.LastError, maxErrorLen), dl.FailedAt.UTC(), time.Time{}, ""
		m.putDeadLetter(dl)
	})
}

// Revive moves a dead claim back to failed; see Records.
func (m *MemoryRecords) Revive(_ context.Context, k ClaimKey, now time.Time) (bool, error) {
	if err := checkClaimKey(k); err != nil {
		return false, fmt.Errorf("delivery records: revive: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	if !ok || c.State != StateDead {
		return false, nil
	}
	c.State, c.Attempts, c.UpdatedAt, c.LeaseUntil, c.Owner = StateFailed, 0, now.UTC(), time.Time{}, ""
	return true, nil
}

// GetClaim reads a claim; see Records.
func (m *MemoryRecords) GetClaim(_ context.Context, k ClaimKey) (*Claim, error) {
	if err := checkClaimKey(k); err != nil {
		return nil, fmt.Errorf("delivery records: get claim: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	if !ok {
		return nil, fmt.Errorf("delivery records: get claim %s: %w", k, ErrNotFound)
	}
	return cloneClaim(c), nil
}

func checkDeadLetter(dl *DeadLetter) error {
	if err := checkBusiness(dl.BusinessID); err != nil {
		return err
	}
	if dl.SessionID == "" || len(dl.Emails) == 0 {
		return fmt.Errorf("dead letter needs a session id and at least one email kind")
	}
	return nil
}

// putDeadLetter upserts dl, merging email kinds; m.mu is held.
func (m *MemoryRecords) putDeadLetter(dl *DeadLetter) {
	bySession := m.dead[dl.BusinessID]
	if bySession == nil {
		bySession = map[string]*DeadLetter{}
		m.dead[dl.BusinessID] = bySession
	}
	c := cloneDeadLetter(dl)
	c.LastError = truncate(c.LastError, maxErrorLen)
	c.FailedAt = c.FailedAt.UTC()
	var emails []EmailKind
	if old, ok := bySession[dl.SessionID]; ok {
		emails = old.Emails
	}
	c.Emails = nil
	for _, k := range Kinds {
		if slices.Contains(emails, k) || slices.Contains(dl.Emails, k) {
			c.Emails = append(c.Emails, k)
		}
	}
	bySession[dl.SessionID] = c
}

// PutDeadLetter records dl; see Records.
func (m *MemoryRecords) PutDeadLetter(_ context.Context, dl *DeadLetter) error {
	if err := checkDeadLetter(dl); err != nil {
		return fmt.Errorf("delivery records: put dead letter: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putDeadLetter(dl)
	return nil
}

// DeadLetters returns a business's dead letters by session id; see Records.
func (m *MemoryRecords) DeadLetters(_ context.Context, biz tenant.ID) ([]*DeadLetter, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: dead letters: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*DeadLetter
	for _, dl := range m.dead[biz] {
		out = append(out, cloneDeadLetter(dl))
	}
	slices.SortFunc(out, func(a, b *DeadLetter) int { return cmp.Compare(a.SessionID, b.SessionID) })
	return out, nil
}

// DeleteDeadLetter removes a dead letter; see Records.
func (m *MemoryRecords) DeleteDeadLetter(_ context.Context, biz tenant.ID, sessionID string) error {
	if err := checkBusiness(biz); err != nil {
		return fmt.Errorf("delivery records: delete dead letter: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.dead[biz], sessionID)
	return nil
}
