package summary_test

import (
	"net/http"
	"testing"

	"github.com/ahca/ahca/pkg/llm/llmtest"
)

// newFake serves the llmtest fake over in-memory connections
// (llmtest.NewPiped) and returns the HTTP client that reaches it.
func newFake(t *testing.T) (*llmtest.Fake, *http.Client) { return llmtest.NewPiped(t) }
