package openaiclient_test

import (
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/ahca/ahca/pkg/llm/llmtest"
)

// fakeAPI is the llmtest fake served by a real http.Server over in-memory
// connections (net.Pipe) rather than loopback sockets, so that a test can
// run in a synctest bubble: a goroutine blocked on a socket is not durably
// blocked, one blocked on a pipe is. The client must use client as its
// Options.HTTPClient (newClient does).
type fakeAPI struct {
	*llmtest.Fake
	client *http.Client
}

// newFake starts the fake (llmtest.NewPiped); everything is closed at the
// end of the test. In a bubble, call it inside the bubble.
func newFake(t *testing.T) *fakeAPI {
	fake, client := llmtest.NewPiped(t)
	return &fakeAPI{Fake: fake, client: client}
}

// wantCalls reports an error unless the fake has served want requests.
func (f *fakeAPI) wantCalls(t *testing.T, want int) {
	t.Helper()
	if n := f.Calls(); n != want {
		t.Errorf("requests = %d, want %d", n, want)
	}
}

// runInBubble runs f as the subtest name in a synctest bubble: time is the
// bubble's fake clock, which moves only when every goroutine of the test
// (client, server, fake) is blocked, so delays and timeouts happen in a
// fixed order and take exactly their nominal time whatever the machine's
// load. Use newFake inside f.
func runInBubble(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { synctest.Test(t, f) })
}
