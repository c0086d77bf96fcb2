package wsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/admission"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/sessionend"
	"github.com/ahca/ahca/pkg/tenant"
)

// recorder is relaytest.Recorder that also serves as Posters.
type recorder struct{ *relaytest.Recorder }

func (r recorder) For(events.APIGatewayWebsocketProxyRequestContext) sessionend.Poster {
	return r.Recorder
}

type fixture struct {
	h      *Handlers
	engine *conversation.Engine
	store  session.Store
	rec    recorder
	now    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := business.NewRegistry(business.DirSource{Dir: "../../configs"}, business.RegistryOptions{})
	f := &fixture{store: session.NewMemoryStore(), rec: recorder{relaytest.New()}, now: time.Date(2026, 11, 28, 18, 40, 0, 0, time.UTC)}
	// As wsstack and turnstack build them: $connect's admission and the
	// turns share the usage counters.
	now, counters := func() time.Time { return f.now }, &session.MemoryCounters{}
	f.engine = &conversation.Engine{Configs: reg, Store: f.store, Now: now, Counters: counters}
	f.h = &Handlers{Admit: &admission.Opener{Store: f.store, Counters: counters, Now: now, Log: slog.Default()}, Turns: f.engine, Ender: f.engine, Configs: reg, Posters: f.rec, TrustedOrigins: []string{"https://chat.ahca.example"}}
	return f
}

func loadEvent(t *testing.T, name string) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayWebsocketProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func (f *fixture) connect(t *testing.T, connID, biz, origin string) events.APIGatewayProxyResponse {
	t.Helper()
	ev := loadEvent(t, "connect.json")
	ev.RequestContext.ConnectionID = connID
	ev.QueryStringParameters = map[string]string{}
	if biz != "" {
		ev.QueryStringParameters["businessId"] = biz
	}
	ev.Headers["Origin"] = origin
	delete(ev.MultiValueHeaders, "Origin")
	resp, err := f.h.Connect(context.Background(), ev)
	if err != nil {
		t.Fatalf("Connect returned an error (Lambda would 502): %v", err)
	}
	return resp
}

func (f *fixture) send(t *testing.T, connID, body string) []map[string]any {
	t.Helper()
	ev := loadEvent(t, "message.json")
	ev.RequestContext.ConnectionID = connID
	ev.Body = body
	resp, err := f.h.Message(context.Background(), ev)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Message(%s) = %d, %v", body, resp.StatusCode, err)
	}
	return f.rec.Take(connID)
}

func prompt(text string) string {
	b, _ := json.Marshal(map[string]any{"type": "prompt", "voicePrompt": text, "lang": "en-US", "last": true})
	return string(b)
}

func reply(t *testing.T, frames []map[string]any) string {
	t.Helper()
	text, closed := relaytest.Reply(frames)
	if !closed {
		t.Errorf("reply not closed by one final last:true frame: %v", frames)
	}
	return text
}

var frameOf = relaytest.Find

func TestAllowedOrigins(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		biz  string
		want []string
	}{
		{"superior-fencing", []string{"https://chat.ahca.example", "https://www.superior-fence.example", "http://localhost:8080"}},
		{"maple-street-vet", nil},
	} {
		b, err := f.h.Configs.Business(context.Background(), tenant.ID(tt.biz))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.h.AllowedOrigins(b); !slices.Equal(got, tt.want) {
			t.Errorf("AllowedOrigins(%s) = %q, want %q", tt.biz, got, tt.want)
		}
	}
}

func TestConnectAdmitsOrRefuses(t *testing.T) {
	tests := []struct {
		name, biz, origin string
		wantStatus        int
		wantReason        string
	}{
		{"allowed origin", "superior-fencing", "https://www.superior-fence.example", 200, ""},
		{"trusted AHCA origin", "superior-fencing", "https://chat.ahca.example", 200, ""},
		{"non-browser client (no Origin)", "sherpaprompt", "", 200, ""},
		{"business without an origin list", "maple-street-vet", "https://anything.example", 200, ""},
		{"origin not allowed", "superior-fencing", "https://evil.example", 403, "origin https://evil.example may not open a chat"},
		{"allowed origin in other case", "superior-fencing", "HTTPS://WWW.Superior-Fence.example", 200, ""},
		{"allowed host on another port", "superior-fencing", "https://www.superior-fence.example:8443", 403, "may not open a chat"},
		{"file: page (Origin null)", "superior-fencing", "null", 403, "origin null may not open a chat"},
		{"Origin null, business without a list", "maple-street-vet", "null", 200, ""},
		{"missing businessId", "", "", 400, "missing businessId"},
		{"unknown business", "no-such-business", "", 404, "unknown business no-such-business"},
		{"malformed business id", "../etc", "", 400, "invalid business id"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			conn := fmt.Sprintf("conn-%d", i)
			resp := f.connect(t, conn, tt.biz, tt.origin)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantReason) {
				t.Fatalf("Connect = %d %q, want %d containing %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantReason)
			}
			s, err := f.store.ByConnection(context.Background(), conn)
			if tt.wantStatus != 200 {
				if err == nil {
					t.Errorf("a refused connection opened session %+v", s)
				}
				return
			}
			if err != nil || string(s.BusinessID) != tt.biz || s.Channel != session.ChannelWeb || !s.Active(f.now) {
				t.Errorf("session = %+v, %v", s, err)
			}
		})
	}
}

func TestConnectFixtureAsRecorded(t *testing.T) {
	f := newFixture(t)
	resp, err := f.h.Connect(context.Background(), loadEvent(t, "connect.json"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("recorded $connect event: %d %q %v", resp.StatusCode, resp.Body, err)
	}
	if _, err := f.store.ByConnection(context.Background(), "L0SM9cOFvHcCIhw="); err != nil {
		t.Fatal(err)
	}
	resp, err = f.h.Message(context.Background(), loadEvent(t, "message.json"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("recorded $default event: %d %v", resp.StatusCode, err)
	}
	if ready := frameOf(f.rec.Take("L0SM9cOFvHcCIhw="), "session_ready"); ready == nil || ready["businessId"] != "superior-fencing" {
		t.Errorf("session_ready = %v", ready)
	}
	if resp, err := f.h.Disconnect(context.Background(), loadEvent(t, "disconnect.json")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("recorded $disconnect event: %d %v", resp.StatusCode, err)
	}
	s, _ := f.store.ByConnection(context.Background(), "L0SM9cOFvHcCIhw=")
	if s.Status != session.StatusEnded || s.EndReason != conversation.EndDisconnected {
		t.Errorf("after $disconnect: %s %s", s.Status, s.EndReason)
	}
}

func TestSetupGreetsWithTheBusinessWebGreeting(t *testing.T) {
	for _, biz := range []string{"superior-fencing", "sherpaprompt", "maple-street-vet"} {
		t.Run(biz, func(t *testing.T) {
			f := newFixture(t)
			f.connect(t, "c1", biz, "")
			frames := f.send(t, "c1", `{"type":"setup"}`)
			ready := frameOf(frames, "session_ready")
			b, _ := f.h.Configs.Business(context.Background(), tenant.ID(biz))
			if ready == nil || ready["businessName"] != b.Name || ready["agentName"] != b.Agent.Name || ready["sessionId"] == "" {
				t.Fatalf("session_ready = %v", ready)
			}
			if got := reply(t, frames); got != b.WebGreeting() {
				t.Errorf("greeting = %q, want the web greeting %q", got, b.WebGreeting())
			}
			// A second setup does not greet again.
			if frames := f.send(t, "c1", `{"type":"setup"}`); frameOf(frames, "text") != nil {
				t.Errorf("duplicate setup greeted again: %v", frames)
			}
		})
	}
}

func TestBadFramesGetErrorsAndTheConnectionStaysUsable(t *testing.T) {
	f := newFixture(t)
	f.connect(t, "c1", "superior-fencing", "")
	f.send(t, "c1", `{"type":"setup"}`)
	tests := []struct{ body, code string }{
		{`not json`, "bad_frame"},
		{`{"type":"moonwalk"}`, "unknown_type"},
		{`{"voicePrompt":"hi"}`, "missing_field"},
		{`{"type":"prompt","voicePrompt":""}`, "missing_field"},
		{`{"type":"prompt","voicePrompt":"` + strings.Repeat("x", 5000) + `"}`, "too_large"},
	}
	for _, tt := range tests {
		frames := f.send(t, "c1", tt.body)
		e := frameOf(frames, "error")
		if len(frames) != 1 || e == nil || e["code"] != tt.code || e["message"] == "" {
			t.Errorf("%.40s: frames = %v, want one error %s", tt.body, frames, tt.code)
		}
	}
	if got := reply(t, f.send(t, "c1", prompt("My fence blew down"))); got == "" {
		t.Error("no reply after bad frames")
	}
}

func TestIntakeOverTheWire(t *testing.T) {
	f := newFixture(t)
	f.connect(t, "c1", "superior-fencing", "")
	f.send(t, "c1", `{"type":"setup"}`)
	var last []map[string]any
	for _, say := range []string{"My fence blew down in the storm", "My name is Jamie Rivera", "503 555 0142"} {
		last = f.send(t, "c1", prompt(say))
		if reply(t, last) == "" {
			t.Fatalf("no reply to %q", say)
		}
	}
	info := frameOf(last, "user_info_updated")
	if info == nil {
		t.Fatalf("no user_info_updated after the phone number: %v", last)
	}
	ui := info["userInfo"].(map[string]any)
	if ui["name"] != "Jamie Rivera" || !strings.Contains(fmt.Sprint(ui["phone"]), "555") || ui["reason"] == "" {
		t.Errorf("userInfo = %v", ui)
	}
	frames := f.send(t, "c1", prompt("yes"))
	if frameOf(frames, "end") == nil || !f.rec.Closed("c1") {
		t.Fatalf("confirmed intake did not end and close: %v", frames)
	}
	s, _ := f.store.ByConnection(context.Background(), "c1")
	if s.Status != session.StatusEnded || s.EndReason != conversation.EndCompleted || s.Caller.Name != "Jamie Rivera" {
		t.Errorf("session after intake = %+v", s)
	}
	if n := len(s.Turns); n < 9 || s.Turns[0].Role != session.RoleAgent || s.Turns[1].Role != session.RoleCaller {
		t.Errorf("turns = %+v", s.Turns)
	}
	// A prompt after the end is refused, clearly.
	if e := frameOf(f.send(t, "c1", prompt("hello?")), "error"); e == nil || e["code"] != "session_ended" {
		t.Errorf("prompt after end: %v", e)
	}
}

func TestWebSetupCannotBecomePhoneOrSwitchBusiness(t *testing.T) {
	f := newFixture(t)
	f.connect(t, "c1", "sherpaprompt", "")
	f.send(t, "c1", `{"type":"setup","callSid":"CA0123","from":"+15035550100","to":"+15035550142","customParameters":{"businessId":"superior-fencing"}}`)
	s, err := f.store.ByConnection(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if s.BusinessID != "sherpaprompt" || s.Channel != session.ChannelWeb || s.CallSID != "" || s.Caller.CallerID != "" {
		t.Errorf("setup frame changed the session's identity: %+v", s)
	}
}

func TestGoneConnectionEndsTheSession(t *testing.T) {
	f := newFixture(t)
	f.connect(t, "c1", "superior-fencing", "")
	f.rec.SetGone("c1")
	f.send(t, "c1", `{"type":"setup"}`)
	s, _ := f.store.ByConnection(context.Background(), "c1")
	if s.Status != session.StatusEnded || s.EndReason != conversation.EndGone {
		t.Errorf("after 410: %s %q", s.Status, s.EndReason)
	}
}

func TestFramesWithoutASession(t *testing.T) {
	f := newFixture(t)
	e := frameOf(f.send(t, "never-connected", prompt("hi")), "error")
	if e == nil || e["code"] != "no_session" {
		t.Errorf("frame without session: %v", e)
	}
	ev := loadEvent(t, "disconnect.json")
	ev.RequestContext.ConnectionID = "never-connected"
	if resp, err := f.h.Disconnect(context.Background(), ev); err != nil || resp.StatusCode != 200 {
		t.Errorf("disconnect of unknown connection: %d %v", resp.StatusCode, err)
	}
}

func TestExpiredSessionIsEndedInCode(t *testing.T) {
	f := newFixture(t)
	f.connect(t, "c1", "superior-fencing", "")
	f.send(t, "c1", `{"type":"setup"}`)
	f.now = f.now.Add(conversation.DefaultSessionTTL + time.Minute)
	if e := frameOf(f.send(t, "c1", prompt("still there?")), "error"); e == nil || e["code"] != "session_ended" {
		t.Errorf("expired session took a prompt: %v", e)
	}
}

func TestInterruptTruncatesTheStoredReply(t *testing.T) {
	f := newFixture(t)
	f.connect(t, "c1", "superior-fencing", "")
	f.send(t, "c1", `{"type":"setup"}`)
	f.send(t, "c1", `{"type":"interrupt","utteranceUntilInterrupt":"Thanks for calling","durationUntilInterruptMs":900}`)
	f.now = f.now.Add(time.Second)
	f.send(t, "c1", prompt("My gate is broken")) // the next save consumes the mark
	s, _ := f.store.ByConnection(context.Background(), "c1")
	if g := s.Turns[0]; !g.Interrupted || g.Text != "Thanks for calling" {
		t.Errorf("greeting turn after interrupt = %+v", g)
	}
}
