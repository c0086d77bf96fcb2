package endstack

import (
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/stack/stacktest"
)

func TestFromEnv(t *testing.T) {
	base := stacktest.Env()
	if _, err := FromEnv(stacktest.Getenv(base)); err == nil || !strings.Contains(err.Error(), "WS_MANAGEMENT_ENDPOINT") {
		t.Errorf("without WS_MANAGEMENT_ENDPOINT: %v, want an error naming it", err)
	}
	base["WS_MANAGEMENT_ENDPOINT"] = "https://abc.execute-api.us-west-2.amazonaws.com/dev"
	c, err := FromEnv(stacktest.Getenv(base))
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

func TestDisconnectFromEnv(t *testing.T) {
	base, err := BaseFromEnv(stacktest.Getenv(stacktest.Env()))
	if err != nil {
		t.Fatal(err)
	}
	if base.Retry.Name != awsretry.Background.Name {
		t.Errorf("retry policy %q, want background: the lead waits on every disconnect", base.Retry.Name)
	}
	if Disconnect(base) == nil {
		t.Error("no $disconnect handler")
	}
	if _, err := BaseFromEnv(stacktest.Getenv(map[string]string{})); err == nil {
		t.Error("an empty environment builds")
	}
}
