// Package calendarstest provides wire-level fakes of the Google Calendar and
// Microsoft Graph APIs (http.Handlers, usually served with httptest) that
// check each request is well formed the way the real services would,
// including OAuth token requests, and keep events in memory so free/busy
// answers reflect inserted events.
//
// A malformed request gets HTTP 400 and is recorded; tests assert
// Problems() is empty. An insert overlapping an existing event is rejected
// with HTTP 409, so the fake is the source of truth in race tests: real
// calendars accept overlapping events, which is why the calendar-backed
// stores cannot guarantee a slot is booked only once across processes.
package calendarstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Event is an event kept by a fake.
type Event struct {
	ID          string
	Calendar    string // Google calendar id, or Graph "user" or "user/calendar"
	Summary     string
	Description string
	Start, End  time.Time
	TimeZone    string // as sent with the start
	// Free marks an event that does not block time (Graph showAs=free,
	// Google transparency=transparent).
	Free bool
}

// state is what both fakes share: events, issued tokens, counters,
// problems, and the routing (route, ServeHTTP).
type state struct {
	mux        *http.ServeMux
	mu         sync.Mutex
	events     []Event
	tokens     map[string]time.Time // token → expiry
	tokenCalls int
	apiCalls   int
	problems   []string
	forceAPI   int // status every API call gets, 0 = normal
	nextID     int
	now        func() time.Time
}

func newState() state {
	return state{tokens: map[string]time.Time{}, now: time.Now}
}

// route serves routes (ServeMux patterns); any other request is recorded
// as a problem.
func (s *state) route(routes map[string]http.HandlerFunc) {
	s.mux = http.NewServeMux()
	for pattern, h := range routes {
		s.mux.HandleFunc(pattern, h)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, "unexpected request %s %s", r.Method, r.URL.Path)
	})
}

// tokenForm is a token request's form, which must be url-encoded; false
// when it is not (a problem, answered).
func (s *state) tokenForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.problem(w, "token: content type %q", ct)
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		s.problem(w, "token: form: %v", err)
		return nil, false
	}
	return r.PostForm, true
}

// ServeHTTP implements http.Handler.
func (s *state) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// problem records a malformed request and answers 400.
func (s *state) problem(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.problems = append(s.problems, msg)
	s.mu.Unlock()
	writeError(w, http.StatusBadRequest, msg)
}

// readJSON authorizes an API call and decodes its JSON body into in; false
// means it has answered. what names the call.
func (s *state) readJSON(w http.ResponseWriter, r *http.Request, what string, in any) bool {
	if !s.authorize(w, r) {
		return false
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.problem(w, "%s: content type %q", what, ct)
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(in); err != nil {
		s.problem(w, "%s: body: %v", what, err)
		return false
	}
	return true
}

// dateTimeZone is a start or end as both APIs send it.
type dateTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// span parses a request's start and end with parse: ok when both parse and
// end is after start.
func span(parse func(string) (time.Time, error), start, end string) (s, e time.Time, ok bool) {
	s, err1 := parse(start)
	e, err2 := parse(end)
	return s, e, err1 == nil && err2 == nil && e.After(s)
}

func rfc3339(v string) (time.Time, error) { return time.Parse(time.RFC3339, v) }

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *state) issue() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	tok := fmt.Sprintf("test-token-%d", s.tokenCalls)
	s.tokens[tok] = s.now().Add(time.Hour)
	return map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600}
}

// authorize checks the bearer token of an API call; false means it has
// answered.
func (s *state) authorize(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	s.apiCalls++
	force := s.forceAPI
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := s.tokens[tok]
	now := s.now()
	s.mu.Unlock()
	if force != 0 {
		writeError(w, force, http.StatusText(force))
		return false
	}
	if !ok || tok == "" {
		s.problem(w, "%s %s: no bearer token", r.Method, r.URL.Path)
		return false
	}
	if !known || !now.Before(exp) {
		writeError(w, http.StatusUnauthorized, "invalid or expired access token")
		return false
	}
	return true
}

// busy returns the busy intervals of cal overlapping [start, end).
func (s *state) busy(cal string, start, end time.Time) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.Calendar == cal && !e.Free && e.Start.Before(end) && e.End.After(start) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Event) int { return a.Start.Compare(b.Start) })
	return out
}

// add stores e unless it overlaps a busy event of its calendar.
func (s *state) add(e Event) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.events {
		if x.Calendar == e.Calendar && !x.Free && !e.Free && x.Start.Before(e.End) && x.End.After(e.Start) {
			return Event{}, false
		}
	}
	return s.keep(e), true
}

// keep stores e with a new ID; s.mu is held.
func (s *state) keep(e Event) Event {
	s.nextID++
	e.ID = fmt.Sprintf("evt%d", s.nextID)
	s.events = append(s.events, e)
	return e
}

// Events returns the events kept, in insertion order.
func (s *state) Events() []Event { return locked(s, func() []Event { return slices.Clone(s.events) }) }

// AddEvent stores an event as if created elsewhere (ID assigned).
func (s *state) AddEvent(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep(e)
}

// TokenCalls is how many tokens were issued.
func (s *state) TokenCalls() int { return locked(s, func() int { return s.tokenCalls }) }

// APICalls is how many calendar API calls (not token calls) were received.
func (s *state) APICalls() int { return locked(s, func() int { return s.apiCalls }) }

// Problems lists the malformed requests received.
func (s *state) Problems() []string {
	return locked(s, func() []string { return slices.Clone(s.problems) })
}

// locked returns read() run under s.mu.
func locked[T any](s *state, read func() T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return read()
}

// FailAPI makes every later API call answer status (0 restores normal
// service); token calls are unaffected.
func (s *state) FailAPI(status int) {
	s.mu.Lock()
	s.forceAPI = status
	s.mu.Unlock()
}

// RevokeTokens invalidates every issued token, as if they had expired.
func (s *state) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}
