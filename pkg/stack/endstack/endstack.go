// Package endstack builds the functions that end sessions from outside a
// turn — ws-disconnect ($disconnect) and session-sweeper (idle sessions) —
// from explicit configuration: part of the composition root (package
// stack). They link pkg/sessionend, not the agents.
package endstack

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/sessionend"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/sweep"
	"github.com/ahca/ahca/pkg/tenant"
)

// Config is what the session-sweeper is built from.
type Config struct {
	stack.Base
	// ManagementEndpoint is the WebSocket stage's @connections endpoint
	// (WS_MANAGEMENT_ENDPOINT), to tell a still-connected visitor: a
	// scheduled invocation has no event to derive it from.
	ManagementEndpoint string
}

// BaseFromEnv is the function's stack.Base with the background retry
// policy: nobody waits on a disconnect or a sweep, but the lead does (its
// summary follows every session ended here).
func BaseFromEnv(getenv stack.Getenv) (stack.Base, error) {
	base, err := stack.BaseFromEnv(stack.Env(getenv))
	if err != nil {
		return stack.Base{}, err
	}
	base.Retry = awsretry.Background
	return base, nil
}

// FromEnv reads the sweeper's Config from the function's environment
// (template.yaml).
func FromEnv(getenv stack.Getenv) (Config, error) {
	getenv = stack.Env(getenv)
	base, err := BaseFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	c := Config{Base: base, ManagementEndpoint: getenv("WS_MANAGEMENT_ENDPOINT")}
	if c.ManagementEndpoint == "" {
		return Config{}, errors.New("WS_MANAGEMENT_ENDPOINT is required: the WebSocket stage's https endpoint")
	}
	return c, nil
}

// New builds the sweeper. Nothing here touches the network.
func New(c Config) *sweep.Sweeper {
	parts := stack.NewParts(c.Base)
	ender := newEnder(parts)
	poster := relay.Gateway{API: relay.NewManagementAPI(c.AWS, c.ManagementEndpoint)}
	return &sweep.Sweeper{Sessions: parts.Sessions, Log: parts.Log,
		End: func(ctx context.Context, biz tenant.ID, id string, now time.Time) (bool, error) {
			return ender.EndIdle(ctx, poster, biz, id, now)
		}}
}

// StartSweeper is session-sweeper's main: build from the environment, then
// sweep on every scheduled invocation.
func StartSweeper(name string) {
	c, err := FromEnv(os.Getenv)
	stack.Exit(name, err)
	s := New(c)
	lambda.Start(func(ctx context.Context) (sweep.Result, error) { return s.Sweep(ctx) })
}

func newEnder(parts stack.Parts) *sessionend.Ender {
	return &sessionend.Ender{Store: parts.Sessions, Log: parts.Log}
}

// Disconnect is the $disconnect route built from base: the connection's
// session ends. Nothing here touches the network.
func Disconnect(base stack.Base) func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	parts := stack.NewParts(base)
	ender := newEnder(parts)
	return func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		return sessionend.Disconnect(ctx, ender, parts.Log, req)
	}
}

// StartDisconnect is ws-disconnect's main: BaseFromEnv, then Disconnect.
func StartDisconnect(name string) {
	base, err := BaseFromEnv(os.Getenv)
	stack.Exit(name, err)
	lambda.Start(Disconnect(base))
}
