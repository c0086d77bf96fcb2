// Package voicestack builds the Twilio voice webhooks' handler from
// explicit configuration: part of the composition root (package stack).
package voicestack

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	// Business hours are read in each business's time zone; the zone
	// database is embedded so the answer never depends on the image.
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/httplambda"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// Config is what twilio-voice is built from.
type Config struct {
	stack.Base
	// PublicBaseURL is the HTTP API's public URL Twilio calls (https://…);
	// signatures are computed over it (PUBLIC_BASE_URL).
	PublicBaseURL string
	// WSURL is the WebSocket API stage URL ConversationRelay connects to
	// (wss://…/<stage>; WS_URL).
	WSURL string
	// AuthTokenRef is the account's auth token, a secret reference
	// (TWILIO_AUTH_TOKEN_REF, ssm:/ahca/<stage>/twilio-auth-token).
	AuthTokenRef secret.Value
}

// FromEnv reads Config from twilio-voice's environment (template.yaml):
// PUBLIC_BASE_URL, WS_URL, TWILIO_AUTH_TOKEN_REF, CONFIG_BUCKET (and
// CONFIG_PREFIX), TABLE_NAME.
func FromEnv(getenv stack.Getenv) (Config, error) {
	getenv = stack.Env(getenv)
	env, err := awsenv.Require(getenv, "PUBLIC_BASE_URL", "WS_URL", "TWILIO_AUTH_TOKEN_REF", "CONFIG_BUCKET", "TABLE_NAME")
	if err != nil {
		return Config{}, err
	}
	public, err := checkBaseURL("PUBLIC_BASE_URL", env["PUBLIC_BASE_URL"], "https", "http")
	if err != nil {
		return Config{}, err
	}
	ws, err := checkBaseURL("WS_URL", env["WS_URL"], "wss", "ws")
	if err != nil {
		return Config{}, err
	}
	ref := secret.Value(env["TWILIO_AUTH_TOKEN_REF"])
	if err := stack.SecretRef("TWILIO_AUTH_TOKEN_REF", ref, "ssm:/ahca/dev/twilio-auth-token"); err != nil {
		return Config{}, err
	}
	base, err := stack.BaseFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	return Config{Base: base, PublicBaseURL: public, WSURL: ws, AuthTokenRef: ref}, nil
}

// New builds the handler. Staff and emergency phones in configs may be
// ${ENV}, ssm: or secretsmanager: references; they are resolved at use,
// like the auth token. Nothing here touches the network.
func New(c Config) *twiliovoice.Handler {
	parts := stack.NewParts(c.Base)
	resolver := stack.Resolver(c.Base)
	ref := c.AuthTokenRef
	return &twiliovoice.Handler{
		Configs:       parts.Configs,
		Calls:         &twiliovoice.SessionCalls{Store: parts.Sessions},
		AuthToken:     func(ctx context.Context) (string, error) { return resolver.Resolve(ctx, ref) },
		PublicBaseURL: c.PublicBaseURL,
		WebSocketURL:  c.WSURL,
		Resolve:       resolver.Resolve,
		Log:           parts.Log,
	}
}

// Start is twilio-voice's main: build the handler from the environment,
// then serve the webhooks behind the HTTP API.
func Start(name string) {
	c, err := FromEnv(os.Getenv)
	stack.Exit(name, err)
	lambda.Start(httplambda.Handler(New(c)))
}

// checkBaseURL requires an absolute URL with one of the schemes, no query
// and no fragment; it returns it without a trailing slash.
func checkBaseURL(name, raw string, schemes ...string) (string, error) {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" && u.RawQuery == "" && u.Fragment == "" {
		for _, s := range schemes {
			if u.Scheme == s {
				return strings.TrimRight(raw, "/"), nil
			}
		}
	}
	return "", fmt.Errorf("%s %q: want an absolute %s:// URL without query", name, raw, schemes[0])
}
