package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/ahca/ahca/infra/apigw"
	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/emaildelivery"
	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
	"github.com/ahca/ahca/pkg/twiliovoice/twiliotest"
	"github.com/ahca/ahca/pkg/wsapi"
)

// devOptions configures the local stack.
type devOptions struct {
	Addr             string
	ConfigsDir       string
	WebDir           string
	Store            string // memory | dynamodb
	DynamoDBEndpoint string
	Table            string
	LogLevel         slog.Level
	NoLLM            bool
	DataDir          string // dev data (the email outbox)
	SESEndpoint      string // send summary emails to an SES emulator instead of the outbox
	// Lambdas: with --lambdas, the real bootstraps behind every route (lambdas.go).
	Lambdas lambdaOptions
	// llm replaces the model (tests and benchmarks use a fake).
	llm llm.Streamer
	// now replaces the clock of the business-hours gate (tests).
	now func() time.Time
	// dynamoOptions lets benchmarks count store calls.
	dynamoOptions []func(*dynamodb.Options)
	// IdleTimeout, when set, is every new session's idle timeout (and the
	// sweep runs every few seconds): --idle-timeout.
	IdleTimeout time.Duration
	// dropDisconnect loses the $disconnect of a connection, as API
	// Gateway sometimes does (the fault tests).
	dropDisconnect func(connectionID string) bool
}

// devAddr is where `ahca dev` listens by default, and where chat, call and
// transcripts look for it: 127.0.0.1:$PORT, or 127.0.0.1:8080.
func devAddr() string {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	return net.JoinHostPort("127.0.0.1", port)
}

const devAbout = `With no flags it needs no AWS account and no API key: the embedded store, ./configs and the
scripted agent (the LLM agent when OPENAI_API_KEY is set). PORT sets the port of the default address.
`

func devSetup(fs *flag.FlagSet) action {
	o := devOptions{}
	fs.StringVar(&o.Addr, "addr", devAddr(), "listen `addr`ess (the PORT environment variable sets the default's port)")
	fs.StringVar(&o.ConfigsDir, "configs", "configs", "business configs `dir`ectory")
	fs.StringVar(&o.WebDir, "web", "web", "web client `dir`ectory served at /")
	fs.StringVar(&o.Store, "store", "memory", "session `store`: memory (embedded) or dynamodb")
	fs.StringVar(&o.DynamoDBEndpoint, "dynamodb-endpoint", "", "DynamoDB endpoint `URL` for --store dynamodb (e.g. DynamoDB Local)")
	fs.StringVar(&o.Table, "table", "ahca-local", "DynamoDB `table` for --store dynamodb (created if missing)")
	verbose := fs.Bool("v", false, "debug logging")
	fs.BoolVar(&o.NoLLM, "no-llm", false, "use the scripted agent even when OPENAI_API_KEY is set")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", 0, "end every new session after this `duration` without activity, instead of its business's session.idleTimeout (the sweeper then runs every few seconds)")
	fs.StringVar(&o.DataDir, "data", ".ahca-dev", "dev data `dir`ectory (summary emails land in DIR/outbox)")
	fs.StringVar(&o.SESEndpoint, "ses-endpoint", "", "send summary emails to the SES endpoint at `URL` (e.g. aws-ses-v2-local) instead of the outbox")
	lambdaFlags(fs, &o.Lambdas)
	return func(ctx context.Context, inv *invocation) int {
		if *verbose {
			o.LogLevel = slog.LevelDebug
		}
		if err := lambdaDefaults(&o, inv.stderr); err != nil {
			return inv.usageError("%v", err)
		}
		return devCommand(ctx, o, inv.stdout, inv.stderr)
	}
}

// devStack is the whole product on one listener.
type devStack struct {
	URL     string
	Gateway *apigw.Gateway
	Store   session.Store
	Agent   string
	Outbox  *email.Outbox
	Records delivery.Records
	// Businesses are the ids of the configured businesses at startup.
	Businesses []string
	// SMS is the local Twilio Messages API the voicemail texts go to.
	SMS         *twiliotest.Messages
	TwilioToken string
	// Metrics are the counters served at /dev/metrics (devmetrics.go).
	Metrics *devMetrics
	// Unresolved are the references enabled features need that do not
	// resolve in this environment (the banner warns about each).
	Unresolved []business.Unresolved
	// Lambdas are the real functions behind the routes (--lambdas).
	Lambdas *lambdaStack
	// Counters are the businesses' usage counters (in the table with
	// --store dynamodb), shared by the engine and the summary pipeline.
	Counters session.Counters

	pipeline *delivery.Pipeline[email.Message]

	stream    *streamStore
	stopSweep context.CancelFunc
	server    *http.Server
	ln        net.Listener
}

// startDev builds and starts the local stack; it returns once it listens.
func startDev(ctx context.Context, o devOptions, log *slog.Logger) (*devStack, error) {
	reg := business.NewRegistry(business.DirSource{Dir: o.ConfigsDir}, business.RegistryOptions{Refresh: 2 * time.Second, Logger: log})
	set, err := reg.Current(ctx)
	if err != nil {
		return nil, err
	}
	metrics := newDevMetrics()
	o.dynamoOptions = append(o.dynamoOptions, metrics.dynamoOption())
	store, records, bookings, counters, err := devStore(ctx, o, log)
	if err != nil {
		return nil, err
	}
	outbox := email.NewOutbox(filepath.Join(o.DataDir, "outbox"))
	providers := &email.Providers{Outbox: outbox, Logger: log}
	if o.SESEndpoint != "" {
		providers = &email.Providers{Logger: log, SES: sesv2.New(sesv2.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(o.SESEndpoint),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		})}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	// Replies go through the real SDK client, pointed at the emulator's own
	// @connections API, exactly as a Lambda posts to API Gateway.
	mgmt := apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(base),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	// One set of usage counters for the engine and the summary pipeline, as
	// ws-* and email-summary share the table's: daily budgets, texts and
	// caller copies per hour are enforced here too.
	engine := &conversation.Engine{Configs: reg, Log: log, LLM: o.llm, Counters: counters, IdleTimeout: o.IdleTimeout}
	agent := "scripted intake agent"
	if engine.LLM == nil && !o.NoLLM && os.Getenv("OPENAI_API_KEY") != "" {
		// With a key, the business's AI agent answers; the scripted agent
		// remains the fallback. OPENAI_BASE_URL selects a compatible server.
		engine.LLM = openaiclient.New(openaiclient.Options{
			APIKey:  func(context.Context) (string, error) { return os.Getenv("OPENAI_API_KEY"), nil },
			BaseURL: os.Getenv("OPENAI_BASE_URL"), DefaultModel: os.Getenv("OPENAI_MODEL"), Logger: log,
		})
	}
	if engine.LLM != nil {
		agent = "LLM agent (scripted agent as fallback)"
	}
	// Ended sessions go to the summary pipeline the way the table's stream
	// feeds the email-summary Lambda.
	pipeline := emaildelivery.New(emaildelivery.Options{
		Store: records, Turns: store, Configs: reg, Providers: providers, Log: log, Counters: counters,
		Summarizer: &summary.Summarizer{LLM: engine.LLM, Log: log, Counters: counters},
		Businesses: func(ctx context.Context) ([]tenant.ID, error) {
			set, err := reg.Current(ctx)
			if err != nil {
				return nil, err
			}
			return set.IDs(), nil
		},
	})
	stream := newStreamStore(store, metrics.deliver(pipeline.Deliver), log)
	engine.Store = stream

	// Phone calls: Twilio's webhooks and signed ConversationRelay handshakes,
	// with texts going to a local fake of Twilio's Messages API.
	public := os.Getenv("PUBLIC_BASE_URL")
	if public == "" {
		public = base
	}
	wsURL := strings.Replace(public, "http", "ws", 1) + "/ws"
	token := devTwilioToken()
	resolver := secret.NewResolver(secret.Options{})
	smsFake := twiliotest.NewMessages(devTwilioAccount, token)
	reg2 := tools.Default()
	for _, d := range tools.CallTools(&twiliovoice.TwilioSMS{
		AccountSID: devTwilioAccount, From: "+15005550006", BaseURL: base + "/dev/twilio",
		AuthToken: func(context.Context) (string, error) { return token, nil },
	}, resolver.Resolve) {
		reg2.Register(d)
	}
	// Knowledge answers from each business's configs/businesses/<id>/knowledge
	// (embeddings when indexed and a key is set, else BM25).
	emb := embedderFromEnv()
	var searchers sync.Map // tenant.ID → *knowledge.Searcher
	findKnowledge := func(ctx context.Context, id tenant.ID) (tools.KnowledgeSearcher, error) {
		if s, ok := searchers.Load(id); ok {
			return s.(*knowledge.Searcher), nil
		}
		s, err := knowledge.OpenDir(knowledgeDir(o.ConfigsDir, id), id, emb)
		if err != nil {
			return nil, err
		}
		searchers.Store(id, s)
		return s, nil
	}
	reg2.Register(tools.KnowledgeTool(findKnowledge))
	reg2.Register(tools.BookingTool(bookings))
	engine.Tools = reg2
	// The scripted agent answers from the same knowledge and books on the
	// same calendar: both features work with no API key.
	engine.NewAgent = conversation.Assistants(findKnowledge, bookings)
	voice := &twiliovoice.Handler{
		Configs: reg, Calls: &twiliovoice.SessionCalls{Store: stream, IdleTimeout: o.IdleTimeout},
		AuthToken:     func(context.Context) (string, error) { return token, nil },
		PublicBaseURL: public, WebSocketURL: wsURL, Resolve: resolver.Resolve, Log: log, Now: o.now,
	}
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	go stream.run(sweepCtx, 30*time.Second)
	// The session-sweeper function's work, on the store the engine writes.
	if idle, ok := store.(session.IdleLister); ok {
		go newDevSweeper(idle, engine, relay.Gateway{API: mgmt}, log).Run(sweepCtx, sweepEvery(o.IdleTimeout))
	}
	h := &wsapi.Handlers{
		Admit: engine, Turns: engine, Ender: engine, Configs: reg, Posters: fixedPoster{relay.Gateway{API: mgmt}}, Log: log,
		TrustedOrigins: []string{base, "http://localhost:" + port, "http://127.0.0.1:" + port},
		Phone:          &wsapi.PhoneAdmission{AuthToken: voice.AuthToken, WSURL: wsURL, Store: stream},
	}
	connect, message, disconnect, twilio := h.Connect, h.Message, h.Disconnect, http.Handler(voice)
	var lambdas *lambdaStack
	if o.Lambdas.Enabled { // the real bootstraps instead (lambdas.go)
		if lambdas, err = startLambdas(ctx, o, base, wsURL, log); err != nil {
			stopSweep()
			ln.Close()
			return nil, err
		}
		connect, message, disconnect, twilio = lambdas.websocket("ws-connect"), lambdas.websocket("ws-message"), lambdas.websocket("ws-disconnect"), lambdas.twilio()
	}
	gw := &apigw.Gateway{Connect: metrics.lambda("ws-connect", connect), Default: metrics.lambda("ws-message", message),
		Disconnect: metrics.lambda("ws-disconnect", dropDisconnects(o.dropDisconnect, disconnect)), Log: log}
	metrics.posts = &gw.Posts
	if o.SESEndpoint == "" {
		metrics.emails = func() int { es, _ := outbox.List(); return len(es) }
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/ws", gw.ServeWS)
	mux.HandleFunc("/@connections/", gw.ServeManagement)
	mux.Handle("/twilio/", metrics.lambdaHTTP("twilio-voice", twilio))
	mux.Handle("GET /dev/metrics", metrics)
	mux.Handle("/dev/twilio/", http.StripPrefix("/dev/twilio", smsFake))
	mux.Handle("/dev/outbox/", http.StripPrefix("/dev/outbox", email.OutboxHandler(outbox, func() []email.Text {
		var texts []email.Text
		for _, m := range smsFake.Sent() {
			texts = append(texts, email.Text{Time: m.Created, To: m.To, From: m.From, Body: m.Body})
		}
		return texts
	})))
	mux.Handle("GET /dev/outbox", http.RedirectHandler("/dev/outbox/", http.StatusMovedPermanently))
	mux.Handle("GET /dev/transcripts", listTranscriptsHandler(records))
	mux.Handle("GET /dev/transcripts/{session}", showTranscriptHandler(records))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	web := &devWeb{reg: reg, dir: o.WebDir, base: base, wsURL: wsURL, allowed: h.AllowedOrigins, log: log}
	web.routes(mux)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("local stack ready", "url", base, "businesses", len(set.IDs()), "store", o.Store, "agent", agent)
	ids := make([]string, 0, len(set.IDs()))
	for _, id := range set.IDs() {
		ids = append(ids, string(id))
	}
	var unresolved []business.Unresolved
	for _, u := range set.UnresolvedRefs(os.LookupEnv) {
		if u.Function == business.FunctionEmailSummary && o.SESEndpoint == "" {
			continue // emails go to the outbox: no provider key is used
		}
		unresolved = append(unresolved, u)
	}
	return &devStack{URL: base, Businesses: ids, Unresolved: unresolved, Gateway: gw, Store: stream, Agent: agent, Outbox: outbox, Records: records, SMS: smsFake, TwilioToken: token, Metrics: metrics, Lambdas: lambdas, Counters: counters, pipeline: pipeline, stream: stream, stopSweep: stopSweep, server: srv, ln: ln}, nil
}

// Stop closes connections (running $disconnect) and the listener.
func (d *devStack) Stop(ctx context.Context) error {
	d.Gateway.Shutdown() // ends every open session ($disconnect)...
	d.stopSweep()
	d.stream.wait() // ...whose summaries are delivered before we exit
	if d.Lambdas != nil {
		d.Lambdas.Stop() // (with --lambdas, by email-summary from the table's stream)
	}
	return d.server.Shutdown(ctx)
}

// devStore returns the session, summary-record and booking stores and the
// usage counters (in the table, as the Lambdas keep them, with dynamodb).
func devStore(ctx context.Context, o devOptions, log *slog.Logger) (session.Store, delivery.Records, booking.Store, session.Counters, error) {
	switch o.Store {
	case "memory":
		return session.NewMemoryStore(), delivery.NewMemoryRecords(), booking.NewMemoryStore(), &session.MemoryCounters{}, nil
	case "dynamodb":
		if o.DynamoDBEndpoint == "" {
			return nil, nil, nil, nil, errors.New("--store dynamodb needs --dynamodb-endpoint (e.g. http://127.0.0.1:8000 for DynamoDB Local)")
		}
		// The functions' retry policy for a caller's turn (pkg/awsretry).
		retries := func(do *dynamodb.Options) { awsretry.Turn.Apply(&do.Retryer, &do.APIOptions, log) }
		client := dynamodb.New(dynamodb.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(o.DynamoDBEndpoint),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		}, append([]func(*dynamodb.Options){retries}, o.dynamoOptions...)...)
		if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(o.Table)}); err != nil {
			var missing *ddbtypes.ResourceNotFoundException
			if !errors.As(err, &missing) {
				return nil, nil, nil, nil, fmt.Errorf("dynamodb at %s: %w", o.DynamoDBEndpoint, err)
			}
			if err := session.CreateTable(ctx, client, o.Table); err != nil {
				return nil, nil, nil, nil, err
			}
		}
		return session.NewDynamoStore(client, o.Table), delivery.NewDynamoRecords(client, o.Table), booking.NewDynamoStore(client, o.Table),
			&session.DynamoCounters{Client: client, Table: o.Table}, nil
	default:
		return nil, nil, nil, nil, fmt.Errorf("--store %q: want memory or dynamodb", o.Store)
	}
}

// Development Twilio credentials: `ahca call` signs with the same token.
const (
	devTwilioAccount      = "AC00000000000000000000000000000000"
	defaultDevTwilioToken = "ahcadev0twilio0auth0token0000000"
)

// devTwilioToken is TWILIO_AUTH_TOKEN, or the documented development value.
func devTwilioToken() string {
	if t := os.Getenv("TWILIO_AUTH_TOKEN"); t != "" {
		return t
	}
	return defaultDevTwilioToken
}

// fixedPoster posts through one endpoint whatever the event's stage.
type fixedPoster struct{ g relay.Gateway }

func (f fixedPoster) For(events.APIGatewayWebsocketProxyRequestContext) conversation.Poster {
	return f.g
}

func devCommand(ctx context.Context, o devOptions, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "ahca dev: loading configs from %s/ (%s store) …\n", strings.TrimSuffix(o.ConfigsDir, "/"), o.Store)
	d, err := startDev(ctx, o, tenant.NewJSONLogger(stderr, o.LogLevel))
	if err != nil {
		return devStartFailed(o, err, stderr)
	}
	writeDevReady(stdout, o, d)
	<-ctx.Done()
	fmt.Fprintln(stdout, "ahca dev: stopping (open conversations end and their summaries are sent) …")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Stop(sctx); err != nil {
		fmt.Fprintf(stderr, "ahca dev: shutdown: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "stopped")
	return exitOK
}

// devStartFailed explains why the stack did not start.
func devStartFailed(o devOptions, err error, stderr io.Writer) int {
	var ps business.Problems
	switch {
	case errors.As(err, &ps):
		fmt.Fprintf(stderr, "ahca dev: the configs in %s do not validate:\n", o.ConfigsDir)
		for _, p := range ps {
			fmt.Fprintf(stderr, "  %s\n", p.Error())
		}
		return exitInvalid
	case errors.Is(err, syscall.EADDRINUSE):
		fmt.Fprintf(stderr, "ahca dev: %s is already in use (another ahca dev?): stop it, or pick another port with PORT=8081 or --addr\n", o.Addr)
	default:
		fmt.Fprintf(stderr, "ahca dev: %v\n", err)
	}
	return exitFailed
}

// writeDevReady says where everything is. infra/scripts/e2e.sh reads the
// "  web client:  URL/" line.
func writeDevReady(w io.Writer, o devOptions, d *devStack) {
	ws := strings.Replace(d.URL, "http://", "ws://", 1) + "/ws"
	mail := d.URL + "/dev/outbox/ (and the texts; files in " + d.Outbox.Dir() + ")"
	if o.SESEndpoint != "" {
		mail = "SES at " + o.SESEndpoint
	}
	// The CLI finds a stack on the default address by itself.
	chatURL, devURL := "", ""
	if d.URL != "http://"+devAddr() {
		chatURL, devURL = " --url "+ws, " --url "+d.URL
	}
	fmt.Fprintf(w, "ahca dev: %d business(es): %s\n", len(d.Businesses), strings.Join(d.Businesses, ", "))
	fmt.Fprintf(w, "ahca dev: listening on %s — web client at %s/\n", d.URL, d.URL)
	fmt.Fprintf(w, "AHCA local stack\n  web client:  %s/\n  websocket:   %s?businessId=<id>\n", d.URL, ws)
	fmt.Fprintf(w, "  widget:      %s/widget.js (snippet: %s)\n", d.URL, widgetSnippet(d.URL, "<id>"))
	fmt.Fprintf(w, "  demo site:   %s/demo/<id> (a second origin, with the snippet)\n", demoOrigin(d.URL))
	fmt.Fprintf(w, "  chat:        ahca chat --business <id>%s\n", chatURL)
	fmt.Fprintf(w, "  twilio:      %s/twilio/voice (ahca call --to <number>%s)\n", d.URL, devURL)
	fmt.Fprintf(w, "  transcripts: ahca transcripts list --business <id>%s\n", devURL)
	if d.Lambdas != nil {
		fmt.Fprintf(w, "  lambdas:     %s\n", d.Lambdas.describe())
	}
	fmt.Fprintf(w, "  store:       %s\n  agent:       %s\n  emails:      %s\n", o.Store, d.Agent, mail)
	for _, u := range d.Unresolved {
		fmt.Fprintf(w, "  warning:     %s\n", u)
	}
	fmt.Fprintln(w, "Ctrl-C stops it.")
}
