package voicestack_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/stack/stacktest"
	"github.com/ahca/ahca/pkg/stack/voicestack"
)

func TestFromEnv(t *testing.T) {
	good := []string{"PUBLIC_BASE_URL", "https://voice0abc1.execute-api.us-west-2.amazonaws.com/", "WS_URL", "wss://ws0abc1.execute-api.us-west-2.amazonaws.com/dev",
		"TWILIO_AUTH_TOKEN_REF", "ssm:/ahca/dev/twilio-auth-token"}
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string
	}{
		{"complete", nil, ""},
		{"local", map[string]string{"PUBLIC_BASE_URL": "http://127.0.0.1:8080", "WS_URL": "ws://127.0.0.1:8080/ws"}, ""},
		{"missing", map[string]string{"WS_URL": "", "TWILIO_AUTH_TOKEN_REF": ""}, "WS_URL TWILIO_AUTH_TOKEN_REF"},
		{"plain-text token", map[string]string{"TWILIO_AUTH_TOKEN_REF": "0123456789abcdef"}, "want a secret reference"},
		{"relative public URL", map[string]string{"PUBLIC_BASE_URL": "/twilio"}, "PUBLIC_BASE_URL"},
		{"public URL with a query", map[string]string{"PUBLIC_BASE_URL": "https://h/?x=1"}, "PUBLIC_BASE_URL"},
		{"http WebSocket URL", map[string]string{"WS_URL": "https://ws0abc1.execute-api.us-west-2.amazonaws.com/dev"}, "WS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := stacktest.Env(good...)
			maps.Copy(env, tt.set)
			c, err := voicestack.FromEnv(stacktest.Getenv(env))
			if !stacktest.Built(t, err, tt.wantErr) {
				return
			}
			h := voicestack.New(c)
			if strings.HasSuffix(h.PublicBaseURL, "/") || h.Calls == nil || h.Configs == nil || h.AuthToken == nil || h.Resolve == nil {
				t.Errorf("handler %+v", h)
			}
		})
	}
}
