package session_test

import (
	"testing"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
)

func TestMemoryStoreContract(t *testing.T) {
	sessiontest.RunContract(t, func(t *testing.T) session.Store { return session.NewMemoryStore() })
}

func BenchmarkMemoryTurn(b *testing.B) {
	benchmarkTurn(b, session.NewMemoryStore())
}
