package llmtest

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
)

// NewPiped serves a Fake with a real http.Server over in-memory connections
// (net.Pipe) rather than loopback sockets, so that a test can run in a
// synctest bubble (a goroutine blocked on a socket is not durably blocked,
// one blocked on a pipe is), and returns the HTTP client that reaches it.
// Everything is closed at the end of the test. In a bubble, call it inside
// the bubble.
func NewPiped(t testing.TB) (*Fake, *http.Client) {
	t.Helper()
	l := &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
	fake := New(t) // its cleanup (releasing stalls) runs after ours
	fake.URL = "http://llmtest.invalid/v1"
	srv := &http.Server{Handler: fake}
	go func() { _ = srv.Serve(l) }()
	tr := &http.Transport{DialContext: l.dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Close()
	})
	return fake, &http.Client{Transport: tr}
}

// pipeListener hands the server end of each dialed net.Pipe to Accept.
type pipeListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		_, _ = client.Close(), server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		_, _ = client.Close(), server.Close()
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
