package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/webhost"
)

// The web routes of the local stack: the web client and widget.js (with the
// tenant picker, which only `ahca dev` turns on), the business list and the
// public business info they read (webhost.PublicInfo), and /demo/<id>, a sample business website
// with the widget's snippet.

// devWeb serves the web routes.
type devWeb struct {
	reg     *business.Registry
	dir     string // the web client (web/)
	base    string // http://<this listener>
	wsURL   string // the WebSocket endpoint pages connect to
	allowed func(*business.Business) []string
	log     *slog.Logger
}

// pickerMeta is the page's business-list setting, empty as shipped;
// `ahca dev` fills it in, which turns the tenant picker on.
const pickerMeta = `<meta name="ahca-businesses-url" content="">`

func (d *devWeb) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/businesses", d.list)
	// The deployed stack's business info, uncached so config edits show at once.
	mux.HandleFunc("GET /api/businesses/{id}", webhost.Info(d.reg, d.allowed, d.wsURL, "no-cache", d.log))
	mux.HandleFunc("GET /demo/{id}", d.demo)
	mux.HandleFunc("GET /{$}", d.index)
	mux.HandleFunc("GET /index.html", d.index)
	mux.Handle("/", d.files())
}

func (d *devWeb) list(w http.ResponseWriter, r *http.Request) {
	set, err := d.reg.Current(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	type entry struct {
		ID        tenant.ID `json:"businessId"`
		Name      string    `json:"businessName"`
		AgentName string    `json:"agentName"`
	}
	list := []entry{}
	for _, id := range set.IDs() {
		b, _ := set.Business(id)
		list = append(list, entry{b.ID, b.Name, b.Agent.Name})
	}
	writeJSON(w, http.StatusOK, list)
}

// index is the web client's page with the tenant picker turned on.
func (d *devWeb) index(w http.ResponseWriter, r *http.Request) {
	page, err := os.ReadFile(filepath.Join(d.dir, "index.html"))
	if err != nil {
		http.Error(w, "web client: "+err.Error(), http.StatusNotFound)
		return
	}
	if !bytes.Contains(page, []byte(pickerMeta)) {
		http.Error(w, "web client: index.html has no "+pickerMeta+" for the dev tenant picker", http.StatusInternalServerError)
		return
	}
	page = bytes.Replace(page, []byte(pickerMeta), []byte(`<meta name="ahca-businesses-url" content="/api/businesses">`), 1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(page)
}

// files serves the web client and widget.js, not the tests or node_modules.
// Any origin may load them: the widget imports its modules from the
// business's site, which needs CORS.
func (d *devWeb) files() http.Handler {
	files := http.FileServer(http.Dir(d.dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/test/") || strings.HasPrefix(p, "/node_modules/") || strings.HasPrefix(p, "/package") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// demoOrigin is the second local origin the demo page is opened on: the
// same listener under the other loopback name (127.0.0.1 ⇄ localhost), so
// the page and the widget are cross-origin as on a real business's site.
// Both names are among the local stack's trusted origins, in-process and
// with --lambdas.
func demoOrigin(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	host, port := u.Hostname(), u.Port()
	if host == "localhost" {
		host = "127.0.0.1"
	} else {
		host = "localhost"
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

var demoPage = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Name}} (demo site)</title>
<style nonce="{{.Nonce}}">
  body { margin: 0; font: 18px/1.6 Georgia, serif; color: #222; background: #fffdf7; }
  header, main { max-width: 760px; margin: 0 auto; padding: 24px; }
  header { border-bottom: 3px double #999; }
  /* Deliberately hostile to embedded UI: none of this reaches the widget. */
  button, div, span, p { letter-spacing: 0.2em; }
  button { background: hotpink !important; border: 4px dashed red !important; font-family: serif !important; }
  pre { overflow-x: auto; padding: 12px; background: #f3efe2; font-size: 14px; }
</style>
</head>
<body>
<header><h1>{{.Name}}</h1><p>A sample business website on {{.Origin}}, a different origin from the AHCA stack.</p></header>
<main>
<p>The chat button in the corner is the AHCA widget, added by this one line in the page:</p>
<pre>{{.Snippet}}</pre>
<p>This page's Content-Security-Policy allows scripts, styles and connections only from its own origin and {{.Base}}.</p>
<p><button type="button">A host page button</button></p>
</main>
{{.Tag}}
</body>
</html>
`))

// demo is a sample business website with the widget's snippet pasted in,
// under a strict CSP that allows only this page and the AHCA origin.
func (d *devWeb) demo(w http.ResponseWriter, r *http.Request) {
	b, status, msg := webhost.Lookup(r.Context(), d.log, d.reg, r.PathValue("id"))
	if b == nil {
		http.Error(w, msg, status)
		return
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	n := base64.StdEncoding.EncodeToString(nonce)
	snippet := b.WidgetSnippet(d.base)
	ws := strings.Replace(d.base, "http", "ws", 1)
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+d.base+"; style-src 'nonce-"+n+"' "+d.base+
		"; connect-src 'self' "+d.base+" "+ws+" "+d.wsURL+"; img-src 'self' data:; object-src 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	demoPage.Execute(w, map[string]any{
		"Name": b.Name, "Nonce": n, "Origin": "http://" + r.Host, "Base": d.base,
		"Snippet": snippet, "Tag": template.HTML(snippet), // the snippet as text and as the real tag
	})
}

// widgetSnippet is the line a business pastes into its site
// (Business.WidgetSnippet), for an id alone (the banner's "<id>").
func widgetSnippet(webOrigin string, id tenant.ID) string {
	return (&business.Business{ID: id}).WidgetSnippet(webOrigin)
}
