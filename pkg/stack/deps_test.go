package stack_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// links is what one function may link and must not.
type links struct {
	allow []string // module packages, without the github.com/ahca/ahca/ prefix
	deny  []string // package path prefixes
}

// endstackLinks are the links of the functions that end sessions from
// outside a turn (pkg/stack/endstack: ws-disconnect, session-sweeper):
// pkg/sessionend, not the agents or the model.
var endstackLinks = links{
	allow: []string{"pkg/agent", "pkg/awsenv", "pkg/awsretry", "pkg/business", "pkg/phone", "pkg/protocol", "pkg/relay", "pkg/secret",
		"pkg/session", "pkg/sessionend", "pkg/speech", "pkg/stack", "pkg/stack/endstack", "pkg/sweep", "pkg/tenant"},
	deny: []string{"github.com/openai/", "github.com/twilio/", "pkg/conversation", "pkg/intake", "pkg/aiagent", "pkg/tools", "pkg/prompt",
		"pkg/knowledge", "pkg/llm", "pkg/wsapi", "pkg/twiliovoice", "pkg/email", "pkg/delivery", "text/template", "html/template",
		"github.com/aws/aws-sdk-go-v2/service/sesv2"},
}

// linked states what each function may link: every package of this module
// (an allowlist: a new one fails the test until it is added here, on
// purpose), and third-party or standard packages it must not (a denylist of
// the heavy or cold-start-costly ones). Built as make build builds them
// (linux/arm64, -tags lambda.norpc).
var linked = map[string]links{
	// $connect admits (pkg/admission) without the turn engine.
	"ws-connect": {
		allow: []string{"pkg/admission", "pkg/agent", "pkg/awsenv", "pkg/awsretry", "pkg/business", "pkg/phone", "pkg/protocol", "pkg/relay",
			"pkg/secret", "pkg/session", "pkg/sessionend", "pkg/speech", "pkg/stack", "pkg/stack/wsstack", "pkg/tenant", "pkg/transcript", "pkg/twiliovoice", "pkg/wsapi"},
		deny: []string{"github.com/openai/", "pkg/conversation", "pkg/intake", "pkg/aiagent", "pkg/tools", "pkg/prompt", "pkg/knowledge", "pkg/booking",
			"pkg/llm", "pkg/contact", "pkg/stack/turnstack", "pkg/email", "pkg/delivery", "text/template", "html/template", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
	},
	"ws-disconnect": endstackLinks,
	"twilio-voice": {
		allow: []string{"pkg/agent", "pkg/awsenv", "pkg/awsretry", "pkg/business", "pkg/phone", "pkg/secret", "pkg/session", "pkg/httplambda", "pkg/stack", "pkg/stack/voicestack", "pkg/tenant", "pkg/transcript", "pkg/twiliovoice"},
		deny: []string{"github.com/openai/", "pkg/conversation", "pkg/intake", "pkg/tools", "pkg/prompt", "pkg/knowledge", "pkg/wsapi", "pkg/email", "pkg/delivery",
			"text/template", "html/template", "github.com/aws/aws-sdk-go-v2/service/sesv2", "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"},
	},
	"ws-message": {
		allow: []string{"pkg/admission", "pkg/agent", "pkg/aiagent", "pkg/awsenv", "pkg/awsretry", "pkg/booking", "pkg/booking/calendars", "pkg/business", "pkg/contact", "pkg/conversation",
			"pkg/intake", "pkg/knowledge", "pkg/llm", "pkg/llm/openaiclient", "pkg/phone", "pkg/prompt", "pkg/protocol", "pkg/relay", "pkg/secret",
			"pkg/session", "pkg/sessionend", "pkg/speech", "pkg/stack", "pkg/stack/turnstack", "pkg/stack/wsstack", "pkg/tenant", "pkg/tools", "pkg/transcript", "pkg/twiliovoice", "pkg/wsapi"},
		deny: []string{"pkg/email", "pkg/delivery", "text/template", "html/template", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
	},
	"session-sweeper": endstackLinks,
	"web-assets": {
		allow: []string{"pkg/awsenv", "pkg/awsretry", "pkg/business", "pkg/httplambda", "pkg/phone", "pkg/secret", "pkg/session",
			"pkg/stack", "pkg/stack/webstack", "pkg/tenant", "pkg/webhost", "web"},
		deny: []string{"github.com/openai/", "github.com/twilio/", "pkg/conversation", "pkg/wsapi", "pkg/twiliovoice", "pkg/email", "pkg/delivery",
			"text/template", "html/template", "github.com/aws/aws-sdk-go-v2/service/sesv2", "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"},
	},
	"email-summary": {
		allow: []string{"pkg/agent", "pkg/awsenv", "pkg/awsretry", "pkg/business", "pkg/contact", "pkg/delivery", "pkg/delivery/emaildelivery", "pkg/email", "pkg/llm",
			"pkg/llm/chathttp", "pkg/phone", "pkg/secret", "pkg/session", "pkg/speech", "pkg/summary", "pkg/stack", "pkg/stack/summarystack", "pkg/tenant", "pkg/transcript"},
		// openai-go with html/template's reflection is what made it 59 MB.
		deny: []string{"github.com/openai/", "pkg/llm/openaiclient", "pkg/conversation", "pkg/wsapi", "pkg/twiliovoice", "pkg/tools", "pkg/intake",
			"pkg/prompt", "pkg/knowledge", "github.com/twilio/", "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"},
	},
}

// deniedEverywhere no function links: the SDK's SSM and Secrets Manager
// clients built about 1 MB of schemas at every cold start (6–7 ms) for
// the resolver's two calls, which pkg/secret makes itself.
var deniedEverywhere = []string{"github.com/aws/aws-sdk-go-v2/service/ssm", "github.com/aws/aws-sdk-go-v2/service/secretsmanager"}

const module = "github.com/ahca/ahca/"

func TestFunctionDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	mains, _ := filepath.Glob("../../functions/*/main.go")
	if len(mains) != len(linked) {
		t.Errorf("%d functions, %d in this test: state what a new function links", len(mains), len(linked))
	}
	for name, want := range linked {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(goTool, "list", "-tags", "lambda.norpc", "-deps", "./functions/"+name)
			cmd.Dir = "../.."
			cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			var mine []string
			for _, p := range strings.Fields(string(out)) {
				for _, d := range append(want.deny, deniedEverywhere...) {
					if p == d || strings.HasPrefix(p, d) || p == module+d || strings.HasPrefix(p, module+d+"/") {
						t.Errorf("links %s (denied: %s)", p, d)
					}
				}
				if rel, ok := strings.CutPrefix(p, module); ok && !strings.HasPrefix(rel, "functions/") {
					mine = append(mine, rel)
					if !slices.Contains(want.allow, rel) {
						t.Errorf("links %s, which this test does not allow: an unintended link, or add it on purpose", rel)
					}
				}
			}
			for _, a := range want.allow {
				if !slices.Contains(mine, a) {
					t.Errorf("no longer links %s: take it off the allowlist", a)
				}
			}
		})
	}
}
