package webstack

import (
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/stack/stacktest"
)

func TestFromEnv(t *testing.T) {
	env := stacktest.Env()
	getenv := stacktest.Getenv(env)
	if _, err := FromEnv(getenv); err == nil || !strings.Contains(err.Error(), "WS_URL") {
		t.Errorf("without WS_URL: %v, want an error naming it", err)
	}
	env["WS_URL"] = "wss://abc.execute-api.us-west-2.amazonaws.com/dev"
	env["WEB_ORIGIN"] = "https://web.example"
	c, err := FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedOrigins) != 1 {
		t.Errorf("trusted origins %v", c.TrustedOrigins)
	}
	if _, err := New(c); err != nil {
		t.Errorf("New: %v", err)
	}
}
