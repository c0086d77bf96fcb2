package tools

import (
	"context"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

func TestEmergencyOffer(t *testing.T) {
	fence := biz(t, "superior-fencing") // on-call number is a reference: private
	published := *fence
	e := *fence.Company.Emergency
	e.Phone = "+15035550199"
	published.Company.Emergency = &e
	unavailable := published
	off := e
	off.Available = false
	unavailable.Company.Emergency = &off
	vet := biz(t, "maple-street-vet") // no emergency handling

	tests := []struct {
		name   string
		b      *business.Business
		ch     session.Channel
		detail string
		say    string
		resume string // State.Call.ResumeStaff
	}{
		{"phone after the on-call line did not answer", fence, session.ChannelPhone, EmergencyNoted, "mark this as urgent", session.ResumeEmergency},
		{"phone with an on-call line", fence, session.ChannelPhone, EmergencyOfferedTransfer, "press the pound key", ""},
		{"web, private on-call number", fence, session.ChannelWeb, EmergencyOfferedCallback, "If you leave a phone number", ""},
		{"web, published on-call number", &published, session.ChannelWeb, EmergencyShowedNumber, "call our on-call line at (503) 555-0199", ""},
		{"web, on-call unavailable", &unavailable, session.ChannelWeb, EmergencyOfferedCallback, "If you leave a phone number", ""},
		{"phone without emergency handling", vet, session.ChannelPhone, EmergencyNoted, "mark this as urgent", ""},
		{"web without emergency handling", vet, session.ChannelWeb, EmergencyOfferedCallback, "If you leave a phone number", ""},
	}
	for _, tt := range tests {
		say, ev := EmergencyOffer(tt.b, &session.Session{Channel: tt.ch, State: session.State{Call: session.Call{ResumeStaff: tt.resume}}})
		if ev.Detail != tt.detail || !strings.Contains(say, tt.say) {
			t.Errorf("%s: %q (%s); want %q (%s)", tt.name, say, ev.Detail, tt.say, tt.detail)
		}
		if tt.ch == session.ChannelWeb && (strings.Contains(say, "press") || strings.Contains(say, "pound")) {
			t.Errorf("%s: a web visitor is told to press a key: %q", tt.name, say)
		}
	}
}

func TestUrgent(t *testing.T) {
	b := biz(t, "superior-fencing")
	for text, want := range map[string]bool{
		"#": true, " # ": true, "pound": true, "A pipe burst and my basement is flooding!": true, "this is an emergency!": true,
		"I need a quote for a new fence": false, "#1 fence company": false,
	} {
		if got := Urgent(b, text); got != want {
			t.Errorf("Urgent(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestStaffIn(t *testing.T) {
	b := biz(t, "maple-street-vet")
	for text, want := range map[string]string{
		"someone in billing please":        "billing",
		"about my dog's prescriptions":     "pharmacy",
		"Jordan":                           "pharmacy",
		"the front desk, then billing":     "frontdesk",
		"a refill, or billing if he's out": "pharmacy",
		"someone about the weather":        "",
		"in general":                       "frontdesk",
	} {
		st, _, ok := StaffIn(b, text)
		if st.Key != want || ok != (want != "") {
			t.Errorf("StaffIn(%q) = %q, %v; want %q", text, st.Key, ok, want)
		}
	}
}

// TestCompanyInfoEmergencyOnTheWeb: the emergency instructions are the
// phone's; a web chat gets the web's way instead.
func TestCompanyInfoEmergencyOnTheWeb(t *testing.T) {
	b := biz(t, "superior-fencing")
	s := newSession(b)
	s.Channel = session.ChannelWeb
	out := Default().Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameGetCompanyInfo, `{"info_type":"all"}`))
	got, _ := decode(t, out)["emergency"].(string)
	if !strings.Contains(got, "If you leave a phone number") || strings.Contains(got, "pound") {
		t.Errorf("web emergency = %q; want the call-back offer, no key to press", got)
	}
}
