package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/internal/testtext"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	tests := []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{"one sample", []float64{7}, 0.5, 7},
		{"one sample p99", []float64{7}, 0.99, 7},
		{"two samples p50 is the lower", []float64{1, 2}, 0.5, 1},
		{"two samples p99 is the upper", []float64{1, 2}, 0.99, 2},
		{"hundred p50", hundred, 0.50, 50},
		{"hundred p90", hundred, 0.90, 90},
		{"hundred p99", hundred, 0.99, 99},
		{"hundred p100", hundred, 1, 100},
		{"p0 is the minimum", hundred, 0, 1},
		{"ten p99 is the maximum", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.99, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
	if !math.IsNaN(percentile(nil, 0.5)) {
		t.Error("percentile of nothing is not NaN")
	}
}

func TestPercentilesOf(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		want    percentiles
	}{
		{"none", nil, percentiles{}},
		{"unsorted", []float64{5, 1, 4, 2, 3}, percentiles{N: 5, P50: 3, P90: 5, P99: 5, Max: 5}},
		{"outlier shows at p99 only when rare enough", append(repeat(1, 199), 1000), percentiles{N: 200, P50: 1, P90: 1, P99: 1, Max: 1000}},
		{"two percent outliers reach p99", append(repeat(1, 98), 1000, 1000), percentiles{N: 100, P50: 1, P90: 1, P99: 1000, Max: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.samples...)
			if got := percentilesOf(tt.samples); got != tt.want {
				t.Errorf("percentilesOf = %+v, want %+v", got, tt.want)
			}
			for i := range in {
				if in[i] != tt.samples[i] {
					t.Fatal("percentilesOf reordered its argument")
				}
			}
		})
	}
}

func repeat(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestLoadOptionsCheck(t *testing.T) {
	ok := loadOptions{URL: "http://127.0.0.1:8080", Conversations: 10, Turns: 5, Channel: "both", TurnTimeout: time.Second, MaxTime: time.Minute}
	tests := []struct {
		name string
		edit func(*loadOptions)
		want string // part of the message; "" = valid
	}{
		{"defaults", func(*loadOptions) {}, ""},
		{"localhost", func(o *loadOptions) { o.URL = "http://localhost:9000" }, ""},
		{"ipv6 loopback", func(o *loadOptions) { o.URL = "http://[::1]:9000" }, ""},
		{"remote refused", func(o *loadOptions) { o.URL = "https://abc.execute-api.us-east-1.amazonaws.com" }, "--remote"},
		{"remote ws refused", func(o *loadOptions) { o.WSURL = "wss://abc.execute-api.us-east-1.amazonaws.com/prod" }, "--remote"},
		{"remote allowed", func(o *loadOptions) { o.URL, o.Remote = "https://abc.example.com", true }, ""},
		{"no conversations", func(o *loadOptions) { o.Conversations = 0 }, "--conversations"},
		{"too many conversations", func(o *loadOptions) { o.Conversations = maxLoadConversations + 1 }, "--conversations"},
		{"too many turns", func(o *loadOptions) { o.Turns = maxLoadTurns + 1 }, "--turns"},
		{"unbounded time", func(o *loadOptions) { o.MaxTime = 0 }, "--max-time"},
		{"too long", func(o *loadOptions) { o.MaxTime = 3 * time.Hour }, "--max-time"},
		{"channel", func(o *loadOptions) { o.Channel = "fax" }, "--channel"},
		{"model fake needs in-process", func(o *loadOptions) { o.ModelFakeSet = true }, "--in-process"},
		{"in-process ignores url", func(o *loadOptions) { o.InProcess, o.URL = true, "http://example.com" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			got := o.check()
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("check() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDevMetricsCapacityAndSub(t *testing.T) {
	in := &dynamodb.PutItemInput{}
	askForCapacity(in)
	if in.ReturnConsumedCapacity != ddbtypes.ReturnConsumedCapacityIndexes {
		t.Errorf("ReturnConsumedCapacity = %q", in.ReturnConsumedCapacity)
	}
	keep := &dynamodb.QueryInput{ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityTotal}
	askForCapacity(keep)
	if keep.ReturnConsumedCapacity != ddbtypes.ReturnConsumedCapacityTotal {
		t.Error("a caller's own ReturnConsumedCapacity was overwritten")
	}
	askForCapacity(&dynamodb.DescribeTableInput{}) // no such field: no panic

	m := newDevMetrics()
	before := m.Snapshot()
	m.recordCall("ws-message", "PutItem", &dynamodb.PutItemOutput{ConsumedCapacity: &ddbtypes.ConsumedCapacity{
		CapacityUnits: aws.Float64(4), Table: &ddbtypes.Capacity{CapacityUnits: aws.Float64(2)},
		GlobalSecondaryIndexes: map[string]ddbtypes.Capacity{"byConnection": {CapacityUnits: aws.Float64(2)}},
	}}, nil, time.Millisecond)
	m.recordCall("ws-message", "Query", &dynamodb.QueryOutput{ConsumedCapacity: &ddbtypes.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}}, nil, time.Millisecond)
	m.recordCall("ws-message", "TransactWriteItems", &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []ddbtypes.ConsumedCapacity{
		{CapacityUnits: aws.Float64(2)}, {CapacityUnits: aws.Float64(4)},
	}}, nil, time.Millisecond)
	m.recordCall("ws-message", "GetItem", &dynamodb.GetItemOutput{}, nil, time.Millisecond)
	m.recordCall("ws-message", "PutItem", nil, fmt.Errorf("conditional check failed"), time.Millisecond)
	m.invoked("ws-message", 1500*time.Microsecond, false)
	m.invoked("ws-message", 3*time.Millisecond, true)
	d := m.Snapshot().Sub(before)

	put := d.DynamoDB["PutItem"]
	if put.Calls != 2 || put.Errors != 1 || put.Capacity != 4 || put.TableUnits != 2 || put.IndexUnits["byConnection"] != 2 {
		t.Errorf("PutItem = %+v", put)
	}
	if tx := d.DynamoDB["TransactWriteItems"]; tx.Capacity != 6 || tx.TableUnits != 6 {
		t.Errorf("TransactWriteItems = %+v", tx)
	}
	if g := d.DynamoDB["GetItem"]; g.Unreported != 1 {
		t.Errorf("GetItem without capacity = %+v", g)
	}
	reads, writes, ru, wu := d.storeTotals()
	if reads != 2 || writes != 3 || ru != 0.5 || wu != 10 {
		t.Errorf("storeTotals = %d %d %v %v, want 2 3 0.5 10", reads, writes, ru, wu)
	}
	if fn := d.DynamoDBByFunction["ws-message"]; fn.Reads != 2 || fn.Writes != 3 || fn.WriteUnits != 10 {
		t.Errorf("by function = %+v", d.DynamoDBByFunction)
	}
	if op := d.DynamoDB["PutItem"]; op.LatencyMs != 2 || op.MaxMs != 1 {
		t.Errorf("PutItem latency %v ms, max %v", op.LatencyMs, op.MaxMs)
	}
	f := d.Functions["ws-message"]
	if f.Invocations != 2 || f.Errors != 1 || f.BilledMs != 5 || f.DurationMs != 4.5 {
		t.Errorf("ws-message = %+v, want 2 invocations, 1 error, 2+3 ms billed", f)
	}
	again := m.Snapshot()
	if z := again.Sub(again); len(z.DynamoDB) != 0 || len(z.Functions) != 0 {
		t.Errorf("a snapshot less itself = %+v", z)
	}
}

// `ahca load` end to end: a few web and phone conversations against the
// local stack, through the command line, with its JSON report.
func TestLoadAgainstDevStack(t *testing.T) {
	onBothStores(t, "load-test", func(t *testing.T, o devOptions) {
		o.now = loadClock
		stack := startTestStack(t, o)
		report := filepath.Join(t.TempDir(), "load.json")
		var stdout, stderr bytes.Buffer
		const n, m = 5, 3
		code := run(context.Background(), []string{"load", "--url", stack.URL, "--configs", "../../configs",
			"--conversations", strconv.Itoa(n), "--turns", strconv.Itoa(m), "--ramp", "0s", "--json", report}, nil, &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("ahca load = %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		var rep loadReport
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		c := rep.Counts
		if c.TurnsSent != n*m || c.TurnsAnswered != n*m || c.TurnsLost != 0 || c.TurnsFailed != 0 || c.TurnsMissing != 0 || c.EndedEarly != 0 {
			t.Errorf("counts = %+v, want %d turns all answered and stored\n%s", c, n*m, stdout.String())
		}
		if c.ByChannel["web"] != 3 || c.ByChannel["phone"] != 2 || c.TranscriptsChecked != n || c.TranscriptsMissing != 0 {
			t.Errorf("channels / transcripts = %+v", c)
		}
		if c.WebhookRequests != 2*3 { // voice, Connect action, status callback per call
			t.Errorf("%d webhook requests, want 6", c.WebhookRequests)
		}
		if rep.Latency.FirstPhrase.N != n*m || rep.Latency.LastPhrase.P50 < rep.Latency.FirstPhrase.P50 || rep.Replies.PhrasesPerReply < 1 || rep.Replies.WordsPerReply < 3 {
			t.Errorf("latency / replies = %+v %+v", rep.Latency, rep.Replies)
		}
		s := rep.Server
		if s == nil {
			t.Fatalf("no server counters: %s", rep.ServerNote)
		}
		// Every prompt and setup frame is one ws-message invocation; each
		// reply at least one post.
		if got := s.Functions["ws-message"].Invocations; got != n*m+n {
			t.Errorf("ws-message invocations = %d, want %d (turns + setups)", got, n*m+n)
		}
		if s.APIGateway.MessagesIn != n*m+n || s.APIGateway.MessagesOut < n*m {
			t.Errorf("api gateway = %+v", s.APIGateway)
		}
		for _, fn := range []string{"ws-connect", "ws-disconnect"} {
			if got := s.Functions[fn].Invocations; got != n {
				t.Errorf("%s invocations = %d, want %d", fn, got, n)
			}
		}
		if got := s.Functions["twilio-voice"].Invocations; got != 6 {
			t.Errorf("twilio-voice invocations = %d, want 6", got)
		}
		if s.Emails < 1 || s.Functions["email-summary"].Invocations < 1 {
			t.Errorf("no summary delivered: emails %d, email-summary %+v", s.Emails, s.Functions["email-summary"])
		}
		reads, writes, ru, wu := s.storeTotals()
		if o.Store == "dynamodb" {
			// The hot path is one read and one write per turn; connects,
			// disconnects and the summaries add some.
			if reads < n*m || writes < n*m || ru <= 0 || wu < float64(writes) {
				t.Errorf("store: %d reads, %d writes, %v / %v units\n%s", reads, writes, ru, wu, stdout.String())
			}
			if put := s.DynamoDB["PutItem"]; put.Unreported > 0 || put.IndexUnits["byConnection"] <= 0 {
				t.Errorf("PutItem capacity not reported by index: %+v", put)
			}
		} else if reads != 0 || writes != 0 {
			t.Errorf("embedded store counted DynamoDB calls: %d %d", reads, writes)
		}
		testtext.Check(t, "output", stdout.String(), []string{"0 lost (no reply)", "first phrase:", "store:", "ws-message"}, nil)
	})
}

// The in-process stack with the stand-in model: the AI agent answers, and
// the overhead figure is the latency less the model's time to first token.
func TestLoadInProcessModelFake(t *testing.T) {
	var stdout, stderr bytes.Buffer
	report := filepath.Join(t.TempDir(), "load.json")
	code := run(context.Background(), []string{"load", "--in-process", "--configs", "../../configs", "--channel", "web",
		"--conversations", "2", "--turns", "2", "--model-fake", "5ms", "--ramp", "0s", "--json", report}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("ahca load = %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var rep loadReport
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Agent, "LLM") || rep.ModelFakeMs != 5 || rep.Counts.TurnsAnswered != 4 {
		t.Errorf("agent %q, model fake %v ms, %d answered\n%s", rep.Agent, rep.ModelFakeMs, rep.Counts.TurnsAnswered, stdout.String())
	}
	if rep.Latency.Overhead.P50 > rep.Latency.FirstPhrase.P50 || !strings.Contains(stdout.String(), "stand-in model") {
		t.Errorf("overhead %+v vs first phrase %+v", rep.Latency.Overhead, rep.Latency.FirstPhrase)
	}
	if rep.Replies.WordsPerReply < 20 { // the fake's 26-word reply
		t.Errorf("words per reply %v\n%s", rep.Replies.WordsPerReply, stdout.String())
	}
}
