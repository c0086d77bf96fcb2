package business

import (
	"strings"
	"testing"
)

// A misspelt or unknown key in an object the parser knows is an error that
// names the key and, when one is near, the key that was meant.
func TestUnknownKeysAreErrors(t *testing.T) {
	tests := []struct {
		file, path string
		value      any
		want       string
	}{
		{acme, "features.emergencyCallHandeling", true, "$.features.emergencyCallHandeling: unknown feature; did you mean emergencyCallHandling?"},
		{acme, "features.EmailSummary", false, "$.features.EmailSummary: unknown feature; did you mean emailSummary?"},
		{acme, "features.appointmentBokoing", true, "did you mean appointmentBooking?"},
		{acme, "features.teleportation", true, "$.features.teleportation: unknown feature: want one of afterHoursGreeting, appointmentBooking, appointmentBookingEnabled, basicInfoCollection,"},
		{acme, "email.recipient", []any{"a@b.example"}, "$.email.recipient: unknown field; did you mean recipients?"},
		{acme, "promptConfig.webGreting", "Hi", "$.promptConfig.webGreting: unknown field; did you mean webGreeting?"},
		{acme, "web.widget.accentColour", "#fff", "$.web.widget.accentColour: unknown field; did you mean accentColor?"},
		{acme, "intake.urgentKeywords", []any{"flood"}, "did you mean urgencyKeywords?"},
		{acme, "companyInfo.emergencyContact.phoen", "+15035550111", "$.companyInfo.emergencyContact.phoen: unknown field; did you mean phone?"},
		{acme, "companyInfo.emergancyContact", map[string]any{"phone": "+15035550111"}, "$.companyInfo.emergancyContact: unknown field; did you mean emergencyContact?"},
		{acme, "operatingHours.schedule.mondays", []any{}, "did you mean monday?"},
		{acme, "limits.promptsPerConversaton", 5, "did you mean promptsPerConversation?"},
		{acme, "limits.turnsPerConversation", 5, "$.limits.turnsPerConversation: unknown field: want one of bookingsPerConversation,"},
		{acme, "promtConfig", map[string]any{"agentName": "Riley"}, "$.promtConfig: unknown field; did you mean promptConfig?"},
		{"businesses.json", "phoneToBusinesMap", map[string]any{}, "$.phoneToBusinesMap: unknown field; did you mean phoneToBusinessMap?"},
		{"prompt_rules.json", "realtimeSystem.ful", "x", "$.realtimeSystem.ful: unknown field; did you mean full?"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for _, p := range wantProblem(t, tt.file, tt.path, tt.value, tt.want) {
				if strings.HasSuffix(p.Path, lastKey("."+tt.path)) && p.Line == 0 {
					t.Errorf("%s: no line number", p)
				}
			}
		})
	}
}

// Notes for people, extra top-level blocks (the original service's database,
// twilio, ...) and extra companyInfo facts stay allowed: kept and listed.
func TestAnnotationsAndOpenObjectsStayAllowed(t *testing.T) {
	tree := validTree()
	set(t, tree, acme, "features.note", "booking comes later")
	set(t, tree, acme, "calendar._comment", "builtin for now")
	set(t, tree, acme, "companyInfo.emergencyContact.note", "the owner's cell")
	set(t, tree, acme, "twilio", map[string]any{"accountSid": "${TWILIO_ACCOUNT_SID}"})
	set(t, tree, acme, "companyInfo.serviceArea", "Portland metro")
	s, err := Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	ignored := map[string]bool{}
	for _, i := range s.Ignored() {
		ignored[i.Path] = true
	}
	for _, p := range []string{"$.features.note", "$.calendar._comment", "$.companyInfo.emergencyContact.note", "$.twilio"} {
		if !ignored[p] {
			t.Errorf("%s not listed as ignored: %v", p, s.Ignored())
		}
	}
	b, _ := s.Business("acme")
	if _, ok := b.Company.Facts["serviceArea"]; !ok {
		t.Errorf("companyInfo.serviceArea not kept as a fact: %v", b.Company.Facts)
	}
}

func TestNearest(t *testing.T) {
	known := []string{"phone", "name", "emergencyCallHandling", "emailSummary"}
	tests := []struct {
		key, want string
		close     bool
	}{
		{"phoen", "phone", true}, // transposition
		{"Name", "name", true},   // case only
		{"nmae", "name", true},   // transposition in a short key
		{"emergencyCallHandeling", "emergencyCallHandling", true},
		{"emailSumary", "emailSummary", true},
		{"zzzzz", "", false},
		{"database", "", false},
	}
	for _, tt := range tests {
		got, close := nearest(tt.key, known)
		if close != tt.close || close && got != tt.want {
			t.Errorf("nearest(%q) = %q, %v; want %q, %v", tt.key, got, close, tt.want, tt.close)
		}
	}
}
