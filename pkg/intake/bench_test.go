package intake

import (
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/session"
)

// BenchmarkRespond measures one typical turn: a caller volunteering
// everything at once.
func BenchmarkRespond(b *testing.B) {
	a := New(businessFor(&testing.T{}, "superior-fencing"))
	for b.Loop() {
		s := &session.Session{Channel: session.ChannelPhone}
		a.Greet(s)
		a.Respond(s, "This is Jamie Rivera, my number is five oh three, five five five, zero one four two, my fence blew down. What are your hours?", tuesday)
	}
}

// BenchmarkRespondLong bounds the cost of a pathological utterance (a
// transcript of several minutes of speech).
func BenchmarkRespondLong(b *testing.B) {
	a := New(businessFor(&testing.T{}, "superior-fencing"))
	long := strings.Repeat("my fence and the gate, J A M I E, five oh three at gmail dot com? ", 80)
	for b.Loop() {
		s := &session.Session{Channel: session.ChannelPhone}
		a.Greet(s)
		a.Respond(s, long, tuesday)
	}
}
