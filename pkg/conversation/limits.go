package conversation

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Refusal codes of the limits (error frames; docs/architecture.md).
const (
	CodeBusy        = "busy"         // a frame arrived while the conversation's turn was running
	CodeRateLimited = "rate_limited" // promptsPerMinute or promptsPerConversation
)

// claimSlack is how long past the turn deadline a claim holds, for the save.
const claimSlack = 5 * time.Second

var errBusy = errors.New("a turn is running")

// limitError is a per-conversation limit refusing a prompt.
type limitError struct{ limit, msg string }

func (e *limitError) Error() string { return e.limit + ": " + e.msg }

// admit checks the per-conversation prompt limits on u at now; nil admits.
func admit(u session.Usage, lim business.Limits, now time.Time) *limitError {
	if u.Prompts >= lim.PromptsPerConversation {
		return &limitError{"promptsPerConversation", "this conversation has reached its length limit; please start a new one"}
	}
	if inMinute(u, now) && u.MinutePrompts >= lim.PromptsPerMinute {
		return &limitError{"promptsPerMinute", "too many messages at once; wait a moment, then say that again"}
	}
	return nil
}

func inMinute(u session.Usage, now time.Time) bool {
	return !u.MinuteStart.IsZero() && now.Sub(u.MinuteStart) < time.Minute && !now.Before(u.MinuteStart)
}

// countPrompt counts one admitted utterance.
func countPrompt(u *session.Usage, now time.Time) {
	u.Prompts++
	if !inMinute(*u, now) {
		u.MinuteStart, u.MinutePrompts = now, 0
	}
	u.MinutePrompts++
}

// counters returns the business counters (process-local without a store).
func (e *Engine) counters() session.Counters {
	e.countersOnce.Do(func() {
		if e.Counters == nil {
			e.Counters = &session.MemoryCounters{}
		}
	})
	return e.Counters
}

// budget remembers, per process, businesses whose daily model budget is
// spent, so later conversations opened here skip the model.
type budget struct {
	spent sync.Map // businessId|day → true
}

// mark records key as spent and reports whether this call was the first
// to do so (only the first tells the operator).
func (b *budget) mark(key string) (first bool) {
	_, seen := b.spent.LoadOrStore(key, true)
	return !seen
}

func (b *budget) isSpent(key string) bool {
	_, ok := b.spent.Load(key)
	return ok
}

// openBudget counts a new conversation against the business's daily
// budgets (at $connect, where no turn waits) and says why the scripted
// agent must answer it, or "".
func (e *Engine) openBudget(ctx context.Context, b *business.Business, now time.Time) string {
	lim := b.Limits.OrDefault()
	day := session.DayWindow(now)
	n, err := e.counters().Add(ctx, b.ID, day, map[string]int64{session.CountConversations: 1, session.CountModelTokens: 0})
	if err != nil {
		e.log().WarnContext(ctx, "usage counters unavailable; conversation admitted", "err", err)
		return ""
	}
	switch {
	case n[session.CountModelTokens] >= int64(lim.ModelTokensPerDay):
		e.budgetSpent(ctx, b, "modelTokensPerDay", lim.ModelTokensPerDay, n[session.CountModelTokens])
		return "modelTokensPerDay"
	case n[session.CountConversations] > int64(lim.ConversationsPerDay):
		e.budgetSpent(ctx, b, "conversationsPerDay", lim.ConversationsPerDay, n[session.CountConversations])
		return "conversationsPerDay"
	}
	return ""
}

// DailyBudget counts a new conversation opened outside Open (a phone
// call's first leg, at $connect) against the business's daily budgets and
// says why the scripted agent must answer it ("" when the model may), for
// session.Usage.Scripted.
func (e *Engine) DailyBudget(ctx context.Context, b *business.Business) string {
	return e.openBudget(tenant.WithBusiness(ctx, b.ID), b, e.now().UTC())
}

// spendTokens adds a turn's model tokens to the business's day, after the
// reply was sent.
func (e *Engine) spendTokens(ctx context.Context, b *business.Business, now time.Time, tokens int64) {
	if tokens <= 0 {
		return
	}
	lim := b.Limits.OrDefault()
	day := session.DayWindow(now)
	n, err := e.counters().Add(ctx, b.ID, day, map[string]int64{session.CountModelTokens: tokens})
	if err != nil {
		e.log().WarnContext(ctx, "usage counters unavailable; model tokens not counted", "err", err, "tokens", tokens)
		return
	}
	if n[session.CountModelTokens] >= int64(lim.ModelTokensPerDay) && e.spent.mark(string(b.ID)+"|"+day) {
		e.budgetSpent(ctx, b, "modelTokensPerDay", lim.ModelTokensPerDay, n[session.CountModelTokens])
	}
}

// budgetSpent tells the operator: a log record with the limit and an
// embedded-metric-format field set (CloudWatch turns "ahcaBudgetSpent" into
// the metric AHCA/BudgetSpent by business).
func (e *Engine) budgetSpent(ctx context.Context, b *business.Business, limit string, value int, used int64) {
	ctx = tenant.WithBusiness(ctx, b.ID)
	e.log().WarnContext(ctx, "business budget spent; the scripted agent answers",
		"limit", limit, "value", value, "used", used,
		"_aws", map[string]any{"Timestamp": e.now().UnixMilli(), "CloudWatchMetrics": []any{map[string]any{
			"Namespace": "AHCA", "Dimensions": [][]string{{"businessId"}}, "Metrics": []any{map[string]any{"Name": "BudgetSpent", "Unit": "Count"}}}}},
		"BudgetSpent", 1)
}

// ErrTooManyConnections refuses a $connect over
// limits.connectionsPerSourcePerMinute.
var ErrTooManyConnections = errors.New("too many new connections from this address; wait a minute")

// AdmitSource counts a new web connection from a source address against
// the business's connectionsPerSourcePerMinute (at $connect, where no turn
// waits) and refuses one over it. An unknown source is admitted; a counter
// failure admits (and is logged).
func (e *Engine) AdmitSource(ctx context.Context, b *business.Business, sourceIP string) error {
	if sourceIP == "" {
		return nil
	}
	lim := b.Limits.OrDefault()
	name := "src#" + sourceIP
	n, err := e.counters().Add(ctx, b.ID, session.MinuteWindow(e.now()), map[string]int64{name: 1})
	if err != nil {
		e.log().WarnContext(ctx, "usage counters unavailable; connection admitted", "err", err)
		return nil
	}
	if n[name] > int64(lim.ConnectionsPerSourcePerMinute) {
		e.log().InfoContext(ctx, "connection refused by a limit", "limit", "connectionsPerSourcePerMinute", "value", lim.ConnectionsPerSourcePerMinute, "source", clipLog(sourceIP))
		return ErrTooManyConnections
	}
	return nil
}

// TurnError is a failed frame's error, naming the business whose turn it
// was, so the adapter's log record carries businessId.
type TurnError struct {
	Business tenant.ID
	Err      error
}

func (e *TurnError) Error() string { return e.Err.Error() }
func (e *TurnError) Unwrap() error { return e.Err }

// ErrContext returns ctx with the business of a TurnError in err, for
// logging the failure with its businessId.
func ErrContext(ctx context.Context, err error) context.Context {
	if te, ok := errors.AsType[*TurnError](err); ok && te.Business != "" {
		return tenant.WithBusiness(ctx, te.Business)
	}
	return ctx
}
