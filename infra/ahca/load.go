package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

const loadAbout = `Drives --conversations simultaneous conversations of --turns caller turns each against a stack:
web conversations over the WebSocket (setup, then prompts), phone calls as Twilio makes them (the
signed voice webhook, the signed ConversationRelay handshake, prompts, the Connect action and the
status callback, signed as "ahca call" signs them). A turn is timed from its prompt frame to the first
and to the last phrase (text frame with last:true) of the reply.

  answered  the reply arrived complete
  failed    an error frame came back instead
  lost      no complete reply within --turn-timeout, or the connection dropped
  missing   answered, but not in the stored transcript (checked on the local stack)

Against the local stack (loopback only) it reads the dev server's counters (/dev/metrics) before and
after: DynamoDB calls and the capacity they consumed, handler invocations and durations per function,
API Gateway messages, and checks each conversation's stored transcript. --in-process starts the stack
in this process (--store, --dynamodb-endpoint, --model-fake); "make dev" or "ahca dev" in another
terminal works too. A deployed stage needs --remote; its store and Lambda figures are in CloudWatch.

--json writes the report that "ahca cost --load FILE" prices. Every loop is bounded: at most 20,000
conversations of at most 500 turns, and the whole run ends after --max-time.
`

// Limits of a load run.
const (
	maxLoadConversations = 20000
	maxLoadTurns         = 500
	maxLoadTime          = 2 * time.Hour
)

type loadOptions struct {
	URL           string // the stack's HTTP base (dev server, or the Twilio webhook base of a stage)
	WSURL         string // the WebSocket URL ("" = URL's host, path /ws)
	Conversations int
	Turns         int
	Channel       string   // web | phone | both
	Businesses    []string // web: businesses, round robin ("" = the stack's /api/businesses)
	Numbers       []string // phone: dialled numbers, round robin ("" = from ConfigsDir)
	ConfigsDir    string
	Token         string
	Think         time.Duration
	Ramp          time.Duration
	TurnTimeout   time.Duration
	MaxTime       time.Duration
	Remote        bool
	Transcripts   bool
	Settle        time.Duration // how long to wait for the summaries to settle
	JSON          string

	// InProcess starts the local stack in this process.
	InProcess        bool
	Store            string
	DynamoDBEndpoint string
	ModelFake        time.Duration // > 0: the AI agent answers from a local fake model with this time to first token
	ModelFakeSet     bool
}

func loadSetup(fs *flag.FlagSet) action {
	o := loadOptions{}
	fs.StringVar(&o.URL, "url", "http://"+devAddr(), "HTTP base `URL` of the stack (ahca dev; for a stage, its Twilio webhook base)")
	fs.StringVar(&o.WSURL, "ws-url", "", "WebSocket `URL` (default: --url's host, path /ws)")
	fs.IntVar(&o.Conversations, "conversations", 10, "`number` of simultaneous conversations (at most 20000)")
	fs.IntVar(&o.Turns, "turns", 5, "caller `turns` per conversation (at most 500)")
	fs.StringVar(&o.Channel, "channel", "both", "`channel`: web, phone, or both (alternating)")
	biz := fs.String("business", "", "web: comma-separated business `IDs`, used in turn (default: every business the stack lists)")
	to := fs.String("to", "", "phone: comma-separated dialled `numbers`, used in turn (default: every number in --configs)")
	fs.StringVar(&o.ConfigsDir, "configs", "configs", "configs `dir`ectory the default numbers are read from (and --in-process serves)")
	fs.StringVar(&o.Token, "token", "", "Twilio auth `token` to sign with (default: TWILIO_AUTH_TOKEN, else ahca dev's development token)")
	fs.DurationVar(&o.Think, "think", 0, "pause before each prompt, after the greeting or the last reply (`duration`)")
	fs.DurationVar(&o.Ramp, "ramp", 2*time.Second, "spread the conversations' starts over this `duration`")
	fs.DurationVar(&o.TurnTimeout, "turn-timeout", 30*time.Second, "a reply not complete after this `duration` is lost")
	fs.DurationVar(&o.MaxTime, "max-time", 10*time.Minute, "end the whole run after this `duration` (at most 2h)")
	fs.BoolVar(&o.Remote, "remote", false, "allow a target that is not on this machine (a deployed stage)")
	fs.BoolVar(&o.Transcripts, "check-transcripts", true, "local stack: check every conversation's stored transcript")
	fs.DurationVar(&o.Settle, "settle", 3*time.Minute, "local stack: wait at most this `duration` after the conversations for the summaries (transcripts, emails) to settle")
	fs.StringVar(&o.JSON, "json", "", "write the report as JSON to `file` (for ahca cost)")
	fs.BoolVar(&o.InProcess, "in-process", false, "start the local stack in this process (loopback, a free port)")
	fs.StringVar(&o.Store, "store", "memory", "--in-process: session `store`, memory or dynamodb")
	fs.StringVar(&o.DynamoDBEndpoint, "dynamodb-endpoint", os.Getenv("AHCA_DYNAMODB_ENDPOINT"), "--in-process: DynamoDB `URL` for --store dynamodb (default: AHCA_DYNAMODB_ENDPOINT)")
	fs.DurationVar(&o.ModelFake, "model-fake", 0, "--in-process: the AI agent answers from a local stand-in model with this time to first token (`duration`; default: the scripted agent, no model)")
	return func(ctx context.Context, inv *invocation) int {
		o.Businesses, o.Numbers = stack.List(*biz), stack.List(*to)
		o.ModelFakeSet = inv.given("model-fake")
		if o.Token == "" {
			o.Token = devTwilioToken()
		}
		if msg := o.check(); msg != "" {
			return inv.usageError("%s", msg)
		}
		return loadCommand(ctx, inv, o)
	}
}

// check validates the options; it returns what is wrong, or "".
func (o *loadOptions) check() string {
	switch {
	case o.Conversations < 1 || o.Conversations > maxLoadConversations:
		return fmt.Sprintf("--conversations %d: want 1 to %d", o.Conversations, maxLoadConversations)
	case o.Turns < 1 || o.Turns > maxLoadTurns:
		return fmt.Sprintf("--turns %d: want 1 to %d", o.Turns, maxLoadTurns)
	case o.MaxTime <= 0 || o.MaxTime > maxLoadTime:
		return fmt.Sprintf("--max-time %s: want more than 0 and at most %s", o.MaxTime, maxLoadTime)
	case o.TurnTimeout <= 0 || o.Think < 0 || o.Ramp < 0 || o.Settle < 0:
		return "--turn-timeout must be positive, --think, --ramp and --settle not negative"
	case o.Ramp > maxLoadTime || o.Think > maxLoadTime || o.Settle > maxLoadTime:
		return fmt.Sprintf("--ramp, --think and --settle: at most %s", maxLoadTime)
	case o.Channel != "web" && o.Channel != "phone" && o.Channel != "both":
		return fmt.Sprintf("--channel %q: want web, phone or both", o.Channel)
	case o.ModelFakeSet && !o.InProcess:
		return "--model-fake needs --in-process (for a separate ahca dev, set OPENAI_BASE_URL to a stand-in server)"
	case o.InProcess && o.Remote:
		return "--in-process and --remote exclude each other"
	}
	if o.InProcess {
		return ""
	}
	for _, u := range []string{o.URL, o.WSURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return fmt.Sprintf("%q is not a URL", u)
		}
		if !o.Remote && !isLoopback(p.Hostname()) {
			return fmt.Sprintf("%s is not on this machine: pass --remote to load a deployed stage", p.Host)
		}
	}
	return ""
}

// isLoopback reports whether host names this machine (localhost or a
// loopback address), without a DNS lookup.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadCommand is `ahca load`.
func loadCommand(ctx context.Context, inv *invocation, o loadOptions) int {
	ctx, cancel := context.WithTimeout(ctx, o.MaxTime)
	defer cancel()
	var stack *devStack
	if o.InProcess {
		var err error
		var stop func()
		stack, stop, err = startLoadStack(ctx, &o, inv.stderr)
		if err != nil {
			return inv.failf(exitFailed, "starting the local stack: %v", err)
		}
		defer stop()
	}
	rep, err := runLoad(ctx, o, inv.stderr)
	if err != nil {
		if isRefused(err) {
			return inv.failf(exitFailed, "%s", notListening(refusedOrigin(err, o.URL)))
		}
		return inv.failf(exitFailed, "%v", err)
	}
	if stack != nil {
		rep.Agent = stack.Agent
	}
	writeLoadReport(inv.stdout, rep)
	if o.JSON != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.JSON, append(data, '\n'), 0o644); err != nil {
			return inv.failf(exitFailed, "--json: %v", err)
		}
		fmt.Fprintf(inv.stdout, "report written to %s (price it with: ahca cost --load %s)\n", o.JSON, o.JSON)
	}
	if rep.Counts.TurnsLost > 0 || rep.Counts.TurnsFailed > 0 || rep.Counts.TurnsMissing > 0 || rep.Counts.ConversationsFailed > 0 {
		return exitInvalid
	}
	return exitOK
}

// startLoadStack starts the local stack in this process on a loopback port
// and points o at it.
func startLoadStack(ctx context.Context, o *loadOptions, stderr io.Writer) (*devStack, func(), error) {
	data, err := os.MkdirTemp("", "ahca-load-")
	if err != nil {
		return nil, nil, err
	}
	do := devOptions{
		Addr: "127.0.0.1:0", ConfigsDir: o.ConfigsDir, WebDir: "web", Store: o.Store, DynamoDBEndpoint: o.DynamoDBEndpoint,
		Table: fmt.Sprintf("ahca-load-%d", time.Now().UnixNano()), DataDir: data, NoLLM: true, LogLevel: slog.LevelError,
		now: loadClock,
	}
	var fake *http.Server
	if o.ModelFake > 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		fake = &http.Server{Handler: fakeModelHandler(o.ModelFake, fakeModelReply), ReadHeaderTimeout: 10 * time.Second}
		go fake.Serve(ln)
		do.llm = openaiclient.New(openaiclient.Options{
			BaseURL: "http://" + ln.Addr().String() + "/v1", APIKey: func(context.Context) (string, error) { return "sk-load", nil },
		})
	}
	stack, err := startDev(ctx, do, tenant.NewJSONLogger(stderr, slog.LevelError))
	if err != nil {
		if fake != nil {
			fake.Close()
		}
		os.RemoveAll(data)
		return nil, nil, err
	}
	o.URL, o.WSURL = stack.URL, ""
	o.Token = stack.TwilioToken
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stack.Stop(sctx)
		if fake != nil {
			fake.Close()
		}
		os.RemoveAll(data)
	}
	return stack, stop, nil
}

// loadClock is a Tuesday at 10:00 in Los Angeles, inside every configured
// business's hours, so an in-process run does the same whenever it runs.
func loadClock() time.Time {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		loc = time.FixedZone("PST", -8*3600)
	}
	return time.Date(2026, 12, 1, 10, 0, 0, 0, loc)
}

// fakeModelReply is the stand-in model's answer: 26 words, two sentences.
const fakeModelReply = "Sure, our crew can look at that tomorrow morning. They will call you about thirty minutes before they arrive, so keep your phone nearby."

// fakeModelHandler answers OpenAI chat completions as a stream: the role
// chunk at once, the reply's words after ttft, then the finish chunk and
// [DONE]. It records nothing (pkg/llm/llmtest is the recording fake for
// tests); it only stands in for the model's time.
func fakeModelHandler(ttft time.Duration, reply string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 4<<20))
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl, _ := w.(http.Flusher)
		chunk := func(delta string, finish string) {
			d := map[string]any{"role": "assistant", "content": delta}
			var fr any
			if finish != "" {
				d, fr = map[string]any{}, finish
			}
			b, _ := json.Marshal(map[string]any{
				"id": "chatcmpl-load", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": "load-fake",
				"choices": []any{map[string]any{"index": 0, "delta": d, "finish_reason": fr}},
			})
			fmt.Fprintf(w, "data: %s\n\n", b)
			if fl != nil {
				fl.Flush()
			}
		}
		chunk("", "")
		select {
		case <-time.After(ttft):
		case <-r.Context().Done():
			return
		}
		words := strings.SplitAfter(reply, " ")
		for i := 0; i < len(words); i += 4 {
			chunk(strings.Join(words[i:min(i+4, len(words))], ""), "")
		}
		chunk("", "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
}

// callerLines are what a load caller says, in turn: questions and details
// that keep a conversation going (nothing that closes it, like "that's all").
var callerLines = []string{
	"Hi, a storm knocked part of my fence down last night",
	"What are your hours?",
	"Do you give free estimates?",
	"My name is Jordan Vega",
	"503 555 0142",
	"Where are you located?",
	"How long does a repair usually take?",
	"Do you work on weekends?",
	"Can you also fix a gate that sticks?",
	"Is there a charge for coming out to look?",
}

// Outcomes of a turn.
const (
	turnAnswered = "answered"
	turnFailed   = "failed"
	turnLost     = "lost"
	turnEnded    = "ended" // the conversation had ended before the prompt
)

type turnResult struct {
	Outcome string
	First   time.Duration // prompt sent → first phrase
	Last    time.Duration // prompt sent → last phrase
	Phrases int
	Words   int
	Detail  string // error code or what was lost
}

type convResult struct {
	Channel    string
	Business   string
	Session    string
	Turns      []turnResult
	EndedEarly bool          // the agent ended the conversation before the last turn
	Err        string        // the conversation could not start or broke off
	Connected  time.Duration // WebSocket open time
	Webhooks   int           // phone: Twilio webhook requests
}

// loadReport is what `ahca load` prints and writes with --json.
type loadReport struct {
	Tool          string         `json:"tool"`
	Started       time.Time      `json:"started"`
	ElapsedSec    float64        `json:"elapsedSeconds"`
	Target        string         `json:"target"`
	WSURL         string         `json:"wsUrl"`
	Remote        bool           `json:"remote"`
	Store         string         `json:"store,omitempty"`
	Agent         string         `json:"agent,omitempty"`
	ModelFakeMs   float64        `json:"modelFakeTtftMs,omitempty"`
	Conversations int            `json:"conversations"`
	Turns         int            `json:"turnsPerConversation"`
	Channel       string         `json:"channel"`
	ThinkMs       float64        `json:"thinkMs"`
	Counts        loadCounts     `json:"counts"`
	Latency       loadLatency    `json:"latencyMs"`
	Replies       loadReplies    `json:"replies"`
	Connection    loadConnTime   `json:"connections"`
	Errors        map[string]int `json:"errors,omitempty"`
	// Server is what the dev server counted during the run (/dev/metrics);
	// nil against a stage (CloudWatch has it) or an older dev server.
	Server     *devMetricsSnapshot `json:"server,omitempty"`
	ServerNote string              `json:"serverNote,omitempty"`
}

type loadCounts struct {
	ConversationsStarted int            `json:"conversationsStarted"`
	ConversationsFailed  int            `json:"conversationsFailed"`
	EndedEarly           int            `json:"endedEarly"`
	ByChannel            map[string]int `json:"byChannel"`
	TurnsSent            int            `json:"turnsSent"`
	TurnsAnswered        int            `json:"turnsAnswered"`
	TurnsFailed          int            `json:"turnsFailed"`
	TurnsLost            int            `json:"turnsLost"`
	TurnsNotSent         int            `json:"turnsNotSent"`
	TranscriptsChecked   int            `json:"transcriptsChecked"`
	TranscriptsMissing   int            `json:"transcriptsMissing"`
	TurnsMissing         int            `json:"turnsMissingFromTranscripts"`
	WebhookRequests      int            `json:"twilioWebhookRequests"`
}

type loadLatency struct {
	FirstPhrase percentiles `json:"firstPhrase"`
	LastPhrase  percentiles `json:"lastPhrase"`
	// Overhead is the first-phrase latency less the stand-in model's time to
	// first token (with --model-fake), else the first-phrase latency: the
	// scripted agent has no model time.
	Overhead percentiles `json:"serverOverheadFirstPhrase"`
}

type percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type loadReplies struct {
	PhrasesPerReply float64 `json:"phrasesPerReply"` // text frames (PostToConnection calls) per reply
	WordsPerReply   float64 `json:"wordsPerReply"`
}

type loadConnTime struct {
	// Seconds the WebSockets were open, summed (connection-minutes / 60).
	OpenSeconds float64 `json:"openSeconds"`
	Count       int     `json:"count"`
}

// runLoad runs the conversations and gathers the report.
func runLoad(ctx context.Context, o loadOptions, progress io.Writer) (*loadReport, error) {
	if o.WSURL == "" {
		o.WSURL = strings.Replace(strings.TrimSuffix(o.URL, "/"), "http", "ws", 1) + "/ws"
	}
	rep := &loadReport{Tool: "ahca load", Started: time.Now().UTC(), Target: o.URL, WSURL: o.WSURL, Remote: o.Remote,
		Conversations: o.Conversations, Turns: o.Turns, Channel: o.Channel, ThinkMs: ms(o.Think), ModelFakeMs: ms(o.ModelFake)}
	if o.InProcess {
		rep.Store = o.Store
	}
	webs, phones := 0, 0
	for i := range o.Conversations {
		if channelOf(o.Channel, i) == "web" {
			webs++
		} else {
			phones++
		}
	}
	if webs > 0 && len(o.Businesses) == 0 {
		ids, err := stackBusinesses(ctx, o.URL)
		if err != nil {
			return nil, fmt.Errorf("which businesses (--business): %w", err)
		}
		o.Businesses = ids
	}
	if phones > 0 && len(o.Numbers) == 0 {
		nums, err := configNumbers(ctx, o.ConfigsDir)
		if err != nil {
			return nil, fmt.Errorf("which numbers (--to): %w", err)
		}
		o.Numbers = nums
	}
	var before devMetricsSnapshot
	metricsOK := false
	if !o.Remote {
		var err error
		before, err = fetchDevMetrics(ctx, o.URL)
		if err != nil {
			rep.ServerNote = "no server counters: " + err.Error()
		} else {
			metricsOK = true
		}
	} else {
		rep.ServerNote = "a deployed stage: store calls and consumed capacity, Lambda durations and API Gateway messages are in CloudWatch (AWS/DynamoDB ConsumedRead/WriteCapacityUnits, AWS/Lambda Invocations and Duration, AWS/ApiGateway MessageCount and ConnectCount) — see ahca cost"
	}

	fmt.Fprintf(progress, "ahca load: %d conversations (%d web, %d phone) × %d turns against %s …\n", o.Conversations, webs, phones, o.Turns, o.URL)
	start := time.Now()
	results := make([]convResult, o.Conversations)
	var wg sync.WaitGroup
	for i := range o.Conversations {
		delay := time.Duration(0)
		if o.Conversations > 1 {
			delay = o.Ramp * time.Duration(i) / time.Duration(o.Conversations)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				results[i] = convResult{Channel: channelOf(o.Channel, i), Err: "not started: " + ctx.Err().Error()}
				return
			}
			if channelOf(o.Channel, i) == "web" {
				results[i] = webConversation(ctx, o, i)
			} else {
				results[i] = phoneConversation(ctx, o, i)
			}
		}()
	}
	wg.Wait()
	rep.ElapsedSec = time.Since(start).Seconds()

	var after devMetricsSnapshot
	var afterErr error
	if metricsOK {
		// Transcripts are stored after the conversations end, in the
		// background (the stream and email-summary): wait for that to settle.
		fmt.Fprintf(progress, "ahca load: conversations done in %.1fs; waiting for the summaries to settle …\n", rep.ElapsedSec)
		after, afterErr = settledDevMetrics(ctx, o.URL, o.Settle)
	}
	if !o.Remote && o.Transcripts && ctx.Err() == nil {
		fmt.Fprintf(progress, "ahca load: checking stored transcripts …\n")
		checkTranscripts(ctx, o.URL, results, &rep.Counts)
	}
	summarize(rep, results, o)
	if metricsOK {
		err := afterErr
		if err != nil {
			rep.ServerNote = "no server counters after the run: " + err.Error()
		} else {
			d := after.Sub(before)
			rep.Server = &d
			rep.ServerNote = "counted by the dev server during the run, other clients included"
		}
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func channelOf(channel string, i int) string {
	switch channel {
	case "web", "phone":
		return channel
	}
	if i%2 == 0 {
		return "web"
	}
	return "phone"
}

// stackBusinesses lists the businesses a dev server serves.
func stackBusinesses(ctx context.Context, base string) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/api/businesses", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []struct {
		ID string `json:"businessId"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/api/businesses answered %s", base, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return nil, err
	}
	var ids []string
	for _, b := range list {
		ids = append(ids, b.ID)
	}
	if len(ids) == 0 {
		return nil, errors.New("the stack serves no business")
	}
	return ids, nil
}

// configNumbers are the numbers routed to a business in a configs tree.
func configNumbers(ctx context.Context, dir string) ([]string, error) {
	reg := business.NewRegistry(business.DirSource{Dir: dir}, business.RegistryOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	set, err := reg.Current(ctx)
	if err != nil {
		return nil, err
	}
	var nums []string
	for n := range set.Numbers() {
		nums = append(nums, n)
	}
	if len(nums) == 0 {
		return nil, fmt.Errorf("no numbers in %s", dir)
	}
	sort.Strings(nums)
	return nums, nil
}

// fetchDevMetrics reads a dev server's /dev/metrics.
func fetchDevMetrics(ctx context.Context, base string) (devMetricsSnapshot, error) {
	var s devMetricsSnapshot
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/dev/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return s, fmt.Errorf("%s/dev/metrics answered %s (an ahca dev without counters?)", base, resp.Status)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&s)
	return s, err
}

// settledDevMetrics reads /dev/metrics once the summary pipeline has
// caught up: until three readings a second apart show the same
// email-summary invocations and store calls (at most wait).
func settledDevMetrics(ctx context.Context, base string, wait time.Duration) (devMetricsSnapshot, error) {
	prev, err := fetchDevMetrics(ctx, base)
	if err != nil {
		return prev, err
	}
	calls := func(s devMetricsSnapshot) (n int64) {
		for _, d := range s.DynamoDB {
			n += d.Calls
		}
		return n + s.Functions["email-summary"].Invocations
	}
	same := 0
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return prev, nil
		}
		cur, err := fetchDevMetrics(ctx, base)
		if err != nil {
			return prev, nil
		}
		if calls(cur) == calls(prev) {
			if same++; same == 2 {
				return cur, nil
			}
		} else {
			same = 0
		}
		prev = cur
	}
	return prev, nil
}

// frame is what the load client reads of an outbound frame.
type frame struct {
	Type      string `json:"type"`
	Token     string `json:"token"`
	Last      bool   `json:"last"`
	SessionID string `json:"sessionId"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// leg is one open WebSocket with one reader.
type leg struct {
	ws      *websocket.Conn
	frames  chan frame
	readErr chan error
	opened  time.Time
	session string // from session_ready
}

func openLeg(ctx context.Context, ws *websocket.Conn) *leg {
	l := &leg{ws: ws, frames: make(chan frame, 64), readErr: make(chan error, 1), opened: time.Now()}
	ws.SetReadLimit(1 << 20)
	go func() {
		defer close(l.frames)
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				l.readErr <- err
				return
			}
			var f frame
			if json.Unmarshal(data, &f) == nil {
				l.frames <- f
			}
		}
	}()
	return l
}

// reply waits for a reply to what was just sent: text frames until
// last:true, an error frame, an end frame, or the timeout.
func (l *leg) reply(sent time.Time, timeout time.Duration) (turnResult, bool) {
	var r turnResult
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	ended := false
	for {
		select {
		case <-timer.C:
			r.Outcome, r.Detail = turnLost, "no complete reply in "+timeout.String()
			return r, ended
		case f, open := <-l.frames:
			if !open {
				r.Outcome, r.Detail = turnLost, "connection closed: "+errString(<-l.readErr)
				return r, true
			}
			switch f.Type {
			case "session_ready":
				l.session = f.SessionID
			case "text":
				now := time.Since(sent)
				if r.Phrases == 0 {
					r.First = now
				}
				r.Phrases++
				r.Words += len(strings.Fields(f.Token))
				if f.Last {
					r.Last, r.Outcome = now, turnAnswered
					return r, ended
				}
			case "error":
				r.Outcome, r.Detail = turnFailed, "error frame "+f.Code
				return r, ended
			case "end":
				ended = true
				if r.Phrases == 0 { // the agent had already ended the conversation
					r.Outcome = turnEnded
					return r, true
				}
				if r.Phrases > 0 { // a reply without last:true, then the end
					r.Last, r.Outcome = time.Since(sent), turnAnswered
					return r, true
				}
			}
		}
	}
}

// endFollows reports whether an `end` is already queued for an `end` that follows a reply.
func (l *leg) endFollows() bool {
	select {
	case f, open := <-l.frames:
		return !open || f.Type == "end"
	default:
		return false
	}
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

func prompt(line string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "prompt", "voicePrompt": line, "lang": "en-US", "last": true})
	return b
}

// talk runs the caller's turns on an open leg.
func talk(ctx context.Context, o loadOptions, l *leg, res *convResult, i int) {
	for t := range o.Turns {
		if o.Think > 0 { // the caller hears the greeting or reply, then speaks
			select {
			case <-time.After(o.Think):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			res.Err = "run ended (--max-time): " + ctx.Err().Error()
			return
		}
		line := callerLines[(i+t)%len(callerLines)]
		sent := time.Now()
		wctx, cancel := context.WithTimeout(ctx, o.TurnTimeout)
		err := l.ws.Write(wctx, websocket.MessageText, prompt(line))
		cancel()
		if err != nil {
			res.Turns = append(res.Turns, turnResult{Outcome: turnLost, Detail: "write: " + err.Error()})
			res.Err = "connection broke off"
			return
		}
		r, ended := l.reply(sent, o.TurnTimeout)
		if r.Outcome == turnEnded {
			res.EndedEarly = true
			return
		}
		res.Turns = append(res.Turns, r)
		if r.Outcome == turnLost {
			res.Err = "conversation broke off after a lost turn"
			return
		}
		if ended || l.endFollows() {
			if t < o.Turns-1 {
				res.EndedEarly = true
			}
			return
		}
	}
}

// webConversation is one web chat: connect, setup, greeting, turns, close.
func webConversation(ctx context.Context, o loadOptions, i int) convResult {
	biz := o.Businesses[i%len(o.Businesses)]
	res := convResult{Channel: "web", Business: biz}
	u, err := url.Parse(o.WSURL)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	q := u.Query()
	q.Set("businessId", biz)
	u.RawQuery = q.Encode()
	dctx, cancel := context.WithTimeout(ctx, o.TurnTimeout)
	ws, resp, err := websocket.Dial(dctx, u.String(), nil)
	cancel()
	if err != nil {
		res.Err = "connect: " + dialError(resp, err)
		return res
	}
	defer ws.CloseNow()
	l := openLeg(ctx, ws)
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"setup"}`)); err != nil {
		res.Err = "setup: " + err.Error()
		return res
	}
	// The setup's answer: session_ready, then the greeting.
	greeting, ended := l.reply(time.Now(), o.TurnTimeout)
	res.Session = l.session
	if greeting.Outcome != turnAnswered || ended || res.Session == "" {
		res.Err = "no session_ready and greeting: " + greeting.Detail
		return res
	}
	talk(ctx, o, l, &res, i)
	ws.Close(websocket.StatusNormalClosure, "load caller done")
	res.Connected = time.Since(l.opened)
	return res
}

func dialError(resp *http.Response, err error) string {
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		return fmt.Sprintf("refused (%d): %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return err.Error()
}

// phoneConversation is one call as Twilio makes it, signed with the
// token as `ahca call` signs it (callSim.webhook, twiliovoice.Sign).
func phoneConversation(ctx context.Context, o loadOptions, i int) convResult {
	to := o.Numbers[i%len(o.Numbers)]
	res := convResult{Channel: "phone"}
	sim := &callSim{base: strings.TrimSuffix(o.URL, "/"), token: o.Token, to: to,
		from: fmt.Sprintf("+1541555%04d", i%10000), out: io.Discard}
	sim.callSID = fmt.Sprintf("CA%032x", uint64(time.Now().UnixNano())^uint64(i)<<40)
	res.Session = sim.callSID
	res.Webhooks++
	doc, err := sim.webhook(ctx, sim.base+"/twilio/voice", map[string]string{"Direction": "inbound", "CallStatus": "ringing"})
	if err != nil {
		res.Err = "voice webhook: " + err.Error()
		return res
	}
	if doc.Connect == nil {
		res.Err = "voice webhook did not connect ConversationRelay"
		return res
	}
	relayURL := doc.Connect.Relay.URL
	if u, err := url.Parse(relayURL); err == nil {
		res.Business = u.Query().Get(twiliovoice.ParamBusinessID)
	}
	hdr := http.Header{}
	hdr.Set(twiliovoice.SignatureHeader, twiliovoice.Sign(o.Token, relayURL, nil))
	dctx, cancel := context.WithTimeout(ctx, o.TurnTimeout)
	ws, resp, err := websocket.Dial(dctx, relayURL, &websocket.DialOptions{HTTPHeader: hdr})
	cancel()
	if err != nil {
		res.Err = "relay handshake: " + dialError(resp, err)
		return res
	}
	l := openLeg(ctx, ws)
	setup, _ := json.Marshal(map[string]any{"type": "setup", "sessionId": "VX" + sim.callSID[2:], "callSid": sim.callSID,
		"from": sim.from, "to": to, "direction": "inbound"})
	if err := ws.Write(ctx, websocket.MessageText, setup); err != nil {
		ws.CloseNow()
		res.Err = "relay setup: " + err.Error()
		return res
	}
	talk(ctx, o, l, &res, i)
	ws.Close(websocket.StatusNormalClosure, "caller hung up")
	res.Connected = time.Since(l.opened)
	// Twilio then calls the Connect action, and at the end the status callback.
	if doc.Connect.Action != "" {
		res.Webhooks++
		if _, err := sim.webhook(ctx, doc.Connect.Action, map[string]string{"HandoffData": "", "CallStatus": "in-progress"}); err != nil && res.Err == "" {
			res.Err = "connect action: " + err.Error()
		}
	}
	res.Webhooks++
	if _, err := sim.webhook(ctx, sim.base+"/twilio/status", map[string]string{"CallStatus": "completed", "CallDuration": "60"}); err != nil && res.Err == "" {
		res.Err = "status callback: " + err.Error()
	}
	return res
}

// checkTranscripts finds each conversation's stored transcript on the dev
// server and counts the answered caller turns missing from it. It runs once
// the summaries have settled; a transcript not found is looked for again
// twice, a second apart (a minute in all at most).
func checkTranscripts(ctx context.Context, base string, results []convResult, c *loadCounts) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	recs := devRecords{base: strings.TrimSuffix(base, "/")}
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := &results[i]
				answered := 0
				for _, t := range r.Turns {
					if t.Outcome == turnAnswered {
						answered++
					}
				}
				stored, found := -1, false
				for try := 0; try < 3 && ctx.Err() == nil; try++ {
					rec, err := recs.FindTranscript(ctx, tenant.ID(r.Business), r.Session)
					if err == nil {
						found, stored = true, 0
						for _, t := range rec.Turns {
							if t.Role == "caller" {
								stored++
							}
						}
						break
					}
					select {
					case <-time.After(time.Second):
					case <-ctx.Done():
					}
				}
				mu.Lock()
				c.TranscriptsChecked++
				if !found {
					c.TranscriptsMissing++
					c.TurnsMissing += answered
				} else if stored < answered {
					c.TurnsMissing += answered - stored
				}
				mu.Unlock()
			}
		}()
	}
	for i := range results {
		if results[i].Session != "" && results[i].Business != "" && len(results[i].Turns) > 0 {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
}

// summarize fills the report's counts and figures from the results.
func summarize(rep *loadReport, results []convResult, o loadOptions) {
	c := &rep.Counts
	c.ByChannel = map[string]int{}
	rep.Errors = map[string]int{}
	var first, last, overhead []float64
	phrases, words := 0, 0
	for _, r := range results {
		c.ByChannel[r.Channel]++
		c.WebhookRequests += r.Webhooks
		if r.Err != "" {
			rep.Errors[shortError(r.Err)]++
		}
		if len(r.Turns) == 0 && r.Err != "" {
			c.ConversationsFailed++
		} else {
			c.ConversationsStarted++
		}
		if r.EndedEarly {
			c.EndedEarly++
		}
		if r.Connected > 0 {
			rep.Connection.Count++
			rep.Connection.OpenSeconds += r.Connected.Seconds()
		}
		if !r.EndedEarly {
			c.TurnsNotSent += o.Turns - len(r.Turns)
		}
		for _, t := range r.Turns {
			c.TurnsSent++
			switch t.Outcome {
			case turnAnswered:
				c.TurnsAnswered++
				first = append(first, ms(t.First))
				last = append(last, ms(t.Last))
				overhead = append(overhead, math.Max(0, ms(t.First)-ms(o.ModelFake)))
				phrases += t.Phrases
				words += t.Words
			case turnFailed:
				c.TurnsFailed++
				rep.Errors[t.Detail]++
			case turnLost:
				c.TurnsLost++
				rep.Errors[shortError(t.Detail)]++
			}
		}
	}
	rep.Latency = loadLatency{FirstPhrase: percentilesOf(first), LastPhrase: percentilesOf(last), Overhead: percentilesOf(overhead)}
	if c.TurnsAnswered > 0 {
		rep.Replies.PhrasesPerReply = float64(phrases) / float64(c.TurnsAnswered)
		rep.Replies.WordsPerReply = float64(words) / float64(c.TurnsAnswered)
	}
	if len(rep.Errors) == 0 {
		rep.Errors = nil
	}
}

// shortError keeps error messages groupable (no addresses or ports).
func shortError(s string) string {
	if i := strings.Index(s, "dial tcp"); i >= 0 {
		if j := strings.LastIndex(s, ": "); j > i {
			return s[:i] + "dial tcp …" + s[j:]
		}
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// percentilesOf summarizes samples (any order; it sorts a copy).
func percentilesOf(samples []float64) percentiles {
	if len(samples) == 0 {
		return percentiles{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return percentiles{N: len(s), P50: percentile(s, 0.50), P90: percentile(s, 0.90), P99: percentile(s, 0.99), Max: s[len(s)-1]}
}

// percentile is the nearest-rank percentile of sorted samples: the
// smallest sample with at least p of all samples at or below it.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// writeLoadReport prints the report for people.
func writeLoadReport(w io.Writer, r *loadReport) {
	c := r.Counts
	fmt.Fprintf(w, "ahca load: %d conversations × %d turns (%s) against %s in %.1fs\n", r.Conversations, r.Turns, r.Channel, r.Target, r.ElapsedSec)
	if r.Agent != "" || r.Store != "" {
		fmt.Fprintf(w, "  stack:        in-process, %s store, %s\n", r.Store, r.Agent)
	}
	fmt.Fprintf(w, "  conversations: %d started (%d web, %d phone), %d failed to start, %d ended by the agent early\n",
		c.ConversationsStarted, c.ByChannel["web"], c.ByChannel["phone"], c.ConversationsFailed, c.EndedEarly)
	fmt.Fprintf(w, "  turns:        %d sent, %d answered, %d failed (error frame), %d lost (no reply), %d not sent\n",
		c.TurnsSent, c.TurnsAnswered, c.TurnsFailed, c.TurnsLost, c.TurnsNotSent)
	if c.TranscriptsChecked > 0 {
		fmt.Fprintf(w, "  transcripts:  %d checked, %d missing, %d answered caller turns missing from them\n", c.TranscriptsChecked, c.TranscriptsMissing, c.TurnsMissing)
	}
	p := func(name string, q percentiles) {
		fmt.Fprintf(w, "  %-13s p50 %7.1f ms   p90 %7.1f ms   p99 %7.1f ms   max %7.1f ms\n", name, q.P50, q.P90, q.P99, q.Max)
	}
	p("first phrase:", r.Latency.FirstPhrase)
	p("last phrase:", r.Latency.LastPhrase)
	if r.ModelFakeMs > 0 {
		p("overhead:", r.Latency.Overhead)
		fmt.Fprintf(w, "                (first phrase less the stand-in model's %.0f ms to first token)\n", r.ModelFakeMs)
	} else if r.Agent != "" && !strings.Contains(r.Agent, "LLM") {
		fmt.Fprintln(w, "                (the scripted agent has no model time: the latency is all server overhead)")
	}
	fmt.Fprintf(w, "  replies:      %.2f phrases (posts) per reply, %.1f words per reply\n", r.Replies.PhrasesPerReply, r.Replies.WordsPerReply)
	fmt.Fprintf(w, "  connections:  %d, open %.1f s in all; %d Twilio webhook requests\n", r.Connection.Count, r.Connection.OpenSeconds, c.WebhookRequests)
	for msg, n := range r.Errors {
		fmt.Fprintf(w, "  error ×%d: %s\n", n, msg)
	}
	s := r.Server
	if s == nil {
		fmt.Fprintf(w, "  server:       %s\n", r.ServerNote)
		return
	}
	turns := float64(max(c.TurnsSent, 1))
	reads, writes, ru, wu := s.storeTotals()
	fmt.Fprintf(w, "  store:        %d reads (%.2f/turn), %d writes (%.2f/turn); %.1f read units (%.2f/turn), %.1f write units (%.2f/turn)\n",
		reads, float64(reads)/turns, writes, float64(writes)/turns, ru, ru/turns, wu, wu/turns)
	ops := slices.Sorted(maps.Keys(s.DynamoDB))
	for _, op := range ops {
		d := s.DynamoDB[op]
		idx := ""
		for name, u := range d.IndexUnits {
			idx += fmt.Sprintf(", %s %.1f", name, u)
		}
		unrep := ""
		if d.Unreported > 0 {
			unrep = fmt.Sprintf(", %d without capacity in the response", d.Unreported)
		}
		fmt.Fprintf(w, "    %-18s %6d calls (%d errors, %d attempts), mean %.1f ms, max %.0f ms; %.1f units (table %.1f%s); %.0f B/call out, %.0f B/call in%s\n",
			op, d.Calls, d.Errors, d.Attempts, d.LatencyMs/float64(max(d.Calls, 1)), d.MaxMs, d.Capacity, d.TableUnits, idx,
			float64(d.RequestBytes)/float64(max(d.Attempts, 1)), float64(d.ResponseBytes)/float64(max(d.Attempts, 1)), unrep)
	}
	fmt.Fprintf(w, "  api gateway:  %d messages in, %d out (%.2f out per turn)\n", s.APIGateway.MessagesIn, s.APIGateway.MessagesOut, float64(s.APIGateway.MessagesOut)/turns)
	fmt.Fprintln(w, "  functions:    (handler time in the emulator; DynamoDB calls and units per invocation)")
	fns := slices.Sorted(maps.Keys(s.Functions))
	if _, ok := s.DynamoDBByFunction["other"]; ok {
		fns = append(fns, "other")
	}
	for _, fn := range fns {
		f := s.Functions[fn]
		u := s.DynamoDBByFunction[fn]
		n := float64(max(f.Invocations, 1))
		if fn == "other" {
			fmt.Fprintf(w, "    %-14s %6s (outside any function: the transcript check, sweeps) %d reads, %d writes, %.1f / %.1f units\n",
				fn, "", u.Reads, u.Writes, u.ReadUnits, u.WriteUnits)
			continue
		}
		fmt.Fprintf(w, "    %-14s %6d invocations (%d errors), mean %.1f ms, max %.0f ms, %d ms billed; %.2f reads %.2f writes, %.2f RRU %.2f WRU\n",
			fn, f.Invocations, f.Errors, f.DurationMs/n, f.MaxMs, f.BilledMs, float64(u.Reads)/n, float64(u.Writes)/n, u.ReadUnits/n, u.WriteUnits/n)
	}
	fmt.Fprintf(w, "  emails:       %d\n  (%s)\n", s.Emails, r.ServerNote)
}
