package endstack

import (
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/awsretry"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestFromEnv(t *testing.T) {
	base := map[string]string{"TABLE_NAME": "ahca-dev-app", "CONFIG_BUCKET": "ahca-dev-config", "AWS_REGION": "us-west-2", "STAGE": "dev",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	if _, err := FromEnv(env(base)); err == nil || !strings.Contains(err.Error(), "WS_MANAGEMENT_ENDPOINT") {
		t.Errorf("without WS_MANAGEMENT_ENDPOINT: %v, want an error naming it", err)
	}
	base["WS_MANAGEMENT_ENDPOINT"] = "https://abc.execute-api.us-west-2.amazonaws.com/dev"
	c, err := FromEnv(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Retry.Name != awsretry.Background.Name {
		t.Errorf("retry policy %q, want background: a lead waits on every session the sweep ends", c.Retry.Name)
	}
	if s := New(c); s.Sessions == nil || s.End == nil {
		t.Errorf("sweeper not wired: %+v", s)
	}
}
