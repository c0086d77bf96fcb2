// Package awsretry fits the AWS SDK's retries to who is waiting: a caller
// mid-turn gets a few quick retries, a disconnect, a sweep or a summary
// delivery gets patient ones. Either way a throttled or failing store is
// retried with jittered exponential backoff and no client-side retry quota
// (the SDK's default token bucket runs dry under sustained throttling and
// then fails calls at once), and never past the invocation's deadline: the
// backoff waits on the request's context.
//
// A call whose retries are used up is logged, with the tenant attributes
// of its context (businessId), as "aws retries used up"; template.yaml
// turns that message into the metric AHCA/<stage> RetriesExhausted, which
// an alarm watches.
package awsretry

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// Policy is how many attempts a call gets and how long it may wait
// between them.
type Policy struct {
	Name        string // for the log: "turn", "background"
	MaxAttempts int
	BaseDelay   time.Duration // the first backoff's upper bound; doubles per attempt
	MaxBackoff  time.Duration
}

// The policies, by who waits.
var (
	// Turn: a caller waits for the reply. Eight attempts within about two
	// seconds (backoff up to 25, 50, …, 500 ms); then the caller is told
	// to say it again, and nothing unsaved is confirmed.
	Turn = Policy{Name: "turn", MaxAttempts: 8, BaseDelay: 25 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	// Background: nobody waits, but a lead does (a disconnect ending the
	// session, the sweep, a summary delivery). Twelve attempts over up to
	// half a minute, within the function's timeout.
	Background = Policy{Name: "background", MaxAttempts: 12, BaseDelay: 100 * time.Millisecond, MaxBackoff: 4 * time.Second}
)

// MessageExhausted is the log message of a call whose retries are used up;
// the template's metric filters match it.
const MessageExhausted = "aws retries used up"

// Retryer is the SDK retryer of the policy.
func (p Policy) Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = p.MaxAttempts
		o.MaxBackoff = p.MaxBackoff
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return p.delay(attempt), nil
		})
	})
}

// delay is a full-jitter exponential backoff: uniform in [0, min(max,
// base·2^(attempt-1))].
func (p Policy) delay(attempt int) time.Duration {
	ceiling := p.MaxBackoff
	if attempt < 30 {
		if d := p.BaseDelay << (attempt - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// Apply sets the policy on an SDK client's options and logs calls whose
// retries are used up to log. Use it with any client whose Options have
// Retryer and APIOptions (dynamodb.Options, …):
//
//	dynamodb.New(opts, func(o *dynamodb.Options) { awsretry.Turn.Apply(&o.Retryer, &o.APIOptions, log) })
func (p Policy) Apply(retryer *aws.Retryer, apiOptions *[]func(*middleware.Stack) error, log *slog.Logger) {
	*retryer = p.Retryer()
	*apiOptions = append(*apiOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ahcaRetriesExhausted",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if me, ok := errors.AsType[*retry.MaxAttemptsError](err); ok && log != nil {
					log.WarnContext(ctx, MessageExhausted, "service", awsmiddleware.GetServiceID(ctx),
						"operation", awsmiddleware.GetOperationName(ctx), "attempts", me.Attempt, "policy", p.Name, "err", me.Err)
				}
				return out, md, err
			}), middleware.After)
	})
}
