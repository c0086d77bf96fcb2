package stackcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// The Makefile's build-%Function rule derives the same source directory from
// a logical id as FunctionDir does, so sam build compiles the right package.
func TestMakefileBuildRuleMatchesFunctionDir(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make not found: %v", err)
	}
	for _, id := range []string{"WsConnectFunction", "WsMessageFunction", "TwilioVoiceFunction", "EmailSummaryFunction", "SMSSenderFunction", "Oauth2CallbackFunction"} {
		out, err := exec.Command("make", "-s", "-n", "-C", "../..", "build-"+id, "ARTIFACTS_DIR=/tmp/artifacts").CombinedOutput()
		if err != nil {
			t.Fatalf("make -n build-%s: %v\n%s", id, err, out)
		}
		dir, ok := FunctionDir(id)
		if !ok {
			t.Fatalf("FunctionDir(%s) not ok", id)
		}
		want := "./functions/" + dir
		if !strings.Contains(string(out), want+"\n") && !strings.HasSuffix(strings.TrimSpace(string(out)), want) {
			t.Errorf("make build-%s builds:\n%s\nwant %s", id, out, want)
		}
		for _, flag := range []string{"GOARCH=arm64", "CGO_ENABLED=0", "-tags lambda.norpc", "-trimpath", "/tmp/artifacts/bootstrap"} {
			if !strings.Contains(string(out), flag) {
				t.Errorf("make build-%s lacks %q:\n%s", id, flag, out)
			}
		}
	}
}
