package twiliovoice

import (
	"context"
	"io"
	"net/url"
	"testing"
)

// Twilio's documented example (docs "Validating requests", also in every
// helper library's tests): auth token 12345, this URL and these POST
// parameters give this signature.
const (
	docToken     = "12345"
	docURL       = "https://mycompany.com/myapp.php?foo=1&bar=2"
	docSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

func docParams() map[string]string {
	return map[string]string{
		"CallSid": "CA1234567890ABCDE",
		"Caller":  "+14158675309",
		"Digits":  "1234",
		"From":    "+14158675309",
		"To":      "+18005551212",
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func TestSignDocumentedExample(t *testing.T) {
	if got := Sign(docToken, docURL, docParams()); got != docSignature {
		t.Errorf("Sign(documented example) = %q; want %q", got, docSignature)
	}
}

func TestValidate(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	voiceURL := "https://voice.example.test/twilio/voice"
	call := map[string]string{"CallSid": "CA0123456789abcdef0123456789abcdef", "From": "+15035550199", "To": "+15035550142", "CallStatus": "ringing"}
	wss := RelayURL("wss://abc123.execute-api.us-west-2.amazonaws.com/dev", "superior-fencing", "CA0123456789abcdef0123456789abcdef")
	tests := []struct {
		name      string
		token     string
		url       string
		params    map[string]string
		signature string
		want      bool
	}{
		{"documented example", docToken, docURL, docParams(), docSignature, true},
		{"documented example, a digit changed", docToken, docURL, with(docParams(), "Digits", "1235"), docSignature, false},
		{"documented example, wrong token", "54321", docURL, docParams(), docSignature, false},
		{"documented example, query changed", docToken, "https://mycompany.com/myapp.php?foo=1&bar=3", docParams(), docSignature, false},
		{"documented example, explicit default port", docToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", docParams(), docSignature, true},
		{"our signer round trip", token, voiceURL, call, Sign(token, voiceURL, call), true},
		{"wrong token", token, voiceURL, call, Sign("another-token", voiceURL, call), false},
		{"changed param", token, voiceURL, with(call, "To", "+15415550123"), Sign(token, voiceURL, call), false},
		{"added param", token, voiceURL, with(call, "Extra", "1"), Sign(token, voiceURL, call), false},
		{"missing signature", token, voiceURL, call, "", false},
		{"garbage signature", token, voiceURL, call, "not-a-signature", false},
		{"signed over https, checked over http", token, "http://voice.example.test/twilio/voice", call, Sign(token, voiceURL, call), false},
		{"signed over http, checked over https", token, voiceURL, call, Sign(token, "http://voice.example.test/twilio/voice", call), false},
		{"another host", token, voiceURL, call, Sign(token, "https://evil.example.test/twilio/voice", call), false},
		{"another path", token, voiceURL, call, Sign(token, "https://voice.example.test/twilio/status", call), false},
		{"empty token never validates", "", voiceURL, call, Sign("", voiceURL, call), false},
		{"websocket handshake: wss URL, no params", token, wss, nil, Sign(token, wss, nil), true},
		{"websocket handshake: empty map same as nil", token, wss, map[string]string{}, Sign(token, wss, nil), true},
		{"websocket handshake: another call", token, RelayURL("wss://abc123.execute-api.us-west-2.amazonaws.com/dev", "superior-fencing", "CAother"), nil, Sign(token, wss, nil), false},
		{"websocket handshake: another business", token, RelayURL("wss://abc123.execute-api.us-west-2.amazonaws.com/dev", "maple-street-vet", "CA0123456789abcdef0123456789abcdef"), nil, Sign(token, wss, nil), false},
		{"websocket handshake: ws instead of wss", token, "ws" + wss[3:], nil, Sign(token, wss, nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Validate(tt.token, tt.url, tt.params, tt.signature); got != tt.want {
				t.Errorf("Validate = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestSignedRequest(t *testing.T) {
	const token, u = "tok", "https://voice.example.test/twilio/voice"
	params := map[string]string{"CallSid": "CA1", "To": "+15035550142", "Digits": "1 2&3=4"}
	req, err := SignedRequest(context.Background(), token, u, params)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range form {
		got[k] = v[0]
	}
	if req.Method != "POST" || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("method %s, content type %q", req.Method, req.Header.Get("Content-Type"))
	}
	if !Validate(token, u, got, req.Header.Get(SignatureHeader)) {
		t.Errorf("the signed request does not validate")
	}
}
