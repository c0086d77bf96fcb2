// Package relay sends frames to a caller's WebSocket connection through the
// API Gateway management API (PostToConnection), in phrase-sized chunks:
// every post counts against the account's API Gateway request rate, so an
// agent reply goes out as a few phrases, not one post per token.
package relay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
)

// ErrGone means the connection is closed (HTTP 410 from PostToConnection):
// the caller hung up or closed the tab.
var ErrGone = errors.New("connection gone")

// ManagementAPI is the part of the API Gateway management client we use.
type ManagementAPI interface {
	PostToConnection(ctx context.Context, in *apigatewaymanagementapi.PostToConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
	DeleteConnection(ctx context.Context, in *apigatewaymanagementapi.DeleteConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.DeleteConnectionOutput, error)
}

// Gateway posts to connections of one WebSocket API stage.
type Gateway struct {
	API ManagementAPI
}

// Post sends one frame.
func (g Gateway) Post(ctx context.Context, connectionID string, frame []byte) error {
	_, err := g.API.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(connectionID), Data: frame})
	if err != nil {
		var gone *types.GoneException
		if errors.As(err, &gone) {
			return fmt.Errorf("post to %s: %w", connectionID, ErrGone)
		}
		return fmt.Errorf("post to %s: %w", connectionID, err)
	}
	return nil
}

// Close disconnects the connection (its $disconnect route still runs).
func (g Gateway) Close(ctx context.Context, connectionID string) error {
	_, err := g.API.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connectionID)})
	var gone *types.GoneException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("close %s: %w", connectionID, err)
	}
	return nil
}

// NewManagementAPI is the management client of one endpoint
// (https://{domain}/{stage}), built from the function's AWS config.
func NewManagementAPI(cfg aws.Config, endpoint string) ManagementAPI {
	return apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// Endpoints builds one management client per API endpoint and reuses it:
// a Lambda learns the endpoint (https://{domain}/{stage}) from each event.
type Endpoints struct {
	New func(endpoint string) ManagementAPI
	mu  sync.Mutex
	m   map[string]Gateway
}

// For returns the gateway for an endpoint.
func (e *Endpoints) For(endpoint string) Gateway {
	e.mu.Lock()
	defer e.mu.Unlock()
	if g, ok := e.m[endpoint]; ok {
		return g
	}
	if e.m == nil {
		e.m = map[string]Gateway{}
	}
	g := Gateway{API: e.New(endpoint)}
	e.m[endpoint] = g
	return g
}

// MinPhrase is the size below which a phrase is merged with the next, so a
// reply of short sentences still goes out in few posts.
const MinPhrase = 40

// Phrases splits a complete reply into phrases at sentence ends (and at
// clause punctuation when a sentence is long), each at least MinPhrase
// bytes except possibly the last, by the Coalescer's rules: a phrase ends
// after the space that follows its punctuation, and never inside an email
// address, a URL, an amount, an abbreviation, a time or a phone number.
// Joining the phrases gives the text back.
func Phrases(text string) []string {
	c := Coalescer{SentenceMin: MinPhrase, ClauseMin: 3 * MinPhrase, Max: math.MaxInt, Every: math.MaxInt64,
		Now: func() time.Time { return time.Time{} }}
	out := c.Add(text)
	rest := c.Flush()
	switch {
	case rest == "":
	case strings.TrimSpace(rest) == "" && len(out) > 0:
		out[len(out)-1] += rest
	default:
		out = append(out, rest)
	}
	return out
}
