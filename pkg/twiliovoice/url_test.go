package twiliovoice

import (
	"errors"
	"net/url"
	"testing"

	"github.com/ahca/ahca/pkg/tenant"
)

func TestRelayURL(t *testing.T) {
	tests := []struct {
		base string
		biz  tenant.ID
		sid  string
		want string
	}{
		{"wss://abc.execute-api.us-west-2.amazonaws.com/dev", "superior-fencing", "CA0123456789abcdef0123456789abcdef",
			"wss://abc.execute-api.us-west-2.amazonaws.com/dev?businessId=superior-fencing&callSid=CA0123456789abcdef0123456789abcdef&channel=phone"},
		{"ws://127.0.0.1:8080/ws", "maple-street-vet", "CA1",
			"ws://127.0.0.1:8080/ws?businessId=maple-street-vet&callSid=CA1&channel=phone"},
		{"wss://h/dev", "x", "CA a+b&c=d/é%",
			"wss://h/dev?businessId=x&callSid=CA%20a%2Bb%26c%3Dd%2F%C3%A9%25&channel=phone"},
	}
	for _, tt := range tests {
		if got := RelayURL(tt.base, tt.biz, tt.sid); got != tt.want {
			t.Errorf("RelayURL(%q, %q, %q) =\n %s\nwant\n %s", tt.base, tt.biz, tt.sid, got, tt.want)
		}
	}
}

// TestRebuildURL: API Gateway hands $connect the decoded query as a map;
// rebuilding from it must give back exactly the URL we emitted (and Twilio
// signed), whatever the ids contain.
func TestRebuildURL(t *testing.T) {
	tests := []struct {
		name string
		base string
		biz  tenant.ID
		sid  string
	}{
		{"api gateway", "wss://abc.execute-api.us-west-2.amazonaws.com/dev", "superior-fencing", "CA0123456789abcdef0123456789abcdef"},
		{"local", "ws://127.0.0.1:8080/ws", "maple-street-vet", "CAffff"},
		{"space and plus", "wss://h/dev", "biz", "CA a+b"},
		{"reserved characters", "wss://h/dev", "a&b=c", "CA?x=1&y=2#frag/..;"},
		{"percent and unicode", "wss://h/dev", "café", "100%é\u00a0"},
		{"empty call sid", "wss://h/dev", "biz", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emitted := RelayURL(tt.base, tt.biz, tt.sid)
			u, err := url.Parse(emitted)
			if err != nil {
				t.Fatal(err)
			}
			q := map[string]string{}
			for k, v := range u.Query() {
				q[k] = v[0]
			}
			if q[ParamBusinessID] != string(tt.biz) || q[ParamCallSID] != tt.sid || q[ParamChannel] != ChannelPhone {
				t.Errorf("decoded query %v does not carry the ids", q)
			}
			if got := RebuildURL(tt.base, q); got != emitted {
				t.Errorf("RebuildURL(decoded) =\n %s\nwant\n %s", got, emitted)
			}
		})
	}
	if got := RebuildURL("wss://h/dev", nil); got != "wss://h/dev" {
		t.Errorf("RebuildURL without query = %q", got)
	}
	// A parameter Twilio did not sign changes the URL, so validation fails.
	extra := map[string]string{ParamBusinessID: "b", ParamCallSID: "CA1", ParamChannel: ChannelPhone, "x": "1"}
	if RebuildURL("wss://h/dev", extra) == RelayURL("wss://h/dev", "b", "CA1") {
		t.Error("an extra parameter does not change the rebuilt URL")
	}
}

func TestVerifyHandshake(t *testing.T) {
	const token, base = "tok", "wss://abc.execute-api.us-west-2.amazonaws.com/dev"
	emitted := RelayURL(base, "superior-fencing", "CA1")
	good := map[string]string{ParamBusinessID: "superior-fencing", ParamCallSID: "CA1", ParamChannel: ChannelPhone}
	sig := Sign(token, emitted, nil)
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		token string
		base  string
		query map[string]string
		sig   string
		ok    bool
	}{
		{"genuine", token, base, good, sig, true},
		{"missing signature", token, base, good, "", false},
		{"wrong token", "other", base, good, sig, false},
		{"signed for another business", token, base, with(ParamBusinessID, "maple-street-vet"), sig, false},
		{"signed for another call", token, base, with(ParamCallSID, "CA2"), sig, false},
		{"extra parameter", token, base, with("x", "1"), sig, false},
		{"web handshake", token, base, with(ParamChannel, ""), sig, false},
		{"another stage", token, "wss://abc.execute-api.us-west-2.amazonaws.com/prod", good, sig, false},
		{"signed but malformed id", token, base, with(ParamBusinessID, "Not An Id"), Sign(token, RelayURL(base, "Not An Id", "CA1"), nil), false},
		{"signed but no call", token, base, with(ParamCallSID, ""), Sign(token, RebuildURL(base, with(ParamCallSID, "")), nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := VerifyHandshake(tt.token, tt.base, tt.query, tt.sig)
			if tt.ok != (err == nil) {
				t.Fatalf("err %v; want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrHandshake) {
				t.Errorf("error %v is not ErrHandshake", err)
			}
			if tt.ok && (h.BusinessID != "superior-fencing" || h.CallSID != "CA1") {
				t.Errorf("handshake %+v", h)
			}
		})
	}
}
