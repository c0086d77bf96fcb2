// Package delivery sends each finished conversation's summary email
// exactly once. It is fed by the DynamoDB stream of the sessions table
// (HandleStream): when a session ends, or expires while still active, it
// stores the conversation's transcript with its summary, renders the
// business's email, takes the email's idempotency claim, sends it through
// the business's own provider and marks it sent. Duplicated stream records,
// retries and concurrent invocations find the claim and send nothing more;
// transient failures release the claim and fail the record so the stream
// retries it; a permanent rejection, or a provider that stays down for
// MaxAttempts sends, moves the email to the dead letters, from which
// Redrive sends it once the cause is fixed. Nothing is dropped silently.
//
// The package does not import the email package: the message type M, the
// renderers and the senders are supplied by the wiring (package
// emaildelivery assembles them from package email), so tests drive the
// pipeline with fakes.
package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// Defaults of a Pipeline.
const (
	DefaultMaxAttempts = 5
	// DefaultLease is how long a claim's holder may take to send before
	// another delivery may take the claim over. It exceeds SendTimeout plus
	// the bookkeeping after a send, and is short enough that the retry of an
	// invocation that died mid-send (a 120 s function) can wait it out.
	DefaultLease = 45 * time.Second
	// DefaultSendTimeout bounds one provider call.
	DefaultSendTimeout = 15 * time.Second
	// DefaultReserve: HandleStream starts no record with less than this
	// left before the invocation's deadline; the rest go back to the
	// stream as failures, to be retried.
	DefaultReserve = 30 * time.Second
	// DefaultRetryPause: an invocation that hands failures back to the
	// stream (which retries at once) first waits this long, so that
	// MaxAttempts sends span a provider's brief outage.
	DefaultRetryPause = 2 * time.Second
)

// Configs resolves a business id to its configuration.
type Configs interface {
	Business(ctx context.Context, id tenant.ID) (*business.Business, error)
}

// Summarizer writes a transcript's summary; summary.Summarizer implements
// it. It never fails: it falls back to a summary without the model.
type Summarizer interface {
	Summarize(ctx context.Context, b *business.Business, t transcript.Transcript) (text, source string)
}

// Sender sends one email through one provider and returns the provider's
// message id (email.Sender for M = email.Message).
type Sender[M any] interface {
	Send(ctx context.Context, m M) (providerID string, err error)
}

// Senders returns the sender of a business's own provider.
type Senders[M any] interface {
	For(b *business.Business) (Sender[M], error)
}

// SendersFunc adapts a function to Senders.
type SendersFunc[M any] func(b *business.Business) (Sender[M], error)

// For calls f.
func (f SendersFunc[M]) For(b *business.Business) (Sender[M], error) { return f(b) }

// Pipeline delivers summary emails. Construct it with its dependencies; it
// holds no per-conversation state and is safe for concurrent use.
type Pipeline[M any] struct {
	Store   Records
	Configs Configs
	// Turns reads a session's turns that are stored apart from it (the
	// session store): a long conversation's session carries only its
	// recent turns. Nil: only sessions that carry all their turns can be
	// delivered.
	Turns session.TurnReader
	// Summarizer writes the summary stored with the transcript; nil means
	// summaries without the model (summary.Fallback).
	Summarizer Summarizer
	// Render renders the business's summary email of a stored transcript.
	// An error is permanent for that email (it goes to the dead letters).
	Render func(b *business.Business, r *Record) (M, error)
	// RenderCallerCopy renders the caller's copy, reporting false when the
	// business sends none or the caller gave no address. Nil: no copies.
	RenderCallerCopy func(b *business.Business, r *Record) (M, bool)
	// RenderMissedCall renders the short notice of a phone call that ended
	// before the caller said anything (sent instead of the summary when the
	// business's email.missedCallNotice is on). Nil: such calls send nothing.
	RenderMissedCall func(b *business.Business, r *Record) (M, error)
	// Counters hold the businesses' hourly caller-copy budget
	// (limits.callerCopiesPerBusinessPerHour); nil counts nothing.
	Counters session.Counters
	// Senders gives each business its own provider.
	Senders Senders[M]
	// IsPermanent tells a rejection that no retry will fix (a bad address,
	// a refused sender) from a transient failure; email.IsPermanent. Nil
	// means every failure is transient.
	IsPermanent func(error) bool
	// Businesses lists the configured businesses, for Redrive of all
	// businesses.
	Businesses func(ctx context.Context) ([]tenant.ID, error)

	MaxAttempts int           // sends per email before it is dead-lettered (DefaultMaxAttempts)
	Lease       time.Duration // DefaultLease; at least twice SendTimeout
	SendTimeout time.Duration // DefaultSendTimeout
	Reserve     time.Duration // DefaultReserve
	RetryPause  time.Duration // DefaultRetryPause; negative: no pause
	Now         func() time.Time
	Log         *slog.Logger
}

func (p *Pipeline[M]) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Pipeline[M]) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (p *Pipeline[M]) maxAttempts() int     { return orDefault(p.MaxAttempts, DefaultMaxAttempts) }
func (p *Pipeline[M]) lease() time.Duration { return orDefault(p.Lease, DefaultLease) }
func (p *Pipeline[M]) sendTimeout() time.Duration {
	return orDefault(p.SendTimeout, DefaultSendTimeout)
}
func (p *Pipeline[M]) reserve() time.Duration { return orDefault(p.Reserve, DefaultReserve) }

func (p *Pipeline[M]) retryPause() time.Duration {
	if p.RetryPause < 0 {
		return 0
	}
	return orDefault(p.RetryPause, DefaultRetryPause)
}

func (p *Pipeline[M]) summarizer() Summarizer {
	if p.Summarizer != nil {
		return p.Summarizer
	}
	return &summary.Summarizer{}
}

func (p *Pipeline[M]) permanent(err error) bool { return p.IsPermanent != nil && p.IsPermanent(err) }

func (p *Pipeline[M]) check() error {
	switch {
	case p.Store == nil:
		return errors.New("delivery: Pipeline.Store is nil")
	case p.Configs == nil:
		return errors.New("delivery: Pipeline.Configs is nil")
	case p.Render == nil:
		return errors.New("delivery: Pipeline.Render is nil")
	case p.Senders == nil:
		return errors.New("delivery: Pipeline.Senders is nil")
	}
	return nil
}

// Sent is one email a delivery sent.
type Sent struct {
	Kind       EmailKind
	ProviderID string
}

// outcome is what one delivery of a session did.
type outcome struct {
	sent        []Sent
	alreadySent []EmailKind
	dead        []EmailKind // dead-lettered now, or found dead
	cause       error       // why, for those dead-lettered now
}

// Deliver delivers the summary email of a session that ended (or expired
// while active: it is then "abandoned"). It is idempotent: the transcript
// is stored once and each email is sent at most once, however often and
// however concurrently Deliver runs for the session.
//
// It returns nil when the session is handled: emails sent, already sent,
// off for the business, or moved to the dead letters (permanent rejection,
// MaxAttempts reached, unknown business, provider or rendering failure).
// It returns an error when a retry should try again (store, config source
// or provider temporarily failing; another delivery holding the claim).
func (p *Pipeline[M]) Deliver(ctx context.Context, s *session.Session) error {
	if err := p.check(); err != nil {
		return err
	}
	if s == nil {
		return errors.New("delivery: nil session")
	}
	if _, err := tenant.ParseID(string(s.BusinessID)); err != nil || s.ID == "" {
		return fmt.Errorf("delivery: session %q/%q: invalid key: %v", s.BusinessID, s.ID, err)
	}
	ctx = tenant.WithBusiness(ctx, s.BusinessID)
	// The end time is part of the transcript's key, so it must come out the
	// same on every delivery of the session: never "now".
	stable := s.UpdatedAt
	for _, t := range []time.Time{s.CreatedAt, s.ExpiresAt} {
		if stable.IsZero() {
			stable = t
		}
	}
	if stable.IsZero() {
		return fmt.Errorf("delivery: session %s/%s has no update, creation or expiry time", s.BusinessID, s.ID)
	}
	all, err := session.AllTurns(ctx, p.Turns, s)
	if err != nil {
		return fmt.Errorf("deliver %s/%s: read the turns: %w", s.BusinessID, s.ID, err)
	}
	whole := *s
	whole.Turns = all
	t := transcript.FromSession(&whole, stable)
	if t.EndedAt.IsZero() {
		t.EndedAt = stable
	}
	if _, err := p.deliver(ctx, t); err != nil {
		return fmt.Errorf("deliver %s/%s: %w", s.BusinessID, s.ID, err)
	}
	return nil
}

func (p *Pipeline[M]) deliver(ctx context.Context, t transcript.Transcript) (outcome, error) {
	if Silent(t) && t.Channel != session.ChannelPhone {
		// A page view: nobody said anything, so nobody is told (no email,
		// no summary model call, no stored transcript).
		p.log().InfoContext(ctx, "nothing was said; no email", "sessionId", t.SessionID, "channel", t.Channel)
		return outcome{}, nil
	}
	b, cfgErr := p.Configs.Business(ctx, t.BusinessID)
	if cfgErr != nil && !errors.Is(cfgErr, business.ErrUnknownBusiness) {
		return outcome{}, fmt.Errorf("business config: %w", cfgErr)
	}
	rec, err := p.record(ctx, b, t)
	if err != nil {
		return outcome{}, err
	}
	if b == nil {
		// The business is gone from the configs: keep the transcript and
		// dead-letter its email, to be redriven if the business comes back.
		return p.deadLetter(ctx, rec, []EmailKind{EmailBusiness}, ReasonConfig, cfgErr)
	}
	return p.deliverRecord(ctx, b, rec, false)
}

// record returns the session's stored transcript, storing it (with its
// summary) if this is the first delivery.
func (p *Pipeline[M]) record(ctx context.Context, b *business.Business, t transcript.Transcript) (*Record, error) {
	key := TranscriptKey(t)
	r, err := p.Store.Transcript(ctx, t.BusinessID, key)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	sb := b
	if sb == nil {
		sb = &business.Business{ID: t.BusinessID, Name: string(t.BusinessID)}
	}
	text, source := "Missed call: the caller hung up before saying anything.", "none"
	if t.AfterHours {
		text = "Missed call after hours: the caller heard the after-hours greeting, and the call ended."
	}
	if !Silent(t) {
		text, source = p.summarizer().Summarize(ctx, sb, t)
	}
	r = &Record{Transcript: t, Summary: text, SummarySource: source, StoredAt: p.now()}
	created, err := p.Store.PutTranscript(ctx, r)
	if err != nil {
		return nil, err
	}
	if !created {
		// A concurrent delivery stored it first: use its summary, so every
		// email of the session says the same.
		return p.Store.Transcript(ctx, t.BusinessID, key)
	}
	p.log().InfoContext(ctx, "transcript stored", "sessionId", t.SessionID, "status", t.Status,
		"turns", len(t.Turns), "summarySource", source)
	return r, nil
}

type job[M any] struct {
	kind EmailKind
	msg  M
}

// deliverRecord renders and sends the emails of a stored transcript. In a
// redrive, a transient failure dead-letters the email again rather than
// leaving it for a stream retry that will not come.
func (p *Pipeline[M]) deliverRecord(ctx context.Context, b *business.Business, rec *Record, redrive bool) (outcome, error) {
	var out outcome
	if !b.Features.EmailSummary || b.Email.Provider == business.EmailDisabled {
		p.log().InfoContext(ctx, "summary email is off for this business", "sessionId", rec.SessionID)
		return out, nil
	}
	silent := Silent(rec.Transcript)
	if silent && (rec.Channel != session.ChannelPhone || !b.Email.MissedCallNotice || p.RenderMissedCall == nil) {
		p.log().InfoContext(ctx, "nothing was said; no email", "sessionId", rec.SessionID, "channel", rec.Channel)
		return out, nil
	}
	render := p.Render
	if silent {
		render = p.RenderMissedCall
	}
	var jobs []job[M]
	if len(b.Email.Recipients) > 0 {
		msg, err := render(b, rec)
		if err != nil {
			o, derr := p.deadLetter(ctx, rec, []EmailKind{EmailBusiness}, ReasonConfig, fmt.Errorf("render: %w", err))
			if derr != nil {
				return out, derr
			}
			out.merge(o)
		} else {
			jobs = append(jobs, job[M]{EmailBusiness, msg})
		}
	} else {
		p.log().WarnContext(ctx, "business has no summary recipients; no summary email sent", "sessionId", rec.SessionID)
	}
	if p.RenderCallerCopy != nil && !silent && p.callerCopyAllowed(ctx, b, rec) {
		if msg, ok := p.RenderCallerCopy(b, rec); ok {
			jobs = append(jobs, job[M]{EmailCaller, msg})
		}
	}
	if len(jobs) == 0 {
		return out, nil
	}
	sender, err := p.Senders.For(b)
	if err != nil {
		if !p.permanent(err) && !redrive {
			return out, fmt.Errorf("email provider: %w", err)
		}
		kinds := make([]EmailKind, len(jobs))
		for i, j := range jobs {
			kinds[i] = j.kind
		}
		o, derr := p.deadLetter(ctx, rec, kinds, ReasonConfig, fmt.Errorf("email provider %s: %w", b.Email.Provider, err))
		out.merge(o)
		return out, derr
	}
	var errs []error
	for _, j := range jobs {
		o, err := p.sendOne(ctx, rec, j.kind, sender, j.msg, redrive)
		out.merge(o)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// callerCopyAllowed: the business's email may go to the caller's address
// only if the conversation was completed (the agent read the details back
// and the caller agreed), the address was not flagged as unvalidated, the
// business allows copies, and its hourly budget of copies is not spent.
// The copy's claim makes it at most one per conversation.
func (p *Pipeline[M]) callerCopyAllowed(ctx context.Context, b *business.Business, rec *Record) bool {
	lim := b.Limits.OrDefault()
	if !b.Email.CallerCopy || rec.Caller.Email == "" || lim.CallerCopiesPerConversation < 1 {
		return false
	}
	if rec.EndReason != "completed" {
		p.log().InfoContext(ctx, "caller copy not sent: the conversation did not complete, so the address was not confirmed", "sessionId", rec.SessionID)
		return false
	}
	for _, tu := range rec.Turns {
		if tu.Role == session.RoleTool && (tu.Tool == "email_unvalidated" || tu.Tool == "email_invalid") {
			p.log().InfoContext(ctx, "caller copy not sent: the address was not confirmed", "sessionId", rec.SessionID)
			return false
		}
	}
	if p.Counters == nil {
		return true
	}
	// Counted once per conversation: a retry finds the claim already taken.
	if c, err := p.Store.GetClaim(ctx, ClaimKey{Business: b.ID, Session: rec.SessionID, Kind: EmailCaller}); err == nil && c != nil {
		return true
	}
	n, err := p.Counters.Add(ctx, b.ID, session.HourWindow(p.now()), map[string]int64{session.CountCallerCopies: 1})
	if err != nil {
		p.log().WarnContext(ctx, "usage counters unavailable; caller copy not sent", "err", err, "sessionId", rec.SessionID)
		return false
	}
	if n[session.CountCallerCopies] > int64(lim.CallerCopiesPerBusinessPerHour) {
		p.log().WarnContext(ctx, "caller copy not sent: limit reached", "limit", "callerCopiesPerBusinessPerHour", "value", lim.CallerCopiesPerBusinessPerHour, "sessionId", rec.SessionID)
		return false
	}
	return true
}

// Silent reports whether the caller said nothing in the conversation: no
// caller turn with words in it and no detail of theirs collected (Twilio's
// caller id is not something they said).
func Silent(t transcript.Transcript) bool {
	c := t.Caller
	if c.Name != "" || c.Phone != "" || c.Email != "" || c.Reason != "" {
		return false
	}
	for _, tu := range t.Turns {
		if tu.Role == session.RoleCaller && strings.TrimSpace(tu.Text) != "" {
			return false
		}
	}
	return true
}

func (o *outcome) merge(x outcome) {
	o.sent = append(o.sent, x.sent...)
	o.alreadySent = append(o.alreadySent, x.alreadySent...)
	o.dead = append(o.dead, x.dead...)
	o.cause = errors.Join(o.cause, x.cause)
}

// errHeld: another delivery holds the claim and is (presumably) sending.
var errHeld = errors.New("email claim held by another delivery")

// sendOne sends one email at most once: claim, send, mark sent — or
// release for a retry, or bury in the dead letters.
func (p *Pipeline[M]) sendOne(ctx context.Context, rec *Record, kind EmailKind, sender Sender[M], msg M, redrive bool) (outcome, error) {
	k := ClaimKey{Business: rec.BusinessID, Session: rec.SessionID, Kind: kind}
	log := p.log().With("sessionId", rec.SessionID, "email", kind)
	c, won, err := p.claim(ctx, k, rec.Key())
	if err != nil {
		return outcome{}, err
	}
	if !won {
		switch c.State {
		case StateSent:
			log.DebugContext(ctx, "summary email already sent", "providerId", c.ProviderID)
			return outcome{alreadySent: []EmailKind{kind}}, nil
		case StateDead:
			log.InfoContext(ctx, "summary email is in the dead letters; Redrive sends it")
			return outcome{dead: []EmailKind{kind}}, nil
		}
		return outcome{}, fmt.Errorf("%s email: %w (lease until %s)", kind, errHeld, c.LeaseUntil.Format(time.RFC3339))
	}
	// Bookkeeping after a send must happen even if the invocation's
	// context is ending.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	limit := p.maxAttempts()
	if c.Attempts > limit {
		// Earlier sends were started and never finished (the invocation
		// crashed or timed out mid-send).
		return p.bury(bctx, log, rec, k, c, ReasonAttempts,
			fmt.Errorf("%d sends started without finishing (last error: %s)", c.Attempts-1, orNone(c.LastError)))
	}
	sctx, scancel := context.WithTimeout(ctx, p.sendTimeout())
	id, sendErr := sender.Send(sctx, msg)
	scancel()
	if sendErr == nil {
		if err := p.markSent(bctx, k, c.Owner, id); err != nil {
			// The provider has the email: do not fail the record (a retry
			// would send it again once the lease ends). Say so loudly.
			log.ErrorContext(ctx, "summary email sent but not marked sent", "providerId", id, "err", err)
		}
		log.InfoContext(ctx, "summary email sent", "providerId", id, "attempt", c.Attempts)
		return outcome{sent: []Sent{{Kind: kind, ProviderID: id}}}, nil
	}
	switch {
	case p.permanent(sendErr):
		return p.bury(bctx, log, rec, k, c, ReasonPermanent, sendErr)
	case c.Attempts >= limit:
		return p.bury(bctx, log, rec, k, c, ReasonAttempts, sendErr)
	case redrive:
		return p.bury(bctx, log, rec, k, c, ReasonRedrive, sendErr)
	}
	if err := p.Store.Release(bctx, k, c.Owner, sendErr.Error(), p.now()); err != nil {
		return outcome{}, fmt.Errorf("%s email: send (attempt %d of %d): %w; release: %w", kind, c.Attempts, limit, sendErr, err)
	}
	log.WarnContext(ctx, "summary email failed; the stream will retry", "attempt", c.Attempts, "maxAttempts", limit, "err", sendErr)
	return outcome{}, fmt.Errorf("%s email: send (attempt %d of %d): %w", kind, c.Attempts, limit, sendErr)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// claim takes an email's claim. If another delivery holds it, it waits
// once for that lease to end when there is time for that.
func (p *Pipeline[M]) claim(ctx context.Context, k ClaimKey, transcriptKey string) (*Claim, bool, error) {
	owner := newOwner()
	for waited := false; ; waited = true {
		now := p.now()
		c, won, err := p.Store.Claim(ctx, k, ClaimRequest{Owner: owner, Now: now, LeaseUntil: now.Add(p.lease()), TranscriptKey: transcriptKey})
		if err != nil || won || c.State != StateInProgress || waited {
			return c, won, err
		}
		wait := c.LeaseUntil.Sub(now) + 5*time.Millisecond
		if !p.canWait(ctx, wait) {
			return c, false, nil
		}
		p.log().InfoContext(ctx, "summary email claim held by another delivery; waiting for its lease",
			"sessionId", k.Session, "email", k.Kind, "wait", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return c, false, nil
		}
	}
}

// canWait reports whether waiting d still leaves time to send.
func (p *Pipeline[M]) canWait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return d <= p.lease()+time.Second // a lease just taken, plus clock skew
	}
	return time.Until(deadline) > d+p.sendTimeout()+5*time.Second
}

// markSent records a send, retrying a failing store a few times.
func (p *Pipeline[M]) markSent(ctx context.Context, k ClaimKey, owner, providerID string) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			}
		}
		if err = p.Store.MarkSent(ctx, k, owner, providerID, p.now()); err == nil || errors.Is(err, ErrLostClaim) {
			return err
		}
	}
	return err
}

func (p *Pipeline[M]) bury(ctx context.Context, log *slog.Logger, rec *Record, k ClaimKey, c *Claim, reason string, cause error) (outcome, error) {
	dl := &DeadLetter{
		BusinessID: rec.BusinessID, SessionID: rec.SessionID, TranscriptKey: rec.Key(), Emails: []EmailKind{k.Kind},
		Attempts: c.Attempts, LastError: cause.Error(), Reason: reason, FailedAt: p.now(),
	}
	if err := p.Store.Bury(ctx, k, c.Owner, dl); err != nil {
		return outcome{}, fmt.Errorf("%s email: dead-letter after %w: %w", k.Kind, cause, err)
	}
	log.ErrorContext(ctx, "summary email moved to the dead letters", "reason", reason, "attempts", c.Attempts, "err", cause)
	return outcome{dead: []EmailKind{k.Kind}, cause: cause}, nil
}

// deadLetter records a failure that happened before any claim was taken.
// Emails already sent are left out (a config change after the send must
// not make a sent email look undelivered).
func (p *Pipeline[M]) deadLetter(ctx context.Context, rec *Record, kinds []EmailKind, reason string, cause error) (outcome, error) {
	var out outcome
	var pending []EmailKind
	for _, kind := range kinds {
		c, err := p.Store.GetClaim(ctx, ClaimKey{Business: rec.BusinessID, Session: rec.SessionID, Kind: kind})
		if err == nil && c.State == StateSent {
			out.alreadySent = append(out.alreadySent, kind)
			continue
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return out, err
		}
		pending = append(pending, kind)
	}
	if len(pending) == 0 {
		return out, nil
	}
	dl := &DeadLetter{
		BusinessID: rec.BusinessID, SessionID: rec.SessionID, TranscriptKey: rec.Key(), Emails: pending,
		LastError: cause.Error(), Reason: reason, FailedAt: p.now(),
	}
	if err := p.Store.PutDeadLetter(ctx, dl); err != nil {
		return out, fmt.Errorf("dead-letter after %w: %w", cause, err)
	}
	p.log().ErrorContext(ctx, "summary email moved to the dead letters", "sessionId", rec.SessionID,
		"emails", pending, "reason", reason, "err", cause)
	out.dead = append(out.dead, pending...)
	out.cause = cause
	return out, nil
}

func newOwner() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
