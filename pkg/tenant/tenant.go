// Package tenant holds what every part of AHCA needs to know about the
// business (tenant) a piece of work belongs to: its identifier, how that
// identifier travels in a context, and a log handler that stamps it on every
// record so no log line is ever ambiguous about whose data it concerns.
package tenant

import (
	"context"
	"fmt"
)

// ID identifies a business. It is a distinct type so that a business id
// cannot be passed where a session id, phone number or any other string is
// expected (and vice versa) without an explicit, reviewable conversion.
type ID string

// validID reports whether s has the shape of a business id: lower-case letters, digits and
// inner dashes, as used for directory names and DynamoDB key segments. It
// excludes '#', '/', and whitespace, so an id can never break out of a key
// such as "BIZ#<id>#SESSION#..." or a path such as "businesses/<id>/".
// It accepts exactly the language of the regexp
// `^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`, checked by hand so that no
// regexp is compiled at init.
func validID(s string) bool {
	if len(s) < 1 || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ParseID validates s as a business id.
func ParseID(s string) (ID, error) {
	if !validID(s) {
		return "", fmt.Errorf("invalid business id %q: want 1-64 lower-case letters, digits or inner dashes", s)
	}
	return ID(s), nil
}

// String returns the id as a plain string.
func (id ID) String() string { return string(id) }

type ctxKey int

const (
	businessKey ctxKey = iota
	connectionKey
	callSIDKey
)

// WithBusiness returns a context that carries the business id.
func WithBusiness(ctx context.Context, id ID) context.Context {
	return context.WithValue(ctx, businessKey, id)
}

// FromContext returns the business id carried by ctx, if any.
func FromContext(ctx context.Context) (ID, bool) {
	id, ok := ctx.Value(businessKey).(ID)
	return id, ok && id != ""
}

// WithConnection returns a context that carries a WebSocket connection id.
func WithConnection(ctx context.Context, connectionID string) context.Context {
	return context.WithValue(ctx, connectionKey, connectionID)
}

// ConnectionFromContext returns the WebSocket connection id carried by ctx.
func ConnectionFromContext(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(connectionKey).(string)
	return s, ok && s != ""
}

// WithCallSID returns a context that carries a Twilio CallSid.
func WithCallSID(ctx context.Context, callSID string) context.Context {
	return context.WithValue(ctx, callSIDKey, callSID)
}

// CallSIDFromContext returns the Twilio CallSid carried by ctx.
func CallSIDFromContext(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(callSIDKey).(string)
	return s, ok && s != ""
}
