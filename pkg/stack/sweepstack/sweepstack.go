// Package sweepstack builds the session-sweeper function from explicit
// configuration: part of the composition root (package stack).
package sweepstack

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"

	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/sweep"
	"github.com/ahca/ahca/pkg/tenant"
)

// Config is what the sweeper is built from.
type Config struct {
	stack.Base
	// ManagementEndpoint is the WebSocket stage's @connections endpoint
	// (WS_MANAGEMENT_ENDPOINT), to tell a still-connected visitor: a
	// scheduled invocation has no event to derive it from.
	ManagementEndpoint string
}

// FromEnv reads Config from the function's environment (template.yaml).
func FromEnv(getenv stack.Getenv) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	base, err := stack.BaseFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	base.Retry = awsretry.Background // a lead waits on every session ended here
	c := Config{Base: base, ManagementEndpoint: getenv("WS_MANAGEMENT_ENDPOINT")}
	if c.ManagementEndpoint == "" {
		return Config{}, errors.New("WS_MANAGEMENT_ENDPOINT is required: the WebSocket stage's https endpoint")
	}
	return c, nil
}

// New builds the sweeper. Nothing here touches the network.
func New(c Config) *sweep.Sweeper {
	parts := stack.NewParts(c.Base)
	engine := &conversation.Engine{Configs: parts.Configs, Store: parts.Sessions, Log: parts.Log}
	cfg := c.AWS
	poster := relay.Gateway{API: apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(c.ManagementEndpoint)
	})}
	return &sweep.Sweeper{Sessions: parts.Sessions, Log: parts.Log,
		End: func(ctx context.Context, biz tenant.ID, id string, now time.Time) (bool, error) {
			return engine.EndIdle(ctx, poster, biz, id, now)
		}}
}

// Start is the function's main: build from the environment, then sweep on
// every scheduled invocation.
func Start(name string) {
	c, err := FromEnv(os.Getenv)
	stack.Exit(name, err)
	s := New(c)
	lambda.Start(func(ctx context.Context) (sweep.Result, error) { return s.Sweep(ctx) })
}
