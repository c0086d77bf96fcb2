package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Stream record facts (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html):
// an item deleted by TTL arrives as REMOVE with userIdentity
// {type: "Service", principalId: "dynamodb.amazonaws.com"}.
const (
	eventModify   = "MODIFY"
	eventRemove   = "REMOVE"
	ttlType       = "Service"
	ttlPrincipal  = "dynamodb.amazonaws.com"
	statusAttr    = "status"
	dynamoSource  = "aws:dynamodb"
	noImagesError = "stream record of a session has no images: the table's stream view type must be NEW_AND_OLD_IMAGES"
)

// EndedSession selects the stream records that finish a conversation and
// decodes their session:
//
//   - MODIFY of a session item whose OldImage status is "active" and whose
//     NewImage status is "ended": the session ended (NewImage);
//   - REMOVE of a session item by TTL (userIdentity Service /
//     dynamodb.amazonaws.com) whose OldImage status is "active": the
//     session was abandoned (OldImage; transcript.FromSession makes it
//     "abandoned").
//
// Anything else (a turn, an insert, a manual delete, the removal of an
// ended session, another record type of the table) returns ok false. An
// error means a selected record could not be decoded.
func EndedSession(r events.DynamoDBEventRecord) (s *session.Session, ok bool, err error) {
	if r.EventSource != "" && r.EventSource != dynamoSource {
		return nil, false, nil
	}
	keys := r.Change.Keys
	if len(keys) == 0 { // some producers send only images
		keys = r.Change.NewImage
		if len(keys) == 0 {
			keys = r.Change.OldImage
		}
	}
	if !session.IsSessionKeys(keys) {
		return nil, false, nil
	}
	var image map[string]events.DynamoDBAttributeValue
	switch r.EventName {
	case eventModify:
		if r.Change.OldImage == nil || r.Change.NewImage == nil {
			return nil, false, errors.New(noImagesError)
		}
		if status(r.Change.OldImage) != session.StatusActive || status(r.Change.NewImage) != session.StatusEnded {
			return nil, false, nil
		}
		image = r.Change.NewImage
	case eventRemove:
		if r.UserIdentity == nil || r.UserIdentity.Type != ttlType || r.UserIdentity.PrincipalID != ttlPrincipal {
			return nil, false, nil
		}
		if r.Change.OldImage == nil {
			return nil, false, errors.New(noImagesError)
		}
		if status(r.Change.OldImage) != session.StatusActive {
			return nil, false, nil
		}
		image = r.Change.OldImage
	default:
		return nil, false, nil
	}
	s, err = session.FromStreamImage(image)
	if err != nil {
		return nil, false, err
	}
	return s, true, nil
}

func status(image map[string]events.DynamoDBAttributeValue) session.Status {
	v, ok := image[statusAttr]
	if !ok || v.DataType() != events.DataTypeString {
		return ""
	}
	return session.Status(v.String())
}

// HandleStream is the email-summary Lambda's handler for the sessions
// table's stream. Each record that ends a conversation (EndedSession) is
// delivered in order, each with its own business's configuration and
// provider. Records whose delivery must be retried — and, when the
// invocation is about to time out, the records not yet started — are
// reported as batch item failures (ItemIdentifier = the record's
// SequenceNumber), so the event source mapping (with
// FunctionResponseTypes: [ReportBatchItemFailures]) retries from the
// first of them; deliveries are idempotent, so the records after it that
// succeeded cost nothing when they come again. Before handing failures
// back it waits RetryPause, as the stream retries at once. The handler
// itself never returns an error.
func (p *Pipeline[M]) HandleStream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	fail := func(r events.DynamoDBEventRecord) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
	}
	for i, r := range ev.Records {
		if p.outOfTime(ctx) {
			left := 0
			for _, rest := range ev.Records[i:] {
				if _, ok, err := EndedSession(rest); ok || err != nil {
					fail(rest)
					left++
				}
			}
			p.log().WarnContext(ctx, "invocation nearly out of time; leaving records for the retry", "records", left)
			break
		}
		s, ok, err := EndedSession(r)
		if err != nil {
			p.log().ErrorContext(ctx, "stream record of a session could not be decoded", "eventId", r.EventID,
				"eventName", r.EventName, "sequenceNumber", r.Change.SequenceNumber, "err", err)
			fail(r)
			continue
		}
		if !ok {
			continue
		}
		rctx := tenant.WithBusiness(ctx, s.BusinessID)
		if err := p.Deliver(rctx, s); err != nil {
			p.log().WarnContext(rctx, "summary delivery failed; the record will be retried", "sessionId", s.ID,
				"eventId", r.EventID, "sequenceNumber", r.Change.SequenceNumber, "err", err)
			fail(r)
		}
	}
	if len(resp.BatchItemFailures) > 0 {
		p.pause(ctx)
	}
	return resp, nil
}

// pause waits RetryPause before failures go back to the stream, if the
// invocation has the time.
func (p *Pipeline[M]) pause(ctx context.Context) {
	d := p.retryPause()
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline)-5*time.Second)
	}
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// outOfTime reports whether the invocation's deadline is within Reserve.
func (p *Pipeline[M]) outOfTime(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < p.reserve()
}
