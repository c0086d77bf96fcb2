// Package webstack builds the web-assets function (the chat page, the
// widget and the public business info) from explicit configuration: part
// of the composition root (package stack).
package webstack

import (
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/httplambda"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/webhost"
	"github.com/ahca/ahca/web"
)

// Config is what the function is built from.
type Config struct {
	stack.Base
	// WSURL is the stage's WebSocket endpoint the page and the widget
	// connect to (WS_URL).
	WSURL string
	// TrustedOrigins are the stack's own page origins (WEB_ORIGIN): a
	// business that lists allowed origins gets these too.
	TrustedOrigins []string
}

// FromEnv reads Config from the function's environment (template.yaml).
func FromEnv(getenv stack.Getenv) (Config, error) {
	getenv = stack.Env(getenv)
	base, err := stack.BaseFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	c := Config{Base: base, WSURL: getenv("WS_URL"), TrustedOrigins: stack.List(getenv("WEB_ORIGIN"))}
	if c.WSURL == "" {
		return Config{}, errors.New("WS_URL is required: the stage's wss:// WebSocket endpoint")
	}
	return c, nil
}

// New builds the handler. Nothing here touches the network.
func New(c Config) (*webhost.Handler, error) {
	log, _, configs := stack.NewConfigs(c.Base) // no session store: it reads configs only
	return webhost.New(web.Files, configs, func(b *business.Business) []string { return b.PageOrigins(c.TrustedOrigins) }, c.WSURL, log)
}

// Start is the function's main.
func Start(name string) {
	c, err := FromEnv(os.Getenv)
	stack.Exit(name, err)
	h, err := New(c)
	stack.Exit(name, err)
	lambda.Start(httplambda.Handler(h))
}
