package twiliovoice_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/httplambda"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

func loadEvent(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/voice-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestLambdaHandler runs HTTP API v2 events (testdata/voice-event.json is
// Twilio's incoming-call webhook to superior-fencing as API Gateway
// delivers it: base64 body, lower-case headers) through the adapter.
func TestLambdaHandler(t *testing.T) {
	plainBody := func(ev *events.APIGatewayV2HTTPRequest) {
		b, _ := base64.StdEncoding.DecodeString(ev.Body)
		ev.Body, ev.IsBase64Encoded = string(b), false
	}
	tests := []struct {
		name   string
		edit   func(ev *events.APIGatewayV2HTTPRequest)
		status int
		golden string
	}{
		{"fixture", func(*events.APIGatewayV2HTTPRequest) {}, http.StatusOK, "voice-superior-fencing"},
		{"plain body", plainBody, http.StatusOK, "voice-superior-fencing"},
		{"named stage prefix in the path", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawPath = "/dev/twilio/voice" }, http.StatusOK, "voice-superior-fencing"},
		{"signature header removed", func(ev *events.APIGatewayV2HTTPRequest) { delete(ev.Headers, "x-twilio-signature") }, http.StatusForbidden, ""},
		{"query added to a signed URL", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawQueryString = "businessId=maple-street-vet" }, http.StatusForbidden, ""},
		{"body tampered", func(ev *events.APIGatewayV2HTTPRequest) {
			plainBody(ev)
			ev.Body = strings.Replace(ev.Body, "To=%2B15035550142", "To=%2B15415550123", 1)
		}, http.StatusForbidden, ""},
		{"not base64", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = "%%%" }, http.StatusBadRequest, ""},
		{"GET", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.Method = http.MethodGet }, http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, configs(t), sundayAfternoon)
			ev := loadEvent(t)
			tt.edit(&ev)
			resp, err := httplambda.Handler(e.h)(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s); want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if tt.golden == "" {
				return
			}
			if resp.IsBase64Encoded || resp.Headers["Content-Type"] != "text/xml; charset=utf-8" {
				t.Errorf("response headers %v, base64 %v", resp.Headers, resp.IsBase64Encoded)
			}
			golden(t, tt.golden, resp.Body)
		})
	}
}

func TestLambdaHandlerDialActionQuery(t *testing.T) {
	e := newEnv(t, configs(t), tuesdayAfternoon)
	e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber))
	params := merge(voiceParams(mapleNumber), "DialCallStatus", "no-answer")
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: twiliovoice.PathDialAction, RawQueryString: "staff=pharmacy",
		Headers: map[string]string{
			"content-type":       "application/x-www-form-urlencoded",
			"host":               "voice.example.test",
			"x-twilio-signature": twiliovoice.Sign(authToken, publicBase+twiliovoice.PathDialAction+"?staff=pharmacy", params),
		},
		Body: form.Encode(),
	}
	ev.RequestContext.HTTP.Method = http.MethodPost
	resp, err := httplambda.Handler(e.h)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	golden(t, "dial-staff-no-answer", resp.Body)
}
