package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ahca/ahca/pkg/session/sessiontest"
)

// flakySES is an SES v2 SendEmail endpoint that answers the first fail
// requests with a 5xx, then accepts; it keeps what it accepted.
type flakySES struct {
	mu       sync.Mutex
	fail     int
	failed   int
	accepted []sesEmail
}

type sesEmail struct{ Subject, Text string }

func newFlakySES(tb testing.TB, fail int) (*flakySES, string) {
	f := &flakySES{fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
			http.NotFound(w, r)
			return
		}
		var in struct {
			Content struct {
				Simple struct {
					Subject struct{ Data string }
					Body    struct{ Text, Html struct{ Data string } }
				}
			}
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if f.failed < f.fail {
			f.failed++
			w.Header().Set("X-Amzn-Errortype", "InternalFailure")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message":"injected outage"}`)
			return
		}
		f.accepted = append(f.accepted, sesEmail{Subject: in.Content.Simple.Subject.Data, Text: in.Content.Simple.Body.Text.Data + in.Content.Simple.Body.Html.Data})
		fmt.Fprintf(w, `{"MessageId":"flaky-%d"}`, len(f.accepted))
	}))
	tb.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *flakySES) emails() []sesEmail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sesEmail(nil), f.accepted...)
}

// A conversation of the fault suite, and how it ends.
type faultCaller struct {
	name, phone string
	ending      string // "completes", "disconnects", "disconnect lost", "goes quiet"
	sessionID   string
}

// patientTurn sends a line until the server answers it (not with an error
// frame), as a caller says it again after "temporary problem".
func patientTurn(tb testing.TB, c *client, frame string) string {
	tb.Helper()
	for try := 0; try < 12; try++ {
		text, frames := c.turn(frame)
		if text != "" || len(frames) == 0 || frames[len(frames)-1]["type"] != "error" {
			return text
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("%s: never answered", frame)
	return ""
}

// dialPatient opens a web chat, again when $connect failed under the faults.
func dialPatient(tb testing.TB, stack *devStack, biz string) *client {
	tb.Helper()
	for try := 0; ; try++ {
		c, _, err := websocket.Dial(context.Background(), strings.Replace(stack.URL, "http", "ws", 1)+"/ws?businessId="+biz, nil)
		if err == nil {
			tb.Cleanup(func() { c.CloseNow() })
			return &client{tb: tb, c: c}
		}
		if try == 12 {
			tb.Fatalf("connect: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Faults never delay or drop a lead (issue 15): eight web intakes against
// DynamoDB Local behind a proxy that throttles or fails a share of the
// requests, with an SES that answers 5xx before it recovers, two
// $disconnects that never arrive and two visitors who simply go quiet;
// then every stream record delivered a second time. Each conversation
// yields exactly one email with the name and number the caller gave, the
// quiet ones after their idle timeout (the sweeper).
func TestFaultsNeverDropALead(t *testing.T) {
	if testing.Short() {
		t.Skip("eight conversations under injected faults")
	}
	for _, rate := range []float64{0.15, 0.40} {
		t.Run(fmt.Sprintf("%.0f%% of DynamoDB requests fail", rate*100), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(rate*100), 15))
			var rngMu sync.Mutex
			proxy, endpoint := newDynamoProxy(t, sessiontest.DynamoEndpoint(t), func(op string) (int, string, bool) {
				if op == "CreateTable" || op == "DescribeTable" || op == "UpdateTimeToLive" {
					return 0, "", true
				}
				rngMu.Lock()
				r := rng.Float64()
				rngMu.Unlock()
				switch {
				case r < rate*0.75:
					return 400, "ProvisionedThroughputExceededException", false
				case r < rate:
					return 500, "InternalServerError", false
				}
				return 0, "", true
			})
			ses, sesURL := newFlakySES(t, 4)
			callers := make([]*faultCaller, 8)
			endings := []string{"completes", "completes", "disconnects", "disconnects", "disconnect lost", "disconnect lost", "goes quiet", "goes quiet"}
			for i := range callers {
				callers[i] = &faultCaller{name: fmt.Sprintf("Fault Caller%c", 'A'+i), phone: fmt.Sprintf("503 555 01%02d", 10+i), ending: endings[i]}
			}
			lost := map[string]bool{}
			var lostMu sync.Mutex
			stack := startTestStack(t, devOptions{
				Store: "dynamodb", DynamoDBEndpoint: endpoint, Table: fmt.Sprintf("dev-faults-%d", time.Now().UnixNano()),
				// Long enough that a conversation whose turns keep failing
				// under the faults is not idle yet; short for a test.
				SESEndpoint: sesURL, IdleTimeout: 8 * time.Second,
				dropDisconnect: func(connectionID string) bool {
					lostMu.Lock()
					defer lostMu.Unlock()
					return lost[connectionID]
				},
			})
			var wg sync.WaitGroup
			for _, fc := range callers {
				wg.Go(func() {
					c := dialPatient(t, stack, "superior-fencing")
					_, frames := c.turn(`{"type":"setup"}`)
					for _, f := range frames {
						if f["type"] == "session_ready" {
							fc.sessionID, _ = f["sessionId"].(string)
						}
					}
					patientTurn(t, c, say("My fence blew down in the storm"))
					patientTurn(t, c, say("My name is "+fc.name))
					patientTurn(t, c, say(fc.phone))
					switch fc.ending {
					case "completes":
						patientTurn(t, c, say("yes"))
					case "disconnect lost":
						s, err := stack.Store.Get(context.Background(), "superior-fencing", fc.sessionID)
						if err != nil {
							t.Errorf("%s: %v", fc.name, err)
							return
						}
						lostMu.Lock()
						lost[s.ConnectionID] = true
						lostMu.Unlock()
						c.c.Close(websocket.StatusNormalClosure, "bye")
					case "disconnects":
						c.c.Close(websocket.StatusNormalClosure, "bye")
					case "goes quiet": // the tab stays open; nothing more is said
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			// Every lead arrives, the quiet ones once the sweeper ended them.
			deadline := time.Now().Add(90 * time.Second)
			for len(ses.emails()) < len(callers) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			check := func(when string) {
				t.Helper()
				emails := ses.emails()
				if len(emails) != len(callers) {
					t.Errorf("%s: %d summary emails, want %d (one per conversation)", when, len(emails), len(callers))
				}
				for _, fc := range callers {
					n := 0
					for _, e := range emails {
						if strings.Contains(e.Subject+e.Text, fc.name) {
							n++
							digits := strings.ReplaceAll(fc.phone, " ", "")
							if !strings.Contains(strings.NewReplacer(" ", "", "(", "", ")", "", "-", "").Replace(e.Text), digits) {
								t.Errorf("%s: %s's email lacks the number they gave (%s)", when, fc.name, fc.phone)
							}
						}
					}
					if n != 1 {
						t.Errorf("%s: %d emails name %s (%s), want 1", when, n, fc.name, fc.ending)
					}
				}
			}
			check("after the conversations")
			// A duplicated stream record: deliver every ended session again.
			for _, fc := range callers {
				s, err := stack.Store.Get(context.Background(), "superior-fencing", fc.sessionID)
				if err != nil {
					t.Fatal(err)
				}
				if err := stack.pipeline.Deliver(context.Background(), s); err != nil {
					t.Errorf("%s: redelivery: %v", fc.name, err)
				}
			}
			check("after every record was delivered again")
			t.Logf("%d DynamoDB requests answered with injected errors; SES failed %d times first", proxy.faults(), ses.failed)
		})
	}
}

// dynamoProxy stands in front of DynamoDB Local: it records every request's
// operation and body size (what a turn costs on the wire) and, with a fault
// function, answers some requests with an error as DynamoDB does when it
// throttles or fails.
type dynamoProxy struct {
	mu       sync.Mutex
	reqs     []storeRequest
	injected map[string]int // by operation
}

type storeRequest struct {
	op    string // GetItem, Query, PutItem, TransactWriteItems, ...
	bytes int
}

// fault decides a request's fate: ok, or the HTTP status and the
// DynamoDB error type to answer with.
type fault func(op string) (status int, errType string, ok bool)

func newDynamoProxy(tb testing.TB, endpoint string, inject fault) (*dynamoProxy, string) {
	p := &dynamoProxy{injected: map[string]int{}}
	client := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		p.mu.Lock()
		p.reqs = append(p.reqs, storeRequest{op: op, bytes: len(body)})
		p.mu.Unlock()
		if inject != nil {
			if status, errType, ok := inject(op); !ok {
				p.mu.Lock()
				p.injected[op]++
				p.mu.Unlock()
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected by the test's proxy"}`, errType)
				return
			}
		}
		// Whole bodies both ways: the proxy never cuts a response short.
		out, err := http.NewRequestWithContext(r.Context(), r.Method, endpoint+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(data)
	}))
	tb.Cleanup(srv.Close)
	return p, srv.URL
}

// take returns the requests since the last take.
func (p *dynamoProxy) take() []storeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.reqs
	p.reqs = nil
	return out
}

// faults is how many requests were answered with an injected error.
func (p *dynamoProxy) faults() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.injected {
		n += c
	}
	return n
}
