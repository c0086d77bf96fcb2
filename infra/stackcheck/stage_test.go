package stackcheck

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
)

func stageFindings(t *testing.T, root, stage string) []Finding {
	t.Helper()
	tmpl, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	region, overrides, err := LoadSamconfig(filepath.Join(root, "samconfig.toml"), stage)
	if err != nil {
		t.Fatal(err)
	}
	st, err := EvaluateStage(tmpl, StageParams{Stage: stage, Region: region, Overrides: overrides})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "configs")
	set, err := business.Load(context.Background(), business.DirSource{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st.CheckBusinesses(set, dir)
}

// The configs, template and samconfig as they were at 8a67c49: every
// failure issue 12 lists is found, with its file, JSON path and feature.
func TestStageCheckFindsTheShippedFailures(t *testing.T) {
	fs := stageFindings(t, "testdata/stage-8a67c49", "dev")
	var lines []string
	for _, f := range fs {
		lines = append(lines, f.String())
	}
	all := strings.Join(lines, "\n")
	t.Logf("findings:\n%s", all)
	want := [][]string{
		{"superior-fencing/config.json", "$.email.fromEmail", "email sending", "email-summary", "identity/example.com", "mail.superior-fence.example"},
		{"superior-fencing/config.json", "$.companyInfo.emergencyContact.phone", "emergency transfer", "twilio-voice", "SUPERIOR_FENCING_ON_CALL_PHONE"},
		{"maple-street-vet/config.json", "$.email.apiKey", "email sending", "email-summary", "MAPLE_STREET_VET_MANDRILL_KEY"},
		{"maple-street-vet/config.json", "$.callRouting.staff.frontdesk.phone", "staff routing", "twilio-voice", "MAPLE_STREET_VET_FRONTDESK_PHONE"},
		{"maple-street-vet/config.json", "$.callRouting.staff.pharmacy.phone", "staff routing", "twilio-voice", "MAPLE_STREET_VET_PHARMACY_PHONE"},
		{"maple-street-vet/config.json", "$.callRouting.staff.billing.phone", "staff routing", "twilio-voice", "MAPLE_STREET_VET_BILLING_PHONE"},
		{"maple-street-vet/config.json", "$.callRouting.staff.billing.phone", "SMS", "ws-message", "MAPLE_STREET_VET_BILLING_PHONE"},
		{"maple-street-vet/config.json", "$.sms", "SMS", "ws-message", "TWILIO_ACCOUNT_SID", "TwilioAccountSid"},
		{"maple-street-vet/config.json", "$.sms", "SMS", "ws-message", "TWILIO_SMS_FROM", "TwilioSmsFrom"},
		{"sherpaprompt/config.json", "$.email.apiKey", "email sending", "email-summary", "/ahca/sherpaprompt/mailchimp-api-key", "parameter/ahca/dev/*"},
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			ok := true
			for _, part := range w {
				ok = ok && strings.Contains(l, part)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no finding with %q", w)
		}
	}
}

// The repository's configs, template and samconfig: nothing fails, in
// either stage.
func TestStageCheckRepositoryIsClean(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		for _, f := range stageFindings(t, "../..", stage) {
			t.Errorf("%s: %s", stage, f)
		}
	}
}

func TestStageGrants(t *testing.T) {
	tmpl := repositoryTemplate(t)
	st, err := EvaluateStage(tmpl, StageParams{Stage: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fn, ref string
		ok      bool
	}{
		{"twilio-voice", "ssm:/ahca/{stage}/acme/on-call-phone", true},
		{"twilio-voice", "ssm:/ahca/dev/acme/on-call-phone", false}, // another stage's
		{"ws-message", "secretsmanager:ahca/{stage}/acme/graph", true},
		{"ws-message", "secretsmanager:other/acme", false},
		{"email-summary", "${STAGE}", true},
		{"email-summary", "${ACME_KEY}", false},
		{"ws-connect", "ssm:/ahca/{stage}/acme/x", false},
		{"email-summary", "literal", true},
	} {
		if ok, why := st.CanResolve(tc.fn, secretValue(tc.ref)); ok != tc.ok {
			t.Errorf("CanResolve(%s, %s) = %v (%s), want %v", tc.fn, tc.ref, ok, why, tc.ok)
		}
	}
	if ok, why := st.CanSendAs("email-summary", "leads@mail.acme.example"); !ok {
		t.Errorf("CanSendAs with the account's identities: %s", why)
	}
	if ok, _ := st.CanSendAs("ws-message", "leads@acme.example"); ok {
		t.Error("ws-message may send email")
	}
	restricted, err := EvaluateStage(tmpl, StageParams{Stage: "prod", Overrides: map[string]string{"SesIdentityArns": "arn:aws:ses:us-west-2:111122223333:identity/acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := restricted.CanSendAs("email-summary", "leads@mail.acme.example"); !ok {
		t.Errorf("a subdomain of a listed domain: %s", why)
	}
	if ok, _ := restricted.CanSendAs("email-summary", "leads@other.example"); ok {
		t.Error("an unlisted domain may send")
	}
	if p := restricted.CheckSMS("ws-message"); len(p) != 0 {
		t.Errorf("SMS settings: %v", p)
	}
}

func secretValue(s string) secret.Value { return secret.Value(s) }

// The operational rules bite: the template as it was at 8a67c49 had no
// log groups, alarms, reserved concurrency or access logs.
func TestCheckOperationsOnTheOldTemplate(t *testing.T) {
	tmpl, err := Load("testdata/stage-8a67c49/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, p := range CheckOperations(tmpl) {
		got[p.Rule]++
	}
	want := map[string]int{RuleLogRetention: 5, RuleFunctionAlarms: 10, RuleReservedConcurrency: 5, RuleAccessLogs: 2}
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("%s: %d problems, want %d (all: %v)", rule, got[rule], n, got)
		}
	}
}
