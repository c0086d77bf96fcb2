package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ahca/ahca/infra/localaws"
	"github.com/ahca/ahca/pkg/httplambda"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// Every function's environment in template.yaml resolves with the local
// mapping (lambdaLocals): a new variable, parameter without a default or
// resource reference the local stack cannot give a value fails here. And
// none of them points at AWS.
func TestLambdaEnvironment(t *testing.T) {
	tmpl, err := localaws.ReadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ep := lambdaEndpoints{Base: "http://127.0.0.1:9", WS: "ws://127.0.0.1:9/ws", DynamoDB: "http://127.0.0.1:8", SES: "http://127.0.0.1:7", AWS: "http://127.0.0.1:6"}
	locals := lambdaLocals("ahca-local", "arn:aws:dynamodb:us-east-1:000000000000:table/ahca-local/stream/x", ep, "")
	names := map[string]bool{}
	for _, f := range tmpl.Functions {
		names[f.Name] = true
		env, err := tmpl.Environment(f, locals)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for k, v := range env {
			if strings.Contains(v, "amazonaws.com") || strings.Contains(v, "${") {
				t.Errorf("%s: %s = %q points at AWS or is unresolved", f.Name, k, v)
			}
			if _, err := os.Stat("../../functions/" + f.Name + "/main.go"); err != nil {
				t.Errorf("%s: no functions/%s/main.go", f.LogicalID, f.Name)
			}
		}
		if env["STAGE"] != "dev" || env["TABLE_NAME"] != "ahca-local" || env["CONFIG_BUCKET"] != localConfigBkt {
			t.Errorf("%s: globals = %v", f.Name, env)
		}
		if v, ok := env["WS_URL"]; ok && v != ep.WS {
			t.Errorf("%s: WS_URL = %q, want the local stage %q", f.Name, v, ep.WS)
		}
		if v, ok := env["PUBLIC_BASE_URL"]; ok && v != ep.Base {
			t.Errorf("%s: PUBLIC_BASE_URL = %q, want %q", f.Name, v, ep.Base)
		}
		if v, ok := env["TWILIO_AUTH_TOKEN_REF"]; ok && v != "ssm:/ahca/dev/twilio-auth-token" {
			t.Errorf("%s: TWILIO_AUTH_TOKEN_REF = %q", f.Name, v)
		}
		// What the stand-in holds for the stage's Twilio settings is what
		// the template references.
		for _, k := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_SMS_FROM"} {
			if v, ok := env[k]; ok && !strings.HasPrefix(v, "ssm:/ahca/dev/twilio-") {
				t.Errorf("%s: %s = %q, not a stage parameter the stand-in holds", f.Name, k, v)
			}
		}
	}
	for _, n := range []string{"ws-connect", "ws-message", "ws-disconnect", "twilio-voice", "email-summary"} {
		if !names[n] {
			t.Errorf("template.yaml has no function %s", n)
		}
	}
	// Every endpoint variable is the SDK's standard one for a service the
	// functions use, each pointing at a local endpoint.
	for k, v := range lambdaRuntimeEnv(ep, slog.LevelInfo) {
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL") && !strings.HasPrefix(v, "http://127.0.0.1:") {
			t.Errorf("%s = %q", k, v)
		}
	}

	// A variable the mapping cannot resolve fails.
	broken, err := localaws.ParseTemplate([]byte(strings.Replace(mustRead(t, "../../template.yaml"),
		"        STAGE: !Ref Stage\n", "        STAGE: !Ref Stage\n        NEW_THING: !GetAtt SomeQueue.Url\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range broken.Functions {
		if _, err := broken.Environment(f, locals); err == nil || !strings.Contains(err.Error(), "NEW_THING") {
			t.Errorf("%s: an unresolvable variable passed: %v", f.Name, err)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The stand-in's stage parameters are the environment variables the
// stage-relative references fall back to locally.
func TestLocalSecret(t *testing.T) {
	env := map[string]string{"SUPERIOR_FENCING_ON_CALL_PHONE": "+15035550111", "OPENAI_API_KEY": "sk-1", "ACME_KEY": "k"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	get := localSecret(lookup, false)
	for _, tc := range []struct{ kind, name, want string }{
		{localaws.KindSSM, "/ahca/dev/superior-fencing/on-call-phone", "+15035550111"},
		{localaws.KindSSM, "/ahca/dev/openai-api-key", "sk-1"},
		{localaws.KindSecretsManager, "ahca/dev/acme/key", "k"},
		{localaws.KindSSM, "/ahca/prod/superior-fencing/on-call-phone", ""},
		{localaws.KindSSM, "/other/superior-fencing/on-call-phone", ""},
		{localaws.KindSSM, "/ahca/dev/maple-street-vet/mandrill-key", ""},
	} {
		if got, _ := get(tc.kind, tc.name); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.kind, tc.name, got, tc.want)
		}
	}
	if v, ok := localSecret(lookup, true)(localaws.KindSSM, "/ahca/dev/openai-api-key"); ok {
		t.Errorf("--no-llm still serves the model key %q", v)
	}
}

// A Twilio webhook through the HTTP API event and back through the
// function's adapter is the same request: the signature computed over the
// public URL still verifies.
func TestHTTPAPIEvent(t *testing.T) {
	const token = "tok"
	params := map[string]string{"CallSid": "CA1", "From": "+15415550100", "To": "+15035550142", "Note": "a b&c=d"}
	req, err := twiliovoice.SignedRequest(context.Background(), token, "http://127.0.0.1:9/twilio/voice?x=1", params)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(req.Body)
	in := httptest.NewRequest(http.MethodPost, "/twilio/voice?x=1", bytes.NewReader(body.Bytes()))
	in.Header = req.Header.Clone()
	in.Host = "127.0.0.1:9"
	ev, err := httpAPIEvent(in)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.IsBase64Encoded || ev.RawPath != "/twilio/voice" || ev.RawQueryString != "x=1" || ev.Headers["content-type"] == "" {
		t.Errorf("event = %+v", ev)
	}
	var seen *http.Request
	var seenBody string
	h := httplambda.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		r.ParseForm()
		seenBody = r.PostForm.Encode()
		form := map[string]string{}
		for k, v := range r.PostForm {
			form[k] = v[0]
		}
		if !twiliovoice.Validate(token, "http://127.0.0.1:9"+r.URL.RequestURI(), form, r.Header.Get(twiliovoice.SignatureHeader)) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte("<Response/>"))
	}))
	resp, err := h(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusOK || seen == nil || !strings.Contains(seenBody, "Note=a+b%26c%3Dd") {
		t.Errorf("response = %+v, %v; body %q", resp, err, seenBody)
	}
}

// The install script pins the emulator version the CLI names.
func TestRIEVersionPinned(t *testing.T) {
	script := mustRead(t, "../scripts/lambda-rie.sh")
	if !strings.Contains(script, "RIE_MODULE="+rieModule+"\n") || !strings.Contains(script, "RIE_VERSION="+rieVersion+"\n") {
		t.Errorf("infra/scripts/lambda-rie.sh does not pin %s@%s", rieModule, rieVersion)
	}
}
