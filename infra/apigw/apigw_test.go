package apigw

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/coder/websocket"

	"github.com/ahca/ahca/pkg/relay"
)

type harness struct {
	gw     *Gateway
	srv    *httptest.Server
	mgmt   relay.Gateway
	mu     sync.Mutex
	events []events.APIGatewayWebsocketProxyRequest
	got    chan events.APIGatewayWebsocketProxyRequest
}

func (h *harness) record(ev events.APIGatewayWebsocketProxyRequest) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
	h.got <- ev
}

func newHarness(t *testing.T, gw *Gateway) *harness {
	t.Helper()
	h := &harness{gw: gw, got: make(chan events.APIGatewayWebsocketProxyRequest, 64)}
	ok := func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		h.record(ev)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	if gw.Connect == nil {
		gw.Connect = ok
	}
	if gw.Default == nil {
		gw.Default = ok
	}
	if gw.Disconnect == nil {
		gw.Disconnect = ok
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", gw.ServeWS)
	mux.HandleFunc("/@connections/", gw.ServeManagement)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(func() { gw.Shutdown(); h.srv.Close() })
	h.mgmt = relay.Gateway{API: apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(h.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})}
	return h
}

func (h *harness) dial(t *testing.T, query string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(context.Background(), strings.Replace(h.srv.URL, "http", "ws", 1)+"/ws"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func (h *harness) next(t *testing.T, routeKey string) events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	for {
		select {
		case ev := <-h.got:
			if ev.RequestContext.RouteKey == routeKey {
				return ev
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", routeKey)
		}
	}
}

func TestConnectEventAndRefusal(t *testing.T) {
	refuse := func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if ev.QueryStringParameters["businessId"] == "" {
			return events.APIGatewayProxyResponse{StatusCode: 400, Body: "missing businessId"}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	h := newHarness(t, &Gateway{Connect: refuse, Stage: "local"})
	_, resp, err := websocket.Dial(context.Background(), strings.Replace(h.srv.URL, "http", "ws", 1)+"/ws", nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("refused dial: resp %v err %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "missing businessId") {
		t.Errorf("refusal body = %q", body)
	}
	if h.gw.Connections() != 0 {
		t.Error("refused connection registered")
	}
}

func TestMessagesAndManagementAPI(t *testing.T) {
	h := newHarness(t, &Gateway{Stage: "local"})
	c := h.dial(t, "?businessId=acme&x=1")
	ctx := context.Background()
	connect := h.next(t, "$connect")
	if connect.QueryStringParameters["businessId"] != "acme" || connect.RequestContext.EventType != "CONNECT" || connect.RequestContext.ConnectionID == "" {
		t.Fatalf("$connect event = %+v", connect)
	}
	id := connect.RequestContext.ConnectionID

	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"prompt","voicePrompt":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	msg := h.next(t, "$default")
	if msg.Body != `{"type":"prompt","voicePrompt":"hi"}` || msg.RequestContext.ConnectionID != id || msg.RequestContext.EventType != "MESSAGE" || msg.RequestContext.Stage != "local" {
		t.Errorf("$default event = %+v", msg)
	}

	// The real SDK client posts through the management API.
	if err := h.mgmt.Post(ctx, id, []byte(`{"type":"text","token":"hello","last":true}`)); err != nil {
		t.Fatal(err)
	}
	_, data, err := c.Read(ctx)
	if err != nil || string(data) != `{"type":"text","token":"hello","last":true}` {
		t.Fatalf("client read %q, %v", data, err)
	}
	info, err := h.mgmt.API.(*apigatewaymanagementapi.Client).GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: &id})
	if err != nil || info.ConnectedAt == nil {
		t.Fatalf("GetConnection = %+v, %v", info, err)
	}

	// DELETE closes the socket and runs $disconnect; later posts are 410 Gone.
	if err := h.mgmt.Close(ctx, id); err != nil {
		t.Fatal(err)
	}
	disc := h.next(t, "$disconnect")
	if disc.RequestContext.ConnectionID != id || disc.RequestContext.EventType != "DISCONNECT" {
		t.Errorf("$disconnect event = %+v", disc)
	}
	if err := h.mgmt.Post(ctx, id, []byte(`{}`)); !errors.Is(err, relay.ErrGone) {
		t.Errorf("post after close: %v, want relay.ErrGone", err)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("client saw %v, want a normal close", err)
	}
}

func TestRouteSelection(t *testing.T) {
	h := &harness{got: make(chan events.APIGatewayWebsocketProxyRequest, 64)}
	custom := func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		h.record(ev)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	h2 := newHarness(t, &Gateway{Routes: map[string]Handler{"ping": custom}})
	h2.got = h.got
	c := h2.dial(t, "")
	h2.next(t, "$connect")
	c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`))
	if ev := h2.next(t, "ping"); ev.Body != `{"type":"ping"}` {
		t.Errorf("custom route got %q", ev.Body)
	}
	c.Write(context.Background(), websocket.MessageText, []byte(`not json`))
	if ev := h2.next(t, "$default"); ev.Body != "not json" {
		t.Errorf("$default got %q", ev.Body)
	}
}

func TestMessagesRunInParallel(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	h := &harness{}
	parallel := func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if ev.Body == "first" {
			select { // blocks until the second message is being handled
			case <-release:
			case <-time.After(5 * time.Second):
				return events.APIGatewayProxyResponse{}, errors.New("second message was not delivered while the first was in flight")
			}
		} else {
			h.record(ev)
			once.Do(func() { close(release) })
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}
		h.record(ev)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	h2 := newHarness(t, &Gateway{Default: parallel})
	h.got = h2.got
	c := h2.dial(t, "")
	h2.next(t, "$connect")
	c.Write(context.Background(), websocket.MessageText, []byte("first"))
	c.Write(context.Background(), websocket.MessageText, []byte("second"))
	if a, b := h2.next(t, "$default"), h2.next(t, "$default"); a.Body != "second" || b.Body != "first" {
		t.Errorf("order = %q, %q; want second to finish while first waits", a.Body, b.Body)
	}
}

func TestLimits(t *testing.T) {
	h := newHarness(t, &Gateway{IdleTimeout: 300 * time.Millisecond})
	c := h.dial(t, "")
	h.next(t, "$connect")
	c.SetReadLimit(-1)
	big := strings.Repeat("x", MaxMessageBytes+1)
	c.Write(context.Background(), websocket.MessageText, []byte(big))
	disc := h.next(t, "$disconnect")
	if disc.RequestContext.DisconnectStatusCode != int64(websocket.StatusMessageTooBig) {
		t.Errorf("oversized message: disconnect status %d", disc.RequestContext.DisconnectStatusCode)
	}

	c2 := h.dial(t, "")
	h.next(t, "$connect")
	disc = h.next(t, "$disconnect")
	if disc.RequestContext.DisconnectReason == nil || *disc.RequestContext.DisconnectReason != "idle timeout" {
		t.Errorf("idle connection: %+v", disc.RequestContext)
	}
	if _, _, err := c2.Read(context.Background()); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("idle client saw %v", err)
	}
}

func TestManagementAPIErrors(t *testing.T) {
	h := newHarness(t, &Gateway{})
	err := h.mgmt.Post(context.Background(), "nope", []byte("{}"))
	if !errors.Is(err, relay.ErrGone) {
		t.Errorf("post to unknown connection: %v", err)
	}
	resp, err := http.Get(h.srv.URL + "/@connections/")
	if err != nil || resp.StatusCode != 404 {
		t.Errorf("bad path: %v %v", resp, err)
	}
}
