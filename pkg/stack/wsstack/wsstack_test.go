package wsstack_test

import (
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/stack/stacktest"
	"github.com/ahca/ahca/pkg/stack/wsstack"
)

func TestFromEnv(t *testing.T) {
	env := stacktest.Env("WEB_ORIGIN", "https://a.example, https://b.example",
		"WS_URL", "wss://ws0abc1.execute-api.us-west-2.amazonaws.com/dev", "TWILIO_AUTH_TOKEN_REF", "ssm:/ahca/dev/twilio-auth-token")
	getenv := stacktest.Getenv(env)
	c, err := wsstack.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Table != "ahca-dev-app" || c.ConfigBucket != "ahca-dev-config" || c.Stage != "dev" || len(c.TrustedOrigins) != 2 || c.TrustedOrigins[1] != "https://b.example" {
		t.Errorf("config %+v", c)
	}
	if c.Phone == nil || c.Phone.WSURL != env["WS_URL"] || c.Phone.AuthTokenRef != "ssm:/ahca/dev/twilio-auth-token" {
		t.Errorf("phone %+v", c.Phone)
	}
	h, err := wsstack.New(c)
	if err != nil || h.Admit == nil || h.Turns != nil || h.Phone == nil || h.Phone.AuthToken == nil || h.Posters == nil {
		t.Fatalf("handlers %+v, %v", h, err)
	}

	env["TWILIO_AUTH_TOKEN_REF"] = "0123456789abcdef"
	if _, err := wsstack.FromEnv(getenv); err == nil || !strings.Contains(err.Error(), "want a secret reference") {
		t.Errorf("a literal token: %v", err)
	}
	delete(env, "WS_URL")
	if c, err := wsstack.FromEnv(getenv); err != nil || c.Phone != nil {
		t.Errorf("without WS_URL phone connections are refused: %+v, %v", c.Phone, err)
	}
	delete(env, "TABLE_NAME")
	if _, err := wsstack.FromEnv(getenv); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("missing TABLE_NAME: %v", err)
	}
}
