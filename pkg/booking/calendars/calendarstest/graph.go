package calendarstest

import (
	"net/http"
	"time"
)

// Graph fakes the Microsoft identity platform token endpoint (client
// credentials) and the Graph v1.0 calendarView and event-create calls, for
// /users/{user}/... and /users/{user}/calendars/{calendar}/.... Serve it and
// point the store's MicrosoftLoginBase at the server and GraphBase at
// GraphBase(server.URL).
type Graph struct {
	state
	Tenant, ClientID, ClientSecret string
}

// GraphPath is where the fake serves Graph.
const GraphPath = "/v1.0"

// graphLayout is Graph's dateTime layout.
const graphLayout = "2006-01-02T15:04:05.9999999"

func graphTime(v string) (time.Time, error) { return time.ParseInLocation(graphLayout, v, time.UTC) }

// GraphBase is the Graph base URL for a fake served at base.
func (*Graph) GraphBase(base string) string { return base + GraphPath }

// NewGraph returns a fake accepting the given app credentials.
func NewGraph(tenant, clientID, clientSecret string) *Graph {
	g := &Graph{state: newState(), Tenant: tenant, ClientID: clientID, ClientSecret: clientSecret}
	g.route(map[string]http.HandlerFunc{
		"POST /{tenant}/oauth2/v2.0/token":                                g.token,
		"GET " + GraphPath + "/users/{user}/calendarView":                 g.view,
		"GET " + GraphPath + "/users/{user}/calendars/{cal}/calendarView": g.view,
		"POST " + GraphPath + "/users/{user}/events":                      g.create,
		"POST " + GraphPath + "/users/{user}/calendars/{cal}/events":      g.create,
	})
	return g
}

// CalendarOf is the Event.Calendar of a user's default calendar ("") or a
// named one.
func CalendarOf(user, calendar string) string {
	if calendar == "" {
		return user
	}
	return user + "/" + calendar
}

func (g *Graph) token(w http.ResponseWriter, r *http.Request) {
	f, ok := g.tokenForm(w, r)
	if !ok {
		return
	}
	switch {
	case r.PathValue("tenant") != g.Tenant:
		g.problem(w, "token: tenant %q", r.PathValue("tenant"))
	case f.Get("grant_type") != "client_credentials":
		g.problem(w, "token: grant_type %q", f.Get("grant_type"))
	case f.Get("scope") != "https://graph.microsoft.com/.default":
		g.problem(w, "token: scope %q", f.Get("scope"))
	case f.Get("client_id") != g.ClientID || f.Get("client_secret") != g.ClientSecret:
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.",
		})
	default:
		writeJSON(w, http.StatusOK, g.issue())
	}
}

func (g *Graph) checkPrefer(w http.ResponseWriter, r *http.Request) bool {
	if p := r.Header.Get("Prefer"); p != `outlook.timezone="UTC"` {
		g.problem(w, "%s %s: Prefer %q, want outlook.timezone=\"UTC\"", r.Method, r.URL.Path, p)
		return false
	}
	return true
}

func (g *Graph) view(w http.ResponseWriter, r *http.Request) {
	if !g.authorize(w, r) || !g.checkPrefer(w, r) {
		return
	}
	q := r.URL.Query()
	start, end, ok := span(rfc3339, q.Get("startDateTime"), q.Get("endDateTime"))
	if !ok {
		g.problem(w, "calendarView: startDateTime %q endDateTime %q", q.Get("startDateTime"), q.Get("endDateTime"))
		return
	}
	cal := CalendarOf(r.PathValue("user"), r.PathValue("cal"))
	value := []map[string]any{}
	g.mu.Lock()
	events := append([]Event(nil), g.events...)
	g.mu.Unlock()
	for _, e := range events {
		if e.Calendar != cal || !e.Start.Before(end) || !e.End.After(start) {
			continue
		}
		show := "busy"
		if e.Free {
			show = "free"
		}
		value = append(value, map[string]any{
			"id":          e.ID,
			"subject":     e.Summary,
			"showAs":      show,
			"isCancelled": false,
			"start":       map[string]string{"dateTime": e.Start.UTC().Format(graphLayout), "timeZone": "UTC"},
			"end":         map[string]string{"dateTime": e.End.UTC().Format(graphLayout), "timeZone": "UTC"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": value})
}

func (g *Graph) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Subject string `json:"subject"`
		Body    struct {
			ContentType string `json:"contentType"`
			Content     string `json:"content"`
		} `json:"body"`
		Start  dateTimeZone `json:"start"`
		End    dateTimeZone `json:"end"`
		ShowAs string       `json:"showAs"`
	}
	if !g.readJSON(w, r, "create", &in) {
		return
	}
	if in.Start.TimeZone != "UTC" || in.End.TimeZone != "UTC" {
		g.problem(w, "create: timeZone %q/%q, want UTC", in.Start.TimeZone, in.End.TimeZone)
		return
	}
	start, end, ok := span(graphTime, in.Start.DateTime, in.End.DateTime)
	if !ok {
		g.problem(w, "create: start %q end %q", in.Start.DateTime, in.End.DateTime)
		return
	}
	if in.Subject == "" || (in.Body.ContentType != "text" && in.Body.ContentType != "html") {
		g.problem(w, "create: subject %q body.contentType %q", in.Subject, in.Body.ContentType)
		return
	}
	e, ok := g.add(Event{
		Calendar: CalendarOf(r.PathValue("user"), r.PathValue("cal")), Summary: in.Subject,
		Description: in.Body.Content, Start: start, End: end, TimeZone: "UTC", Free: in.ShowAs == "free",
	})
	if !ok {
		writeError(w, http.StatusConflict, "the time is already booked")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": e.ID, "subject": e.Summary})
}
