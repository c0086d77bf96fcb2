package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/coder/websocket"

	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
)

type client struct {
	tb        testing.TB
	c         *websocket.Conn
	firstText time.Time // when the last turn's first text frame arrived
}

func dialBusiness(tb testing.TB, stack *devStack, biz string) *client {
	tb.Helper()
	c, _, err := websocket.Dial(context.Background(), strings.Replace(stack.URL, "http", "ws", 1)+"/ws?businessId="+biz, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.CloseNow() })
	return &client{tb: tb, c: c}
}

// turn sends a frame and reads until the reply's last text frame; it
// returns the reply and every frame seen.
func (c *client) turn(frame string) (string, []map[string]any) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		c.tb.Fatal(err)
	}
	var text strings.Builder
	var frames []map[string]any
	for {
		_, data, err := c.c.Read(ctx)
		if err != nil {
			c.tb.Fatalf("read: %v (frames so far %v)", err, frames)
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			c.tb.Fatal(err)
		}
		frames = append(frames, f)
		if f["type"] == "error" {
			return "", frames
		}
		if f["type"] == "text" && text.Len() == 0 {
			c.firstText = time.Now()
		}
		if f["type"] == "text" {
			text.WriteString(f["token"].(string))
			if f["last"] == true {
				return text.String(), frames
			}
		}
	}
}

// firstPhraseTurn is turn, recording when the first text frame arrived.
func (c *client) firstPhraseTurn(frame string) (string, []map[string]any) {
	c.firstText = time.Time{}
	return c.turn(frame)
}

func say(text string) string {
	b, _ := json.Marshal(map[string]any{"type": "prompt", "voicePrompt": text, "lang": "en-US", "last": true})
	return string(b)
}

func startTestStack(tb testing.TB, o devOptions) *devStack {
	tb.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	o.WebDir = "../../web"
	if o.ConfigsDir == "" {
		o.ConfigsDir = "../../configs"
	}
	if o.DataDir == "" {
		o.DataDir = tb.TempDir()
	}
	if o.Store == "" {
		o.Store = "memory"
	}
	stack, err := startDev(context.Background(), o, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stack.Stop(context.Background()) })
	return stack
}

// onBothStores runs f as a subtest on the memory store and on a new table
// named table-<nanoseconds> in DynamoDB Local; f starts the stack with o.
func onBothStores(t *testing.T, table string, f func(t *testing.T, o devOptions)) {
	for _, o := range []devOptions{{Store: "memory"}, {Store: "dynamodb", Table: fmt.Sprintf("%s-%d", table, time.Now().UnixNano())}} {
		t.Run(o.Store, func(t *testing.T) {
			if o.Store == "dynamodb" {
				o.DynamoDBEndpoint = sessiontest.DynamoEndpoint(t)
			}
			f(t, o)
		})
	}
}

// The whole local stack, over a real WebSocket: every configured business
// completes an intake, on both stores.
func TestDevStackIntakeEveryBusiness(t *testing.T) {
	dialogues := map[string][]string{
		"superior-fencing": {"My fence blew down in the storm", "My name is Jamie Rivera", "503 555 0142", "yes"},
		"sherpaprompt":     {"How much is the team plan?", "I'd like a demo", "This is Sam Lee", "sam dot lee at example dot com", "next Tuesday at 10am", "yes", "yes"},
		"maple-street-vet": {"I need a refill for my dog's medication", "Priya Shah", "five four one five five five zero one nine nine", "yes"},
	}
	onBothStores(t, "dev-test", func(t *testing.T, o devOptions) {
		stack := startTestStack(t, o)
		for biz, lines := range dialogues {
			t.Run(biz, func(t *testing.T) {
				c := dialBusiness(t, stack, biz)
				greeting, frames := c.turn(`{"type":"setup"}`)
				if greeting == "" || frames[0]["type"] != "session_ready" || frames[0]["businessId"] != biz {
					t.Fatalf("setup frames = %v", frames)
				}
				var last, all []map[string]any
				var replies []string
				for _, line := range lines {
					var reply string
					if reply, last = c.turn(say(line)); len(last) == 0 {
						t.Fatalf("no reply to %q", line)
					}
					replies = append(replies, reply)
					all = append(all, last...)
				}
				if biz == "sherpaprompt" { // knowledge and booking with no API key
					if !strings.Contains(replies[0], "$249") {
						t.Errorf("knowledge answer = %q, want the Team plan's price", replies[0])
					}
					if !slices.ContainsFunc(all, func(f map[string]any) bool { return f["type"] == "appointment_created" }) {
						t.Errorf("no appointment_created frame: %v", replies)
					}
				}
				if !slices.ContainsFunc(last, func(f map[string]any) bool { return f["type"] == "end" }) {
					// end follows the closing reply
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_, data, err := c.c.Read(ctx)
					if err != nil || !strings.Contains(string(data), `"end"`) {
						t.Fatalf("no end frame after the closing: %s %v", data, err)
					}
				}
			})
		}
	})
}

func TestDevStackServesPageAndBusinesses(t *testing.T) {
	stack := startTestStack(t, devOptions{})
	for path, want := range map[string]string{"/healthz": "ok", "/api/businesses": `"businessId":"maple-street-vet"`, "/": "<html"} {
		resp, err := http.Get(stack.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(want)) {
			t.Errorf("GET %s = %d %.80q, want %q", path, resp.StatusCode, body, want)
		}
	}
	_, resp, err := websocket.Dial(context.Background(), strings.Replace(stack.URL, "http", "ws", 1)+"/ws?businessId=nope", nil)
	if err == nil || resp.StatusCode != 404 {
		t.Errorf("unknown business: %v %v", resp, err)
	}
}

// BenchmarkTurn measures a turn through the emulator, as a caller sees it:
// prompt frame in → last reply frame out, with the real SDK management
// client posting replies. It reports store calls and posts per turn and the
// p50/p99 turn time. With AHCA_DYNAMODB_ENDPOINT it uses DynamoDB Local.
func BenchmarkTurn(b *testing.B) {
	r := newBenchRun(b, devOptions{Store: "memory"}, "bench")
	var durations []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := r.next(b, i, 20)
		start := time.Now()
		if reply, _ := c.turn(say("What are your hours?")); reply == "" {
			b.Fatal("empty reply")
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	r.report(b, "posts/turn")
}

// benchRun is what the turn benchmarks share: a local stack (on DynamoDB
// Local when AHCA_DYNAMODB_ENDPOINT is set, its calls counted), one
// conversation redialled now and then to keep sessions small, and the
// posts, reads and writes per turn since the last redial.
type benchRun struct {
	stack   *devStack
	counter *session.CallCounter
	dynamo  bool
	c       *client
	posts0  int64
	turns   int
}

// newBenchRun starts the stack of o; on DynamoDB Local in a new table named
// tablePrefix-<now>.
func newBenchRun(b *testing.B, o devOptions, tablePrefix string) *benchRun {
	r := &benchRun{counter: &session.CallCounter{}}
	if ep := os.Getenv("AHCA_DYNAMODB_ENDPOINT"); ep != "" {
		o.Store, o.DynamoDBEndpoint, o.Table = "dynamodb", ep, fmt.Sprintf("%s-%d", tablePrefix, time.Now().UnixNano())
		o.dynamoOptions = []func(*dynamodb.Options){r.counter.Option()}
		r.dynamo = true
	}
	r.stack = startTestStack(b, o)
	return r
}

// next returns the conversation for iteration i and counts the turn; every
// `every` iterations it is a fresh one (dialled with the timer stopped) and
// the counts start over.
func (r *benchRun) next(b *testing.B, i, every int) *client {
	if i%every == 0 {
		b.StopTimer()
		r.c = dialBusiness(b, r.stack, "superior-fencing")
		r.c.turn(`{"type":"setup"}`)
		r.posts0 = r.stack.Gateway.Posts.Load()
		r.counter.Reset()
		r.turns = 0
		b.StartTimer()
	}
	r.turns++
	return r.c
}

// report reports the posts per turn (as postsUnit) and, on DynamoDB, the
// reads and writes per turn.
func (r *benchRun) report(b *testing.B, postsUnit string) {
	b.ReportMetric(float64(r.stack.Gateway.Posts.Load()-r.posts0)/float64(r.turns), postsUnit)
	if !r.dynamo {
		return
	}
	var reads, writes int
	for op, n := range r.counter.Counts() {
		switch op {
		case "GetItem", "Query", "BatchGetItem", "Scan":
			reads += n
		default:
			writes += n
		}
	}
	b.ReportMetric(float64(reads)/float64(r.turns), "reads/turn")
	b.ReportMetric(float64(writes)/float64(r.turns), "writes/turn")
}

// End to end: an intake conversation through the local stack produces a
// transcript record and exactly one summary email in the outbox, from the
// business's own branding, on both stores.
func TestDevStackIntakeProducesTranscriptAndOneEmail(t *testing.T) {
	onBothStores(t, "dev-mail", func(t *testing.T, o devOptions) {
		stack := startTestStack(t, o)
		c := dialBusiness(t, stack, "superior-fencing")
		c.turn(`{"type":"setup"}`)
		for _, line := range []string{`My fence blew down <script>alert(1)</script>`, "My name is Jamie Rivera", "503 555 0142", "yes"} {
			c.turn(say(line))
		}
		var entries []email.OutboxEntry
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) { // delivery runs in the background, like the stream
			entries, _ = stack.Outbox.List()
			if len(entries) > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(entries) != 1 {
			t.Fatalf("outbox has %d emails, want 1", len(entries))
		}
		e := entries[0]
		if !strings.Contains(e.Subject, "Jamie Rivera") || !slices.Equal(e.To, []string{"office@superior-fence.example"}) {
			t.Errorf("email = %+v", e)
		}
		m, err := stack.Outbox.Message(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<script>alert") || !strings.Contains(m.HTML, "Superior Fence") {
			t.Errorf("email HTML not escaped or not branded")
		}
		recs, err := stack.Records.ListTranscripts(context.Background(), "superior-fencing", time.Time{}, 10)
		if err != nil || len(recs) != 1 || recs[0].Caller.Name != "Jamie Rivera" {
			t.Fatalf("transcripts = %+v, %v", recs, err)
		}
		resp, err := http.Get(stack.URL + "/dev/outbox/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "Jamie Rivera") || strings.Contains(string(page), "<script>alert") {
			t.Errorf("/dev/outbox/ = %d, want the email listed and escaped:\n%.400s", resp.StatusCode, page)
		}
		// The connection's close ($disconnect) must not send a second email.
		stack.Stop(context.Background())
		if entries, _ := stack.Outbox.List(); len(entries) != 1 {
			t.Errorf("outbox has %d emails after shutdown, want 1", len(entries))
		}
	})
}

// The banner names every enabled feature whose reference does not resolve
// here, so an operator learns it before a live emergency call does.
func TestDevBannerWarnsOfUnresolvedReferences(t *testing.T) {
	t.Setenv("SUPERIOR_FENCING_ON_CALL_PHONE", "")
	os.Unsetenv("SUPERIOR_FENCING_ON_CALL_PHONE")
	stack := startTestStack(t, devOptions{})
	var out strings.Builder
	writeDevReady(&out, devOptions{Store: "memory"}, stack)
	if !strings.Contains(out.String(), "warning:") || !strings.Contains(out.String(), "SUPERIOR_FENCING_ON_CALL_PHONE") {
		t.Errorf("banner does not warn about the on-call number:\n%s", out.String())
	}
	t.Setenv("SUPERIOR_FENCING_ON_CALL_PHONE", "+15035550111")
	stack = startTestStack(t, devOptions{})
	out.Reset()
	writeDevReady(&out, devOptions{Store: "memory"}, stack)
	if strings.Contains(out.String(), "SUPERIOR_FENCING_ON_CALL_PHONE") {
		t.Errorf("banner warns about a reference that resolves:\n%s", out.String())
	}
}
