package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/ahca/ahca/internal/reference"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestConfigsValidate(t *testing.T) {
	tests := []struct {
		dir      string
		wantCode int
		want     []string
	}{
		{"../../configs", exitOK, []string{"superior-fencing", "+15035550142", "emergency", "maple-street-vet", "staff-routing", "hours-gate", "ok: 3 business(es)"}},
		{"../../pkg/business/testdata/original-shape", exitOK, []string{"ridgeline-roofing", "original", "+15415550199", "ok: 2 business(es)"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			code, out, errOut := runCLI(t, "configs", "validate", "--dir", tt.dir)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// The original service's own configs validate, when they are present.
func TestConfigsValidateReference(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
	}{
		{"original-configs", []string{"sherpaprompt", "original", "ok: 2 business(es)"}},
		{"original-configs-v2", []string{"nourish-oregon", "+15555555555", "ok: 3 business(es)"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			code, out, errOut := runCLI(t, "configs", "validate", "--dir", reference.Dir(t, tt.dir))
			if code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func copyTree(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConfigsValidateReportsEveryError(t *testing.T) {
	dir := copyTree(t, "../../configs")
	cfg := filepath.Join(dir, "businesses", "superior-fencing", "config.json")
	b, _ := os.ReadFile(cfg)
	b = bytes.Replace(b, []byte(`"timezone": "America/Los_Angeles"`), []byte(`"timezone": "Pacific"`), 1)
	b = bytes.Replace(b, []byte(`"provider": "ses"`), []byte(`"provider": "carrier-pigeon"`), 1)
	os.WriteFile(cfg, b, 0o644)
	code, out, errOut := runCLI(t, "configs", "validate", "--dir", dir)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stdout %s", code, exitInvalid, out)
	}
	for _, w := range []string{"2 problem(s)", `$.timezone: unknown time zone "Pacific"`, `$.email.provider: unknown email provider "carrier-pigeon"`, "config.json:7:15: $.timezone"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

func TestConfigsShowRedactsAndNormalizes(t *testing.T) {
	code, out, errOut := runCLI(t, "configs", "show", "sherpaprompt", "--dir", "../../configs")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	email := doc["email"].(map[string]any)
	if email["apiKey"] != "ssm:/ahca/{stage}/sherpaprompt/mailchimp-api-key" || email["provider"] != "mailchimp-marketing" {
		t.Errorf("email = %v: references are shown as names", email)
	}
	if doc["features"].(map[string]any)["appointmentBooking"] != true {
		t.Errorf("features not normalized: %v", doc["features"])
	}

	if got := redact(map[string]any{"clientSecret": "hunter2", "nested": []any{map[string]any{"apiKey": "${K}"}}, "name": "x"}, ""); got.(map[string]any)["clientSecret"] != "[redacted]" ||
		got.(map[string]any)["nested"].([]any)[0].(map[string]any)["apiKey"] != "${K}" || got.(map[string]any)["name"] != "x" {
		t.Errorf("redact = %v", got)
	}

	code, _, errOut = runCLI(t, "configs", "show", "no-such-business", "--dir", "../../configs")
	if code != exitInvalid || !strings.Contains(errOut, "unknown business") {
		t.Errorf("unknown business: exit %d, %s", code, errOut)
	}
}

func TestConfigsPush(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("ahca-dev-config"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	args := []string{"configs", "push", "--bucket", "ahca-dev-config", "--dir", "../../configs", "--endpoint", srv.URL, "--region", "us-west-2"}

	code, out, errOut := runCLI(t, append(args, "--dry-run")...)
	if code != exitOK || !strings.Contains(out, "would upload businesses.json") || strings.Contains(out, "schema") || strings.Contains(out, "templates") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, args...)
	if code != exitOK || !strings.Contains(out, "upload businesses/superior-fencing/config.json") {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, args...)
	if code != exitOK || !strings.Contains(out, "0 to upload, 0 to delete") {
		t.Fatalf("second push: exit %d\n%s", code, out)
	}

	bad := copyTree(t, "../../configs")
	os.WriteFile(filepath.Join(bad, "businesses.json"), []byte(`{"phoneToBusinessMap": {"+15035550142": "nobody"}}`), 0o644)
	code, _, errOut = runCLI(t, "configs", "push", "--bucket", "ahca-dev-config", "--dir", bad, "--endpoint", srv.URL, "--region", "us-west-2")
	if code != exitInvalid || !strings.Contains(errOut, "nothing pushed") || !strings.Contains(errOut, `"nobody", which does not exist`) {
		t.Fatalf("invalid push: exit %d\n%s", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"configs"}, {"configs", "frobnicate"}, {"configs", "push"}, {"configs", "show"}} {
		if code, _, errOut := runCLI(t, args...); code != exitUsage || !strings.Contains(errOut, "usage: ahca") {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}

// An enabled feature whose reference does not resolve here is a warning
// naming the business, the feature and the variable; --strict fails on it.
func TestConfigsValidateUnresolvedRefs(t *testing.T) {
	for _, name := range []string{"SUPERIOR_FENCING_ON_CALL_PHONE", "MAPLE_STREET_VET_FRONTDESK_PHONE"} {
		t.Setenv(name, "")
	}
	code, out, errOut := runCLI(t, "configs", "validate", "--dir", "../../configs")
	if code != exitOK {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	for _, w := range []string{
		"warning: superior-fencing: emergencyCallHandling: on-call number ${SUPERIOR_FENCING_ON_CALL_PHONE} is not set in this environment",
		"warning: maple-street-vet: callForwarding: number of Front Desk ${MAPLE_STREET_VET_FRONTDESK_PHONE} is not set",
		"warning: maple-street-vet: voicemailHandling: number of Front Desk ${MAPLE_STREET_VET_FRONTDESK_PHONE} is not set",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	code, out, errOut = runCLI(t, "configs", "validate", "--strict", "--dir", "../../configs")
	if code != exitInvalid || !strings.Contains(errOut, "do not resolve in this environment (--strict)") || strings.Contains(out, "ok: ") {
		t.Errorf("--strict: exit %d\n%s%s", code, out, errOut)
	}

	t.Setenv("SUPERIOR_FENCING_ON_CALL_PHONE", "+15035550199")
	_, out, _ = runCLI(t, "configs", "validate", "--dir", "../../configs")
	if strings.Contains(out, "SUPERIOR_FENCING_ON_CALL_PHONE") {
		t.Errorf("a set variable is still reported:\n%s", out)
	}
}
