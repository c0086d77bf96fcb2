// Package wsstack builds the WebSocket API's handlers ($connect,
// $default, $disconnect) from explicit configuration: part of the
// composition root (package stack).
package wsstack

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ahca/ahca/pkg/admission"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/wsapi"
)

// Config is what the ws-* functions are built from.
type Config struct {
	stack.Base
	// TrustedOrigins may open a web chat with any business (WEB_ORIGIN,
	// comma-separated).
	TrustedOrigins []string
	// ManagementEndpoint overrides the @connections endpoint derived from
	// the event (WS_MANAGEMENT_ENDPOINT; a custom domain).
	ManagementEndpoint string
	// Phone admits Twilio ConversationRelay handshakes; nil refuses them
	// (WS_URL and TWILIO_AUTH_TOKEN_REF both set).
	Phone *PhoneConfig
}

// PhoneConfig is how $connect checks Twilio's signed handshakes.
type PhoneConfig struct {
	WSURL        string       // the WebSocket stage URL the TwiML used
	AuthTokenRef secret.Value // the account's auth token, a secret reference
}

// FromEnv reads Config from the function's environment (template.yaml).
func FromEnv(getenv stack.Getenv) (Config, error) {
	getenv = stack.Env(getenv)
	base, err := stack.BaseFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	c := Config{Base: base, TrustedOrigins: stack.List(getenv("WEB_ORIGIN")), ManagementEndpoint: getenv("WS_MANAGEMENT_ENDPOINT")}
	if ref, ws := getenv("TWILIO_AUTH_TOKEN_REF"), getenv("WS_URL"); ref != "" && ws != "" {
		if err := stack.SecretRef("TWILIO_AUTH_TOKEN_REF", secret.Value(ref), "ssm:/ahca/dev/twilio-auth-token"); err != nil {
			return Config{}, err
		}
		c.Phone = &PhoneConfig{WSURL: ws, AuthTokenRef: secret.Value(ref)}
	}
	return c, nil
}

// Option completes the handlers before they are served; ws-message adds
// the turn engine with it (package turnstack), so that only ws-message
// links the engine, the agents and the model.
type Option func(cfg aws.Config, parts stack.Parts, h *wsapi.Handlers) error

// New builds the handlers: $connect's admission (limits and budgets
// counted in the table), the business configs, the Twilio handshake check
// and the posters. Nothing here touches the network.
func New(c Config, opts ...Option) (*wsapi.Handlers, error) {
	parts := stack.NewParts(c.Base)
	var phone *wsapi.PhoneAdmission
	if c.Phone != nil {
		resolver := stack.Resolver(c.Base)
		ref := c.Phone.AuthTokenRef
		phone = &wsapi.PhoneAdmission{WSURL: c.Phone.WSURL, Store: parts.Sessions, AuthToken: func(ctx context.Context) (string, error) {
			return resolver.Resolve(ctx, ref)
		}}
	}
	h := &wsapi.Handlers{
		// Usage counters (issue 13): per-business budgets, atomic in the table.
		Admit:   &admission.Opener{Store: parts.Sessions, Counters: parts.Counters, Now: time.Now, Log: parts.Log},
		Configs: parts.Configs, Log: parts.Log, TrustedOrigins: c.TrustedOrigins, Phone: phone,
		Posters: &wsapi.StagePosters{Override: c.ManagementEndpoint, Endpoints: relay.Endpoints{New: func(endpoint string) relay.ManagementAPI {
			return relay.NewManagementAPI(c.AWS, endpoint)
		}}},
	}
	for _, o := range opts {
		if err := o(c.AWS, parts, h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Route is one of the handlers' routes as a method expression:
// (*wsapi.Handlers).Connect or .Message ($disconnect is endstack's).
type Route = func(h *wsapi.Handlers, ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)

// Start is a ws-* function's main: it builds the handlers from the
// environment (FromEnv, then New), ends the process if that fails (stack.Exit with the
// function's name) and serves route with lambda.Start.
func Start(name string, route Route, opts ...Option) {
	c, err := FromEnv(os.Getenv)
	stack.Exit(name, err)
	h, err := New(c, opts...)
	stack.Exit(name, err)
	lambda.Start(func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		return route(h, ctx, req)
	})
}
