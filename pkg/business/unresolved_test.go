package business

import (
	"context"
	"strings"
	"testing"
)

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func lines(us []Unresolved) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.String()
	}
	return out
}

func TestUnresolvedRefs(t *testing.T) {
	tree := validTree()
	set(t, tree, acme, "features.callForwarding", true)
	set(t, tree, acme, "features.voicemailHandling", true)
	set(t, tree, acme, "callRouting.staff", map[string]any{
		"dana": map[string]any{"name": "Dana", "phone": "ssm:/ahca/{stage}/acme/dana-phone", "handles": []any{"billing"}},
		"lee":  map[string]any{"name": "Lee", "phone": "+15035550177", "handles": []any{"default"}},
	})
	set(t, tree, acme, "sms", map[string]any{"enabled": true, "adminNumbers": []any{"ssm:/shared/owner-cell"}})
	// Off features need nothing, whatever they reference.
	set(t, tree, "businesses/beta/config.json", "companyInfo.emergencyContact.phone", "${BETA_ON_CALL}")
	s, err := Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", nil, []string{
			"acme: emergencyCallHandling: on-call number ${ACME_ON_CALL} is not set in this environment",
			"acme: callForwarding: number of Dana ${ACME_DANA_PHONE} is not set in this environment (the local stand-in for ssm:/ahca/{stage}/acme/dana-phone)",
			"acme: voicemailHandling: number of Dana ${ACME_DANA_PHONE} is not set in this environment (the local stand-in for ssm:/ahca/{stage}/acme/dana-phone)",
			"acme: sms.enabled: admin number ssm:/shared/owner-cell can only be read in AWS: without {stage} in it, it has no local stand-in",
		}},
		{"all set but one empty", map[string]string{"ACME_ON_CALL": "", "ACME_DANA_PHONE": "+15035550123"}, []string{
			"acme: emergencyCallHandling: on-call number ${ACME_ON_CALL} is not set in this environment",
			"acme: sms.enabled: admin number ssm:/shared/owner-cell can only be read in AWS: without {stage} in it, it has no local stand-in",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lines(s.UnresolvedRefs(envOf(tt.env)))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("UnresolvedRefs =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// The shipped superior-fencing config's on-call number is an SSM reference
// whose local stand-in is SUPERIOR_FENCING_ON_CALL_PHONE.
func TestShippedUnresolvedRefs(t *testing.T) {
	s, err := Load(context.Background(), DirSource{Dir: "../../configs"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Business("superior-fencing")
	got := strings.Join(lines(b.UnresolvedRefs(envOf(nil))), "\n")
	if !strings.Contains(got, "superior-fencing: emergencyCallHandling: on-call number ${SUPERIOR_FENCING_ON_CALL_PHONE} is not set in this environment") {
		t.Errorf("UnresolvedRefs = %q", got)
	}
	if us := b.UnresolvedRefs(envOf(nil)); len(us) == 0 || us[0].Function != FunctionTwilioVoice || us[0].Feature != FeatureEmergencyTransfer {
		t.Errorf("UnresolvedRefs = %+v, want the emergency transfer in twilio-voice", us)
	}
	if got := b.UnresolvedRefs(envOf(map[string]string{"SUPERIOR_FENCING_ON_CALL_PHONE": "+15035550199"})); len(got) != 0 {
		t.Errorf("with the variable set: %v", got)
	}
}
