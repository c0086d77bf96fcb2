package turnstack_test

import (
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/stack/stacktest"
	"github.com/ahca/ahca/pkg/stack/turnstack"
	"github.com/ahca/ahca/pkg/stack/wsstack"
)

func TestOption(t *testing.T) {
	env := stacktest.Env("OPENAI_API_KEY_REF", "ssm:/ahca/dev/openai-api-key", "OPENAI_MODEL", "gpt-4.1-mini",
		"TWILIO_ACCOUNT_SID", "ssm:/ahca/dev/twilio-account-sid", "TWILIO_AUTH_TOKEN_REF", "ssm:/ahca/dev/twilio-auth-token")
	getenv := stacktest.Getenv(env)
	wc, err := wsstack.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := turnstack.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if tc.OpenAIKeyRef != "ssm:/ahca/dev/openai-api-key" || tc.OpenAIModel != "gpt-4.1-mini" || tc.SMS.AccountSID != "ssm:/ahca/dev/twilio-account-sid" {
		t.Errorf("config %+v", tc)
	}
	h, err := wsstack.New(wc, turnstack.Option(tc))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := h.Turns.(*conversation.Engine)
	if !ok || e.LLM == nil || e.Tools == nil || e.NewAgent == nil {
		t.Errorf("engine without model, tools or assistants: %+v", h.Turns)
	}

	delete(env, "OPENAI_API_KEY_REF")
	tc, _ = turnstack.FromEnv(getenv)
	if h, err = wsstack.New(wc, turnstack.Option(tc)); err != nil {
		t.Fatal(err)
	}
	if e := h.Turns.(*conversation.Engine); e.LLM != nil || e.Tools == nil {
		t.Errorf("without a key: the scripted agent with the tools; LLM %v", e.LLM)
	}
	env["OPENAI_API_KEY_REF"] = "sk-literal-key"
	if _, err := turnstack.FromEnv(getenv); err == nil || !strings.Contains(err.Error(), "want a secret reference") {
		t.Errorf("a literal key: %v", err)
	}
}
