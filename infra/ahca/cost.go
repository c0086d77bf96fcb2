package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

const costAbout = `Prices a load run (ahca load --json FILE) per call-minute of a typical call, at the list prices
in infra/ahca/prices.json (dated, with sources; --prices FILE to use others) and the functions'
MemorySize from template.yaml (arm64):

  per turn   ws-message: its invocations, billed milliseconds and DynamoDB units per invocation as
             measured, the WebSocket messages in and the phrases posted out
  per call   ws-connect, ws-disconnect, twilio-voice (phone calls) and email-summary as measured
             per conversation, the Twilio webhooks (HTTP API requests), the summary emails (SES)
  per minute the WebSocket connection-minute; S3 ListObjectsV2 of the config refresh (--s3-lists-*)

A typical call is --call-minutes long with --turns-per-minute caller turns (with replies as long as
the run's). The model's streaming time is not in a scripted-agent run; --model-wait adds it to every
turn's ws-message duration, since the Lambda waits for the model. Model tokens and Twilio are priced
separately, not in the AWS figure. The goal for the AWS part is --goal dollars per call-minute.

A stage's CloudWatch metrics are not read yet (this module has no CloudWatch client). To price a
stage by hand, the same figures are: AWS/ApiGateway MessageCount and ConnectCount, AWS/Lambda
Invocations and Duration per function, AWS/DynamoDB ConsumedRead/WriteCapacityUnits (table and the
byConnection index), AWS/SES Send, over the same period as the calls' count and minutes.
`

//go:embed prices.json
var defaultPricesJSON []byte

// priceList is prices.json.
type priceList struct {
	About    string `json:"about"`
	AsOf     string `json:"asOf"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	AWS      struct {
		WSMessagesPerMillion          float64 `json:"apiGatewayWebSocketMessagesPerMillion"`
		WSMessageUnitBytes            float64 `json:"apiGatewayWebSocketMessageUnitBytes"`
		WSConnectionMinutesPerMillion float64 `json:"apiGatewayWebSocketConnectionMinutesPerMillion"`
		HTTPRequestsPerMillion        float64 `json:"apiGatewayHttpRequestsPerMillion"`
		LambdaArm64GBSecond           float64 `json:"lambdaArm64GBSecond"`
		LambdaRequestsPerMillion      float64 `json:"lambdaRequestsPerMillion"`
		DynamoWRUPerMillion           float64 `json:"dynamoDBWriteRequestUnitsPerMillion"`
		DynamoRRUPerMillion           float64 `json:"dynamoDBReadRequestUnitsPerMillion"`
		S3GetPerThousand              float64 `json:"s3GetPerThousand"`
		S3ListPerThousand             float64 `json:"s3ListPerThousand"`
		SSMStandard                   float64 `json:"ssmGetParameterStandardThroughput"`
		SecretsPerTenThousand         float64 `json:"secretsManagerApiCallsPerTenThousand"`
		SESPerThousand                float64 `json:"sesEmailsPerThousand"`
	} `json:"aws"`
	Model struct {
		Name                   string  `json:"name"`
		InputTokensPerMillion  float64 `json:"inputTokensPerMillion"`
		OutputTokensPerMillion float64 `json:"outputTokensPerMillion"`
	} `json:"model"`
	Twilio struct {
		VoiceInboundPerMinute      float64 `json:"voiceInboundLocalPerMinute"`
		ConversationRelayPerMinute float64 `json:"conversationRelayPerMinute"`
	} `json:"twilio"`
	Sources map[string]string `json:"sources"`
}

func parsePrices(data []byte) (*priceList, error) {
	var p priceList
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	if p.AsOf == "" || p.AWS.LambdaArm64GBSecond <= 0 || p.AWS.WSMessagesPerMillion <= 0 || p.AWS.DynamoWRUPerMillion <= 0 {
		return nil, errors.New("prices need asOf and the AWS prices (see infra/ahca/prices.json)")
	}
	if p.AWS.WSMessageUnitBytes <= 0 {
		p.AWS.WSMessageUnitBytes = 32 * 1024
	}
	return &p, nil
}

// Functions as load and the dev server name them, and their template
// resources.
var templateFunctions = map[string]string{
	"ws-connect":    "WsConnectFunction",
	"ws-message":    "WsMessageFunction",
	"ws-disconnect": "WsDisconnectFunction",
	"twilio-voice":  "TwilioVoiceFunction",
	"email-summary": "EmailSummaryFunction",
}

// functionMemory reads each function's MemorySize (MB) from a SAM template:
// its own, else Globals.Function's. It fails unless the architecture is
// arm64, the only one prices.json prices.
func functionMemory(template []byte) (map[string]int, error) {
	type props struct {
		MemorySize    int      `yaml:"MemorySize"`
		Architectures []string `yaml:"Architectures"`
	}
	var t struct {
		Globals struct {
			Function props `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties props  `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(template, &t); err != nil {
		return nil, err
	}
	mem := map[string]int{}
	for fn, res := range templateFunctions {
		r, ok := t.Resources[res]
		if !ok {
			return nil, fmt.Errorf("the template has no %s (%s)", res, fn)
		}
		m := r.Properties.MemorySize
		if m == 0 {
			m = t.Globals.Function.MemorySize
		}
		if m == 0 {
			m = 128 // Lambda's default
		}
		arch := r.Properties.Architectures
		if len(arch) == 0 {
			arch = t.Globals.Function.Architectures
		}
		if len(arch) != 1 || arch[0] != "arm64" {
			return nil, fmt.Errorf("%s runs on %v: only arm64 is priced", res, arch)
		}
		mem[fn] = m
	}
	return mem, nil
}

// costProfile is the typical call priced, and the assumptions that are not
// measured.
type costProfile struct {
	CallMinutes    float64 `json:"callMinutes"`
	TurnsPerMinute float64 `json:"turnsPerMinute"`
	ModelWaitMs    float64 `json:"modelWaitMsPerTurn"`
	S3ListsPerCall float64 `json:"s3ListsPerCall"`
	S3ListsPerMin  float64 `json:"s3ListsPerCallMinute"`
	InputTokens    float64 `json:"inputTokensPerTurn"`
	OutputTokens   float64 `json:"outputTokensPerTurn"`
	Goal           float64 `json:"goalPerCallMinute"`
}

// costLine is one priced quantity of a typical call.
type costLine struct {
	Service  string  `json:"service"`
	Item     string  `json:"item"`
	Quantity float64 `json:"quantityPerCall"`
	Unit     string  `json:"unit"`
	PerCall  float64 `json:"dollarsPerCall"`
	PerMin   float64 `json:"dollarsPerCallMinute"`
}

// costReport is what ahca cost prints (and writes with --json).
type costReport struct {
	PricesAsOf    string         `json:"pricesAsOf"`
	Region        string         `json:"region"`
	Profile       costProfile    `json:"profile"`
	WordsPerReply float64        `json:"wordsPerReply"`
	PhoneShare    float64        `json:"phoneShare"`
	MemoryMB      map[string]int `json:"memoryMB"`
	AWS           []costLine     `json:"aws"`
	AWSPerCall    float64        `json:"awsDollarsPerCall"`
	AWSPerMinute  float64        `json:"awsDollarsPerCallMinute"`
	MeetsGoal     bool           `json:"meetsGoal"`
	Model         []costLine     `json:"model"`
	Twilio        []costLine     `json:"twilio"`
	Notes         []string       `json:"notes"`
}

// priceLoad prices a typical call from a load report.
func priceLoad(rep *loadReport, p *priceList, mem map[string]int, prof costProfile) (*costReport, error) {
	s := rep.Server
	if s == nil {
		return nil, errors.New("the load report has no server counters (a run against a stage, or an ahca dev without /dev/metrics): price a run against the local stack")
	}
	convs := float64(rep.Counts.ConversationsStarted)
	msg := s.Functions["ws-message"]
	if convs == 0 || msg.Invocations == 0 || rep.Counts.TurnsSent == 0 {
		return nil, errors.New("the load report has no conversations with turns")
	}
	if prof.CallMinutes <= 0 || prof.TurnsPerMinute <= 0 {
		return nil, errors.New("--call-minutes and --turns-per-minute must be positive")
	}
	out := &costReport{PricesAsOf: p.AsOf, Region: p.Region, Profile: prof, WordsPerReply: rep.Replies.WordsPerReply,
		PhoneShare: float64(rep.Counts.ByChannel["phone"]) / convs, MemoryMB: mem}
	L := prof.CallMinutes
	turns := prof.TurnsPerMinute * L
	// ws-message runs once per frame: the setup and each prompt. The run's
	// invocations per prompt (about 1) carry over to the typical call.
	setups := convs
	perPrompt := math.Max(float64(msg.Invocations)-setups, 0) / float64(rep.Counts.TurnsSent)
	msgInv := turns*perPrompt + 1
	msgBilledMs := float64(msg.BilledMs) / float64(msg.Invocations)
	add := func(lines *[]costLine, service, item string, qty float64, unit string, dollarsPerUnit float64) {
		c := costLine{Service: service, Item: item, Quantity: qty, Unit: unit, PerCall: qty * dollarsPerUnit}
		c.PerMin = c.PerCall / L
		*lines = append(*lines, c)
	}
	a := p.AWS

	// API Gateway.
	inUnits := 1.0
	if s.APIGateway.MessagesIn > 0 {
		inUnits = math.Max(1, math.Ceil(float64(s.APIGateway.MessagesInBytes)/float64(s.APIGateway.MessagesIn)/a.WSMessageUnitBytes))
	}
	outPerIn := 0.0
	if s.APIGateway.MessagesIn > 0 {
		outPerIn = float64(s.APIGateway.MessagesOut) / float64(s.APIGateway.MessagesIn)
	}
	add(&out.AWS, "API Gateway", "WebSocket messages in (setup + prompts)", msgInv*inUnits, "messages", a.WSMessagesPerMillion/1e6)
	add(&out.AWS, "API Gateway", fmt.Sprintf("WebSocket messages out (%.2f per message in)", outPerIn), msgInv*outPerIn, "messages", a.WSMessagesPerMillion/1e6)
	add(&out.AWS, "API Gateway", "WebSocket connection-minutes", L, "minutes", a.WSConnectionMinutesPerMillion/1e6)
	webhooks := float64(rep.Counts.WebhookRequests) / convs
	add(&out.AWS, "API Gateway", "HTTP API requests (Twilio webhooks; web and phone averaged)", webhooks, "requests", a.HTTPRequestsPerMillion/1e6)

	// Lambda: ws-message per frame, the others per conversation.
	requests, gbs := 0.0, 0.0
	gbFor := func(fn string) float64 { return float64(mem[fn]) / 1024 }
	msgMs := msgInv*msgBilledMs + turns*perPrompt*prof.ModelWaitMs
	requests += msgInv
	gbs += msgMs / 1000 * gbFor("ws-message")
	var fixedFns []string
	for _, fn := range []string{"ws-connect", "ws-disconnect", "twilio-voice", "email-summary"} {
		f := s.Functions[fn]
		if f.Invocations == 0 {
			continue
		}
		fixedFns = append(fixedFns, fmt.Sprintf("%s %.2f × %.0f ms", fn, float64(f.Invocations)/convs, float64(f.BilledMs)/float64(f.Invocations)))
		requests += float64(f.Invocations) / convs
		gbs += float64(f.BilledMs) / convs / 1000 * gbFor(fn)
	}
	add(&out.AWS, "Lambda", "requests", requests, "invocations", a.LambdaRequestsPerMillion/1e6)
	add(&out.AWS, "Lambda", "duration at the template's memory (arm64)", gbs, "GB-seconds", a.LambdaArm64GBSecond)
	out.Notes = append(out.Notes, fmt.Sprintf("Lambda per call: ws-message %.1f invocations × %.0f ms billed (+ %.0f ms model wait per turn); %s",
		msgInv, msgBilledMs, prof.ModelWaitMs, strings.Join(fixedFns, ", ")))

	// DynamoDB: units per ws-message invocation, the rest per conversation
	// (calls outside any function, like the load tool's transcript check,
	// are not the product's).
	var rru, wru float64
	for fn, u := range s.DynamoDBByFunction {
		switch fn {
		case "ws-message":
			rru += u.ReadUnits / float64(msg.Invocations) * msgInv
			wru += u.WriteUnits / float64(msg.Invocations) * msgInv
		case "other":
		default:
			rru += u.ReadUnits / convs
			wru += u.WriteUnits / convs
		}
	}
	add(&out.AWS, "DynamoDB", "read request units (on-demand)", rru, "RRU", a.DynamoRRUPerMillion/1e6)
	add(&out.AWS, "DynamoDB", "write request units (on-demand; table + byConnection)", wru, "WRU", a.DynamoWRUPerMillion/1e6)

	// S3, SSM, Secrets Manager, SES.
	add(&out.AWS, "S3", "ListObjectsV2, config refresh (assumed: --s3-lists-*)", prof.S3ListsPerCall+prof.S3ListsPerMin*L, "requests", a.S3ListPerThousand/1e3)
	add(&out.AWS, "SSM", "GetParameter (cached 5 min a container; standard: free)", 0, "requests", a.SSMStandard)
	emails := float64(s.Emails) / convs
	add(&out.AWS, "SES", "summary emails", emails, "emails", a.SESPerThousand/1e3)
	for _, l := range out.AWS {
		out.AWSPerCall += l.PerCall
	}
	out.AWSPerMinute = out.AWSPerCall / L
	out.MeetsGoal = out.AWSPerMinute <= prof.Goal

	// Model tokens and Twilio, apart.
	outTok := prof.OutputTokens
	if outTok <= 0 {
		outTok = math.Round(rep.Replies.WordsPerReply * 4 / 3)
	}
	add(&out.Model, p.Model.Name, "input tokens (prompt, history, tools)", turns*prof.InputTokens, "tokens", p.Model.InputTokensPerMillion/1e6)
	add(&out.Model, p.Model.Name, "output tokens (≈ 4/3 per word of reply)", turns*outTok, "tokens", p.Model.OutputTokensPerMillion/1e6)
	phoneMinutes := math.Ceil(L) // Twilio rounds each call up to whole minutes
	add(&out.Twilio, "Twilio", "inbound voice, per phone call", phoneMinutes, "minutes", p.Twilio.VoiceInboundPerMinute)
	add(&out.Twilio, "Twilio", "ConversationRelay, per phone call", phoneMinutes, "minutes", p.Twilio.ConversationRelayPerMinute)

	out.Notes = append(out.Notes,
		fmt.Sprintf("measured in a run of %d conversations × %d turns (%s, %s store); durations are handler times in the local emulator, on the machine that ran it", rep.Conversations, rep.Turns, rep.Channel, orDefault(rep.Store, "an ahca dev")),
		"the session item is rewritten whole on every turn, so write units per turn grow with the conversation's length: a run of other lengths prices differently (issue 14, part 1)",
		"Lambda duration includes waiting on DynamoDB and on posting to API Gateway; add the model's streaming time with --model-wait")
	if rep.ModelFakeMs > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("the run's replies came from the stand-in model (%.0f ms to first token): its time is in the measured ws-message durations already", rep.ModelFakeMs))
	}
	return out, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func costSetup(fs *flag.FlagSet) action {
	load := fs.String("load", "", "load report `file` (ahca load --json FILE)")
	pricesFile := fs.String("prices", "", "prices `file` (default: the built-in infra/ahca/prices.json)")
	template := fs.String("template", "template.yaml", "SAM `template` whose functions' MemorySize is priced")
	prof := costProfile{}
	fs.Float64Var(&prof.CallMinutes, "call-minutes", 3, "length of a typical call in `minutes`")
	fs.Float64Var(&prof.TurnsPerMinute, "turns-per-minute", 4, "caller `turns` per minute of a typical call")
	modelWait := fs.Duration("model-wait", 0, "model streaming time per turn the ws-message Lambda waits for (`duration`, e.g. 1.5s)")
	fs.Float64Var(&prof.S3ListsPerCall, "s3-lists-per-call", 3, "config-refresh ListObjectsV2 `requests` per call (functions invoked once a call)")
	fs.Float64Var(&prof.S3ListsPerMin, "s3-lists-per-minute", 1, "config-refresh ListObjectsV2 `requests` per call-minute (ws-message's one-minute refresh)")
	fs.Float64Var(&prof.InputTokens, "input-tokens", 2500, "model input `tokens` per turn")
	fs.Float64Var(&prof.OutputTokens, "output-tokens", 0, "model output `tokens` per turn (default: 4/3 of the run's words per reply)")
	fs.Float64Var(&prof.Goal, "goal", 0.0003, "goal for the AWS part in `dollars` per call-minute")
	asJSON := fs.Bool("json", false, "print the priced lines as JSON")
	return func(ctx context.Context, inv *invocation) int {
		prof.ModelWaitMs = ms(*modelWait)
		if *load == "" {
			return inv.usageError("--load FILE is required (a stage's CloudWatch metrics are not read yet: see ahca help cost)")
		}
		data, err := os.ReadFile(*load)
		if err != nil {
			return inv.failf(exitFailed, "%v", err)
		}
		var rep loadReport
		if err := json.Unmarshal(data, &rep); err != nil || rep.Tool != "ahca load" {
			return inv.failf(exitInvalid, "%s is not an ahca load report: %v", *load, err)
		}
		pdata := defaultPricesJSON
		if *pricesFile != "" {
			if pdata, err = os.ReadFile(*pricesFile); err != nil {
				return inv.failf(exitFailed, "%v", err)
			}
		}
		p, err := parsePrices(pdata)
		if err != nil {
			return inv.failf(exitInvalid, "prices: %v", err)
		}
		tdata, err := os.ReadFile(*template)
		if err != nil {
			return inv.failf(exitFailed, "%v (run from the repository root, or pass --template)", err)
		}
		mem, err := functionMemory(tdata)
		if err != nil {
			return inv.failf(exitInvalid, "%s: %v", *template, err)
		}
		cr, err := priceLoad(&rep, p, mem, prof)
		if err != nil {
			return inv.failf(exitInvalid, "%v", err)
		}
		if *asJSON {
			enc := json.NewEncoder(inv.stdout)
			enc.SetIndent("", "  ")
			enc.Encode(cr)
			return exitOK
		}
		writeCostReport(inv.stdout, cr)
		return exitOK
	}
}

func writeCostReport(w io.Writer, c *costReport) {
	pr := c.Profile
	fmt.Fprintf(w, "ahca cost: a typical call of %.1f minutes, %.1f caller turns a minute, replies of %.0f words (%.0f%% of the run's conversations were phone calls)\n",
		pr.CallMinutes, pr.TurnsPerMinute, c.WordsPerReply, 100*c.PhoneShare)
	fmt.Fprintf(w, "list prices of %s, %s; Lambda arm64 at the template's memory: %s\n\n", c.PricesAsOf, c.Region, memoryLine(c.MemoryMB))
	lines := func(title string, ls []costLine) {
		fmt.Fprintf(w, "%s\n", title)
		for _, l := range ls {
			fmt.Fprintf(w, "  %-12s %-56s %9.4g %-11s $%.7f/call  $%.8f/min\n", l.Service, l.Item, l.Quantity, l.Unit, l.PerCall, l.PerMin)
		}
	}
	lines("AWS", c.AWS)
	verdict := "meets"
	if !c.MeetsGoal {
		verdict = "MISSES"
	}
	fmt.Fprintf(w, "  AWS total: $%.6f per call, $%.7f per call-minute — %s the goal of $%.4f per call-minute\n\n", c.AWSPerCall, c.AWSPerMinute, verdict, pr.Goal)
	lines("Model (not in the AWS figure)", c.Model)
	lines("Twilio, phone calls only (not in the AWS figure)", c.Twilio)
	fmt.Fprintln(w, "\nNotes:")
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  - %s\n", n)
	}
}

func memoryLine(m map[string]int) string {
	var parts []string
	for _, fn := range []string{"ws-connect", "ws-message", "ws-disconnect", "twilio-voice", "email-summary"} {
		parts = append(parts, fmt.Sprintf("%s %d MB", fn, m[fn]))
	}
	return strings.Join(parts, ", ")
}
