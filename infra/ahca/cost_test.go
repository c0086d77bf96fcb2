package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedPrices(t *testing.T) {
	p, err := parsePrices(defaultPricesJSON)
	if err != nil {
		t.Fatal(err)
	}
	if p.AsOf == "" || p.Region != "us-east-1" {
		t.Errorf("asOf %q region %q", p.AsOf, p.Region)
	}
	for _, svc := range []string{"apiGateway", "lambda", "dynamoDB", "s3", "ssm", "ses", "model", "twilio"} {
		if !strings.Contains(p.Sources[svc], "https://") {
			t.Errorf("no source named for %s", svc)
		}
	}
	if p.AWS.WSMessageUnitBytes != 32768 || p.Model.Name == "" || p.Twilio.ConversationRelayPerMinute <= 0 {
		t.Errorf("prices = %+v", p)
	}
	if _, err := parsePrices([]byte(`{"aws":{}}`)); err == nil {
		t.Error("prices without asOf accepted")
	}
}

func TestFunctionMemory(t *testing.T) {
	real, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := functionMemory(real)
	if err != nil {
		t.Fatal(err)
	}
	for fn := range templateFunctions {
		if mem[fn] < 128 {
			t.Errorf("%s: %d MB", fn, mem[fn])
		}
	}
	resources := func(extra string) string {
		var b strings.Builder
		b.WriteString("Resources:\n")
		for _, res := range templateFunctions {
			b.WriteString("  " + res + ":\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n")
			if res == "WsMessageFunction" {
				b.WriteString(extra)
			}
		}
		return b.String()
	}
	tests := []struct {
		name    string
		yaml    string
		message int // ws-message MB
		connect int // ws-connect MB
		wantErr string
	}{
		{"globals", "Globals:\n  Function:\n    Architectures: [arm64]\n    MemorySize: 256\n" + resources(""), 256, 256, ""},
		{"own size wins", "Globals:\n  Function:\n    Architectures: [arm64]\n    MemorySize: 256\n" + resources("      MemorySize: 1024\n      Role: !GetAtt Something.Arn\n"), 1024, 256, ""},
		{"lambda default", "Globals:\n  Function:\n    Architectures: [arm64]\n" + resources(""), 128, 128, ""},
		{"x86 not priced", "Globals:\n  Function:\n    MemorySize: 256\n" + resources(""), 0, 0, "arm64"},
		{"function missing", "Globals:\n  Function:\n    Architectures: [arm64]\nResources: {}\n", 0, 0, "no "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem, err := functionMemory([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mem["ws-message"] != tt.message || mem["ws-connect"] != tt.connect {
				t.Errorf("memory = %v", mem)
			}
		})
	}
}

// roundPrices are prices that make the arithmetic easy to follow.
func roundPrices() *priceList {
	p := &priceList{AsOf: "2026-01-01", Region: "test"}
	p.AWS.WSMessagesPerMillion = 1
	p.AWS.WSMessageUnitBytes = 32768
	p.AWS.WSConnectionMinutesPerMillion = 0.25
	p.AWS.HTTPRequestsPerMillion = 1
	p.AWS.LambdaArm64GBSecond = 0.00001
	p.AWS.LambdaRequestsPerMillion = 0.2
	p.AWS.DynamoWRUPerMillion = 1
	p.AWS.DynamoRRUPerMillion = 0.1
	p.AWS.S3ListPerThousand = 0.005
	p.AWS.SESPerThousand = 0.1
	p.Model.Name = "m"
	p.Model.InputTokensPerMillion = 1
	p.Model.OutputTokensPerMillion = 2
	p.Twilio.VoiceInboundPerMinute = 0.01
	p.Twilio.ConversationRelayPerMinute = 0.07
	return p
}

// roundRun is a run of 10 conversations × 5 turns with simple counters.
func roundRun() *loadReport {
	return &loadReport{
		Tool: "ahca load", Conversations: 10, Turns: 5, Channel: "both",
		Counts: loadCounts{ConversationsStarted: 10, TurnsSent: 50, TurnsAnswered: 50, WebhookRequests: 15,
			ByChannel: map[string]int{"web": 5, "phone": 5}},
		Replies: loadReplies{PhrasesPerReply: 2, WordsPerReply: 30},
		Server: &devMetricsSnapshot{
			Functions: map[string]functionStats{
				"ws-message":    {Invocations: 60, BilledMs: 600},  // 10 ms each
				"ws-connect":    {Invocations: 10, BilledMs: 100},  // 10 ms a call
				"email-summary": {Invocations: 10, BilledMs: 2000}, // 200 ms a call
			},
			DynamoDBByFunction: map[string]dynamoUnits{
				"ws-message": {Reads: 60, Writes: 60, ReadUnits: 30, WriteUnits: 120}, // 0.5 RRU, 2 WRU an invocation
				"ws-connect": {Writes: 10, WriteUnits: 10},                            // 1 WRU a call
				"other":      {Reads: 10, ReadUnits: 1000},                            // not the product's
			},
			APIGateway: apiGatewayCounts{MessagesIn: 60, MessagesInBytes: 60 * 100, MessagesOut: 120},
			Emails:     10,
		},
	}
}

func TestPriceLoadArithmetic(t *testing.T) {
	mem := map[string]int{"ws-message": 512, "ws-connect": 256, "ws-disconnect": 256, "twilio-voice": 256, "email-summary": 1024}
	prof := costProfile{CallMinutes: 2, TurnsPerMinute: 5, S3ListsPerCall: 2, S3ListsPerMin: 1, InputTokens: 1000, Goal: 0.0003}
	c, err := priceLoad(roundRun(), roundPrices(), mem, prof)
	if err != nil {
		t.Fatal(err)
	}
	// A 2-minute call of 10 turns: 11 ws-message invocations (setup + 10).
	want := []struct {
		service, item string
		qty, perCall  float64
	}{
		{"API Gateway", "WebSocket messages in", 11, 11e-6},
		{"API Gateway", "WebSocket messages out", 22, 22e-6}, // 2 out per message in
		{"API Gateway", "connection-minutes", 2, 0.5e-6},
		{"API Gateway", "HTTP API requests", 1.5, 1.5e-6},
		{"Lambda", "requests", 11 + 1 + 1, 13 * 0.2e-6},
		// ws-message 11 × 10 ms × 0.5 GB + connect 10 ms × 0.25 GB + summary 200 ms × 1 GB
		{"Lambda", "duration", 0.055 + 0.0025 + 0.2, 0.2575 * 0.00001},
		{"DynamoDB", "read request units", 11 * 0.5, 5.5 * 0.1e-6},
		{"DynamoDB", "write request units", 11*2 + 1, 23e-6},
		{"S3", "ListObjectsV2", 2 + 1*2, 4 * 0.005e-3},
		{"SSM", "GetParameter", 0, 0},
		{"SES", "summary emails", 1, 0.1e-3},
	}
	if len(c.AWS) != len(want) {
		t.Fatalf("%d AWS lines, want %d: %+v", len(c.AWS), len(want), c.AWS)
	}
	total := 0.0
	for i, w := range want {
		l := c.AWS[i]
		if l.Service != w.service || !strings.Contains(l.Item, w.item) {
			t.Errorf("line %d = %s %q, want %s %q", i, l.Service, l.Item, w.service, w.item)
		}
		if !near(l.Quantity, w.qty) || !near(l.PerCall, w.perCall) || !near(l.PerMin, w.perCall/2) {
			t.Errorf("%s %s: quantity %v $%v/call $%v/min, want %v $%v $%v", l.Service, l.Item, l.Quantity, l.PerCall, l.PerMin, w.qty, w.perCall, w.perCall/2)
		}
		total += w.perCall
	}
	if !near(c.AWSPerCall, total) || !near(c.AWSPerMinute, total/2) || c.MeetsGoal != (total/2 <= 0.0003) {
		t.Errorf("total $%v/call $%v/min meets=%v, want $%v", c.AWSPerCall, c.AWSPerMinute, c.MeetsGoal, total)
	}
	// Model: 10 turns × 1000 input tokens, 40 output tokens (30 words × 4/3).
	if len(c.Model) != 2 || !near(c.Model[0].PerCall, 10*1000*1e-6) || !near(c.Model[1].Quantity, 400) || !near(c.Model[1].PerCall, 400*2e-6) {
		t.Errorf("model lines %+v", c.Model)
	}
	// Twilio rounds up to whole minutes.
	if len(c.Twilio) != 2 || c.Twilio[0].Quantity != 2 || !near(c.Twilio[1].PerCall, 0.14) {
		t.Errorf("twilio lines %+v", c.Twilio)
	}
	if c.PhoneShare != 0.5 {
		t.Errorf("phone share %v", c.PhoneShare)
	}
}

func TestPriceLoadModelWaitAndGoal(t *testing.T) {
	mem := map[string]int{"ws-message": 1024, "ws-connect": 256, "ws-disconnect": 256, "twilio-voice": 256, "email-summary": 1024}
	tests := []struct {
		name      string
		waitMs    float64
		goal      float64
		wantExtra float64 // GB-seconds added by the model wait
		meets     bool
	}{
		{"no wait", 0, 1, 0, true},
		{"1.5 s a turn at 1 GB", 1500, 1, 10 * 1.5, true},
		{"goal missed", 0, 1e-9, 0, false},
	}
	base := 0.0
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof := costProfile{CallMinutes: 2, TurnsPerMinute: 5, ModelWaitMs: tt.waitMs, Goal: tt.goal}
			c, err := priceLoad(roundRun(), roundPrices(), mem, prof)
			if err != nil {
				t.Fatal(err)
			}
			gbs := c.AWS[5].Quantity
			if i == 0 {
				base = gbs
			}
			if !near(gbs-base, tt.wantExtra) || c.MeetsGoal != tt.meets {
				t.Errorf("GB-s %v (base %v), meets %v", gbs, base, c.MeetsGoal)
			}
		})
	}
}

func TestPriceLoadRefusesUnpricedRuns(t *testing.T) {
	noServer := roundRun()
	noServer.Server = nil
	noTurns := roundRun()
	noTurns.Counts.TurnsSent = 0
	for name, rep := range map[string]*loadReport{"stage run": noServer, "no turns": noTurns} {
		if _, err := priceLoad(rep, roundPrices(), map[string]int{}, costProfile{CallMinutes: 1, TurnsPerMinute: 1}); err == nil {
			t.Errorf("%s: priced", name)
		}
	}
	if _, err := priceLoad(roundRun(), roundPrices(), map[string]int{}, costProfile{}); err == nil {
		t.Error("a zero-length call priced")
	}
}

func TestCostCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "load.json")
	data, _ := json.Marshal(roundRun())
	os.WriteFile(file, data, 0o644)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"cost", "--load", file, "--template", "../../template.yaml"}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("ahca cost = %d: %s", code, stderr.String())
	}
	for _, want := range []string{"AWS total:", "per call-minute", "goal of $0.0003", "Model (not in the AWS figure)", "Twilio", "ws-message 512 MB"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"cost", "--load", file, "--template", "../../template.yaml", "--json"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatal(code)
	}
	var c costReport
	if err := json.Unmarshal(stdout.Bytes(), &c); err != nil || c.AWSPerMinute <= 0 || c.PricesAsOf == "" {
		t.Errorf("--json = %v %+v", err, c)
	}
	if code := run(context.Background(), []string{"cost"}, nil, &stdout, &stderr); code != exitUsage {
		t.Errorf("cost without --load = %d", code)
	}
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
