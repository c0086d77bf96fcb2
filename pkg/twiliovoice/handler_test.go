package twiliovoice_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// withoutVoicemail is Maple Street Vet with voicemailHandling off: after
// hours it says its after-hours greeting and hangs up.
var withoutVoicemail = [3]string{"businesses/maple-street-vet/config.json", `"voicemailHandling": true`, `"voicemailHandling": false`}

// superiorClosed is Superior Fence answering only on weekdays 7 to 5
// (emergencyCallHandling stays on): on Sunday afternoon it is closed.
var superiorClosed = [][3]string{
	{"businesses/superior-fencing/config.json", `"emailSummary": true`, `"emailSummary": true, "onlyAnswerDuringBusinessHours": true`},
	{"businesses/superior-fencing/config.json", `"timezone": "America/Los_Angeles",`, `"timezone": "America/Los_Angeles", "operatingHours": {"timezone": "America/Los_Angeles", "schedule": {"monday": [{"start": "07:00", "end": "17:00"}]}},`},
}

// superiorVoicemail adds voicemailHandling to superiorClosed.
var superiorVoicemail = append(slices.Clone(superiorClosed), [3]string{"businesses/superior-fencing/config.json", `"emailSummary": true`, `"emailSummary": true, "voicemailHandling": true`})

// TestGolden checks every TwiML response against testdata/*.xml for the
// real businesses in ../../configs: superior-fencing (emergency # transfer,
// voice settings), maple-street-vet (staff routing, voicemail, business
// hours). Regenerate with go test -run TestGolden -update.
func TestGolden(t *testing.T) {
	connect := func(to, handoff string, kv ...string) map[string]string {
		p := merge(voiceParams(to), "CallStatus", "in-progress", "SessionId", "VX0123", "SessionStatus", "completed", "SessionDuration", "42", "HandoffData", handoff)
		return merge(p, kv...)
	}
	dial := func(to, status string) map[string]string {
		return merge(voiceParams(to), "CallStatus", "in-progress", "DialCallSid", "CA99", "DialCallStatus", status, "DialCallDuration", "0")
	}
	tests := []struct {
		name    string
		patches [][3]string
		now     time.Time
		path    string
		params  map[string]string
		started bool // a call was started (Calls.Start)
	}{
		{"voice-unknown-number", nil, tuesdayAfternoon, twiliovoice.PathVoice, voiceParams(unroutedNumber), false},
		{"voice-superior-fencing", nil, sundayAfternoon, twiliovoice.PathVoice, voiceParams(superiorNumber), true},
		{"voice-maple-open", nil, tuesdayAfternoon, twiliovoice.PathVoice, voiceParams(mapleNumber), true},
		{"voice-maple-second-number", nil, tuesdayAfternoon, twiliovoice.PathVoice, voiceParams("+1 (541) 555-0124"), true},
		{"voice-maple-closed-voicemail", nil, sundayAfternoon, twiliovoice.PathVoice, voiceParams(mapleNumber), true},
		{"voice-maple-closed-hangup", [][3]string{withoutVoicemail}, sundayAfternoon, twiliovoice.PathVoice, voiceParams(mapleNumber), true},
		{"voice-superior-closed-emergency", superiorClosed, sundayAfternoon, twiliovoice.PathVoice, voiceParams(superiorNumber), true},
		{"voice-superior-closed-voicemail", superiorVoicemail, sundayAfternoon, twiliovoice.PathVoice, voiceParams(superiorNumber), true},

		{"gather-pound", superiorClosed, sundayAfternoon, twiliovoice.PathGatherAction, merge(voiceParams(superiorNumber), "Digits", "#"), true},
		{"gather-other-key", superiorClosed, sundayAfternoon, twiliovoice.PathGatherAction, merge(voiceParams(superiorNumber), "Digits", "1"), true},

		{"connect-emergency", nil, sundayAfternoon, twiliovoice.PathConnectAction, connect(superiorNumber, `{"reason":"emergency"}`), false},
		{"connect-emergency-anonymous-caller", nil, sundayAfternoon, twiliovoice.PathConnectAction, connect(superiorNumber, `{"reason":"emergency"}`, "From", "anonymous", "Caller", "anonymous"), false},
		{"connect-emergency-unresolvable", [][3]string{{"businesses/superior-fencing/config.json", "ssm:/ahca/{stage}/superior-fencing/on-call-phone", "ssm:/ahca/{stage}/superior-fencing/unset-phone"}}, sundayAfternoon, twiliovoice.PathConnectAction, connect(superiorNumber, `{"reason":"emergency"}`), false},
		{"connect-emergency-not-enabled", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, `{"reason":"emergency"}`), false},
		{"connect-transfer", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, `{"reason":"transfer","staff":"pharmacy","name":"Jordan"}`), false},
		{"connect-transfer-unresolvable", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, `{"reason":"transfer","staff":"billing","name":"Priya"}`), false},
		{"connect-transfer-unknown-staff", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, `{"reason":"transfer","staff":"surgeon"}`), false},
		{"connect-transfer-not-enabled", nil, sundayAfternoon, twiliovoice.PathConnectAction, connect(superiorNumber, `{"reason":"transfer","staff":"pharmacy"}`), false},
		{"connect-completed", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, `{"reason":"completed"}`), false},
		{"connect-voicemail", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, `{"reason":"voicemail"}`), false},
		{"connect-caller-hung-up", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, "", "CallStatus", "completed"), false},
		{"connect-relay-failed", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(mapleNumber, "", "SessionStatus", "failed", "ErrorCode", "64107"), false},
		{"connect-unknown-number", nil, tuesdayAfternoon, twiliovoice.PathConnectAction, connect(unroutedNumber, `{"reason":"emergency"}`), false},

		{"dial-staff-completed", nil, tuesdayAfternoon, twiliovoice.PathDialAction + "?staff=pharmacy", dial(mapleNumber, "completed"), false},
		{"dial-staff-no-answer", nil, tuesdayAfternoon, twiliovoice.PathDialAction + "?staff=pharmacy", dial(mapleNumber, "no-answer"), true},
		{"dial-staff-busy-default-message", [][3]string{{"businesses/maple-street-vet/config.json", `"voicemailMessage": "It looks like {staffName} can't pick up right now. I can take a message and they'll call you back. What's your name?",`, ""}}, tuesdayAfternoon, twiliovoice.PathDialAction + "?staff=frontdesk", dial(mapleNumber, "busy"), true},
		{"dial-emergency-failed", nil, sundayAfternoon, twiliovoice.PathDialAction + "?emergency=1", dial(superiorNumber, "failed"), true},
		{"dial-emergency-completed", nil, sundayAfternoon, twiliovoice.PathDialAction + "?emergency=1", dial(superiorNumber, "completed"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, configs(t, tt.patches...), tt.now)
			if tt.started {
				// Dial actions come back to a call that is under way.
				if biz, err := e.h.Configs.ByNumber(context.Background(), tt.params["To"]); err == nil && tt.path != twiliovoice.PathVoice {
					e.calls.Start(context.Background(), biz, twiliovoice.Call{SID: callSID, From: callerNumber})
				}
			}
			rec := e.post(t, tt.path, tt.params)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/xml; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			body := rec.Body.String()
			if err := xml.Unmarshal([]byte(body), new(struct{})); err != nil {
				t.Errorf("not XML: %v", err)
			}
			golden(t, tt.name, body)
			if tt.path == twiliovoice.PathVoice {
				if got := len(e.calls.All()); (got == 1) != tt.started {
					t.Errorf("%d calls started; want started=%v", got, tt.started)
				}
			}
		})
	}
}

// twimlDoc is enough of a TwiML document to follow it.
type twimlDoc struct {
	Say     []string  `xml:"Say"`
	Hangup  *struct{} `xml:"Hangup"`
	Connect *struct {
		Action string `xml:"action,attr"`
		Relay  struct {
			URL      string `xml:"url,attr"`
			Greeting string `xml:"welcomeGreeting,attr"`
			DTMF     string `xml:"dtmfDetection,attr"`
			Params   []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"Parameter"`
		} `xml:"ConversationRelay"`
	} `xml:"Connect"`
	Dial *struct {
		Number   string `xml:",chardata"`
		CallerID string `xml:"callerId,attr"`
		Timeout  string `xml:"timeout,attr"`
		Action   string `xml:"action,attr"`
	} `xml:"Dial"`
}

func parseTwiML(t *testing.T, s string) twimlDoc {
	t.Helper()
	var d twimlDoc
	if err := xml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("TwiML %q: %v", s, err)
	}
	return d
}

// TestCallFlow follows a call the way Twilio would: the voice webhook's
// TwiML, the signed WebSocket handshake to its ConversationRelay URL (as
// ws-connect must check it), the agent's transfer handoff from route_call
// into the Connect action, an unanswered dial back to the agent, the
// voicemail handoff, and the status callback.
func TestCallFlow(t *testing.T) {
	e := newEnv(t, configs(t), tuesdayAfternoon)
	ctx := context.Background()

	doc := parseTwiML(t, e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber)).Body.String())
	if doc.Connect == nil {
		t.Fatal("no <Connect>")
	}
	if want := publicBase + twiliovoice.PathConnectAction; doc.Connect.Action != want {
		t.Errorf("Connect action %q; want %q", doc.Connect.Action, want)
	}

	// Twilio opens the socket and signs the URL with no parameters; API
	// Gateway decodes the query into a map; ws-connect rebuilds and checks.
	wsURL := doc.Connect.Relay.URL
	sig := twiliovoice.Sign(authToken, wsURL, nil)
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	query := map[string]string{}
	for k, v := range u.Query() {
		query[k] = v[0]
	}
	rebuilt := twiliovoice.RebuildURL(wsBase, query)
	if !twiliovoice.Validate(authToken, rebuilt, nil, sig) {
		t.Fatalf("handshake to %s does not validate over the rebuilt %s", wsURL, rebuilt)
	}
	hs, err := twiliovoice.VerifyHandshake(authToken, wsBase, query, sig)
	if err != nil || hs.BusinessID != "maple-street-vet" || hs.CallSID != callSID {
		t.Errorf("VerifyHandshake(%v) = %+v, %v", query, hs, err)
	}

	// The agent transfers with route_call; Twilio posts its handoff data.
	maple, _ := e.h.Configs.ByNumber(ctx, mapleNumber)
	out := tools.NewRegistry(tools.RouteCall()).Execute(ctx, tools.Env{Business: maple, Session: phoneSession(maple), Now: tuesdayAfternoon},
		toolCall(tools.NameRouteCall, `{"intent":"refills","reason":"Refill for Rex"}`))
	if !out.End || out.Handoff == nil {
		t.Fatalf("route_call: %+v", out)
	}
	connectParams := merge(voiceParams(mapleNumber), "CallStatus", "in-progress", "SessionStatus", "completed", "HandoffData", out.Handoff.JSON())
	doc = parseTwiML(t, e.post(t, twiliovoice.PathConnectAction, connectParams).Body.String())
	if doc.Dial == nil || doc.Dial.Number != pharmacyPhone || doc.Dial.Timeout != "25" {
		t.Fatalf("connect action: %+v", doc.Dial)
	}

	// Nobody answers: the dial action (URL from the TwiML) goes back to the agent.
	action, _ := url.Parse(doc.Dial.Action)
	doc = parseTwiML(t, e.post(t, action.RequestURI(), merge(voiceParams(mapleNumber), "DialCallStatus", "no-answer")).Body.String())
	if doc.Connect == nil || !strings.Contains(doc.Connect.Relay.Greeting, "Jordan can't pick up") || doc.Connect.Relay.URL != wsURL {
		t.Fatalf("dial action: %+v", doc.Connect)
	}
	if c, _ := e.calls.Get("maple-street-vet", callSID); len(c.Resumed) != 1 || c.Resumed[0] != "pharmacy" {
		t.Errorf("resumed %v; want [pharmacy]", c.Resumed)
	}

	// The agent takes a message and ends with the voicemail handoff.
	doc = parseTwiML(t, e.post(t, twiliovoice.PathConnectAction, merge(connectParams, "HandoffData", `{"reason":"voicemail"}`)).Body.String())
	if doc.Hangup == nil || doc.Dial != nil || doc.Connect != nil {
		t.Errorf("voicemail handoff: %+v", doc)
	}
	// The status callback ends nothing twice.
	if rec := e.post(t, twiliovoice.PathStatus, merge(voiceParams(mapleNumber), "CallStatus", "completed", "CallDuration", "95")); rec.Code != http.StatusNoContent {
		t.Errorf("status callback: %d", rec.Code)
	}
	c, _ := e.calls.Get("maple-street-vet", callSID)
	if !c.Ended || c.EndReason != "voicemail" {
		t.Errorf("call ended=%v reason %q; want the voicemail handoff's reason", c.Ended, c.EndReason)
	}
}

// TestHostile: requests that are not Twilio's are refused with the right
// status, and nothing is started.
func TestHostile(t *testing.T) {
	genuine := voiceParams(superiorNumber)
	signed := func(u string, p map[string]string) *http.Request {
		req, err := twiliovoice.SignedRequest(context.Background(), authToken, u, p)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		token  string // the auth token the handler has; default authToken
		status int
	}{
		{"missing signature header", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathVoice, genuine)
			r.Header.Del(twiliovoice.SignatureHeader)
			return r
		}, "", http.StatusForbidden},
		{"forged signature", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathVoice, genuine)
			r.Header.Set(twiliovoice.SignatureHeader, "bm90IGEgcmVhbCBzaWduYXR1cmU=")
			return r
		}, "", http.StatusForbidden},
		{"signed with another token", func() *http.Request {
			r, _ := twiliovoice.SignedRequest(context.Background(), "another-accounts-token", publicBase+twiliovoice.PathVoice, genuine)
			return r
		}, "", http.StatusForbidden},
		{"another business's number in To", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathVoice, genuine)
			tampered := merge(genuine, "To", mapleNumber, "Called", mapleNumber)
			form := url.Values{}
			for k, v := range tampered {
				form.Set(k, v)
			}
			r2, _ := http.NewRequest(http.MethodPost, r.URL.String(), strings.NewReader(form.Encode()))
			r2.Header = r.Header.Clone()
			return r2
		}, "", http.StatusForbidden},
		{"signed for another host", func() *http.Request {
			r := signed("https://evil.example.test"+twiliovoice.PathVoice, genuine)
			r.URL.Host = "voice.example.test"
			return r
		}, "", http.StatusForbidden},
		{"signed over http", func() *http.Request {
			return signed("http://voice.example.test"+twiliovoice.PathVoice, genuine)
		}, "", http.StatusForbidden},
		{"signed for another route", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathStatus, genuine)
			r.URL.Path = twiliovoice.PathVoice
			return r
		}, "", http.StatusForbidden},
		{"dial action with the staff key changed", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathDialAction+"?staff=frontdesk", merge(voiceParams(mapleNumber), "DialCallStatus", "no-answer"))
			r.URL.RawQuery = "staff=pharmacy"
			return r
		}, "", http.StatusForbidden},
		{"oversized body", func() *http.Request {
			return signed(publicBase+twiliovoice.PathVoice, merge(genuine, "Padding", strings.Repeat("a", twiliovoice.MaxBody)))
		}, "", http.StatusRequestEntityTooLarge},
		{"not a form", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathVoice, genuine)
			r.Header.Set("Content-Type", "application/json")
			return r
		}, "", http.StatusUnsupportedMediaType},
		{"GET", func() *http.Request {
			r := signed(publicBase+twiliovoice.PathVoice, genuine)
			r.Method = http.MethodGet
			return r
		}, "", http.StatusMethodNotAllowed},
		{"unknown route", func() *http.Request { return signed(publicBase+"/twilio/sms", genuine) }, "", http.StatusNotFound},
		{"auth token unavailable", func() *http.Request { return signed(publicBase+twiliovoice.PathVoice, genuine) }, "-", http.StatusServiceUnavailable},
		{"empty auth token never validates", func() *http.Request {
			r, _ := twiliovoice.SignedRequest(context.Background(), "", publicBase+twiliovoice.PathVoice, genuine)
			return r
		}, "empty", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, configs(t), sundayAfternoon)
			switch tt.token {
			case "-":
				e.h.AuthToken = func(context.Context) (string, error) { return "", errors.New("ssm unavailable") }
			case "empty":
				e.h.AuthToken = func(context.Context) (string, error) { return "", nil }
			}
			rec := e.do(tt.req())
			if rec.Code != tt.status {
				t.Errorf("status %d (%s); want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tt.status)
			}
			if strings.Contains(rec.Body.String(), "<Response>") {
				t.Errorf("a refused request got TwiML: %s", rec.Body)
			}
			if e.calls.Starts+e.calls.Resumes+e.calls.Ends != 0 || len(e.calls.All()) != 0 {
				t.Errorf("a refused request reached Calls: %d starts, %d resumes, %d ends", e.calls.Starts, e.calls.Resumes, e.calls.Ends)
			}
		})
	}
}

// TestReplay: Twilio retries, and an attacker may replay a captured
// webhook. The same request gives the same TwiML and opens nothing new.
func TestReplay(t *testing.T) {
	e := newEnv(t, configs(t), sundayAfternoon)
	first := e.post(t, twiliovoice.PathVoice, voiceParams(superiorNumber))
	again := e.post(t, twiliovoice.PathVoice, voiceParams(superiorNumber))
	if first.Code != http.StatusOK || again.Code != http.StatusOK || first.Body.String() != again.Body.String() {
		t.Errorf("replay answered differently:\n%s\n%s", first.Body, again.Body)
	}
	if calls := e.calls.All(); len(calls) != 1 || e.calls.Starts != 2 {
		t.Errorf("%d calls after %d starts; want 1 call, Start called twice (idempotent)", len(calls), e.calls.Starts)
	}
	// A replayed status callback ends the call once.
	for range 2 {
		if rec := e.post(t, twiliovoice.PathStatus, merge(voiceParams(superiorNumber), "CallStatus", "completed")); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if c, _ := e.calls.Get("superior-fencing", callSID); !c.Ended || c.EndReason != "call_completed" {
		t.Errorf("call %+v", c)
	}
}

func TestStatusCallback(t *testing.T) {
	tests := []struct {
		status string
		ends   bool
		reason string
	}{
		{"ringing", false, ""},
		{"in-progress", false, ""},
		{"completed", true, "call_completed"},
		{"no-answer", true, "call_no_answer"},
		{"busy", true, "call_busy"},
		{"failed", true, "call_failed"},
		{"canceled", true, "call_canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			e := newEnv(t, configs(t), tuesdayAfternoon)
			e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber))
			rec := e.post(t, twiliovoice.PathStatus, merge(voiceParams(mapleNumber), "CallStatus", tt.status))
			if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
				t.Errorf("status callback: %d %q", rec.Code, rec.Body)
			}
			c, _ := e.calls.Get("maple-street-vet", callSID)
			if c.Ended != tt.ends || c.EndReason != tt.reason {
				t.Errorf("ended=%v reason=%q; want %v %q", c.Ended, c.EndReason, tt.ends, tt.reason)
			}
		})
	}
	// A call that never had a session (unknown number): nothing to end.
	e := newEnv(t, configs(t), tuesdayAfternoon)
	if rec := e.post(t, twiliovoice.PathStatus, merge(voiceParams(unroutedNumber), "CallStatus", "completed")); rec.Code != http.StatusNoContent {
		t.Errorf("unknown number: %d", rec.Code)
	}
	if rec := e.post(t, twiliovoice.PathStatus, merge(voiceParams(superiorNumber), "CallStatus", "completed")); rec.Code != http.StatusNoContent {
		t.Errorf("no session: %d", rec.Code)
	}
}

// TestFailures: when the session layer or the configs fail, the caller
// hears an apology instead of Twilio's application error.
func TestFailures(t *testing.T) {
	t.Run("start fails", func(t *testing.T) {
		e := newEnv(t, configs(t), tuesdayAfternoon)
		e.calls.Err = errors.New("table unavailable")
		doc := parseTwiML(t, e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber)).Body.String())
		if doc.Connect != nil || doc.Hangup == nil || len(doc.Say) != 1 || !strings.Contains(doc.Say[0], "technical problem") {
			t.Errorf("%+v", doc)
		}
		if !strings.Contains(e.logs.String(), "start call failed") {
			t.Errorf("not logged: %s", e.logs)
		}
	})
	t.Run("configs unavailable", func(t *testing.T) {
		e := newEnv(t, nil, tuesdayAfternoon)
		e.h.Configs = staticConfigs{err: errors.New("s3 unavailable")}
		doc := parseTwiML(t, e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber)).Body.String())
		if doc.Hangup == nil || len(doc.Say) != 1 || !strings.Contains(doc.Say[0], "technical problem") {
			t.Errorf("%+v", doc)
		}
	})
	t.Run("resume of an ended call", func(t *testing.T) {
		e := newEnv(t, configs(t), tuesdayAfternoon)
		e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber))
		e.calls.End(context.Background(), "maple-street-vet", callSID, "call_completed")
		doc := parseTwiML(t, e.post(t, twiliovoice.PathDialAction+"?staff=pharmacy", merge(voiceParams(mapleNumber), "DialCallStatus", "no-answer")).Body.String())
		if doc.Connect != nil || doc.Hangup == nil {
			t.Errorf("%+v", doc)
		}
	})
	t.Run("missing CallSid", func(t *testing.T) {
		e := newEnv(t, configs(t), tuesdayAfternoon)
		if rec := e.post(t, twiliovoice.PathVoice, merge(voiceParams(mapleNumber), "CallSid", "")); rec.Code != http.StatusBadRequest {
			t.Errorf("status %d", rec.Code)
		}
	})
	t.Run("unresolvable phone is logged", func(t *testing.T) {
		e := newEnv(t, configs(t), tuesdayAfternoon)
		e.post(t, twiliovoice.PathConnectAction, merge(voiceParams(mapleNumber), "HandoffData", `{"reason":"transfer","staff":"billing"}`))
		logs := e.logs.String()
		if !strings.Contains(logs, "staff phone unresolvable") || !strings.Contains(logs, "MAPLE_STREET_VET_BILLING_PHONE") {
			t.Errorf("not logged: %s", logs)
		}
	})
}

// TestNoNumbersInLogs: INFO logs never carry the caller's number.
func TestNoNumbersInLogs(t *testing.T) {
	e := newEnv(t, configs(t), sundayAfternoon)
	e.post(t, twiliovoice.PathVoice, voiceParams(superiorNumber))
	e.post(t, twiliovoice.PathConnectAction, merge(voiceParams(superiorNumber), "HandoffData", `{"reason":"emergency"}`))
	e.post(t, twiliovoice.PathVoice, voiceParams(unroutedNumber))
	for _, n := range []string{"5550199", "5550111"} {
		if strings.Contains(e.logs.String(), n) {
			t.Errorf("logs contain a phone number: %s", e.logs)
		}
	}
}

func phoneSession(b *business.Business) *session.Session {
	return &session.Session{BusinessID: b.ID, ID: callSID, Channel: session.ChannelPhone, CallSID: callSID, Status: session.StatusActive}
}

func toolCall(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "call_1", Name: name, Arguments: args}
}

func TestWelcomeGreeting(t *testing.T) {
	set := configs(t)
	maple, _ := set.Business("maple-street-vet")
	sf, _ := set.Business("superior-fencing")
	tests := []struct {
		b      *business.Business
		mode   twiliovoice.Mode
		resume string
		want   string
	}{
		{maple, twiliovoice.ModeConversation, "", maple.Agent.Greeting},
		{maple, twiliovoice.ModeVoicemail, "", "Thank you for calling Maple Street Veterinary Clinic. We're closed right now, but I can take a message and someone will call you back. What's your name?"},
		{maple, twiliovoice.ModeConversation, "pharmacy", "It looks like Jordan can't pick up right now. I can take a message and they'll call you back. What's your name?"},
		{maple, twiliovoice.ModeConversation, "gone", "It looks like gone can't pick up right now. I can take a message and they'll call you back. What's your name?"},
		{sf, twiliovoice.ModeConversation, twiliovoice.ResumeEmergency, "I'm sorry, I couldn't reach our on-call crew. Let me take your details so they can call you back as soon as possible. What's your name?"},
	}
	for _, tt := range tests {
		if got := twiliovoice.WelcomeGreeting(tt.b, tt.mode, tt.resume); got != tt.want {
			t.Errorf("WelcomeGreeting(%s, %s, %q) = %q; want %q", tt.b.ID, tt.mode, tt.resume, got, tt.want)
		}
	}
}
