// Package webhost serves the web client and the embeddable widget from the
// stack itself (the web-assets function behind its own HTTP API): the
// standalone page for one business per link, widget.js and the modules it
// imports, and each business's public info (GET /api/businesses/{id}), the
// settings the page and the widget need before a conversation.
//
// Caching: every file carries a strong ETag (a hash of its content) and
// Cache-Control: public, max-age=300, so browsers and any CDN revalidate
// within five minutes of a deploy and otherwise answer from cache; a
// revalidation is a 304 without a body. X-AHCA-Assets names the build of the
// whole set. The page carries a Content-Security-Policy allowing its own
// origin and the stage's WebSocket API; the widget's files are loadable from
// any origin (the widget imports its modules from the business's site),
// which a host page's CSP must allow (docs/operations.md#web-chat-and-widget).
package webhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/tenant"
)

// Businesses resolves a business id (business.Registry).
type Businesses interface {
	Business(ctx context.Context, id tenant.ID) (*business.Business, error)
}

// PublicInfo is what the standalone page and the widget may know about a
// business before a conversation, parsed by parseBusinessInfo in
// web/js/config.js. It holds nothing a visitor of the business's site
// could not see.
type PublicInfo struct {
	ID             tenant.ID `json:"businessId"`
	Name           string    `json:"businessName"`
	AgentName      string    `json:"agentName"`
	TimeZone       string    `json:"timeZone"`
	RequiredFields []string  `json:"requiredFields"`
	// AllowedOrigins are the page origins the WebSocket admits for this
	// business; empty means any.
	AllowedOrigins []string        `json:"allowedOrigins"`
	Widget         business.Widget `json:"widget"`
	WSURL          string          `json:"wsUrl,omitempty"`
}

// NewPublicInfo is b's public info, with the origins its chats are allowed
// from and the WebSocket endpoint pages connect to.
func NewPublicInfo(b *business.Business, allowed []string, wsURL string) PublicInfo {
	if allowed == nil {
		allowed = []string{}
	}
	return PublicInfo{ID: b.ID, Name: b.Name, AgentName: b.Agent.Name, TimeZone: b.Timezone,
		RequiredFields: b.Intake.Required, AllowedOrigins: allowed, Widget: b.Web.Widget, WSURL: wsURL}
}

// Handler serves the web assets and the public business info.
type Handler struct {
	files   map[string]asset // by path without the leading slash
	version string
	csp     string // the page's Content-Security-Policy
	mux     *http.ServeMux
}

type asset struct {
	body        []byte
	etag        string
	contentType string
}

// served are the files of the web client a browser needs; its tests,
// README and node packages are not served.
func served(p string) bool {
	switch {
	case p == "index.html", p == "widget.js", p == "icon.svg":
		return true
	case strings.HasPrefix(p, "js/") && strings.HasSuffix(p, ".js"):
		return true
	case strings.HasPrefix(p, "css/") && strings.HasSuffix(p, ".css"):
		return true
	}
	return false
}

// wsMeta is the page's WebSocket setting, empty as shipped.
const wsMeta = `<meta name="ahca-ws-url" content="">`

// New builds the handler from the web client's files (web.Files), filling
// wsURL (the stage's wss:// URL) into the page. allowed gives a business's
// allowed page origins (wsapi.Handlers.AllowedOrigins).
func New(files fs.FS, biz Businesses, allowed func(*business.Business) []string, wsURL string, log *slog.Logger) (*Handler, error) {
	u, err := url.Parse(wsURL)
	if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
		return nil, fmt.Errorf("webhost: WebSocket URL %q: want wss://host/stage", wsURL)
	}
	h := &Handler{files: map[string]asset{}}
	all := sha256.New()
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !served(p) {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		if p == "index.html" {
			if !bytes.Contains(body, []byte(wsMeta)) {
				return fmt.Errorf("index.html has no %s to fill in", wsMeta)
			}
			body = bytes.Replace(body, []byte(wsMeta), fmt.Appendf(nil, `<meta name="ahca-ws-url" content="%s">`, wsURL), 1)
		}
		sum := sha256.Sum256(body)
		all.Write(sum[:])
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(body)
		}
		h.files[p] = asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: ct}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhost: %w", err)
	}
	for _, p := range []string{"index.html", "widget.js"} {
		if _, ok := h.files[p]; !ok {
			return nil, fmt.Errorf("webhost: the web files have no %s", p)
		}
	}
	h.version = hex.EncodeToString(all.Sum(nil)[:8])
	wsOrigin := u.Scheme + "://" + u.Host
	h.csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' " + wsOrigin +
		"; media-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /api/businesses/{id}", Info(biz, allowed, wsURL, "public, max-age=60", log))
	h.mux.HandleFunc("GET /{$}", h.file("index.html"))
	h.mux.HandleFunc("GET /{path...}", h.static)
	return h, nil
}

// Version names the build of the whole set of files.
func (h *Handler) Version() string { return h.version }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	h.file(r.PathValue("path"))(w, r)
}

// file serves one asset with its validators.
func (h *Handler) file(p string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.files[p]
		if !ok {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		hd := w.Header()
		hd.Set("ETag", a.etag)
		hd.Set("Cache-Control", "public, max-age=300")
		hd.Set("X-AHCA-Assets", h.version)
		if p == "index.html" {
			hd.Set("Content-Security-Policy", h.csp)
		} else {
			// The widget imports its modules from the business's site.
			hd.Set("Access-Control-Allow-Origin", "*")
		}
		if strings.Contains(r.Header.Get("If-None-Match"), a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		hd.Set("Content-Type", a.contentType)
		w.Write(a.body)
	}
}

// Info serves GET /api/businesses/{id}: the business's PublicInfo, to any
// origin (Access-Control-Allow-Origin: *), since the widget reads it from
// the business's own site and it holds nothing a visitor of that site could
// not see. cacheControl says how long it may be kept (the stack: a minute,
// so a config push shows within one; `ahca dev`: no-cache). allowed may be
// nil (any origin).
func Info(biz Businesses, allowed func(*business.Business) []string, wsURL, cacheControl string, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", cacheControl)
		b, status, msg := Lookup(r.Context(), log, biz, r.PathValue("id"))
		if b == nil {
			writeError(w, status, msg)
			return
		}
		var origins []string
		if allowed != nil {
			origins = allowed(b)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(NewPublicInfo(b, origins, wsURL))
	}
}

// Lookup resolves a business id from a request path, or says why not with
// the HTTP status to answer: 400 for a malformed id, 404 for an unknown
// business, 503 when the configuration cannot be read (logged to log with
// the cause, which the answer does not repeat).
func Lookup(ctx context.Context, log *slog.Logger, biz Businesses, rawID string) (*business.Business, int, string) {
	id, err := tenant.ParseID(rawID)
	if err != nil {
		return nil, http.StatusBadRequest, "business id: " + err.Error()
	}
	b, err := biz.Business(ctx, id)
	switch {
	case errors.Is(err, business.ErrUnknownBusiness):
		return nil, http.StatusNotFound, "unknown business " + string(id)
	case err != nil:
		log.ErrorContext(tenant.WithBusiness(ctx, id), "business configs unavailable", "err", err)
		return nil, http.StatusServiceUnavailable, "business configuration unavailable; try again shortly"
	}
	return b, 0, ""
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
