package calendars

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
)

// Google is a booking.Store on a Google Calendar, reached with a service
// account (the calendar must be shared with the service account's email).
type Google struct{ store }

// NewGoogle returns the Google Calendar store of b, whose calendar.google
// must be set. Credentials are resolved at use.
func NewGoogle(b *business.Business, opts Options) *Google {
	return &Google{store{biz: b, p: &googleProvider{newAccount("google", b, b.Calendar.Google, opts)}}}
}

type googleProvider struct {
	account[business.GoogleCalendar]
}

func (g *googleProvider) calendarKey() string { return g.key(g.cfg.CalendarID) }

type googleCreds struct {
	email, key, calendarID string
}

func (g *googleProvider) creds(ctx context.Context) (googleCreds, error) {
	var c googleCreds
	err := g.resolve(ctx, []credField{
		{"serviceAccountEmail", &c.email, g.cfg.ServiceAccountEmail, true},
		{"privateKey", &c.key, g.cfg.PrivateKey, true},
		{"calendarId", &c.calendarID, g.cfg.CalendarID, true},
	})
	return c, err
}

// token returns a cached or new access token for c.
func (g *googleProvider) token(ctx context.Context, c googleCreds) (string, error) {
	return g.cachedToken([]string{c.email, c.key}, func() (string, time.Duration, error) {
		key, err := ParseRSAPrivateKey(c.key)
		if err != nil {
			return "", 0, fmt.Errorf("calendars: google privateKey: %w", err)
		}
		assertion, err := SignJWT(key, map[string]any{
			"iss":   c.email,
			"scope": GoogleScope,
			"aud":   GoogleTokenURL,
			"iat":   g.o.Now().Unix(),
			"exp":   g.o.Now().Add(time.Hour).Unix(),
		})
		if err != nil {
			return "", 0, err
		}
		form := url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion":  {assertion},
		}
		return fetchToken(ctx, g.o.HTTPClient, "google", g.o.GoogleTokenURL, form)
	})
}

// call sends a JSON request to the Calendar API with the access token.
func (g *googleProvider) call(ctx context.Context, c googleCreds, what, path string, in, out any) error {
	tok, err := g.token(ctx, c)
	if err != nil {
		return err
	}
	path = strings.ReplaceAll(path, "{calendarId}", url.PathEscape(c.calendarID))
	return g.send(ctx, tok, what, http.MethodPost, g.o.GoogleAPIBase+path, in, out, nil)
}

type freeBusyResponse struct {
	Calendars map[string]struct {
		Busy []struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		} `json:"busy"`
		Errors []struct {
			Domain string `json:"domain"`
			Reason string `json:"reason"`
		} `json:"errors"`
	} `json:"calendars"`
}

func (g *googleProvider) busy(ctx context.Context, start, end time.Time) ([]interval, error) {
	type item struct {
		ID string `json:"id"`
	}
	c, err := g.creds(ctx)
	if err != nil {
		return nil, err
	}
	in := map[string]any{
		"timeMin":  start.UTC().Format(time.RFC3339),
		"timeMax":  end.UTC().Format(time.RFC3339),
		"timeZone": "UTC",
		"items":    []item{{ID: c.calendarID}},
	}
	var out freeBusyResponse
	if err := g.call(ctx, c, "freeBusy", "/freeBusy", in, &out); err != nil {
		return nil, err
	}
	cal, ok := out.Calendars[c.calendarID]
	if !ok {
		return nil, fmt.Errorf("calendars: google freeBusy: calendar %q missing from the response", c.calendarID)
	}
	if len(cal.Errors) > 0 {
		return nil, fmt.Errorf("calendars: google freeBusy: calendar %q: %s/%s (is it shared with the service account?)",
			c.calendarID, cal.Errors[0].Domain, cal.Errors[0].Reason)
	}
	var busy []interval
	for _, b := range cal.Busy {
		busy = append(busy, interval{b.Start, b.End})
	}
	return busy, nil
}

func (g *googleProvider) insert(ctx context.Context, slot booking.Slot, summary, description string) error {
	loc := booking.Location(g.biz)
	type when struct {
		DateTime string `json:"dateTime"`
		TimeZone string `json:"timeZone"`
	}
	in := map[string]any{
		"summary":     summary,
		"description": description,
		"start":       when{slot.Start.In(loc).Format(time.RFC3339), loc.String()},
		"end":         when{slot.End.In(loc).Format(time.RFC3339), loc.String()},
	}
	c, err := g.creds(ctx)
	if err != nil {
		return err
	}
	return g.call(ctx, c, "insert event", "/calendars/{calendarId}/events", in, nil)
}

// ParseRSAPrivateKey parses a PEM RSA private key in PKCS#8 ("BEGIN PRIVATE
// KEY", as in a service-account JSON file) or PKCS#1 ("BEGIN RSA PRIVATE
// KEY") form. Literal "\n" sequences, as left by storing the key in an
// environment variable, are read as newlines.
func ParseRSAPrivateKey(s string) (*rsa.PrivateKey, error) {
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is %T, not RSA", k)
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("PEM block is neither a PKCS#8 nor a PKCS#1 RSA private key")
	}
	return k, nil
}

// SignJWT returns a compact RS256 JWT of claims signed with key.
func SignJWT(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("calendars: jwt claims: %w", err)
	}
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("calendars: signing jwt: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
