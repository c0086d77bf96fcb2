package calendarstest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Google fakes the OAuth token endpoint and the Calendar v3 freeBusy and
// events.insert calls. Serve it and point the store at
// TokenURL(server.URL) and APIBase(server.URL).
type Google struct {
	state
	// Email is the service account the assertion must be issued by.
	Email string
	// Key verifies the assertion's RS256 signature.
	Key *rsa.PublicKey
}

// GoogleTokenPath and GoogleAPIPath are where the fake serves.
const (
	GoogleTokenPath = "/token"
	GoogleAPIPath   = "/calendar/v3"
)

// TokenURL and APIBase are the endpoint overrides for a fake served at base.
func (*Google) TokenURL(base string) string { return base + GoogleTokenPath }

// APIBase is the Calendar API base for a fake served at base.
func (*Google) APIBase(base string) string { return base + GoogleAPIPath }

// NewGoogle returns a fake accepting assertions from email signed by the
// private key of pub.
func NewGoogle(email string, pub *rsa.PublicKey) *Google {
	g := &Google{state: newState(), Email: email, Key: pub}
	g.route(map[string]http.HandlerFunc{
		"POST " + GoogleTokenPath:                          g.token,
		"POST " + GoogleAPIPath + "/freeBusy":              g.freeBusy,
		"POST " + GoogleAPIPath + "/calendars/{id}/events": g.insert,
	})
	return g
}

func (g *Google) token(w http.ResponseWriter, r *http.Request) {
	f, ok := g.tokenForm(w, r)
	if !ok {
		return
	}
	if gt := f.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		g.problem(w, "token: grant_type %q", gt)
		return
	}
	if err := g.verify(f.Get("assertion")); err != nil {
		g.problem(w, "token: assertion: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, g.issue())
}

// verify checks the JWT's header, RS256 signature and claims.
func (g *Google) verify(jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%d parts, want 3", len(parts))
	}
	dec := base64.RawURLEncoding
	var header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodePart(parts[0], &header); err != nil {
		return fmt.Errorf("header: %v", err)
	}
	if header.Alg != "RS256" || header.Typ != "JWT" {
		return fmt.Errorf("header alg=%q typ=%q", header.Alg, header.Typ)
	}
	sig, err := dec.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature encoding: %v", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(g.Key, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("signature: %v", err)
	}
	var c struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
	}
	if err := decodePart(parts[1], &c); err != nil {
		return fmt.Errorf("claims: %v", err)
	}
	now := g.now().Unix()
	switch {
	case c.Iss != g.Email:
		return fmt.Errorf("iss %q, want %q", c.Iss, g.Email)
	case c.Scope != "https://www.googleapis.com/auth/calendar":
		return fmt.Errorf("scope %q", c.Scope)
	case c.Aud != "https://oauth2.googleapis.com/token":
		return fmt.Errorf("aud %q", c.Aud)
	case c.Iat > now+60 || c.Iat < now-300:
		return fmt.Errorf("iat %d not near now %d", c.Iat, now)
	case c.Exp <= c.Iat || c.Exp-c.Iat > 3600:
		return fmt.Errorf("exp %d: must be after iat %d and at most an hour later", c.Exp, c.Iat)
	}
	return nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (g *Google) freeBusy(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TimeMin  string `json:"timeMin"`
		TimeMax  string `json:"timeMax"`
		TimeZone string `json:"timeZone"`
		Items    []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if !g.readJSON(w, r, "freeBusy", &in) {
		return
	}
	start, end, ok := span(rfc3339, in.TimeMin, in.TimeMax)
	if !ok {
		g.problem(w, "freeBusy: timeMin %q timeMax %q", in.TimeMin, in.TimeMax)
		return
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil {
			g.problem(w, "freeBusy: timeZone %q", in.TimeZone)
			return
		}
	}
	if len(in.Items) == 0 {
		g.problem(w, "freeBusy: no items")
		return
	}
	cals := map[string]any{}
	for _, it := range in.Items {
		busy := []map[string]string{}
		for _, e := range g.busy(it.ID, start, end) {
			busy = append(busy, map[string]string{
				"start": e.Start.UTC().Format(time.RFC3339),
				"end":   e.End.UTC().Format(time.RFC3339),
			})
		}
		cals[it.ID] = map[string]any{"busy": busy}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "calendar#freeBusy", "timeMin": in.TimeMin, "timeMax": in.TimeMax, "calendars": cals,
	})
}

func (g *Google) insert(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Summary      string       `json:"summary"`
		Description  string       `json:"description"`
		Start        dateTimeZone `json:"start"`
		End          dateTimeZone `json:"end"`
		Transparency string       `json:"transparency"`
	}
	if !g.readJSON(w, r, "insert", &in) {
		return
	}
	start, end, ok := span(rfc3339, in.Start.DateTime, in.End.DateTime)
	if !ok {
		g.problem(w, "insert: start %q end %q", in.Start.DateTime, in.End.DateTime)
		return
	}
	for _, tz := range []string{in.Start.TimeZone, in.End.TimeZone} {
		if _, err := time.LoadLocation(tz); tz == "" || err != nil {
			g.problem(w, "insert: timeZone %q", tz)
			return
		}
	}
	if in.Summary == "" {
		g.problem(w, "insert: no summary")
		return
	}
	e, ok := g.add(Event{
		Calendar: r.PathValue("id"), Summary: in.Summary, Description: in.Description,
		Start: start, End: end, TimeZone: in.Start.TimeZone, Free: in.Transparency == "transparent",
	})
	if !ok {
		writeError(w, http.StatusConflict, "the time is already booked")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "calendar#event", "id": e.ID, "status": "confirmed", "summary": e.Summary,
		"start": in.Start, "end": in.End,
	})
}
