package twiliovoice

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/ahca/ahca/pkg/tenant"
)

// Query parameters of the ConversationRelay URL. ChannelParam=phone marks a
// phone handshake: ws-connect refuses one that is not signed by Twilio.
const (
	ParamBusinessID = "businessId"
	ParamCallSID    = "callSid"
	ParamChannel    = "channel"
	ChannelPhone    = "phone"
)

// RelayURL is the WebSocket URL a call's ConversationRelay connects to:
// wsBase (wss://{api}.execute-api.{region}.amazonaws.com/{stage}, or
// ws://127.0.0.1:8080/ws locally) with businessId, callSid and channel=phone
// as its query, keys sorted, every value escaped the same way, so that
// RebuildURL can produce the identical string from API Gateway's query map
// and ws-connect can check Twilio's signature over it.
func RelayURL(wsBase string, biz tenant.ID, callSID string) string {
	return RebuildURL(wsBase, map[string]string{
		ParamBusinessID: string(biz),
		ParamCallSID:    callSID,
		ParamChannel:    ChannelPhone,
	})
}

// RebuildURL joins base and query deterministically: keys sorted, keys and
// values percent-encoded as url.QueryEscape does except that a space is %20
// (a '+' could be decoded either way; %20 cannot). Given the decoded query
// map API Gateway hands $connect, it returns exactly the URL RelayURL built,
// which is the URL Twilio signed. Every parameter counts, so a handshake
// with a parameter Twilio did not sign fails validation.
func RebuildURL(base string, query map[string]string) string {
	if len(query) == 0 {
		return base
	}
	keys := slices.Sorted(maps.Keys(query))
	var b strings.Builder
	b.WriteString(base)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(escape(k))
		b.WriteByte('=')
		b.WriteString(escape(query[k]))
	}
	return b.String()
}

func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Handshake is what a verified phone handshake binds the connection to.
type Handshake struct {
	BusinessID tenant.ID
	CallSID    string
}

// ErrHandshake is returned (wrapped) for a phone handshake that is not
// Twilio's; ws-connect answers it with 403.
var ErrHandshake = errors.New("phone handshake refused")

// VerifyHandshake checks a ConversationRelay WebSocket handshake as
// $connect sees it: query is API Gateway's queryStringParameters (refuse
// the handshake first if multiValueQueryStringParameters repeats a key),
// signature the X-Twilio-Signature header, wsBase the configured WebSocket
// URL the TwiML used (never the Host header). The signature must be valid
// over RebuildURL(wsBase, query) with no parameters, the query must say
// channel=phone and carry a business id and a CallSid. It returns the
// business and call the connection belongs to; the caller must still
// check that call's session exists, is a phone session of that business
// and is active.
func VerifyHandshake(authToken, wsBase string, query map[string]string, signature string) (Handshake, error) {
	if signature == "" {
		return Handshake{}, fmt.Errorf("%w: missing %s", ErrHandshake, SignatureHeader)
	}
	if query[ParamChannel] != ChannelPhone {
		return Handshake{}, fmt.Errorf("%w: not a phone handshake (want %s=%s)", ErrHandshake, ParamChannel, ChannelPhone)
	}
	if !Validate(authToken, RebuildURL(wsBase, query), nil, signature) {
		return Handshake{}, fmt.Errorf("%w: invalid %s", ErrHandshake, SignatureHeader)
	}
	biz, err := tenant.ParseID(query[ParamBusinessID])
	if err != nil {
		return Handshake{}, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	sid := query[ParamCallSID]
	if sid == "" {
		return Handshake{}, fmt.Errorf("%w: missing %s", ErrHandshake, ParamCallSID)
	}
	return Handshake{BusinessID: biz, CallSID: sid}, nil
}
