// Package wsapi adapts API Gateway WebSocket events to the conversation
// engine: $connect admits a connection to exactly one business (or refuses it
// with a status and a reason), $default runs a turn, $disconnect ends the
// session. The Lambdas in functions/ws-* and the local gateway emulator run
// these same handlers.
package wsapi

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/sessionend"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// Posters returns the poster for the API stage an event came from.
type Posters interface {
	For(rc events.APIGatewayWebsocketProxyRequestContext) sessionend.Poster
}

// Configs resolves a business id to its configuration.
type Configs interface {
	Business(ctx context.Context, id tenant.ID) (*business.Business, error)
}

// Admitter admits and opens conversations at $connect
// (admission.Opener; the conversation engine has the same methods).
type Admitter interface {
	AdmitSource(ctx context.Context, b *business.Business, sourceIP string) error
	Open(ctx context.Context, b *business.Business, connectionID string, ch session.Channel) (*session.Session, error)
	DailyBudget(ctx context.Context, b *business.Business) string
}

// Turns takes an inbound frame through a turn (conversation.Engine).
type Turns interface {
	Handle(ctx context.Context, p sessionend.Poster, connectionID string, data []byte) error
}

// Handlers serves the three routes. Each route uses only its own fields,
// so that ws-connect is built without the turn engine: Connect needs
// Admit, Configs and Phone; Message needs Turns and Posters; Disconnect
// needs Ender.
type Handlers struct {
	Admit   Admitter
	Turns   Turns
	Ender   sessionend.Closer
	Configs Configs
	Posters Posters
	// TrustedOrigins may open a web chat with any business: the origin of
	// AHCA's own hosted page (and the local stack's). Each business adds its
	// own in web.allowedOrigins.
	TrustedOrigins []string
	// Phone admits Twilio ConversationRelay handshakes; nil refuses them.
	Phone *PhoneAdmission
	Log   *slog.Logger
}

// PhoneAdmission validates Twilio's signed WebSocket handshakes.
type PhoneAdmission struct {
	AuthToken func(ctx context.Context) (string, error)
	// WSURL is the configured WebSocket base the TwiML's relay URL was built
	// on (never guessed from the request's Host).
	WSURL string
	Store session.Store
	Now   func() time.Time
}

// Refusal is why a $connect was refused; its status goes back to the client.
type Refusal struct {
	Status int
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

// Connect handles $connect.
func (h *Handlers) Connect(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	connID := req.RequestContext.ConnectionID
	ctx = tenant.WithConnection(ctx, connID)
	if header(req, twiliovoice.SignatureHeader) != "" || req.QueryStringParameters[twiliovoice.ParamChannel] == twiliovoice.ChannelPhone {
		// A phone handshake is never waved through to the web path.
		return h.connectPhone(ctx, req)
	}
	b, ref := h.admitWeb(ctx, req)
	if ref != nil {
		return h.refuse(ctx, ref)
	}
	ctx = tenant.WithBusiness(ctx, b.ID)
	if err := h.Admit.AdmitSource(ctx, b, req.RequestContext.Identity.SourceIP); err != nil {
		return h.refuse(ctx, &Refusal{http.StatusTooManyRequests, err.Error()})
	}
	if _, err := h.Admit.Open(ctx, b, connID, session.ChannelWeb); err != nil {
		h.log().ErrorContext(ctx, "open session failed", "err", err)
		return respond(http.StatusInternalServerError, "could not open a session; try again"), nil
	}
	h.log().InfoContext(ctx, "web connection admitted")
	return respond(http.StatusOK, ""), nil
}

// connectPhone admits a ConversationRelay leg: the signature over the
// rebuilt wss:// URL must be Twilio's, and the call's session (opened by the
// signed voice webhook) must exist, be a phone session of that business and
// be active. The connection then becomes the session's current leg.
func (h *Handlers) connectPhone(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	if h.Phone == nil {
		return h.refuse(ctx, &Refusal{http.StatusForbidden, "phone connections are not enabled on this endpoint"})
	}
	for k, v := range req.MultiValueQueryStringParameters {
		if len(v) > 1 {
			return h.refuse(ctx, &Refusal{http.StatusForbidden, "repeated query parameter " + k})
		}
	}
	token, err := h.Phone.AuthToken(ctx)
	if err != nil {
		h.log().ErrorContext(ctx, "twilio auth token unavailable", "err", err)
		return h.refuse(ctx, &Refusal{http.StatusServiceUnavailable, "phone connections unavailable; try again"})
	}
	hs, err := twiliovoice.VerifyHandshake(token, h.Phone.WSURL, req.QueryStringParameters, header(req, twiliovoice.SignatureHeader))
	if err != nil {
		return h.refuse(ctx, &Refusal{http.StatusForbidden, err.Error()})
	}
	ctx = tenant.WithCallSID(tenant.WithBusiness(ctx, hs.BusinessID), hs.CallSID)
	now := time.Now()
	if h.Phone.Now != nil {
		now = h.Phone.Now()
	}
	s, err := h.Phone.Store.Get(ctx, hs.BusinessID, hs.CallSID)
	if err != nil || s.Channel != session.ChannelPhone || s.CallSID != hs.CallSID || !s.Active(now) {
		return h.refuse(ctx, &Refusal{http.StatusForbidden, "no active call " + hs.CallSID + " for " + string(hs.BusinessID)})
	}
	connID := req.RequestContext.ConnectionID
	// One live leg per call: ConversationRelay does not reconnect a dropped
	// socket, so a second handshake while a leg is bound is a replay. A new
	// leg after an unanswered transfer is admitted: Resume unbinds the last.
	errLive := errors.New("the call already has a live connection")
	// The call's first leg counts against the business's daily budgets.
	var scripted string
	if s.ConnectionID == "" && s.State.Engine.Leg == "" && s.State.Usage.Scripted == "" {
		if b, err := h.Configs.Business(ctx, hs.BusinessID); err == nil {
			scripted = h.Admit.DailyBudget(ctx, b)
		}
	}
	if _, err := session.Update(ctx, h.Phone.Store, s, func(s *session.Session) error {
		if s.ConnectionID != "" && s.ConnectionID != connID {
			return errLive
		}
		if scripted != "" {
			s.State.Usage.Scripted = scripted
		}
		s.ConnectionID, s.UpdatedAt = connID, now.UTC()
		return nil
	}); errors.Is(err, errLive) {
		return h.refuse(ctx, &Refusal{http.StatusConflict, errLive.Error()})
	} else if err != nil {
		h.log().ErrorContext(ctx, "bind call to connection failed", "err", err)
		return respond(http.StatusInternalServerError, "could not join the call; try again"), nil
	}
	h.log().InfoContext(ctx, "phone connection admitted")
	return respond(http.StatusOK, ""), nil
}

// admitWeb decides which business a browser connection is for.
func (h *Handlers) admitWeb(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (*business.Business, *Refusal) {
	raw := req.QueryStringParameters["businessId"]
	if raw == "" {
		return nil, &Refusal{http.StatusBadRequest, "missing businessId: connect to ?businessId=<business id>"}
	}
	id, err := tenant.ParseID(raw)
	if err != nil {
		return nil, &Refusal{http.StatusBadRequest, "businessId: " + err.Error()}
	}
	b, err := h.Configs.Business(ctx, id)
	if errors.Is(err, business.ErrUnknownBusiness) {
		return nil, &Refusal{http.StatusNotFound, "unknown business " + strings.TrimSpace(raw)}
	}
	if err != nil {
		h.log().ErrorContext(ctx, "business configs unavailable", "err", err)
		return nil, &Refusal{http.StatusServiceUnavailable, "business configuration unavailable; try again"}
	}
	if origin := header(req, "Origin"); !h.originAllowed(b, origin) {
		return nil, &Refusal{http.StatusForbidden, "origin " + origin + " may not open a chat with " + string(b.ID)}
	}
	return b, nil
}

// AllowedOrigins are the browser origins that may open a web chat with b
// (Business.PageOrigins with h's trusted origins): nil when any may. The
// business info the page and the widget read (api/businesses/<id>) carries
// the same list, so a page the handshake would refuse shows no widget.
func (h *Handlers) AllowedOrigins(b *business.Business) []string {
	return b.PageOrigins(h.TrustedOrigins)
}

// originAllowed decides a browser handshake by its Origin header. A
// handshake without one is admitted: browsers always send Origin on
// WebSocket handshakes, so it comes from a non-browser client (ahca chat, a
// server), which could send any Origin it liked; the check protects visitors'
// browsers from other sites, it does not authenticate, and such clients stay
// bound by the per-source and per-business limits. "null" (file: pages,
// sandboxed frames) is an origin like any other and matches no list.
func (h *Handlers) originAllowed(b *business.Business, origin string) bool {
	allowed := h.AllowedOrigins(b)
	if origin == "" || allowed == nil {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false
	}
	return slices.Contains(allowed, strings.ToLower(u.Scheme+"://"+u.Host))
}

// Message handles $default: one frame, one turn.
func (h *Handlers) Message(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	p := h.Posters.For(req.RequestContext)
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		body = []byte(`{"type":"binary"}`) // ConversationRelay and our client send text frames only
	}
	if err := h.Turns.Handle(ctx, p, req.RequestContext.ConnectionID, body); err != nil {
		h.log().ErrorContext(errContext(tenant.WithConnection(ctx, req.RequestContext.ConnectionID), err), "turn failed", "err", err)
		return respond(http.StatusInternalServerError, ""), nil
	}
	return respond(http.StatusOK, ""), nil
}

// Disconnect handles $disconnect.
func (h *Handlers) Disconnect(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	return sessionend.Disconnect(ctx, h.Ender, h.log(), req)
}

type businessError interface {
	error
	BusinessID() tenant.ID
}

// errContext returns ctx with the business a failed turn's error names
// (conversation.TurnError), so the log record carries businessId.
func errContext(ctx context.Context, err error) context.Context {
	if be, ok := errors.AsType[businessError](err); ok && be.BusinessID() != "" {
		return tenant.WithBusiness(ctx, be.BusinessID())
	}
	return ctx
}

func (h *Handlers) refuse(ctx context.Context, r *Refusal) (events.APIGatewayProxyResponse, error) {
	reason := r.Reason // may echo a header or parameter: clipped, in the log and the answer
	if len(reason) > 200 {
		reason = strings.ToValidUTF8(reason[:200], "") + "…"
	}
	h.log().InfoContext(ctx, "connection refused", "status", r.Status, "reason", reason)
	return respond(r.Status, reason), nil
}

func (h *Handlers) log() *slog.Logger { return cmp.Or(h.Log, slog.Default()) }

func respond(status int, body string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: status, Body: body, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}}
}

// header reads a header case-insensitively (API Gateway preserves the
// client's casing).
func header(req events.APIGatewayWebsocketProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
