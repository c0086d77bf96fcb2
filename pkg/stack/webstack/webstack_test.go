package webstack

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "ahca-dev-app", "CONFIG_BUCKET": "ahca-dev-config", "AWS_REGION": "us-west-2", "STAGE": "dev",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	getenv := func(k string) string { return env[k] }
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
