// Package calendars implements booking.Store on external calendars: Google
// Calendar (service-account JWT, free/busy and event insert over its REST
// API) and Microsoft Graph (client credentials, calendarView and event
// create). [For] picks one by a business's calendar.provider.
//
// Both stores work the same way. Taken asks the calendar which intervals of
// the day are busy and reports every slot of the day (booking.DaySlots) that
// overlaps one. Book re-checks the slot's interval and inserts an event when
// it is free, or returns booking.ErrSlotTaken when it is not.
//
// Limitation: neither Google Calendar nor Microsoft Graph offers a
// conditional insert ("create this event only if the interval is free"), so
// unlike the builtin store's DynamoDB conditional write, the check and the
// insert are two requests and two processes can both see a slot free and
// both insert. Within one process a store serializes Book calls for the same
// calendar and slot, so concurrent callers served by one process cannot
// double book; across processes (several Lambda instances) it is a race
// window of one round trip. A calendar that rejects the insert with HTTP 409
// Conflict is reported as booking.ErrSlotTaken (the wire fakes in package
// calendarstest do this, acting as the source of truth).
//
// Credentials are secret.Value fields that may be references; they are
// resolved through [Options.Resolve] on every use (the resolver caches), so
// a rotated secret is picked up without a restart, and nothing is sent when
// one cannot be resolved. Access tokens are cached until shortly before
// they expire.
package calendars

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
)

// Default endpoints.
const (
	GoogleTokenURL     = "https://oauth2.googleapis.com/token"
	GoogleAPIBase      = "https://www.googleapis.com/calendar/v3"
	GoogleScope        = "https://www.googleapis.com/auth/calendar"
	MicrosoftLoginBase = "https://login.microsoftonline.com"
	GraphBase          = "https://graph.microsoft.com/v1.0"
	GraphScope         = "https://graph.microsoft.com/.default"
)

// ErrUnauthorized is wrapped by errors from a calendar or token endpoint
// that rejected the credentials or the access token (HTTP 401 or 403).
var ErrUnauthorized = errors.New("calendar rejected the credentials")

// Options configures the stores. The zero Options talks to the real
// endpoints with http.DefaultClient and accepts only literal credentials.
type Options struct {
	// Resolve turns a credential into its value. Nil resolves literals and
	// fails on references; production passes (*secret.Resolver).Resolve.
	Resolve func(ctx context.Context, v secret.Value) (string, error)
	// HTTPClient sends every request; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for token expiry and JWT times; nil means time.Now.
	Now func() time.Time

	// Endpoint overrides, for tests; empty means the defaults above. The
	// Google JWT's aud claim is always GoogleTokenURL, as Google requires.
	GoogleTokenURL     string
	GoogleAPIBase      string
	MicrosoftLoginBase string
	GraphBase          string
}

func (o Options) withDefaults() Options {
	if o.Resolve == nil {
		o.Resolve = literalOnly
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
		*s = strings.TrimRight(*s, "/")
	}
	def(&o.GoogleTokenURL, GoogleTokenURL)
	def(&o.GoogleAPIBase, GoogleAPIBase)
	def(&o.MicrosoftLoginBase, MicrosoftLoginBase)
	def(&o.GraphBase, GraphBase)
	return o
}

func literalOnly(_ context.Context, v secret.Value) (string, error) {
	if _, ok, err := secret.ParseRef(string(v)); err != nil {
		return "", err
	} else if ok {
		return "", fmt.Errorf("secret %s: no resolver configured", v.Kind())
	}
	return string(v), nil
}

// For returns the calendar-backed store for b's calendar.provider: google or
// microsoft. The builtin provider (or none) and a disabled calendar are not
// served here: the caller uses booking's builtin store, or takes no bookings.
func For(b *business.Business, opts Options) (booking.Store, error) {
	switch p := b.Calendar.Provider; p {
	case business.CalendarGoogle:
		if b.Calendar.Google == nil {
			return nil, fmt.Errorf("calendars: business %s: calendar.provider is google but calendar.google is missing", b.ID)
		}
		return NewGoogle(b, opts), nil
	case business.CalendarMicrosoft:
		if b.Calendar.Microsoft == nil {
			return nil, fmt.Errorf("calendars: business %s: calendar.provider is microsoft but calendar.microsoft is missing", b.ID)
		}
		return NewMicrosoft(b, opts), nil
	case business.CalendarBuiltin, "":
		return nil, fmt.Errorf("calendars: business %s uses the builtin calendar: use booking's builtin store (booking.NewDynamoStore)", b.ID)
	case business.CalendarDisabled:
		return nil, fmt.Errorf("calendars: business %s has its calendar disabled: it takes no bookings", b.ID)
	default:
		return nil, fmt.Errorf("calendars: business %s: unknown calendar provider %q", b.ID, p)
	}
}

// interval is a busy period [start, end).
type interval struct{ start, end time.Time }

func overlaps(busy []interval, start, end time.Time) bool {
	for _, iv := range busy {
		if iv.start.Before(end) && iv.end.After(start) {
			return true
		}
	}
	return false
}

// provider is what differs between the calendars.
type provider interface {
	name() string
	busy(ctx context.Context, start, end time.Time) ([]interval, error)
	insert(ctx context.Context, slot booking.Slot, summary, description string) error
	// calendarKey identifies the calendar for the in-process booking lock.
	calendarKey() string
}

// store implements booking.Store over a provider for one business.
type store struct {
	biz *business.Business
	p   provider
}

func (s *store) check(biz tenant.ID) error {
	if biz != s.biz.ID {
		return fmt.Errorf("calendars: %s store of business %s asked about business %q", s.p.name(), s.biz.ID, biz)
	}
	return nil
}

// Taken implements booking.Store: the starts (UTC) of day's slots that
// overlap a busy interval of the calendar.
func (s *store) Taken(ctx context.Context, biz tenant.ID, day time.Time) (map[time.Time]bool, error) {
	if err := s.check(biz); err != nil {
		return nil, err
	}
	slots := booking.DaySlots(s.biz, day)
	out := map[time.Time]bool{}
	if len(slots) == 0 {
		return out, nil
	}
	busy, err := s.p.busy(ctx, slots[0].Start, slots[len(slots)-1].End)
	if err != nil {
		return nil, err
	}
	for _, sl := range slots {
		if overlaps(busy, sl.Start, sl.End) {
			out[sl.Start.UTC()] = true
		}
	}
	return out, nil
}

// slotLocks serializes Book per calendar and slot within this process.
var slotLocks = keyLocks{m: map[string]*keyLock{}}

// keyLocks is a set of mutexes by key, each dropped when unused.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu sync.Mutex
	n  int // holders and waiters
}

// lock locks key and returns its unlock.
func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.n++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.n--; l.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// Book implements booking.Store: re-check the slot, then insert an event.
// See the package documentation for why this is not atomic across
// processes.
func (s *store) Book(ctx context.Context, biz tenant.ID, slot booking.Slot, b booking.Booking) error {
	if err := s.check(biz); err != nil {
		return err
	}
	if !slot.End.After(slot.Start) {
		return fmt.Errorf("calendars: empty slot %s", slot.Start)
	}
	key := s.p.calendarKey() + "|" + slot.Start.UTC().Format(time.RFC3339) + "|" + slot.End.UTC().Format(time.RFC3339)
	defer slotLocks.lock(key)()

	busy, err := s.p.busy(ctx, slot.Start, slot.End)
	if err != nil {
		return err
	}
	if overlaps(busy, slot.Start, slot.End) {
		return booking.ErrSlotTaken
	}
	summary, description := describe(s.biz, b)
	return s.p.insert(ctx, slot, summary, description)
}

// describe is the event's title and text.
func describe(biz *business.Business, b booking.Booking) (summary, description string) {
	who := b.Name
	if who == "" {
		who = "caller"
	}
	summary = "Appointment: " + who
	if b.Service != "" {
		summary += " (" + b.Service + ")"
	}
	var lines []string
	add := func(k, v string) {
		if v != "" {
			lines = append(lines, k+": "+v)
		}
	}
	add("Name", b.Name)
	add("Phone", b.Phone)
	add("Email", b.Email)
	add("Service", b.Service)
	add("Session", b.SessionID)
	lines = append(lines, "Booked by the "+biz.Name+" AI receptionist.")
	return summary, strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------
// HTTP helpers

// token is a cached access token.
type token struct {
	key     string // fingerprint of the credentials it was issued for
	value   string
	expires time.Time
}

// tokenCache holds one token; fetches are serialized so concurrent callers
// share one token request.
type tokenCache struct {
	mu  sync.Mutex
	tok token
}

func (c *tokenCache) get(now time.Time, key string, fetch func() (string, time.Duration, error)) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.value != "" && c.tok.key == key && now.Before(c.tok.expires) {
		return c.tok.value, nil
	}
	v, ttl, err := fetch()
	if err != nil {
		return "", err
	}
	// Refresh a minute early so a token never expires in flight.
	if ttl > 2*time.Minute {
		ttl -= time.Minute
	}
	c.tok = token{key: key, value: v, expires: now.Add(ttl)}
	return v, nil
}

// drop forgets a token the API rejected.
func (c *tokenCache) drop(value string) {
	c.mu.Lock()
	if c.tok.value == value {
		c.tok = token{}
	}
	c.mu.Unlock()
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

// fetchToken posts an OAuth 2.0 token request (form) and returns the access
// token and how long it lives (an hour when the server does not say).
func fetchToken(ctx context.Context, client *http.Client, provider, tokenURL string, form url.Values) (string, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("calendars: %s token: %w", provider, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tr tokenResponse
	if err := do(client, req, provider+" token", &tr); err != nil {
		return "", 0, err
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("calendars: %s token: response has no access_token", provider)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour
	}
	return tr.AccessToken, ttl, nil
}

// do sends req and decodes a 2xx JSON answer into out (nil: discard). what
// names the call in errors.
func do(client *http.Client, req *http.Request, what string, out any) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("calendars: %s: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("calendars: %s: reading response: %w", what, err)
	}
	if resp.StatusCode/100 != 2 {
		return statusError(what, resp.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("calendars: %s: decoding response: %w", what, err)
	}
	return nil
}

func statusError(what string, code int, body []byte) error {
	msg := apiMessage(body)
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("calendars: %s: HTTP %d %s: %w (check the calendar credentials and the account's access to the calendar)%s",
			what, code, http.StatusText(code), ErrUnauthorized, msg)
	case http.StatusConflict:
		return fmt.Errorf("calendars: %s: HTTP 409 Conflict: %w%s", what, booking.ErrSlotTaken, msg)
	}
	return fmt.Errorf("calendars: %s: HTTP %d %s%s", what, code, http.StatusText(code), msg)
}

// apiMessage extracts the error text of a Google, Graph or OAuth error body.
func apiMessage(body []byte) string {
	var e struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.ErrorDescription != "" {
			return ": " + firstLine(e.ErrorDescription)
		}
		var obj struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		}
		if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
			return ": " + firstLine(obj.Message)
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return ": " + s
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 {
		return ": " + firstLine(s)
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// resolveField resolves one credential, naming it in errors. An empty
// optional field resolves to "".
func resolveField(ctx context.Context, resolve func(context.Context, secret.Value) (string, error), provider, field string, v secret.Value, required bool) (string, error) {
	if v == "" {
		if required {
			return "", fmt.Errorf("calendars: %s %s is not configured", provider, field)
		}
		return "", nil
	}
	s, err := resolve(ctx, v)
	if err != nil {
		return "", fmt.Errorf("calendars: %s %s: %w", provider, field, err)
	}
	if s == "" && required {
		return "", fmt.Errorf("calendars: %s %s resolved to an empty value", provider, field)
	}
	return s, nil
}
