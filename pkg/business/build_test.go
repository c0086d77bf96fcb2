package business

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/internal/reference"
	"github.com/ahca/ahca/pkg/tenant"
)

// validTree is a small, valid configs tree that each test case mutates.
func validTree() map[string][]byte {
	return map[string][]byte{
		"businesses.json":   []byte(`{"phoneToBusinessMap": {"+15035550100": "acme", "+15035550200": "beta"}}`),
		"prompt_rules.json": []byte(`{"realtimeSystem": {"full": "You are a receptionist."}}`),
		"businesses/acme/config.json": []byte(`{
  "businessId": "acme",
  "businessName": "Acme Fencing",
  "phone": "+15035550100",
  "timezone": "America/Los_Angeles",
  "features": {"emergencyCallHandling": true, "appointmentBooking": false},
  "companyInfo": {"emergencyContact": {"phone": "${ACME_ON_CALL}"}},
  "email": {"provider": "ses", "fromEmail": "leads@acme.example", "notificationRecipients": ["owner@acme.example"]}
}`),
		"businesses/acme/prompt_rules.json": []byte(`{"realtimeSystem": {"full": "You are Acme's receptionist."}}`),
		"businesses/beta/config.json": []byte(`{
  "businessId": "beta",
  "businessName": "Beta Dental",
  "phoneNumber": "+15035550200",
  "operatingHours": {"timezone": "America/New_York", "schedule": {"monday": [{"start": "09:00", "end": "17:00"}]}},
  "email": {"provider": "ses", "fromEmail": "desk@beta.example", "notificationRecipients": ["desk@beta.example"]}
}`),
	}
}

// set replaces the JSON value at a dotted path in one file of the tree
// (creating objects on the way); a nil value deletes the key.
func set(t *testing.T, tree map[string][]byte, file, path string, value any) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(tree[file], &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	keys := strings.Split(path, ".")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if value == nil {
		delete(m, keys[len(keys)-1])
	} else {
		m[keys[len(keys)-1]] = value
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	tree[file] = b
}

const acme = "businesses/acme/config.json"

func TestBuildValidTree(t *testing.T) {
	s, err := Build("", validTree())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got := s.IDs(); len(got) != 2 || got[0] != "acme" || got[1] != "beta" {
		t.Errorf("IDs = %v", got)
	}
	b, err := s.Business("beta")
	if err != nil {
		t.Fatal(err)
	}
	if b.Timezone != "America/New_York" || b.Location().String() != "America/New_York" {
		t.Errorf("beta timezone = %q, want it from operatingHours", b.Timezone)
	}
	if b.Prompts.System != "You are a receptionist." || b.Prompts.Source != "prompt_rules.json" {
		t.Errorf("beta prompts = %+v, want the top-level fallback", b.Prompts)
	}
	if got := strings.Join(b.Intake.Required, ","); got != "name,phone,reason" {
		t.Errorf("default required fields = %s", got)
	}
	if !b.Features.EmailSummary || !b.Features.BasicInfoCollection {
		t.Errorf("defaults not applied: %+v", b.Features)
	}
}

func TestBuildReportsEveryProblemClass(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, tree map[string][]byte)
		want   []string // substrings of one problem each
	}{
		{"bad JSON names line and column", func(t *testing.T, tr map[string][]byte) {
			tr[acme] = []byte("{\n  \"businessId\": \"acme\",\n  \"businessName\": \"Acme\" \"phone\": 1\n}")
		}, []string{"businesses/acme/config.json:3:", "invalid JSON"}},
		{"truncated JSON", func(t *testing.T, tr map[string][]byte) {
			tr[acme] = []byte(`{"businessId": "acme"`)
		}, []string{"businesses/acme/config.json:1:", "unexpected end of JSON input"}},
		{"trailing data", func(t *testing.T, tr map[string][]byte) {
			tr[acme] = append(tr[acme], []byte(` {}`)...)
		}, []string{"after the top-level value"}},
		{"businessId differs from directory", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "businessId", "acme-inc")
		}, []string{`$.businessId: is "acme-inc" but the directory is "acme"`}},
		{"businessId missing", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "businessId", nil)
		}, []string{"$.businessId: missing"}},
		{"phone not E.164", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "phone", "503-555-0100")
		}, []string{`$.phone: "503-555-0100" is not an E.164 phone number`}},
		{"staff phone not E.164", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "callRouting", map[string]any{"staff": map[string]any{"bob": map[string]any{"phone": "call bob", "handles": []any{"x"}}}})
		}, []string{`$.callRouting.staff.bob.phone: "call bob" is not an E.164`}},
		{"number mapped to a missing business", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, "businesses.json", "phoneToBusinessMap.+15035550300", "gamma")
		}, []string{`businesses.json`, `number mapped to business "gamma", which does not exist`}},
		{"number key not E.164", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, "businesses.json", "phoneToBusinessMap.5035550300", "acme")
		}, []string{`$.phoneToBusinessMap.5035550300: key: "5035550300" is not an E.164`}},
		{"two businesses claim one number in the map", func(t *testing.T, tr map[string][]byte) {
			tr["businesses.json"] = []byte(`{"phoneToBusinessMap": {"+15035550100": "acme", "+1 503 555 0100": "beta", "+15035550200": "beta"}}`)
		}, []string{`two businesses claim number +15035550100: "acme" and "beta"`}},
		{"config phone routed to another business", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, "businesses/beta/config.json", "phoneNumber", "+15035550100")
		}, []string{`businesses/beta/config.json: $.phone`, `routed to business "acme"`}},
		{"shared number conflicts with the map", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, "businesses.json", "sharedNumbers", map[string]any{"+15035550100": map[string]any{"primary": "beta"}})
		}, []string{`phoneToBusinessMap says "acme", sharedNumbers says "beta"`}},
		{"unknown calendar provider", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "calendar.provider", "outlook")
		}, []string{`$.calendar.provider: unknown calendar provider "outlook": want one of builtin, google, microsoft, disabled`}},
		{"unknown email provider", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "email.provider", "sendgrid")
		}, []string{`$.email.provider: unknown email provider "sendgrid"`}},
		{"bad HH:MM", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, "businesses/beta/config.json", "operatingHours.schedule.monday", []any{map[string]any{"start": "9am", "end": "17:00"}})
		}, []string{`$.operatingHours.schedule.monday[0].start: "9am" is not a time: want HH:MM`}},
		{"end before start", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, "businesses/beta/config.json", "operatingHours.schedule.monday", []any{map[string]any{"start": "17:00", "end": "09:00"}})
		}, []string{`$.operatingHours.schedule.monday[0].end: end 09:00 is not after start 17:00`}},
		{"bad IANA time zone", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "timezone", "Pacific Time")
		}, []string{`$.timezone: unknown time zone "Pacific Time": want an IANA name`}},
		{"missing prompt with no fallback", func(t *testing.T, tr map[string][]byte) {
			delete(tr, "prompt_rules.json")
		}, []string{`businesses/beta/prompt_rules.json: missing prompt`}},
		{"empty system prompt", func(t *testing.T, tr map[string][]byte) {
			tr["businesses/acme/prompt_rules.json"] = []byte(`{"realtimeSystem": {"full": ""}}`)
		}, []string{`businesses/acme/prompt_rules.json: $.realtimeSystem.full: missing prompt`}},
		{"emergency handling without an emergency phone", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "companyInfo", nil)
		}, []string{`$.companyInfo.emergencyContact.phone: missing: features.emergencyCallHandling is on`}},
		{"business-hours gate without hours", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "features.onlyAnswerDuringBusinessHours", true)
		}, []string{`$.operatingHours: missing: features.onlyAnswerDuringBusinessHours is on`}},
		{"after-hours greeting feature without the greeting", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "features.afterHoursGreeting", true)
		}, []string{`$.promptConfig.afterHoursGreeting: missing`}},
		{"staff routing without staff", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "features.callForwarding", true)
		}, []string{`$.callRouting.staff: missing: features.callForwarding is on`}},
		{"booking with the calendar disabled", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "features.appointmentBooking", true)
			set(t, tr, acme, "calendar", map[string]any{"provider": "disabled", "businessHours": map[string]any{"start": "09:00", "end": "17:00", "daysOfWeek": []any{1}}})
		}, []string{`$.calendar.provider: is disabled but features.appointmentBooking is on`}},
		{"booking with google but no credentials", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "features.appointmentBooking", true)
			set(t, tr, acme, "calendar", map[string]any{"provider": "google", "businessHours": map[string]any{"start": "09:00", "end": "17:00", "daysOfWeek": []any{1}}})
		}, []string{`$.calendar.google: incomplete`}},
		{"booking day out of range", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "calendar.businessHours", map[string]any{"start": "09:00", "end": "17:00", "daysOfWeek": []any{7}})
		}, []string{`$.calendar.businessHours.daysOfWeek[0]: got number 7, want a weekday number`}},
		{"email provider without its credentials", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "email.provider", "mailchimp-marketing")
		}, []string{`$.email.apiKey: missing: email.provider is mailchimp-marketing`}},
		{"plain-text secret", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "email.provider", "mailchimp-transactional")
			set(t, tr, acme, "email.apiKey", "md-live-1234567890")
		}, []string{`$.email.apiKey: plain-text secret`}},
		{"plain-text secret in an ignored field", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "twilio.authToken", "0123456789abcdef")
		}, []string{`$.twilio.authToken: plain-text secret`}},
		{"malformed reference", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "companyInfo.emergencyContact.phone", "${ON CALL}")
		}, []string{`$.companyInfo.emergencyContact.phone:`, "ON CALL"}},
		{"wrong type", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "features.ragEnabled", "yes")
		}, []string{`$.features.ragEnabled: got string "yes", want true or false`}},
		{"aliases that disagree", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "phoneNumber", "+15035550199")
		}, []string{`$.phoneNumber: conflicts with $.phone`}},
		{"bad recipient address", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "email.notificationRecipients", []any{"owner at acme"})
		}, []string{`$.email.notificationRecipients[0]: "owner at acme" is not an email address`}},
		{"bad web origin", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "web.allowedOrigins", []any{"https://acme.example/chat"})
		}, []string{`$.web.allowedOrigins[0]: "https://acme.example/chat" is not an origin`}},
		{"unknown required field", func(t *testing.T, tr map[string][]byte) {
			set(t, tr, acme, "intake.requiredFields", []any{"name", "shoe size"})
		}, []string{`$.intake.requiredFields[1]: unknown field "shoe size"`}},
		{"business directory without config.json", func(t *testing.T, tr map[string][]byte) {
			tr["businesses/gamma/prompt_rules.json"] = tr["prompt_rules.json"]
		}, []string{`businesses/gamma/config.json: missing`}},
		{"directory name that is not a business id", func(t *testing.T, tr map[string][]byte) {
			tr["businesses/Gamma Co/config.json"] = []byte(`{}`)
		}, []string{`businesses/Gamma Co: directory name: invalid business id`}},
		{"config that is not an object", func(t *testing.T, tr map[string][]byte) {
			tr[acme] = []byte(`["acme"]`)
		}, []string{`businesses/acme/config.json:1:1: $: got array, want a JSON object`}},
		{"missing businesses.json", func(t *testing.T, tr map[string][]byte) {
			delete(tr, "businesses.json")
		}, []string{`businesses.json: missing`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := validTree()
			tt.mutate(t, tree)
			s, err := Build("", tree)
			if err == nil {
				t.Fatalf("Build succeeded, want a problem containing %q", tt.want)
			}
			if s != nil {
				t.Error("Build returned a Set along with problems")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want Problems: %v", err, err)
			}
			for _, p := range ps {
				ok := true
				for _, w := range tt.want {
					ok = ok && strings.Contains(p.Error(), w)
				}
				if ok {
					return
				}
			}
			t.Errorf("no problem contains all of %q; got:\n%v", tt.want, err)
		})
	}
}

func TestBuildReportsAllProblemsAtOnce(t *testing.T) {
	tree := validTree()
	set(t, tree, acme, "timezone", "Mars/Olympus")
	set(t, tree, acme, "email.provider", "pigeon")
	set(t, tree, "businesses/beta/config.json", "businessId", "gamma")
	set(t, tree, "businesses.json", "phoneToBusinessMap.+15035550999", "nobody")
	_, err := Build("configs", tree)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.File, "configs/") {
			t.Errorf("problem file %q lacks the origin prefix", p.File)
		}
	}
}

func TestBuildWarnings(t *testing.T) {
	tree := validTree()
	set(t, tree, acme, "email.notificationRecipients", nil)
	set(t, tree, acme, "timezone", nil)
	set(t, tree, "businesses/beta/config.json", "phoneNumber", "+15035550222")
	s, err := Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"no recipients", "no timezone", "+15035550222 is not in businesses.json"}
	for _, w := range want {
		found := false
		for _, p := range s.Warnings() {
			found = found || strings.Contains(p.Error(), w)
		}
		if !found {
			t.Errorf("no warning contains %q; got %v", w, s.Warnings())
		}
	}
}

func TestByNumberNormalizesAndRefusesUnknown(t *testing.T) {
	tree := validTree()
	set(t, tree, "businesses.json", "sharedNumbers", map[string]any{"+15035550300": map[string]any{"primary": "beta", "secondary": "acme"}})
	s, err := Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		number string
		want   tenant.ID
	}{
		{"+15035550100", "acme"},
		{"+1 (503) 555-0100", "acme"},
		{"+1.503.555.0200", "beta"},
		{"+15035550300", "beta"}, // shared: the primary answers
		{"+15035550999", ""},
		{"", ""},
	}
	for _, tt := range tests {
		b, err := s.ByNumber(tt.number)
		if tt.want == "" {
			if !errors.Is(err, ErrUnknownBusiness) {
				t.Errorf("ByNumber(%q) = %v, %v; want ErrUnknownBusiness", tt.number, b, err)
			}
			continue
		}
		if err != nil || b.ID != tt.want {
			t.Errorf("ByNumber(%q) = %v, %v; want %s", tt.number, b, err, tt.want)
		}
	}
	if _, err := s.Business("nope"); !errors.Is(err, ErrUnknownBusiness) {
		t.Errorf("Business(nope) err = %v", err)
	}
}

// Aliases of the two shapes normalize to the same model.
func TestShapesNormalizeAlike(t *testing.T) {
	brief := validTree()
	set(t, brief, acme, "features", map[string]any{"appointmentBooking": true, "ragEnabled": true, "emergencyCallHandling": true, "emailSummary": true})
	set(t, brief, acme, "calendar", map[string]any{"businessHours": map[string]any{"start": "09:00", "end": "17:00", "daysOfWeek": []any{1, 2}}})
	original := validTree()
	set(t, original, acme, "phone", nil)
	set(t, original, acme, "phoneNumber", "+15035550100")
	set(t, original, acme, "features", map[string]any{"appointmentBookingEnabled": true, "ragEnabled": true, "emergencyCallHandling": true})
	set(t, original, acme, "calendar", map[string]any{"provider": "builtin", "businessHours": map[string]any{"start": "09:00", "end": "17:00", "daysOfWeek": []any{1, 2}}})

	a, err := Build("", brief)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build("", original)
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := a.Business("acme")
	bb, _ := b.Business("acme")
	if ba.Shape != ShapeBrief || bb.Shape != ShapeOriginal {
		t.Errorf("shapes = %s, %s", ba.Shape, bb.Shape)
	}
	if ba.Features != bb.Features || ba.Phone != bb.Phone {
		t.Errorf("brief %+v %s != original %+v %s", ba.Features, ba.Phone, bb.Features, bb.Phone)
	}
	if ba.Calendar.BusinessHours.Start != 9*60 || len(bb.Calendar.BusinessHours.Days) != 2 {
		t.Errorf("calendar hours not normalized: %+v", bb.Calendar.BusinessHours)
	}
}

func TestUnusedFieldsAreKeptAndReported(t *testing.T) {
	tree := validTree()
	set(t, tree, acme, "database", map[string]any{"collectionName": "acme_kb"})
	set(t, tree, acme, "companyInfo.tagline", "Fences that stay up")
	s, err := Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Business("acme")
	if got := string(b.Unused["config.json:$.database"]); got != `{"collectionName":"acme_kb"}` {
		t.Errorf("Unused[database] = %s", got)
	}
	if got := string(b.Company.Facts["tagline"]); got != `"Fences that stay up"` {
		t.Errorf("company facts = %v: extra companyInfo fields are facts for the agent", b.Company.Facts)
	}
	found := false
	for _, i := range s.Ignored() {
		found = found || i.String() == "businesses/acme/config.json: $.database"
	}
	if !found {
		t.Errorf("database not reported as ignored: %v", s.Ignored())
	}
}

// Files in the original service's shape (phoneNumber, agent, database,
// sharedNumbers, ${…} placeholders, a duplicated key, feature aliases) load
// unchanged. The fixture is ours, written in that shape; TestReferenceConfigsLoad
// repeats the check over the original files when they are present.
func TestOriginalShapeLoads(t *testing.T) {
	s, err := Load(context.Background(), DirSource{Dir: filepath.Join("testdata", "original-shape")})
	if err != nil {
		t.Fatal(err)
	}
	roof, err := s.ByNumber("+15415550123")
	if err != nil {
		t.Fatal(err)
	}
	if roof.Shape != ShapeOriginal || roof.Phone != "+15415550123" {
		t.Errorf("shape %s phone %s: phoneNumber not read as the original shape", roof.Shape, roof.Phone)
	}
	if !roof.Features.EmergencyCallHandling || roof.Company.Emergency == nil || roof.Company.Emergency.Phone != "+15415550166" {
		t.Errorf("emergency handling not loaded: %+v %+v", roof.Features, roof.Company.Emergency)
	}
	if roof.Email.Provider != EmailMicrosoftGraph || roof.Email.ClientSecret.Kind() != "env" {
		t.Errorf("email = %+v, want microsoft-graph with a ${…} env reference", roof.Email)
	}
	if !strings.Contains(roof.Prompts.System, "Juniper") {
		t.Errorf("system prompt %q: the business's realtimeSystem.full was not used", roof.Prompts.System)
	}
	if _, ok := roof.Unused["config.json:$.database"]; !ok {
		t.Errorf("database block not kept as unused: %v", roof.Unused)
	}
	demo, err := s.ByNumber("+15415550199") // a second number for one business
	if err != nil || demo.ID != "brightpath-demo" {
		t.Fatalf("second number: %v, %v", demo, err)
	}
	if demo.Calendar.BusinessHours.Start != 10*60 || len(demo.Calendar.BusinessHours.Days) != 3 {
		t.Errorf("calendar hours not normalized: %+v", demo.Calendar.BusinessHours)
	}
	if shared, err := s.ByNumber("+15415550150"); err != nil || shared.ID != "ridgeline-roofing" {
		t.Errorf("shared number answers as %v, %v; want the primary ridgeline-roofing", shared, err)
	}
	dup := false
	for _, w := range s.Warnings() {
		dup = dup || (strings.Contains(w.File, "brightpath-demo/prompt_rules.json") && strings.Contains(w.Msg, `duplicate key "appointmentFlow"`))
	}
	if !dup {
		t.Errorf("the duplicated appointmentFlow key was not reported: %v", s.Warnings())
	}
}

// The original service's own files load unchanged, placeholders and all.
// Optional: they exist beside the checkout on our machines and in CI.
func TestReferenceConfigsLoad(t *testing.T) {
	for _, dir := range []string{"original-configs", "original-configs-v2"} {
		t.Run(dir, func(t *testing.T) {
			s, err := Load(context.Background(), DirSource{Dir: reference.Dir(t, dir)})
			if err != nil {
				t.Fatal(err)
			}
			fence, err := s.ByNumber("+15035484387")
			if err != nil {
				t.Fatal(err)
			}
			if !fence.Features.EmergencyCallHandling || fence.Company.Emergency == nil || fence.Company.Emergency.Phone == "" {
				t.Errorf("superior-fencing emergency handling not loaded: %+v", fence.Company.Emergency)
			}
			if fence.Email.Provider != EmailMicrosoftGraph || fence.Email.ClientSecret.Kind() != "env" {
				t.Errorf("email = %+v, want microsoft-graph with an env reference", fence.Email)
			}
			if fence.Prompts.System == "" {
				t.Error("superior-fencing has no system prompt")
			}
			if _, err := s.ByNumber("+15035501817"); err != nil { // a shared number
				t.Errorf("shared number: %v", err)
			}
		})
	}
}

func TestOperatingHoursAcrossDST(t *testing.T) {
	tree := validTree() // beta: Mondays 09:00-17:00 New York
	s, err := Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Business("beta")
	tests := []struct {
		utc  string
		open bool
	}{
		{"2026-03-02T14:30:00Z", true},  // Mon 09:30 EST (UTC-5)
		{"2026-03-02T13:30:00Z", false}, // Mon 08:30 EST
		{"2026-03-09T13:30:00Z", true},  // Mon 09:30 EDT (UTC-4), after the change
		{"2026-03-09T21:30:00Z", false}, // Mon 17:30 EDT
		{"2026-03-03T14:30:00Z", false}, // Tuesday: not in the schedule, closed
	}
	for _, tt := range tests {
		at, _ := time.Parse(time.RFC3339, tt.utc)
		if got := b.OperatingHours.OpenAt(at, b.Location()); got != tt.open {
			t.Errorf("OpenAt(%s) = %v, want %v", tt.utc, got, tt.open)
		}
	}
}
