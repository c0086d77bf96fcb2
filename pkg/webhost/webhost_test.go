package webhost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/webhost"
	"github.com/ahca/ahca/web"
)

const wsURL = "wss://abc123.execute-api.us-west-2.amazonaws.com/prod"

// configs serves a business.Set as the registry does.
type configs struct{ s *business.Set }

func (c configs) Business(_ context.Context, id tenant.ID) (*business.Business, error) {
	return c.s.Business(id)
}

func newHandler(t *testing.T) *webhost.Handler {
	t.Helper()
	set := configs{businesstest.Set(t)}
	h, err := webhost.New(web.Files, set, func(b *business.Business) []string { return b.PageOrigins([]string{"https://chat.example"}) }, wsURL, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The shipped web files as the stack serves them: the page with the
// stage's WebSocket endpoint and a CSP, widget.js and its modules loadable
// from any origin, everything cacheable with a validator, and nothing that
// is not the client (tests, node packages, the README).
func TestServesTheWebClient(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		path, wantType string
		status         int
	}{
		{"/", "text/html", 200},
		{"/index.html", "text/html", 200},
		{"/widget.js", "javascript", 200},
		{"/js/embed.js", "javascript", 200},
		{"/js/chat.js", "javascript", 200},
		{"/css/widget.css", "text/css", 200},
		{"/test/widget.test.mjs", "", 404},
		{"/package.json", "", 404},
		{"/README.md", "", 404},
		{"/assets.go", "", 404},
		{"/node_modules/playwright-core/package.json", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := get(h, tt.path, nil)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %s", ct, tt.wantType)
			}
			etag := w.Header().Get("ETag")
			if etag == "" || w.Header().Get("Cache-Control") != "public, max-age=300" || w.Header().Get("X-AHCA-Assets") != h.Version() {
				t.Errorf("caching headers %v", w.Header())
			}
			if again := get(h, tt.path, map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("revalidation: %d with %d bytes, want 304 and none", again.Code, again.Body.Len())
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
		})
	}
	page := get(h, "/", nil)
	if body := page.Body.String(); !strings.Contains(body, `<meta name="ahca-ws-url" content="`+wsURL+`">`) ||
		!strings.Contains(body, `<meta name="ahca-businesses-url" content="">`) {
		t.Errorf("the page lacks the stage's endpoint, or turns the tenant picker on")
	}
	csp := page.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' wss://abc123.execute-api.us-west-2.amazonaws.com;") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if get(h, "/js/embed.js", nil).Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("the widget's modules are not loadable from a business's site")
	}
}

func TestBusinessInfo(t *testing.T) {
	h := newHandler(t)
	w := get(h, "/api/businesses/superior-fencing", nil)
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
	var info webhost.PublicInfo
	if err := json.Unmarshal(w.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.ID != "superior-fencing" || info.AgentName == "" || info.WSURL != wsURL || info.Widget.LauncherText == "" {
		t.Errorf("info = %+v", info)
	}
	// superior-fencing lists its own site: the stack's page comes first.
	if len(info.AllowedOrigins) < 2 || info.AllowedOrigins[0] != "https://chat.example" {
		t.Errorf("allowed origins %v: want the stack's own page, then the business's sites", info.AllowedOrigins)
	}
	for path, status := range map[string]int{"/api/businesses/no-such-business": 404, "/api/businesses/Bad%23Id": 400} {
		if w := get(h, path, nil); w.Code != status || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s, want %d with an error", path, w.Code, w.Body.String(), status)
		}
	}
}

type brokenConfigs struct{}

func (brokenConfigs) Business(context.Context, tenant.ID) (*business.Business, error) {
	return nil, errors.New("s3: GetObject: AccessDenied")
}

// Configs that cannot be read: 503 to the visitor, the cause in the log
// only.
func TestBusinessInfoUnavailable(t *testing.T) {
	var logs bytes.Buffer
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(context.Background(), "GET", "/api/businesses/acme", nil)
	r.SetPathValue("id", "acme")
	webhost.Info(brokenConfigs{}, nil, wsURL, "no-cache", tenant.NewJSONLogger(&logs, slog.LevelInfo)).ServeHTTP(w, r)
	if w.Code != 503 || strings.Contains(w.Body.String(), "AccessDenied") {
		t.Errorf("%d %s; want 503 without the cause", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "business configs unavailable") || !strings.Contains(logs.String(), "AccessDenied") || !strings.Contains(logs.String(), "acme") {
		t.Errorf("log %q; want the cause and the business", logs.String())
	}
}

func TestNewRefuses(t *testing.T) {
	set := configs{businesstest.Set(t)}
	noMeta := fstest.MapFS{"index.html": {Data: []byte("<html></html>")}, "widget.js": {Data: []byte("//")}}
	tests := []struct {
		name  string
		files fs.FS
		ws    string
	}{
		{"an https endpoint", web.Files, "https://abc.example/prod"},
		{"a page without the endpoint's meta", noMeta, wsURL},
		{"no widget.js", fstest.MapFS{"index.html": {Data: []byte(`<meta name="ahca-ws-url" content="">`)}}, wsURL},
	}
	for _, tt := range tests {
		if _, err := webhost.New(tt.files, set, nil, tt.ws, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
