// Package admission admits new conversations at $connect: the per-source
// connection limit, the business's daily budgets, and the new session
// itself. It is the part of the conversation engine ws-connect needs, kept
// apart so that ws-connect links neither the agents nor the model.
package admission

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// DefaultSessionTTL bounds an abandoned session: API Gateway closes every
// connection after 2 hours, so a session idle past that is over.
const DefaultSessionTTL = 3 * time.Hour

// ErrTooManyConnections refuses a $connect over
// limits.connectionsPerSourcePerMinute.
var ErrTooManyConnections = errors.New("too many new connections from this address; wait a minute")

// Opener opens sessions and counts them against the business's limits.
// Counters must be the ones the turns count model tokens in (DynamoDB in
// AWS), so that a spent budget is seen here.
type Opener struct {
	Store    session.Store
	Counters session.Counters
	Now      func() time.Time // required: time.Now in AWS
	Log      *slog.Logger     // required
	NewID    func() string    // default NewID
	TTL      time.Duration    // ≤ 0: DefaultSessionTTL
	// IdleTimeout, when > 0, is every new session's idle timeout; else the
	// business's for the channel.
	IdleTimeout time.Duration
}

// NewID is a random session or turn id: 128 bits, hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Open starts a session for a connection that has been admitted to
// business b, counted against the business's daily budgets.
func (o *Opener) Open(ctx context.Context, b *business.Business, connectionID string, ch session.Channel) (*session.Session, error) {
	now := o.Now().UTC()
	ttl, idle := o.TTL, o.IdleTimeout
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	if idle <= 0 {
		idle = b.IdleTimeout(string(ch))
	}
	newID := o.NewID
	if newID == nil {
		newID = NewID
	}
	s := &session.Session{
		BusinessID: b.ID, ID: newID(), Channel: ch, ConnectionID: connectionID,
		Status:    session.StatusActive,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(ttl),
		IdleTimeout: idle,
	}
	s.State.Usage.Scripted = o.dailyBudget(tenant.WithBusiness(ctx, b.ID), b, now)
	if err := o.Store.Create(ctx, s); err != nil {
		return nil, fmt.Errorf("open session for %s: %w", b.ID, err)
	}
	return s, nil
}

// DailyBudget counts a new conversation opened outside Open (a phone
// call's first leg, at $connect) against the business's daily budgets and
// says why the scripted agent must answer it ("" when the model may), for
// session.Usage.Scripted.
func (o *Opener) DailyBudget(ctx context.Context, b *business.Business) string {
	return o.dailyBudget(tenant.WithBusiness(ctx, b.ID), b, o.Now().UTC())
}

// dailyBudget counts a new conversation (at $connect, where no turn waits).
// A counter failure admits the conversation to the model (and is logged).
func (o *Opener) dailyBudget(ctx context.Context, b *business.Business, now time.Time) string {
	lim := b.Limits.OrDefault()
	n, err := o.Counters.Add(ctx, b.ID, session.DayWindow(now), map[string]int64{session.CountConversations: 1, session.CountModelTokens: 0})
	if err != nil {
		o.Log.WarnContext(ctx, "usage counters unavailable; conversation admitted", "err", err)
		return ""
	}
	switch {
	case n[session.CountModelTokens] >= int64(lim.ModelTokensPerDay):
		BudgetSpent(ctx, o.Log, now, b, "modelTokensPerDay", lim.ModelTokensPerDay, n[session.CountModelTokens])
		return "modelTokensPerDay"
	case n[session.CountConversations] > int64(lim.ConversationsPerDay):
		BudgetSpent(ctx, o.Log, now, b, "conversationsPerDay", lim.ConversationsPerDay, n[session.CountConversations])
		return "conversationsPerDay"
	}
	return ""
}

// AdmitSource counts a new web connection from a source address against
// the business's connectionsPerSourcePerMinute (at $connect, where no turn
// waits) and refuses one over it. sourceIP is API Gateway's (the caller's
// address as it saw it), never a client header, so it is logged as is. An unknown source is admitted; a counter
// failure admits (and is logged).
func (o *Opener) AdmitSource(ctx context.Context, b *business.Business, sourceIP string) error {
	if sourceIP == "" {
		return nil
	}
	lim := b.Limits.OrDefault()
	name := "src#" + sourceIP
	n, err := o.Counters.Add(ctx, b.ID, session.MinuteWindow(o.Now()), map[string]int64{name: 1})
	if err != nil {
		o.Log.WarnContext(ctx, "usage counters unavailable; connection admitted", "err", err)
		return nil
	}
	if n[name] > int64(lim.ConnectionsPerSourcePerMinute) {
		o.Log.InfoContext(ctx, "connection refused by a limit", "limit", "connectionsPerSourcePerMinute", "value", lim.ConnectionsPerSourcePerMinute, "source", sourceIP)
		return ErrTooManyConnections
	}
	return nil
}

// BudgetSpent tells the operator that business b spent a daily budget: a
// log record with the limit and an embedded-metric-format field set
// (CloudWatch turns "BudgetSpent" into the metric AHCA/BudgetSpent by
// business).
func BudgetSpent(ctx context.Context, log *slog.Logger, now time.Time, b *business.Business, limit string, value int, used int64) {
	ctx = tenant.WithBusiness(ctx, b.ID)
	log.WarnContext(ctx, "business budget spent; the scripted agent answers",
		"limit", limit, "value", value, "used", used,
		"_aws", map[string]any{"Timestamp": now.UnixMilli(), "CloudWatchMetrics": []any{map[string]any{
			"Namespace": "AHCA", "Dimensions": [][]string{{"businessId"}}, "Metrics": []any{map[string]any{"Name": "BudgetSpent", "Unit": "Count"}}}}},
		"BudgetSpent", 1)
}
