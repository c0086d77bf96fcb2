package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// ErrNotFound is returned for a transcript or claim that is not stored.
var ErrNotFound = errors.New("not found")

// Record is a stored transcript: the finished conversation and the summary
// its email carries. It is written once (the first delivery of the session
// writes it; duplicates find it), so a retried or redriven email carries
// the same summary as the first attempt, and the model is asked once.
type Record struct {
	transcript.Transcript
	Summary string `json:"summary" dynamodbav:"summary"`
	// SummarySource is summary.SourceAI or summary.SourceFallback.
	SummarySource string    `json:"summarySource" dynamodbav:"summarySource"`
	StoredAt      time.Time `json:"storedAt" dynamodbav:"storedAt"`
}

// Key is the record's sort key within its business: see TranscriptKey.
func (r *Record) Key() string { return TranscriptKey(r.Transcript) }

// keyTimeLayout is RFC 3339 in UTC with exactly nine fractional digits.
// time.RFC3339Nano drops trailing zeros ("…05Z" vs "…05.5Z"), and '.' sorts
// before 'Z', so its strings do not sort in time order; fixed width does.
const keyTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// TranscriptKey is a transcript's sort key: its end time (UTC, RFC 3339 with
// nine fractional digits, so keys sort in time order) and its session id,
// "2026-11-02T05:14:09.120000000Z#<sessionId>". The end time of a session
// never changes, so every delivery of one session computes the same key.
func TranscriptKey(t transcript.Transcript) string {
	return t.EndedAt.UTC().Format(keyTimeLayout) + "#" + t.SessionID
}

// SinceKey is the smallest transcript key at or after since.
func SinceKey(since time.Time) string { return since.UTC().Format(keyTimeLayout) }

// EmailKind names one of a session's emails; each has its own claim, so
// each is sent at most once.
type EmailKind string

const (
	EmailBusiness EmailKind = "business" // the summary to the business's recipients
	EmailCaller   EmailKind = "caller"   // the copy to the caller, when the business sends one
)

// Kinds lists every email kind, in the order a delivery sends them.
var Kinds = []EmailKind{EmailBusiness, EmailCaller}

// ClaimKey names the claim of one email of one session.
type ClaimKey struct {
	Business tenant.ID
	Session  string
	Kind     EmailKind
}

func (k ClaimKey) String() string { return fmt.Sprintf("%s/%s/%s", k.Business, k.Session, k.Kind) }

// ClaimState is where one email is.
type ClaimState string

const (
	// StateInProgress: an owner holds the claim until LeaseUntil and is
	// sending. After the lease, another delivery may take it over.
	StateInProgress ClaimState = "in_progress"
	// StateSent: the provider accepted the email. Final.
	StateSent ClaimState = "sent"
	// StateFailed: the last attempt failed and released the claim; the next
	// delivery may claim it.
	StateFailed ClaimState = "failed"
	// StateDead: the email is in the dead letters (permanent rejection or
	// out of attempts). Deliveries skip it; only Redrive revives it.
	StateDead ClaimState = "dead"
)

// Claim is the idempotency record of one email.
type Claim struct {
	ClaimKey
	State      ClaimState
	Owner      string    // the token of the delivery holding it (in_progress)
	LeaseUntil time.Time // in_progress only
	// Attempts counts sends started: each claim adds one, so a delivery
	// that crashed or timed out mid-send counts too.
	Attempts      int
	ProviderID    string // the provider's message id (sent)
	LastError     string
	TranscriptKey string
	UpdatedAt     time.Time
	SentAt        time.Time
}

// ClaimRequest is one attempt to take a claim.
type ClaimRequest struct {
	Owner         string
	Now           time.Time
	LeaseUntil    time.Time
	TranscriptKey string
}

// DeadLetter is a session whose email could not be delivered: it stays
// until Redrive sends it, and holds what a redrive needs.
type DeadLetter struct {
	BusinessID    tenant.ID
	SessionID     string
	TranscriptKey string
	// Emails are the kinds that failed.
	Emails    []EmailKind
	Attempts  int
	LastError string
	// Reason is why it was dead-lettered: ReasonPermanent, ReasonAttempts,
	// ReasonConfig or ReasonRedrive.
	Reason   string
	FailedAt time.Time
}

// Dead-letter reasons.
const (
	ReasonPermanent = "permanent" // the provider rejected the email for good
	ReasonAttempts  = "attempts"  // MaxAttempts sends failed or did not finish
	ReasonConfig    = "config"    // the business, its provider or its email could not be set up
	ReasonRedrive   = "redrive"   // a redrive's one attempt failed
)

// Records stores what the summary pipeline needs in the single table (see
// DynamoRecords for the layout): transcripts, one idempotency claim per
// email, and dead letters. Implementations: DynamoRecords (AWS, DynamoDB
// Local) and MemoryRecords (`make dev`, unit tests); both pass the contract
// suite in deliverytest. Every method is addressed by business id.
type Records interface {
	// PutTranscript stores r unless a transcript with its key exists; it
	// reports whether it wrote.
	PutTranscript(ctx context.Context, r *Record) (created bool, err error)
	// Transcript reads a transcript by key (ErrNotFound).
	Transcript(ctx context.Context, biz tenant.ID, key string) (*Record, error)
	// FindTranscript finds a business's transcript by session id, newest
	// first (ErrNotFound). It reads the business's transcripts partition
	// until it finds it: an operator's lookup, not a hot path.
	FindTranscript(ctx context.Context, biz tenant.ID, sessionID string) (*Record, error)
	// ListTranscripts returns a business's transcripts that ended at or
	// after since, newest first, at most limit (0 = no limit), without
	// their turns.
	ListTranscripts(ctx context.Context, biz tenant.ID, since time.Time, limit int) ([]*Record, error)

	// Claim takes the claim of one email if nobody holds it: it does not
	// exist, or it was released (failed), or its holder's lease ran out.
	// Taking it adds one to Attempts. won reports whether the caller now
	// holds it; either way c is the claim as stored after the call.
	Claim(ctx context.Context, k ClaimKey, req ClaimRequest) (c *Claim, won bool, err error)
	// MarkSent records that the owner's email was accepted by the
	// provider. ErrLostClaim if owner no longer holds the claim.
	MarkSent(ctx context.Context, k ClaimKey, owner, providerID string, now time.Time) error
	// Release gives up the owner's claim after a failed send, so a retry
	// can take it (state failed, lease cleared, lastErr kept).
	Release(ctx context.Context, k ClaimKey, owner, lastErr string, now time.Time) error
	// Bury moves the owner's claim to dead and records dl, atomically.
	Bury(ctx context.Context, k ClaimKey, owner string, dl *DeadLetter) error
	// Revive moves a dead claim back to failed with Attempts reset, so a
	// redrive can take it. It reports false if the claim was not dead
	// (missing, sent, or held).
	Revive(ctx context.Context, k ClaimKey, now time.Time) (bool, error)
	// GetClaim reads a claim (ErrNotFound).
	GetClaim(ctx context.Context, k ClaimKey) (*Claim, error)

	// PutDeadLetter records dl for a failure that happened before any claim
	// was taken (unknown business, provider setup, rendering). An existing
	// dead letter of the session is updated, its email kinds merged.
	PutDeadLetter(ctx context.Context, dl *DeadLetter) error
	// DeadLetters returns a business's dead letters, by session id.
	DeadLetters(ctx context.Context, biz tenant.ID) ([]*DeadLetter, error)
	// DeleteDeadLetter removes a session's dead letter (no error if absent).
	DeleteDeadLetter(ctx context.Context, biz tenant.ID, sessionID string) error
}

// ErrLostClaim is returned by MarkSent, Release and Bury when the caller no
// longer holds the claim (its lease ran out and another delivery took it).
var ErrLostClaim = errors.New("email claim lost to another delivery")

// checkBusiness validates a business id used in a key.
func checkBusiness(biz tenant.ID) error {
	_, err := tenant.ParseID(string(biz))
	return err
}

// checkClaimKey validates a claim key.
func checkClaimKey(k ClaimKey) error {
	if err := checkBusiness(k.Business); err != nil {
		return err
	}
	if k.Session == "" {
		return errors.New("empty session id")
	}
	if k.Kind != EmailBusiness && k.Kind != EmailCaller {
		return fmt.Errorf("unknown email kind %q", k.Kind)
	}
	return nil
}

// truncate bounds stored error text, cutting at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
