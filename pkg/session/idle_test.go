package session

import (
	"testing"
	"time"
)

func TestIdleDue(t *testing.T) {
	last := time.Date(2026, 3, 10, 18, 0, 7, 500, time.UTC)
	tests := []struct {
		name    string
		ch      Channel
		timeout time.Duration
		want    time.Time
	}{
		{"web default: a minute's step", ChannelWeb, 0, time.Date(2026, 3, 10, 18, 11, 0, 0, time.UTC)},
		{"phone default", ChannelPhone, 0, time.Date(2026, 3, 10, 18, 31, 0, 0, time.UTC)},
		{"20 s: a 5 s step", ChannelWeb, 20 * time.Second, time.Date(2026, 3, 10, 18, 0, 30, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Session{Channel: tt.ch, CreatedAt: last, UpdatedAt: last, IdleTimeout: tt.timeout}
			got := idleDue(s)
			if !got.Equal(tt.want) {
				t.Errorf("idleDue = %v, want %v", got, tt.want)
			}
			if got.Before(s.IdleAt()) {
				t.Errorf("due %v before the session is idle (%v)", got, s.IdleAt())
			}
		})
	}
	// On a step already: not moved.
	on := time.Date(2026, 3, 10, 18, 0, 10, 0, time.UTC)
	s := &Session{Channel: ChannelWeb, CreatedAt: on, UpdatedAt: on, IdleTimeout: 20 * time.Second}
	if got := idleDue(s); !got.Equal(on.Add(20 * time.Second)) {
		t.Errorf("idleDue on a step = %v, want %v", got, on.Add(20*time.Second))
	}
}
