// Package wsapi adapts API Gateway WebSocket events to the conversation
// engine: $connect admits a connection to exactly one business (or refuses it
// with a status and a reason), $default runs a turn, $disconnect ends the
// session. The Lambdas in functions/ws-* and the local gateway emulator run
// these same handlers.
package wsapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Posters returns the poster for the API stage an event came from.
type Posters interface {
	For(rc events.APIGatewayWebsocketProxyRequestContext) conversation.Poster
}

// Handlers serves the three routes.
type Handlers struct {
	Engine  *conversation.Engine
	Configs conversation.Configs
	Posters Posters
	// TrustedOrigins may open a web chat with any business: the origin of
	// AHCA's own hosted page (and the local stack's). Each business adds its
	// own in web.allowedOrigins.
	TrustedOrigins []string
	Log            *slog.Logger
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
	if header(req, "X-Twilio-Signature") != "" || req.QueryStringParameters["channel"] == "phone" {
		// Phone handshakes: the phone issue validates the signature over the
		// exact wss:// URL and binds the CallSid here.
		return h.refuse(ctx, &Refusal{http.StatusForbidden, "phone connections are not enabled on this endpoint yet"})
	}
	b, ref := h.admitWeb(ctx, req)
	if ref != nil {
		return h.refuse(ctx, ref)
	}
	ctx = tenant.WithBusiness(ctx, b.ID)
	if _, err := h.Engine.Open(ctx, b, connID, session.ChannelWeb); err != nil {
		h.log().ErrorContext(ctx, "open session failed", "err", err)
		return respond(http.StatusInternalServerError, "could not open a session; try again"), nil
	}
	h.log().InfoContext(ctx, "web connection admitted")
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

// originAllowed: browsers always send Origin on WebSocket handshakes. A
// business with no allowedOrigins accepts any origin; one with a list accepts
// only those and AHCA's trusted origins. Non-browser clients send no Origin.
func (h *Handlers) originAllowed(b *business.Business, origin string) bool {
	if origin == "" || len(b.Web.AllowedOrigins) == 0 {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	norm := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, o := range append(h.TrustedOrigins, b.Web.AllowedOrigins...) {
		if strings.EqualFold(o, norm) {
			return true
		}
	}
	return false
}

// Message handles $default: one frame, one turn.
func (h *Handlers) Message(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	p := h.Posters.For(req.RequestContext)
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		body = []byte(`{"type":"binary"}`) // ConversationRelay and our client send text frames only
	}
	if err := h.Engine.Handle(ctx, p, req.RequestContext.ConnectionID, body); err != nil {
		h.log().ErrorContext(tenant.WithConnection(ctx, req.RequestContext.ConnectionID), "turn failed", "err", err)
		return respond(http.StatusInternalServerError, ""), nil
	}
	return respond(http.StatusOK, ""), nil
}

// Disconnect handles $disconnect.
func (h *Handlers) Disconnect(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	if err := h.Engine.Close(ctx, req.RequestContext.ConnectionID, conversation.EndDisconnected); err != nil {
		h.log().ErrorContext(tenant.WithConnection(ctx, req.RequestContext.ConnectionID), "disconnect failed", "err", err)
		return respond(http.StatusInternalServerError, ""), nil
	}
	return respond(http.StatusOK, ""), nil
}

func (h *Handlers) refuse(ctx context.Context, r *Refusal) (events.APIGatewayProxyResponse, error) {
	h.log().InfoContext(ctx, "connection refused", "status", r.Status, "reason", r.Reason)
	return respond(r.Status, r.Reason), nil
}

func (h *Handlers) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

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
