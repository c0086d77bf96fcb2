package admission_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/admission"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

// A new session's expiry and idle timeout: the opener's when positive,
// else the defaults (the TTL's, the business's per channel).
func TestOpenTimeouts(t *testing.T) {
	now := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	b := &business.Business{ID: "acme"}
	b.Session.IdleTimeout, b.Session.PhoneIdleTimeout = 7*time.Minute, 20*time.Minute
	tests := []struct {
		name          string
		ttl, idle     time.Duration
		ch            session.Channel
		wantExpiry    time.Duration
		wantIdleAfter time.Duration
	}{
		{"defaults, web", 0, 0, session.ChannelWeb, admission.DefaultSessionTTL, 7 * time.Minute},
		{"defaults, phone", 0, 0, session.ChannelPhone, admission.DefaultSessionTTL, 20 * time.Minute},
		{"the opener's", time.Hour, 8 * time.Second, session.ChannelWeb, time.Hour, 8 * time.Second},
		{"negative means default", -time.Hour, -time.Second, session.ChannelWeb, admission.DefaultSessionTTL, 7 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &admission.Opener{Store: session.NewMemoryStore(), Counters: &session.MemoryCounters{}, Now: func() time.Time { return now },
				Log: slog.New(slog.DiscardHandler), TTL: tt.ttl, IdleTimeout: tt.idle}
			s, err := o.Open(context.Background(), b, "conn-1", tt.ch)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.ExpiresAt.Sub(now); got != tt.wantExpiry {
				t.Errorf("expires after %v, want %v", got, tt.wantExpiry)
			}
			if s.IdleTimeout != tt.wantIdleAfter {
				t.Errorf("idle timeout %v, want %v", s.IdleTimeout, tt.wantIdleAfter)
			}
		})
	}
}
