package tools

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
)

// fakeSMS records texts; sends to a number in fail fail.
type fakeSMS struct {
	mu   sync.Mutex
	sent []text
	fail map[string]bool
}

type text struct{ To, Body string }

func (f *fakeSMS) Send(_ context.Context, to, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[to] {
		return errors.New("twilio: 21614 not a mobile number")
	}
	f.sent = append(f.sent, text{to, body})
	return nil
}

const (
	pharmacyPhone  = "+15415550191"
	frontdeskPhone = "+15415550190"
)

// phoneResolver resolves the configs' phone references; the billing line
// is deliberately missing.
func phoneResolver() func(context.Context, secret.Value) (string, error) {
	env := map[string]string{
		"MAPLE_STREET_VET_FRONTDESK_PHONE": frontdeskPhone,
		"MAPLE_STREET_VET_PHARMACY_PHONE":  pharmacyPhone,
		"MAPLE_ADMIN_PHONE":                "+15415550100",
	}
	return secret.NewResolver(secret.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}).Resolve
}

func TestCallToolsEnabled(t *testing.T) {
	r := Default()
	for _, d := range CallTools(nil, nil) {
		r.Register(d)
	}
	tests := []struct {
		id   string
		want []string
	}{
		{"maple-street-vet", []string{NameRouteCall, NameCollectVoicemail}},
		{"superior-fencing", nil},
		{"sherpaprompt", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tool := range r.For(biz(t, tt.id)) {
			if tool.Name == NameRouteCall || tool.Name == NameCollectVoicemail {
				got = append(got, tool.Name)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: call tools %v; want %v", tt.id, got, tt.want)
		}
	}
	// The schemas follow the built-ins' rules.
	for _, d := range CallTools(nil, nil) {
		var s struct {
			Properties           map[string]struct{ Description string } `json:"properties"`
			AdditionalProperties *bool                                   `json:"additionalProperties"`
		}
		if err := json.Unmarshal(d.Parameters, &s); err != nil || s.AdditionalProperties == nil || *s.AdditionalProperties {
			t.Errorf("%s: schema %s", d.Name, d.Parameters)
		}
		for p, ps := range s.Properties {
			if ps.Description == "" {
				t.Errorf("%s.%s has no description", d.Name, p)
			}
		}
	}
}

func TestRouteCall(t *testing.T) {
	maple := biz(t, "maple-street-vet")
	noDefault := &business.Business{ID: "clinic", Features: business.Features{CallForwarding: true}, CallRouting: business.CallRouting{Staff: []business.Staff{
		{Key: "vet", Name: "Dr. Lee", Phone: "+15035550101", Handles: []string{"medical", "surgery"}},
		{Key: "desk", Name: "Sam", Phone: "+15035550102", Handles: []string{"appointments"}},
	}}}
	tests := []struct {
		name      string
		b         *business.Business
		args      string
		edit      func(s *session.Session)
		wantStaff string // key; "" when refused
		matched   string
		wantErr   string
	}{
		{"handles entry", maple, `{"intent":"prescriptions","reason":"Refill for Rex"}`, nil, "pharmacy", "prescriptions", ""},
		{"singular and capitalized", maple, `{"intent":"Refill"}`, nil, "pharmacy", "refills", ""},
		{"staff name", maple, `{"intent":"Priya"}`, nil, "billing", "Priya", ""},
		{"staff key with a space", maple, `{"intent":"front desk"}`, nil, "frontdesk", "Front Desk", ""},
		{"unknown intent goes to default", maple, `{"intent":"grooming"}`, nil, "frontdesk", "default", ""},
		{"first name", noDefault, `{"intent":"dr."}`, nil, "vet", "Dr. Lee", ""},
		{"unknown intent, no default", noDefault, `{"intent":"grooming"}`, nil, "", "", `no one handles "grooming"; valid intents: medical, surgery, appointments, Dr. Lee, Sam`},
		{"web chat", maple, `{"intent":"billing"}`, func(s *session.Session) { s.Channel = session.ChannelWeb }, "", "", "only possible on phone calls"},
		{"after hours", maple, `{"intent":"billing"}`, func(s *session.Session) { s.State.Call.Mode = session.CallVoicemail }, "", "", "closed, so nobody can take a transfer now; offer to take a message and save it with collect_voicemail"},
		{"who just did not answer", maple, `{"intent":"refills"}`, func(s *session.Session) { s.State.Call.ResumeStaff = "pharmacy" }, "", "", "Jordan did not answer a moment ago"},
		{"someone else after a miss", maple, `{"intent":"billing"}`, func(s *session.Session) { s.State.Call.ResumeStaff = "pharmacy" }, "billing", "billing", ""},
		{"missing intent", maple, `{}`, nil, "", "", `missing required argument "intent"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(tt.b)
			if tt.edit != nil {
				tt.edit(s)
			}
			before := s.Clone()
			out := NewRegistry(RouteCall()).Execute(context.Background(), Env{Business: tt.b, Session: s, Now: tuesday}, call(NameRouteCall, tt.args))
			if tt.wantErr != "" {
				if msg := errorOf(t, out); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error %q; want %q", msg, tt.wantErr)
				}
				if out.End || out.Handoff != nil || s.State.Call != before.State.Call {
					t.Errorf("a refused transfer ends or changes the call: %+v", out)
				}
				return
			}
			m := decode(t, out)
			st, _ := staffOf(tt.b, tt.wantStaff)
			if m["matched"] != tt.matched || m["staff"] != st.Name || m["say"] != "I'll connect you with "+st.Name+" now. Please hold for a moment." {
				t.Errorf("content %s", out.Content)
			}
			want, _ := json.Marshal(map[string]string{"reason": "transfer", "staff": st.Key, "name": st.Name})
			if !out.End || out.Handoff == nil || out.Handoff.JSON() != `{"reason":"transfer","staff":"`+st.Key+`","name":"`+st.Name+`"}` || !jsonEqual(out.Handoff.JSON(), string(want)) {
				t.Errorf("End %v, Handoff %+v", out.End, out.Handoff)
			}
			if s.State.Call.TransferStaff != st.Key || out.Event == nil || out.Event.Kind != agent.EventCallTransfer {
				t.Errorf("call %+v, event %+v", s.State.Call, out.Event)
			}
		})
	}
	t.Run("reason kept", func(t *testing.T) {
		s := newSession(maple)
		out := NewRegistry(RouteCall()).Execute(context.Background(), Env{Business: maple, Session: s, Now: tuesday}, call(NameRouteCall, `{"intent":"billing","reason":"Question about my invoice"}`))
		if s.Caller.Reason != "Question about my invoice" || !out.CallerUpdated {
			t.Errorf("caller %+v", s.Caller)
		}
	})
}

func staffOf(b *business.Business, key string) (business.Staff, bool) {
	for _, st := range b.CallRouting.Staff {
		if st.Key == key {
			return st, true
		}
	}
	return business.Staff{}, false
}

func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && string(mustJSON(x)) == string(mustJSON(y))
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestCollectVoicemail(t *testing.T) {
	maple := biz(t, "maple-street-vet")
	withAdmins := *maple
	withAdmins.SMS = business.SMS{Enabled: true, AdminNumbers: []secret.Value{"${MAPLE_ADMIN_PHONE}", pharmacyPhone, "${MAPLE_UNSET_ADMIN}"}}
	const msg = `{"name":"jamie rivera","phone":"five four one, five five five, oh one seven seven","reason":"Rex needs a refill of his heartworm pills"}`
	const body = "Maple Street Veterinary Clinic: message for Jordan from Jamie Rivera, call back (541) 555-0177. Caller said (unverified): \"Rex needs a refill of his heartworm pills\""
	tests := []struct {
		name      string
		b         *business.Business
		args      string
		edit      func(s *session.Session)
		fail      string // a number whose texts fail
		nilSMS    bool
		wantErr   string // a ModelError
		wantTexts []text
		wantFor   string // voicemail.recipient
		wantSent  float64
		toolErr   string // Outcome.Err
	}{
		{"after an unanswered transfer", maple, msg, func(s *session.Session) { s.State.Call.ResumeStaff = "pharmacy" }, "", false, "",
			[]text{{pharmacyPhone, body}}, "pharmacy", 1, ""},
		{"for whoever handles default", maple, `{"name":"Jamie","phone":"5415550177","reason":"Call me back"}`, nil, "", false, "",
			[]text{{frontdeskPhone, "Maple Street Veterinary Clinic: message for Front Desk from Jamie, call back (541) 555-0177. Caller said (unverified): \"Call me back\""}}, "frontdesk", 1, ""},
		{"intended recipient by intent, phone unresolvable", maple, `{"name":"Jamie","phone":"5415550177","reason":"Invoice question","intended_recipient":"insurance"}`, nil, "", false, "",
			nil, "billing", 0, "MAPLE_STREET_VET_BILLING_PHONE"},
		{"admins too when sms is enabled, each number once", &withAdmins, msg, func(s *session.Session) { s.State.Call.ResumeStaff = "pharmacy" }, "", false, "",
			[]text{{pharmacyPhone, body}, {"+15415550100", body}}, "pharmacy", 2, "MAPLE_UNSET_ADMIN"},
		{"callback on the calling number", maple, `{"name":"Jamie","reason":"Call me back"}`, nil, "", false, "",
			[]text{{frontdeskPhone, "Maple Street Veterinary Clinic: message for Front Desk from Jamie, call back (503) 555-0199 (caller ID). Caller said (unverified): \"Call me back\""}}, "frontdesk", 1, ""},
		{"callback number collected earlier", maple, `{"reason":"Call me back"}`, func(s *session.Session) { s.Caller.Name, s.Caller.Phone = "Jamie Rivera", "+15415550177" }, "", false, "",
			[]text{{frontdeskPhone, "Maple Street Veterinary Clinic: message for Front Desk from Jamie Rivera, call back (541) 555-0177. Caller said (unverified): \"Call me back\""}}, "frontdesk", 1, ""},
		{"text fails", maple, msg, func(s *session.Session) { s.State.Call.ResumeStaff = "pharmacy" }, pharmacyPhone, false, "",
			nil, "pharmacy", 0, "21614"},
		{"no SMS sender", maple, msg, func(s *session.Session) { s.State.Call.ResumeStaff = "pharmacy" }, "", true, "",
			nil, "pharmacy", 0, "no SMS sender"},
		{"invalid callback number", maple, `{"name":"Jamie","phone":"12","reason":"Call me back"}`, nil, "", false, "the callback number was not saved", nil, "", 0, ""},
		{"no number at all", maple, `{"name":"Jamie","reason":"Call me back"}`, func(s *session.Session) { s.Caller.CallerID = "" }, "", false, "no callback number", nil, "", 0, ""},
		{"no message", maple, `{"name":"Jamie","phone":"5415550177","reason":"n/a"}`, nil, "", false, "no message", nil, "", 0, ""},
		{"missing reason", maple, `{"name":"Jamie","phone":"5415550177"}`, nil, "", false, `missing required argument "reason"`, nil, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSMS{fail: map[string]bool{tt.fail: true}}
			var sms SMS = fake
			if tt.nilSMS {
				sms = nil
			}
			r := NewRegistry(CallTools(sms, phoneResolver())...)
			s := newSession(tt.b)
			if tt.edit != nil {
				tt.edit(s)
			}
			before := s.Clone()
			out := r.Execute(context.Background(), Env{Business: tt.b, Session: s, Now: tuesday}, call(NameCollectVoicemail, tt.args))
			if tt.wantErr != "" {
				if msg := errorOf(t, out); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error %q; want %q", msg, tt.wantErr)
				}
				if out.End || len(fake.sent) != 0 || s.Caller != before.Caller || s.State.Call != before.State.Call || s.State.Voicemail != nil {
					t.Errorf("a refused voicemail changed something: %+v, sent %v", out, fake.sent)
				}
				return
			}
			m := decode(t, out) // also: the caller id never reaches the model
			if !slices.Equal(fake.sent, tt.wantTexts) {
				t.Errorf("texts %q;\nwant %q", fake.sent, tt.wantTexts)
			}
			if m["saved"] != true || m["texts_sent"] != tt.wantSent {
				t.Errorf("content %s", out.Content)
			}
			if !out.End || out.Handoff == nil || out.Handoff.JSON() != `{"reason":"voicemail"}` {
				t.Errorf("End %v Handoff %+v", out.End, out.Handoff)
			}
			if vm := s.State.Voicemail; vm == nil || vm.For != tt.wantFor || vm.Reason == "" || vm.Phone == "" || vm.At.UTC().String() != "2025-03-04 22:00:00 +0000 UTC" {
				t.Errorf("voicemail %+v", vm)
			}
			switch {
			case tt.toolErr == "" && out.Err != nil:
				t.Errorf("Outcome.Err %v", out.Err)
			case tt.toolErr != "" && (out.Err == nil || !strings.Contains(out.Err.Error(), tt.toolErr)):
				t.Errorf("Outcome.Err %v; want %q", out.Err, tt.toolErr)
			}
			if s.Caller.CallerID != callerID {
				t.Errorf("caller id changed: %+v", s.Caller)
			}
		})
	}
}

func TestCollectVoicemailStoresCaller(t *testing.T) {
	maple := biz(t, "maple-street-vet")
	fake := &fakeSMS{}
	r := NewRegistry(CallTools(fake, phoneResolver())...)
	s := newSession(maple)
	s.State.Call.ResumeStaff = "pharmacy"
	args := `{"name":"jamie rivera","phone":"541 555 0177","reason":"Rex needs a refill"}`
	out := r.Execute(context.Background(), Env{Business: maple, Session: s, Now: tuesday}, call(NameCollectVoicemail, args))
	want := session.Caller{Name: "Jamie Rivera", Phone: "+15415550177", Reason: "Rex needs a refill", CallerID: callerID}
	if s.Caller != want || !out.CallerUpdated {
		t.Errorf("caller %+v; want %+v", s.Caller, want)
	}
	if vm := s.State.Voicemail; vm == nil || vm.Name != "Jamie Rivera" || vm.PhoneSource != "caller" || vm.Notified != 1 {
		t.Errorf("voicemail %+v", vm)
	}
	// The model calls it again with the same message: nothing is sent twice.
	out = r.Execute(context.Background(), Env{Business: maple, Session: s, Now: tuesday}, call(NameCollectVoicemail, args))
	if len(fake.sent) != 1 || decode(t, out)["texts_sent"] != float64(1) {
		t.Errorf("sent %d texts after a repeat; content %s", len(fake.sent), out.Content)
	}
	// A corrected message is sent.
	r.Execute(context.Background(), Env{Business: maple, Session: s, Now: tuesday}, call(NameCollectVoicemail, `{"name":"jamie rivera","phone":"541 555 0177","reason":"Rex needs a refill today"}`))
	if len(fake.sent) != 2 {
		t.Errorf("sent %d texts after a correction; want 2", len(fake.sent))
	}
}
