package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The configs, template.yaml and samconfig.toml as they were at 8a67c49
// (infra/stackcheck/testdata/stage-8a67c49): configs validate --stage dev
// reports every failure issue 12 lists and exits 1.
func TestConfigsValidateStageOldConfigs(t *testing.T) {
	const old = "../stackcheck/testdata/stage-8a67c49/"
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"configs", "validate", "--stage", "dev",
		"--dir", old + "configs", "--template", old + "template.yaml", "--samconfig", old + "samconfig.toml"}, nil, &out, &errb)
	t.Logf("%s%s", out.String(), errb.String())
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d", code, exitInvalid)
	}
	o := out.String()
	for _, want := range [][]string{
		{"superior-fencing: ", "would fail: ", "email sending", "emergency transfer"},
		{"superior-fencing/config.json: $.email.fromEmail leads@mail.superior-fence.example: email sending fails in email-summary", "identity/example.com"},
		{"superior-fencing/config.json: $.companyInfo.emergencyContact.phone ${SUPERIOR_FENCING_ON_CALL_PHONE}: emergency transfer fails in twilio-voice", "nothing sets environment variable SUPERIOR_FENCING_ON_CALL_PHONE"},
		{"maple-street-vet: ", "staff routing", "SMS (voicemail texts)", "email sending"},
		{"maple-street-vet/config.json: $.email.apiKey ${MAPLE_STREET_VET_MANDRILL_KEY}: email sending fails in email-summary"},
		{"maple-street-vet/config.json: $.callRouting.staff.frontdesk.phone ${MAPLE_STREET_VET_FRONTDESK_PHONE}: staff routing fails in twilio-voice"},
		{"maple-street-vet/config.json: $.callRouting.staff.pharmacy.phone ${MAPLE_STREET_VET_PHARMACY_PHONE}: staff routing fails in twilio-voice"},
		{"maple-street-vet/config.json: $.callRouting.staff.billing.phone ${MAPLE_STREET_VET_BILLING_PHONE}: staff routing fails in twilio-voice"},
		{"maple-street-vet/config.json: $.callRouting.staff.frontdesk.phone ${MAPLE_STREET_VET_FRONTDESK_PHONE}: SMS (voicemail texts) fails in ws-message"},
		{"maple-street-vet/config.json: $.sms: SMS (voicemail texts) fails in ws-message: ws-message's TWILIO_ACCOUNT_SID is empty: template parameter TwilioAccountSid"},
		{"maple-street-vet/config.json: $.sms: SMS (voicemail texts) fails in ws-message: ws-message's TWILIO_SMS_FROM is empty: template parameter TwilioSmsFrom"},
		{"sherpaprompt/config.json: $.email.apiKey ssm:/ahca/sherpaprompt/mailchimp-api-key: email sending fails in email-summary", "may not read SSM parameter /ahca/sherpaprompt/mailchimp-api-key", "parameter/ahca/dev/*"},
		{"12 setting(s) would fail in stage dev"},
	} {
		line := ""
		for _, l := range strings.Split(o, "\n") {
			ok := true
			for _, part := range want {
				ok = ok && strings.Contains(l, part)
			}
			if ok {
				line = l
				break
			}
		}
		if line == "" {
			t.Errorf("no line with %q", want)
		}
	}
}

// The shipped configs, template and samconfig: clean in both stages, and
// the parameters to create are listed.
func TestConfigsValidateStageShipped(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"configs", "validate", "--stage", stage,
			"--dir", "../../configs", "--template", "../../template.yaml", "--samconfig", "../../samconfig.toml"}, nil, &out, &errb)
		if code != exitOK {
			t.Fatalf("%s: exit %d:\n%s%s", stage, code, out.String(), errb.String())
		}
		for _, want := range []string{
			"ok: every business's settings resolve in stage " + stage,
			"ssm:/ahca/" + stage + "/superior-fencing/on-call-phone",
			"ssm:/ahca/" + stage + "/maple-street-vet/mandrill-key",
			"ssm:/ahca/" + stage + "/sherpaprompt/mailchimp-api-key",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", stage, want, out.String())
			}
		}
	}
}
