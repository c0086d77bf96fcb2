package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/ahca/ahca/infra/apigw"
	"github.com/ahca/ahca/infra/localaws"
	"github.com/ahca/ahca/pkg/secret"
)

// `ahca dev --lambdas`: the same local stack, but every route invokes the
// real bootstrap built from functions/<name>, each under the AWS Lambda
// Runtime Interface Emulator, with the environment template.yaml gives it
// (resolved by lambdaLocals) and the SDK's endpoint variables pointing at
// local services:
//
//	DynamoDB          DynamoDB Local (--dynamodb-endpoint), the table's stream feeding email-summary
//	S3                the in-process stand-in (localaws), holding --configs as the config bucket
//	SSM, Secrets Mgr  the in-process stand-in: the stage's Twilio settings, and under /ahca/<stage>/…
//	                  the same-named environment variable of a stage-relative reference
//	                  (SUPERIOR_FENCING_ON_CALL_PHONE for …/superior-fencing/on-call-phone)
//	SES v2            the SES emulator (--ses-endpoint)
//	@connections      this listener's management API (WS_MANAGEMENT_ENDPOINT)
//
// The WebSocket gateway emulator and the Twilio webhooks invoke the
// functions with the events API Gateway sends; the stream mapping
// (localaws.StreamMapping) invokes email-summary as Lambda's event source
// mapping does, with the template's filter, batch size and retry settings.

// rieModule is the Runtime Interface Emulator, pinned for reproducibility
// (the module has no tagged releases; this is its pseudo-version).
const (
	rieModule  = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

// The local stand-ins' names and credentials.
const (
	localStage     = "dev"
	localConfigBkt = "ahca-dev-config-local"
	localAccessKey = "local"
	localSMSFrom   = "+15005550006"
	localLambdaMax = 4 // execution environments per function
)

// lambdaOptions are the flags of --lambdas.
type lambdaOptions struct {
	Enabled  bool
	Template string
	RIE      string
	Bin      string // prebuilt bootstraps (<Bin>/<name>/bootstrap); empty: build them
	// Output receives the functions' output and the build's progress.
	Output io.Writer
}

func lambdaFlags(fs *flag.FlagSet, o *lambdaOptions) {
	fs.BoolVar(&o.Enabled, "lambdas", false, "run every route through the real functions/* bootstraps under the Lambda Runtime Interface Emulator (needs DynamoDB Local and the SES emulator: --dynamodb-endpoint/AHCA_DYNAMODB_ENDPOINT, --ses-endpoint/AHCA_SES_ENDPOINT)")
	fs.StringVar(&o.Template, "template", "template.yaml", "with --lambdas: the SAM `template` the functions' environment comes from")
	fs.StringVar(&o.RIE, "rie", "", "with --lambdas: the aws-lambda-rie `executable` (default: on PATH or in $GOPATH/bin)")
	fs.StringVar(&o.Bin, "lambda-bin", "", "with --lambdas: use the bootstraps in `dir`/<function>/bootstrap instead of building them")
}

// lambdaDefaults completes devOptions for --lambdas: the functions store
// sessions in DynamoDB (Local), and email through SES (the emulator).
func lambdaDefaults(o *devOptions, stderr io.Writer) error {
	if !o.Lambdas.Enabled {
		return nil
	}
	o.Lambdas.Output = stderr
	if o.DynamoDBEndpoint == "" {
		o.DynamoDBEndpoint = os.Getenv("AHCA_DYNAMODB_ENDPOINT")
	}
	if o.SESEndpoint == "" {
		o.SESEndpoint = os.Getenv("AHCA_SES_ENDPOINT")
	}
	var missing []string
	if o.DynamoDBEndpoint == "" {
		missing = append(missing, "DynamoDB Local (--dynamodb-endpoint, or eval \"$(bash infra/scripts/dynamodb-local.sh start)\")")
	}
	if o.SESEndpoint == "" {
		missing = append(missing, "the SES emulator (--ses-endpoint, or eval \"$(bash infra/scripts/ses-local.sh start)\")")
	}
	if len(missing) > 0 {
		return fmt.Errorf("--lambdas needs %s", strings.Join(missing, " and "))
	}
	if o.Store != "" && o.Store != "memory" && o.Store != "dynamodb" {
		return fmt.Errorf("--store %q: want memory or dynamodb", o.Store)
	}
	o.Store = "dynamodb"
	return nil
}

// lambdaStack is the functions and the AWS stand-ins behind them.
type lambdaStack struct {
	Functions map[string]*localaws.Function // by name: ws-connect, …
	AWS       *localaws.Server
	Stream    *localaws.StreamMapping
	// Env is each function's environment (tests and the ready message).
	Env map[string]map[string]string
	Bin string

	log        *slog.Logger
	awsSrv     *http.Server
	sync       *localaws.DirSync
	stop       context.CancelFunc
	streamDone chan struct{}
	failedMu   sync.Mutex
	failed     int // stream batches given up on
}

// lambdaEndpoints are the addresses the functions are pointed at.
type lambdaEndpoints struct {
	Base     string // this listener: http://127.0.0.1:<port> (Twilio webhooks, @connections)
	WS       string // the WebSocket stage URL: ws://127.0.0.1:<port>/ws
	DynamoDB string
	SES      string
	AWS      string // the S3/SSM/Secrets Manager stand-in
}

// lambdaLocals gives template.yaml's references their local meaning: the
// stage, the table, the bucket, the APIs' URLs. A reference that is not
// here (a new resource, a parameter without a default) makes
// Template.Environment fail, and TestLambdaEnvironment with it.
func lambdaLocals(table, streamARN string, ep lambdaEndpoints, openAIBaseURL string) localaws.Locals {
	tableARN := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", localaws.Region, localaws.Account, table)
	return localaws.Locals{
		Parameters: map[string]string{"Stage": localStage, "OpenAIBaseURL": openAIBaseURL},
		Pseudo: map[string]string{"AWS::Region": localaws.Region, "AWS::AccountId": localaws.Account,
			"AWS::Partition": "aws", "AWS::StackName": "ahca-" + localStage, "AWS::URLSuffix": "amazonaws.com"},
		Refs: map[string]string{"AppTable": table, "ConfigBucket": localConfigBkt},
		Attrs: map[string]string{
			"AppTable.Arn": tableARN, "AppTable.StreamArn": streamARN,
			"ConfigBucket.Arn": "arn:aws:s3:::" + localConfigBkt,
		},
		APIs: map[string]string{"TwilioHttpApi": ep.Base, "WebHttpApi": ep.Base, "WebSocketApi": ep.WS},
	}
}

// lambdaRuntimeEnv is what Lambda adds to a function's environment, and
// what the local stack adds on top of template.yaml: credentials, region,
// the SDK's endpoint variables, the management API (API Gateway's own
// https://{domain}/{stage} is not what the emulator listens on) and the web
// client's origin (served by this listener).
func lambdaRuntimeEnv(ep lambdaEndpoints, logLevel slog.Level) map[string]string {
	level := "INFO"
	if logLevel <= slog.LevelDebug {
		level = "DEBUG"
	}
	u, _ := urlHostPort(ep.Base)
	return map[string]string{
		"AWS_REGION": localaws.Region, "AWS_DEFAULT_REGION": localaws.Region,
		"AWS_ACCESS_KEY_ID": localAccessKey, "AWS_SECRET_ACCESS_KEY": localAccessKey, "AWS_SESSION_TOKEN": localAccessKey,
		"AWS_LAMBDA_LOG_LEVEL": level, "AWS_LAMBDA_LOG_FORMAT": "JSON",
		// Anything without a stand-in lands on localaws, which refuses it
		// by name, rather than on real AWS.
		"AWS_ENDPOINT_URL":                  ep.AWS,
		"AWS_ENDPOINT_URL_DYNAMODB":         ep.DynamoDB,
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ep.DynamoDB,
		"AWS_ENDPOINT_URL_S3":               ep.AWS,
		"AWS_ENDPOINT_URL_SSM":              ep.AWS,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":  ep.AWS,
		"AWS_ENDPOINT_URL_SESV2":            ep.SES,
		"WS_MANAGEMENT_ENDPOINT":            ep.Base,
		"WEB_ORIGIN":                        ep.Base + ",http://localhost:" + u + ",http://127.0.0.1:" + u,
	}
}

func urlHostPort(base string) (string, error) {
	_, port, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://"))
	return port, err
}

// startLambdas builds the bootstraps, starts the stand-ins and the stream
// mapping, and returns the stack; the functions start on first use.
func startLambdas(ctx context.Context, o devOptions, base, wsURL string, log *slog.Logger) (*lambdaStack, error) {
	stderr := o.Lambdas.Output
	if stderr == nil {
		stderr = os.Stderr
	}
	tmpl, err := localaws.ReadTemplate(o.Lambdas.Template)
	if err != nil {
		return nil, fmt.Errorf("--lambdas: %w", err)
	}
	rie, err := findRIE(o.Lambdas.RIE)
	if err != nil {
		return nil, err
	}
	// The table's stream: Lambda's event source, DynamoDB Local's here.
	ddb := dynamodb.New(dynamodb.Options{Region: localaws.Region, BaseEndpoint: aws.String(o.DynamoDBEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(localAccessKey, localAccessKey, "")})
	streamARN, err := ensureStream(ctx, ddb, o.Table)
	if err != nil {
		return nil, err
	}

	l := &lambdaStack{Functions: map[string]*localaws.Function{}, Env: map[string]map[string]string{}, log: log}
	l.AWS = localaws.NewServer(log)
	l.AWS.Values.SetParameter("/ahca/"+localStage+"/twilio-auth-token", devTwilioToken())
	l.AWS.Values.SetParameter("/ahca/"+localStage+"/twilio-account-sid", devTwilioAccount)
	l.AWS.Values.SetParameter("/ahca/"+localStage+"/twilio-sms-from", localSMSFrom)
	l.AWS.Values.Fallback = localSecret(os.LookupEnv, o.NoLLM)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l.awsSrv = &http.Server{Handler: l.AWS, ReadHeaderTimeout: 10 * time.Second}
	go l.awsSrv.Serve(ln)
	l.sync = &localaws.DirSync{Server: l.AWS, Bucket: localConfigBkt, Dir: o.ConfigsDir,
		Skip: func(rel string, d fs.DirEntry) bool { return rel == "schema" }}
	if _, _, err := l.sync.Sync(); err != nil {
		l.awsSrv.Close()
		return nil, err
	}

	ep := lambdaEndpoints{Base: base, WS: wsURL, DynamoDB: o.DynamoDBEndpoint, SES: o.SESEndpoint, AWS: "http://" + ln.Addr().String()}
	openAIBase := ""
	if !o.NoLLM {
		openAIBase = os.Getenv("OPENAI_BASE_URL")
	}
	locals := lambdaLocals(o.Table, streamARN, ep, openAIBase)
	l.Bin = o.Lambdas.Bin
	if l.Bin == "" {
		l.Bin = filepath.Join(o.DataDir, "lambdas")
		if err := buildBootstraps(ctx, tmpl, l.Bin, stderr); err != nil {
			l.awsSrv.Close()
			return nil, err
		}
	}
	out := &lambdaOutput{w: stderr, verbose: o.LogLevel <= slog.LevelDebug}
	for _, tf := range tmpl.Functions {
		env, err := tmpl.Environment(tf, locals)
		if err != nil {
			l.awsSrv.Close()
			return nil, fmt.Errorf("--lambdas: %w", err)
		}
		for k, v := range lambdaRuntimeEnv(ep, o.LogLevel) {
			env[k] = v
		}
		if m := os.Getenv("OPENAI_MODEL"); m != "" && env["OPENAI_API_KEY_REF"] != "" {
			env["OPENAI_MODEL"] = m
		}
		bootstrap := filepath.Join(l.Bin, tf.Name, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			l.awsSrv.Close()
			return nil, fmt.Errorf("--lambdas: %s: %w", tf.LogicalID, err)
		}
		l.Env[tf.Name] = env
		l.Functions[tf.Name] = &localaws.Function{Name: tf.Name, Bootstrap: bootstrap, Env: env,
			Timeout: time.Duration(tf.Timeout) * time.Second, MemoryMB: tf.MemoryMB, MaxConcurrency: localLambdaMax,
			RIE: rie, Output: out, Log: log}
	}
	for _, name := range []string{"ws-connect", "ws-message", "ws-disconnect", "twilio-voice", "email-summary"} {
		if l.Functions[name] == nil {
			l.awsSrv.Close()
			return nil, fmt.Errorf("--lambdas: %s has no function %s", o.Lambdas.Template, name)
		}
	}

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.stop = stop
	l.streamDone = make(chan struct{})
	streams := dynamodbstreams.New(dynamodbstreams.Options{Region: localaws.Region, BaseEndpoint: aws.String(o.DynamoDBEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(localAccessKey, localAccessKey, "")})
	var mapping *localaws.EventSourceMapping
	for i, m := range tmpl.Mappings {
		if m.Source == "AppTable.StreamArn" && tmpl.Functions[m.Function] != nil && tmpl.Functions[m.Function].Name == "email-summary" {
			mapping = &tmpl.Mappings[i]
		}
	}
	if mapping == nil {
		stop()
		l.awsSrv.Close()
		return nil, fmt.Errorf("--lambdas: %s maps no stream of AppTable to email-summary", o.Lambdas.Template)
	}
	filter, err := localaws.NewFilter(mapping.Filters)
	if err != nil {
		stop()
		l.awsSrv.Close()
		return nil, fmt.Errorf("--lambdas: %s: %w", mapping.LogicalID, err)
	}
	l.Stream = &localaws.StreamMapping{Streams: streams, StreamARN: streamARN, Mapping: *mapping, Filter: filter,
		Invoke: l.Functions["email-summary"].Invoke, Region: localaws.Region, Log: log,
		OnFailure: func(recs []json.RawMessage, err error) {
			l.failedMu.Lock()
			l.failed++
			l.failedMu.Unlock()
		}}
	go func() {
		defer close(l.streamDone)
		if err := l.Stream.Run(runCtx); err != nil {
			log.Error("stream mapping stopped", "err", err)
		}
	}()
	// Config edits reach the bucket as a push would; the functions pick
	// them up on their registries' next refresh.
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if _, _, err := l.sync.Sync(); err != nil {
					log.Warn("config bucket sync failed", "err", err)
				}
			}
		}
	}()
	return l, nil
}

// Stop delivers what the stream still holds (the sessions the gateway's
// shutdown just ended), then stops the functions and the stand-ins.
func (l *lambdaStack) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Stream.Drain(ctx); err != nil {
		l.log.Warn("stream not drained at shutdown", "err", err)
	}
	l.stop()
	<-l.streamDone
	for _, f := range l.Functions {
		f.Stop()
	}
	l.awsSrv.Close()
}

// findRIE locates aws-lambda-rie.
func findRIE(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "aws-lambda-rie")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("--lambdas needs the Lambda Runtime Interface Emulator: go install %s@%s", rieModule, rieVersion)
}

// buildBootstraps builds every function of the template for this machine
// (Lambda's build flags, with GOOS/GOARCH of the host so it runs here)
// into dir/<name>/bootstrap.
func buildBootstraps(ctx context.Context, tmpl *localaws.Template, dir string, stderr io.Writer) error {
	var names, pkgs []string
	for _, f := range tmpl.Functions {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	tmp := filepath.Join(dir, ".build")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		pkgs = append(pkgs, "./functions/"+n)
	}
	fmt.Fprintf(stderr, "ahca dev --lambdas: building %s for %s/%s …\n", strings.Join(names, ", "), runtime.GOOS, runtime.GOARCH)
	// -tags lambda.norpc as in the Makefile, but with the host's defaults
	// otherwise (no -trimpath, -s -w or CGO_ENABLED=0), so the compiled
	// packages are shared with the CLI's build cache: after `go build
	// ./infra/ahca` this is five links.
	args := append([]string{"build", "-tags", "lambda.norpc", "-o", tmp + string(filepath.Separator)}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--lambdas: go build %s: %v\n%s", strings.Join(pkgs, " "), err, out.String())
	}
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n, "bootstrap")); err != nil {
			return err
		}
	}
	return nil
}

// ensureStream returns the table's stream ARN, turning the stream on
// (NEW_AND_OLD_IMAGES, as the template has it) if the table lacks one.
func ensureStream(ctx context.Context, ddb *dynamodb.Client, table string) (string, error) {
	out, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return "", fmt.Errorf("--lambdas: table %s: %w", table, err)
	}
	if s := out.Table.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) && out.Table.LatestStreamArn != nil {
		return *out.Table.LatestStreamArn, nil
	}
	up, err := ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages}})
	if err != nil {
		return "", fmt.Errorf("--lambdas: enable the stream of %s: %w", table, err)
	}
	if up.TableDescription.LatestStreamArn == nil {
		return "", fmt.Errorf("--lambdas: %s has no stream after enabling it", table)
	}
	return *up.TableDescription.LatestStreamArn, nil
}

// localSecret is what the SSM and Secrets Manager stand-in holds beyond
// the stage's Twilio settings: a stage parameter /ahca/dev/<path> (secret
// ahca/dev/<path>) is the environment variable a stage-relative reference
// ssm:/ahca/{stage}/<path> falls back to without AWS (secret.LocalEnvName),
// so the same variables that configure `ahca dev` configure the real
// binaries. With --no-llm the model key is withheld.
func localSecret(lookupEnv func(string) (string, bool), noLLM bool) func(kind, name string) (string, bool) {
	return func(kind, name string) (string, bool) {
		var ref string
		switch kind {
		case localaws.KindSSM:
			rest, ok := strings.CutPrefix(name, "/ahca/"+localStage+"/")
			if !ok {
				return "", false
			}
			ref = "ssm:/ahca/" + secret.StageToken + "/" + rest
		case localaws.KindSecretsManager:
			rest, ok := strings.CutPrefix(name, "ahca/"+localStage+"/")
			if !ok {
				return "", false
			}
			ref = "secretsmanager:ahca/" + secret.StageToken + "/" + rest
		default:
			return "", false
		}
		r, isRef, err := secret.ParseRef(ref)
		if err != nil || !isRef {
			return "", false
		}
		env, ok := secret.LocalEnvName(r)
		if !ok || (noLLM && env == "OPENAI_API_KEY") {
			return "", false
		}
		v, ok := lookupEnv(env)
		return v, ok && v != ""
	}
}

// websocket returns the route's integration: the event as API Gateway
// sends it, the function's proxy response back.
func (l *lambdaStack) websocket(name string) apigw.Handler {
	f := l.Functions[name]
	return func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		payload, err := json.Marshal(ev)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		out, err := f.Invoke(ctx, payload)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			return events.APIGatewayProxyResponse{}, fmt.Errorf("%s: response %q: %w", name, out, err)
		}
		return resp, nil
	}
}

// twilio is the HTTP API's POST /twilio/{proxy+} route: the request as a
// payload format 2.0 event to twilio-voice, its response back.
func (l *lambdaStack) twilio() http.Handler {
	f := l.Functions["twilio-voice"]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound) // only POST is routed
			return
		}
		ev, err := httpAPIEvent(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		payload, _ := json.Marshal(ev)
		out, err := f.Invoke(r.Context(), payload)
		if err != nil {
			l.log.Error("twilio-voice failed", "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"message":"Internal Server Error"}`)
			return
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			l.log.Error("twilio-voice response", "err", err)
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		for _, c := range resp.Cookies {
			w.Header().Add("Set-Cookie", c)
		}
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
				return
			}
		}
		if resp.StatusCode == 0 {
			resp.StatusCode = http.StatusOK
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	})
}

// httpAPIEvent is the event an HTTP API (payload format 2.0) sends for r:
// lower-case headers, repeated ones joined with commas, cookies apart, and
// a body base64-encoded unless it is text or JSON.
func httpAPIEvent(r *http.Request) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, err
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	headers["host"] = r.Host
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.String())
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = strings.Join(v, ",")
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /twilio/{proxy+}", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query,
		PathParameters: map[string]string{"proxy": strings.TrimPrefix(r.URL.Path, "/twilio/")},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /twilio/{proxy+}", AccountID: localaws.Account, Stage: "$default", APIID: "local",
			DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0], RequestID: newRequestID(),
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path,
				Protocol: r.Proto, SourceIP: host, UserAgent: r.UserAgent()},
		},
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if utf8.Valid(body) && (strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json")) {
		ev.Body = string(body)
	} else if len(body) > 0 {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev, nil
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// lambdaOutput passes the functions' output to stderr: their JSON logs,
// and the emulator's START/END/REPORT lines only with -v.
type lambdaOutput struct {
	w       io.Writer
	verbose bool
	mu      sync.Mutex
}

func (o *lambdaOutput) Write(p []byte) (int, error) {
	line := string(p)
	if !o.verbose {
		if _, rest, ok := strings.Cut(line, "] "); ok && (strings.HasPrefix(rest, "START ") || strings.HasPrefix(rest, "END ") || strings.HasPrefix(rest, "REPORT ")) {
			return len(p), nil
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

// describeLambdas is the ready message's line about the functions.
func (l *lambdaStack) describe() string {
	names := make([]string, 0, len(l.Functions))
	for n := range l.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprintf("%d bootstraps (%s) under aws-lambda-rie, built in %s", len(names), strings.Join(names, ", "), l.Bin)
}

// Failed returns how many stream batches went to the failure destination.
func (l *lambdaStack) Failed() int {
	l.failedMu.Lock()
	defer l.failedMu.Unlock()
	return l.failed
}
