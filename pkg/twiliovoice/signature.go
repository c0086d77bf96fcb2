package twiliovoice

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header Twilio signs every webhook and WebSocket
// handshake with.
const SignatureHeader = "X-Twilio-Signature"

// Validate reports whether signature is Twilio's signature of a request to
// url with the given POST parameters (empty for a WebSocket handshake),
// made with authToken. It uses twilio-go's RequestValidator, which compares
// in constant time and also accepts the URL with its default port added or
// removed, as Twilio's own signers differ there. url must be the exact URL
// Twilio requested, built from configuration, never from request headers.
// An empty token or signature never validates: an HMAC keyed with "" is one
// anybody can compute.
func Validate(authToken, url string, params map[string]string, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	if params == nil {
		params = map[string]string{}
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(url, params, signature)
}

// Sign computes the signature Twilio sends in X-Twilio-Signature: the
// base64 HMAC-SHA1, keyed with the auth token, of url followed by each
// parameter's name and value, sorted by name. It is our own signer, for
// tests and the call simulator; production code only validates.
func Sign(authToken, url string, params map[string]string) string {
	keys := slices.Sorted(maps.Keys(params))
	var b strings.Builder
	b.WriteString(url)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds the POST Twilio would send to url with params as its
// form body, signed with authToken: for tests and the call simulator.
func SignedRequest(ctx context.Context, authToken, url string, params map[string]string) (*http.Request, error) {
	form := neturl.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(SignatureHeader, Sign(authToken, url, params))
	return req, nil
}
