package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/infra/apigw"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/sweep"
	"github.com/ahca/ahca/pkg/tenant"
)

// The local stack's sweep runs every minute, as the schedule does in AWS;
// with --idle-timeout it runs often enough to end a session within a few
// seconds of its timeout.
const devSweepEvery = time.Minute

// sweepEvery is how often the local sweep runs for the idle timeout
// override (zero: none).
func sweepEvery(override time.Duration) time.Duration {
	if override <= 0 {
		return devSweepEvery
	}
	return min(devSweepEvery, max(override/4, 250*time.Millisecond))
}

// newDevSweeper is the session-sweeper function's work in the local stack:
// the same pkg/sweep over the store's idle listing, ending sessions through
// the engine and telling still-connected visitors through the gateway.
func newDevSweeper(store session.IdleLister, engine *conversation.Engine, poster conversation.Poster, log *slog.Logger) *sweep.Sweeper {
	return &sweep.Sweeper{Sessions: store, Log: log, Now: engine.Now,
		End: func(ctx context.Context, biz tenant.ID, id string, now time.Time) (bool, error) {
			return engine.EndIdle(ctx, poster, biz, id, now)
		}}
}

// dropDisconnects is the $disconnect route, losing the events drop picks
// (nil: none), as API Gateway sometimes does.
func dropDisconnects(drop func(connectionID string) bool, h apigw.Handler) apigw.Handler {
	if drop == nil {
		return h
	}
	return func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if drop(ev.RequestContext.ConnectionID) {
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}
		return h(ctx, ev)
	}
}
