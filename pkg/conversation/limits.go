package conversation

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/admission"
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

// DailyBudget counts a new conversation opened outside Open (a phone
// call's first leg, at $connect); see admission.Opener.DailyBudget.
func (e *Engine) DailyBudget(ctx context.Context, b *business.Business) string {
	return e.opener().DailyBudget(ctx, b)
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
		admission.BudgetSpent(ctx, e.log(), e.now(), b, "modelTokensPerDay", lim.ModelTokensPerDay, n[session.CountModelTokens])
	}
}

// AdmitSource counts a new web connection from a source address against
// the business's connectionsPerSourcePerMinute; see
// admission.Opener.AdmitSource.
func (e *Engine) AdmitSource(ctx context.Context, b *business.Business, sourceIP string) error {
	return e.opener().AdmitSource(ctx, b, sourceIP)
}

// TurnError is a failed frame's error, naming the business whose turn it
// was, so the adapter's log record carries businessId.
type TurnError struct {
	Business tenant.ID
	Err      error
}

func (e *TurnError) Error() string { return e.Err.Error() }
func (e *TurnError) Unwrap() error { return e.Err }

// BusinessID is the business whose turn failed.
func (e *TurnError) BusinessID() tenant.ID { return e.Business }
