package summarystack

import (
	"testing"

	"github.com/ahca/ahca/pkg/stack/stacktest"
	"github.com/ahca/ahca/pkg/summary"
)

// with is the function's environment with kv set (stacktest.Env), as
// newPipeline reads it.
func with(kv ...string) func(string) string { return stacktest.Getenv(stacktest.Env(kv...)) }

func TestNewPipelineFromEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     func(string) string
		wantErr string
		wantLLM bool
	}{
		{name: "minimal", env: with()},
		{name: "with model", env: with("OPENAI_API_KEY_REF", "ssm:/ahca/dev/openai-api-key"), wantLLM: true},
		{name: "missing table and bucket", env: with("TABLE_NAME", "", "CONFIG_BUCKET", ""), wantErr: "TABLE_NAME CONFIG_BUCKET"},
		{name: "no region", env: with("AWS_REGION", ""), wantErr: "AWS_REGION"},
		{name: "key as text", env: with("OPENAI_API_KEY_REF", "sk-live-123"), wantErr: "want a secret reference"},
		{name: "bad attempts", env: with("EMAIL_MAX_ATTEMPTS", "0"), wantErr: "EMAIL_MAX_ATTEMPTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPipeline(tt.env)
			if !stacktest.Built(t, err, tt.wantErr) {
				return
			}
			s, ok := p.Summarizer.(*summary.Summarizer)
			if !ok || (s.LLM != nil) != tt.wantLLM {
				t.Errorf("summarizer %#v, want model %v", p.Summarizer, tt.wantLLM)
			}
			if ok && (s.Counters == nil || s.Counters != p.Counters) {
				t.Errorf("summarizer counters %v, want the pipeline's %v (summary tokens count against modelTokensPerDay)", s.Counters, p.Counters)
			}
			if p.Store == nil || p.Configs == nil || p.Render == nil || p.RenderCallerCopy == nil || p.Senders == nil || p.IsPermanent == nil {
				t.Errorf("pipeline not fully wired: %+v", p)
			}
		})
	}
}
