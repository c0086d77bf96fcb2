package business

import (
	"testing"
	"time"
)

func TestSessionIdleTimeouts(t *testing.T) {
	b, _ := buildAcme(t, nil)
	if b.IdleTimeout("web") != 0 || b.IdleTimeout("phone") != 0 {
		t.Errorf("defaults = %v, %v; want 0 (the session package's channel defaults)", b.IdleTimeout("web"), b.IdleTimeout("phone"))
	}
	b, _ = buildAcme(t, func(tr map[string][]byte) {
		set(t, tr, acme, "session", map[string]any{"idleTimeout": "15m", "phoneIdleTimeout": "1h30m"})
	})
	if b.IdleTimeout("web") != 15*time.Minute || b.IdleTimeout("phone") != 90*time.Minute {
		t.Errorf("idle timeouts = %v, %v; want 15m, 1h30m", b.IdleTimeout("web"), b.IdleTimeout("phone"))
	}
}

func TestSessionProblems(t *testing.T) {
	tests := []struct {
		path  string
		value any
		want  string
	}{
		{"session.idleTimeout", "ten minutes", `$.session.idleTimeout: "ten minutes": want a duration from 1m0s to 2h0m0s`},
		{"session.idleTimeout", "20s", `$.session.idleTimeout: "20s": want a duration from 1m0s`},
		{"session.phoneIdleTimeout", "12h", `$.session.phoneIdleTimeout: "12h": want a duration from 5m0s to 4h0m0s`},
		{"session.idleTimout", "10m", `$.session.idleTimout: unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.path+"="+tt.value.(string), func(t *testing.T) { wantProblem(t, acme, tt.path, tt.value, tt.want) })
	}
}
