package wsapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// A captured phone handshake replayed while the call's leg is live is
// refused (409); the leg that follows an unanswered transfer is admitted.
func TestPhoneHandshakeReplayRefused(t *testing.T) {
	f := newFixture(t)
	const token, ws, sid = "tw-token", "wss://ws.example/dev", "CA0123456789abcdef0123456789abcdef"
	f.h.Phone = &PhoneAdmission{AuthToken: func(context.Context) (string, error) { return token, nil }, WSURL: ws, Store: f.store, Now: func() time.Time { return f.now }}
	biz := tenant.ID("superior-fencing")
	if err := f.store.Create(context.Background(), &session.Session{BusinessID: biz, ID: sid, CallSID: sid, Channel: session.ChannelPhone,
		Status: session.StatusActive, CreatedAt: f.now, UpdatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	handshake := func(connID string) int {
		ev := loadEvent(t, "connect.json")
		ev.RequestContext.ConnectionID = connID
		ev.QueryStringParameters = map[string]string{twiliovoice.ParamBusinessID: string(biz), twiliovoice.ParamCallSID: sid, twiliovoice.ParamChannel: twiliovoice.ChannelPhone}
		ev.MultiValueQueryStringParameters = nil
		ev.Headers = map[string]string{twiliovoice.SignatureHeader: twiliovoice.Sign(token, twiliovoice.RelayURL(ws, biz, sid), nil)}
		ev.MultiValueHeaders = nil
		resp, err := f.h.Connect(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if got := handshake("leg-1"); got != http.StatusOK {
		t.Fatalf("first leg: %d", got)
	}
	if n, _ := f.engine.Counters.Add(context.Background(), biz, session.DayWindow(f.now), map[string]int64{session.CountConversations: 0}); n[session.CountConversations] != 1 {
		t.Errorf("conversations counted for the call = %v, want 1", n)
	}
	if got := handshake("attacker"); got != http.StatusConflict {
		t.Errorf("replayed handshake while the leg is live: %d, want 409", got)
	}
	calls := &twiliovoice.SessionCalls{Store: f.store, Now: func() time.Time { return f.now }}
	if err := calls.Resume(context.Background(), biz, sid, "office"); err != nil {
		t.Fatal(err)
	}
	if got := handshake("leg-2"); got != http.StatusOK {
		t.Errorf("leg after an unanswered transfer: %d, want 200", got)
	}
	if s, _ := f.store.Get(context.Background(), biz, sid); s.ConnectionID != "leg-2" {
		t.Errorf("bound connection = %q", s.ConnectionID)
	}
}

// New web connections per source address per minute are bounded.
func TestConnectionsPerSourceLimited(t *testing.T) {
	f := newFixture(t)
	refused := 0
	for i := range 130 {
		ev := loadEvent(t, "connect.json")
		ev.RequestContext.ConnectionID = "c" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		ev.RequestContext.Identity.SourceIP = "198.51.100.7"
		ev.QueryStringParameters = map[string]string{"businessId": "superior-fencing"}
		delete(ev.Headers, "Origin")
		delete(ev.MultiValueHeaders, "Origin")
		resp, err := f.h.Connect(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 10 {
		t.Errorf("refused %d of 130 connections from one address, want 10 (limit 120/min)", refused)
	}
}

// A refusal that echoes client input (an Origin header) is clipped.
func TestRefusalEchoClipped(t *testing.T) {
	f := newFixture(t)
	resp := f.connect(t, "c1", "superior-fencing", "https://"+strings.Repeat("a", 30000)+".example")
	if resp.StatusCode == http.StatusOK || len(resp.Body) > 210 {
		t.Errorf("status %d, body of %d bytes", resp.StatusCode, len(resp.Body))
	}
}
