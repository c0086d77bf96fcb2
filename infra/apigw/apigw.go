// Package apigw emulates an API Gateway WebSocket API on localhost, because
// `sam local` has none: it upgrades WebSocket connections after asking the
// $connect handler, selects routes by $request.body.type, invokes handlers
// with the same events.APIGatewayWebsocketProxyRequest API Gateway sends
// (each message in its own goroutine, as parallel Lambda invocations),
// invokes $disconnect, and serves the @connections management API (POST,
// GET, DELETE; 410 Gone for closed connections) that the real
// apigatewaymanagementapi client is pointed at. Limits follow API Gateway:
// 128 KB messages, 10 minute idle timeout, 2 hour connection lifetime,
// 29 second integration timeout.
package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
)

// Handler is a WebSocket route's integration: what a Lambda's handler is.
type Handler func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)

// API Gateway's limits.
const (
	MaxMessageBytes    = 128 * 1024
	DefaultIdle        = 10 * time.Minute
	DefaultLifetime    = 2 * time.Hour
	IntegrationTimeout = 29 * time.Second
)

// Gateway is one emulated WebSocket API stage.
type Gateway struct {
	Connect    Handler
	Default    Handler
	Disconnect Handler
	// Routes are custom routes by route key, selected by the "type" field
	// of a JSON message (route selection expression $request.body.type).
	Routes map[string]Handler

	Stage       string
	IdleTimeout time.Duration
	Lifetime    time.Duration
	Log         *slog.Logger

	// Posts counts @connections POSTs delivered (benchmarks report it).
	Posts atomic.Int64

	mu     sync.Mutex
	conns  map[string]*conn
	wg     sync.WaitGroup
	closed bool
}

type conn struct {
	id          string
	ws          *websocket.Conn
	connectedAt time.Time
	sourceIP    string
	userAgent   string
	mu          sync.Mutex
	lastActive  time.Time
	closeStatus websocket.StatusCode
	closeReason string
	finished    sync.Once
	onFinish    func(status websocket.StatusCode, reason string)
}

// closeWith closes the socket for a reason of the gateway's own. Like API
// Gateway, it runs $disconnect at once rather than after the client has
// answered the close handshake (which a stuck client may never do).
func (c *conn) closeWith(status websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.closeReason == "" {
		c.closeStatus, c.closeReason = status, reason
	}
	c.mu.Unlock()
	go c.ws.Close(status, reason)
	// Asynchronous: the caller may be a handler's own DeleteConnection, and
	// $disconnect waits for in-flight handlers.
	go c.finish(status, reason)
}

func (c *conn) finish(status websocket.StatusCode, reason string) {
	c.finished.Do(func() { c.onFinish(status, reason) })
}

func (c *conn) closedWith() (websocket.StatusCode, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeStatus, c.closeReason
}

func (g *Gateway) log() *slog.Logger {
	if g.Log != nil {
		return g.Log
	}
	return slog.Default()
}

func newConnectionID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	// API Gateway ids look like "L0SM9cOFvHcCIhw="; URL-safe so they fit the
	// @connections/{id} path.
	return base64.URLEncoding.EncodeToString(b[:])
}

func (g *Gateway) requestContext(r *http.Request, c *conn, routeKey, eventType string) events.APIGatewayWebsocketProxyRequestContext {
	now := time.Now()
	return events.APIGatewayWebsocketProxyRequestContext{
		RouteKey:          routeKey,
		EventType:         eventType,
		ConnectionID:      c.id,
		ConnectedAt:       c.connectedAt.UnixMilli(),
		RequestTimeEpoch:  now.UnixMilli(),
		RequestTime:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		RequestID:         newConnectionID(),
		ExtendedRequestID: newConnectionID(),
		MessageDirection:  "IN",
		Stage:             g.Stage,
		DomainName:        r.Host,
		APIID:             "local",
		Identity:          events.APIGatewayRequestIdentity{SourceIP: c.sourceIP, UserAgent: c.userAgent},
	}
}

// ServeWS is the WebSocket endpoint (the stage URL).
func (g *Gateway) ServeWS(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		http.Error(w, "gateway shutting down", http.StatusServiceUnavailable)
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	c := &conn{id: newConnectionID(), connectedAt: time.Now(), sourceIP: host, userAgent: r.UserAgent()}
	c.lastActive = c.connectedAt
	ev := events.APIGatewayWebsocketProxyRequest{
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		QueryStringParameters: map[string]string{}, MultiValueQueryStringParameters: map[string][]string{},
		RequestContext: g.requestContext(r, c, "$connect", "CONNECT"),
	}
	for k, v := range r.Header {
		ev.Headers[k] = v[0]
		ev.MultiValueHeaders[k] = v
	}
	for k, v := range r.URL.Query() {
		ev.QueryStringParameters[k] = v[0]
		ev.MultiValueQueryStringParameters[k] = v
	}
	resp, err := g.invoke(r.Context(), g.Connect, ev)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		status, body := http.StatusInternalServerError, "internal error"
		if err == nil {
			status, body = resp.StatusCode, resp.Body
		}
		http.Error(w, body, status)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// API Gateway does not check Origin; the $connect handler decides.
		InsecureSkipVerify: true,
	})
	if err != nil {
		g.log().Warn("websocket upgrade failed", "err", err)
		return
	}
	ws.SetReadLimit(-1) // readMessage enforces the limit without blocking on a close handshake
	c.ws = ws
	g.mu.Lock()
	if g.conns == nil {
		g.conns = map[string]*conn{}
	}
	g.conns[c.id] = c
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	g.serve(r, c)
}

// serve reads messages until the connection ends, then runs $disconnect.
func (g *Gateway) serve(r *http.Request, c *conn) {
	idle, life := g.IdleTimeout, g.Lifetime
	if idle <= 0 {
		idle = DefaultIdle
	}
	if life <= 0 {
		life = DefaultLifetime
	}
	var inflight sync.WaitGroup
	c.onFinish = func(status websocket.StatusCode, reason string) { g.finish(r, c, int(status), reason, &inflight) }
	// Timers close the socket gracefully (a cancelled Read would drop it).
	idleTimer := time.AfterFunc(idle, func() { c.closeWith(websocket.StatusGoingAway, "idle timeout") })
	lifeTimer := time.AfterFunc(life, func() { c.closeWith(websocket.StatusGoingAway, "connection lifetime exceeded") })
	defer idleTimer.Stop()
	defer lifeTimer.Stop()
	for {
		typ, data, err := readMessage(c.ws)
		if errors.Is(err, errTooBig) {
			c.closeWith(websocket.StatusMessageTooBig, "message too big")
			return
		}
		if err != nil {
			status, reason := c.closedWith()
			switch {
			case reason != "":
			case websocket.CloseStatus(err) != -1:
				status, reason = websocket.CloseStatus(err), "client closed"
			default:
				status, reason = websocket.StatusAbnormalClosure, "connection lost"
			}
			c.finish(status, reason)
			return
		}
		if _, closing := c.closedWith(); closing != "" {
			continue // closed by the gateway; $disconnect is under way
		}
		idleTimer.Reset(idle)
		c.mu.Lock()
		c.lastActive = time.Now()
		c.mu.Unlock()
		ev := events.APIGatewayWebsocketProxyRequest{Body: string(data), RequestContext: g.requestContext(r, c, "$default", "MESSAGE")}
		if typ == websocket.MessageBinary {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(data), true
		}
		ev.RequestContext.MessageID = newConnectionID()
		h := g.Default
		if !ev.IsBase64Encoded {
			var sel struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(data, &sel) == nil && g.Routes[sel.Type] != nil {
				h, ev.RequestContext.RouteKey = g.Routes[sel.Type], sel.Type
			}
		}
		inflight.Add(1)
		g.wg.Add(1)
		go func() { // API Gateway invokes integrations concurrently
			defer g.wg.Done()
			defer inflight.Done()
			if _, err := g.invoke(context.WithoutCancel(r.Context()), h, ev); err != nil {
				g.log().Error("route handler failed", "route", ev.RequestContext.RouteKey, "err", err)
			}
		}()
	}
}

func (g *Gateway) finish(r *http.Request, c *conn, status int, reason string, inflight *sync.WaitGroup) {
	g.mu.Lock()
	delete(g.conns, c.id)
	g.mu.Unlock()
	inflight.Wait()
	ev := events.APIGatewayWebsocketProxyRequest{RequestContext: g.requestContext(r, c, "$disconnect", "DISCONNECT")}
	ev.RequestContext.DisconnectStatusCode = int64(status)
	ev.RequestContext.DisconnectReason = &reason
	if _, err := g.invoke(context.WithoutCancel(r.Context()), g.Disconnect, ev); err != nil {
		g.log().Error("$disconnect handler failed", "err", err)
	}
}

func (g *Gateway) invoke(ctx context.Context, h Handler, ev events.APIGatewayWebsocketProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	if h == nil {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, IntegrationTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, ev)
}

func (g *Gateway) lookup(id string) *conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conns[id]
}

var errTooBig = errors.New("message too big")

// readMessage reads one message of at most MaxMessageBytes.
func readMessage(ws *websocket.Conn) (websocket.MessageType, []byte, error) {
	typ, rd, err := ws.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rd, MaxMessageBytes+1))
	if err != nil {
		return 0, nil, err
	}
	if len(data) > MaxMessageBytes {
		return 0, nil, errTooBig
	}
	return typ, data, nil
}

// ServeManagement serves /@connections/{connectionId}, the API the
// apigatewaymanagementapi client calls.
func (g *Gateway) ServeManagement(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/@connections/")
	if id == "" || strings.Contains(id, "/") {
		writeError(w, http.StatusNotFound, "NotFoundException", "no such resource")
		return
	}
	c := g.lookup(id)
	if c == nil {
		writeError(w, http.StatusGone, "GoneException", "connection "+id+" is gone")
		return
	}
	switch r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, MaxMessageBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequestException", err.Error())
			return
		}
		if len(data) > MaxMessageBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "message exceeds 128 KB")
			return
		}
		if err := c.ws.Write(r.Context(), websocket.MessageText, data); err != nil {
			writeError(w, http.StatusGone, "GoneException", "connection "+id+" is gone")
			return
		}
		g.Posts.Add(1)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		c.mu.Lock()
		last := c.lastActive
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"connectedAt":  c.connectedAt.UTC().Format(time.RFC3339),
			"lastActiveAt": last.UTC().Format(time.RFC3339),
			"identity":     map[string]string{"sourceIp": c.sourceIP, "userAgent": c.userAgent},
		})
	case http.MethodDelete:
		c.closeWith(websocket.StatusNormalClosure, "closed by server")
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, "BadRequestException", "method not allowed")
	}
}

// writeError answers like API Gateway does, so the SDK maps the error type.
func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// Shutdown closes every connection (running $disconnect for each) and waits
// for in-flight handlers.
func (g *Gateway) Shutdown() {
	g.mu.Lock()
	g.closed = true
	conns := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()
	for _, c := range conns {
		go c.closeWith(websocket.StatusGoingAway, "server shutting down")
	}
	g.wg.Wait()
}

// Connections returns the number of open connections.
func (g *Gateway) Connections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}
