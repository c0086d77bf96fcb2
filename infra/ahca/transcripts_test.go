package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ahca/ahca/internal/testtext"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"

	"github.com/ahca/ahca/pkg/session/sessiontest"
)

// txTable creates a table on DynamoDB Local and returns the flags that
// point the commands at it, and its records.
func txTable(t *testing.T) ([]string, *delivery.DynamoRecords) {
	t.Helper()
	ep := sessiontest.DynamoEndpoint(t)
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	name := fmt.Sprintf("ahca-cli-%d", time.Now().UnixNano())
	if err := session.CreateTable(context.Background(), client, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return []string{"--table", name, "--dynamodb-endpoint", ep, "--configs", "../../configs"}, delivery.NewDynamoRecords(client, name)
}

// putTxRecords stores three transcripts: superior-fencing's s-old (two
// days ago) and s-new (an hour ago, from newCaller), and maple-street-vet's
// s-vet (an hour ago).
func putTxRecords(t *testing.T, recs delivery.Records, now time.Time, newCaller string) {
	t.Helper()
	for _, r := range []*delivery.Record{
		txRecord("superior-fencing", "s-old", now.Add(-48*time.Hour), "Old Caller", "gate"),
		txRecord("superior-fencing", "s-new", now.Add(-time.Hour), newCaller, "fence blew down\nin the storm"),
		txRecord("maple-street-vet", "s-vet", now.Add(-time.Hour), "Pat", "refill"),
	} {
		if _, err := recs.PutTranscript(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func txRecord(biz tenant.ID, id string, end time.Time, name, reason string) *delivery.Record {
	return &delivery.Record{
		Transcript: transcript.Transcript{
			BusinessID: biz, SessionID: id, Channel: session.ChannelPhone, Status: transcript.StatusCompleted, EndReason: "completed",
			StartedAt: end.Add(-95 * time.Second), EndedAt: end,
			Caller:        session.Caller{Name: name, Phone: "+15035550142", Reason: reason},
			CallbackPhone: "+15035550142",
			Turns: []transcript.Turn{
				{At: end.Add(-94 * time.Second), Role: session.RoleAgent, Text: "Superior Fence, this is Riley."},
				{At: end.Add(-90 * time.Second), Role: session.RoleCaller, Text: "My fence\x1b[2J blew down."},
				{At: end.Add(-80 * time.Second), Role: session.RoleTool, Tool: "phone_validated", Text: "+15035550142"},
			},
		},
		Summary: "Fence down after the storm.", SummarySource: "ai", StoredAt: end,
	}
}

func txRun(t *testing.T, cmd func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func transcripts(ctx context.Context, args []string, out, errb *bytes.Buffer) int {
	return run(ctx, append([]string{"transcripts"}, args...), strings.NewReader(""), out, errb)
}

func TestTranscriptsListAndShow(t *testing.T) {
	flags, recs := txTable(t)
	now := time.Now().UTC()
	putTxRecords(t, recs, now, "Jamie Rivera")
	la, _ := time.LoadLocation("America/Los_Angeles")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"list all", []string{"list", "--business", "superior-fencing"}, exitOK,
			[]string{"SESSION", "s-new", "s-old", "Jamie Rivera", "fence blew down in the storm", now.Add(-time.Hour).In(la).Format("2006-01-02 15:04 MST"), "2 conversation(s)"},
			[]string{"s-vet", "Pat"}},
		{"list since 24h", []string{"list", "--business", "superior-fencing", "--since", "24h"}, exitOK,
			[]string{"s-new", "1 conversation(s)"}, []string{"s-old"}},
		{"list since a date", []string{"list", "--since", now.In(la).AddDate(0, 0, -1).Format("2006-01-02"), "--business", "superior-fencing"}, exitOK,
			[]string{"s-new"}, []string{"s-old"}},
		{"show", []string{"show", "s-new", "--business", "superior-fencing"}, exitOK,
			[]string{"Session   s-new", "Caller    Jamie Rivera", "Phone     (503) 555-0142", "Fence down after the storm. [ai]",
				"Agent   Superior Fence, this is Riley.", "Caller  My fence [2J blew down.", "[phone_validated] +15035550142"},
			[]string{"\x1b"}},
		{"show of another business's session", []string{"show", "s-new", "--business", "maple-street-vet"}, exitInvalid, nil, nil},
		{"show needs a business", []string{"show", "s-new"}, exitUsage, nil, nil},
		{"bad since", []string{"list", "--business", "superior-fencing", "--since", "yesterday"}, exitUsage, nil, nil},
		{"bad business", []string{"list", "--business", "Superior#Fencing"}, exitUsage, nil, nil},
		{"unknown", []string{"delete"}, exitUsage, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := txRun(t, transcripts, append(tt.args, flags...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			testtext.Check(t, "output", out, tt.want, tt.notWant)
		})
	}

	code, out, _ := txRun(t, transcripts, append([]string{"show", "s-new", "--business", "superior-fencing", "--json"}, flags...)...)
	var got delivery.Record
	if code != exitOK || json.Unmarshal([]byte(out), &got) != nil || got.SessionID != "s-new" || len(got.Turns) != 3 {
		t.Errorf("show --json: exit %d, %+v\n%s", code, got, out)
	}
}

func TestParseSince(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"24h", now.Add(-24 * time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"7d", now.AddDate(0, 0, -7), false},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, la), false},
		{"2026-11-01T08:00:00Z", time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), false},
		{"-3h", time.Time{}, true},
		{"last week", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now, la)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestTerminalSafe(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"Jamie\x1b]0;pwned\x07 Rivera", 100, "Jamie ]0;pwned Rivera"},
		{"a\r\nb\tc", 100, "a b c"},
		{"abc\u202Edef", 100, "abc def"},
		{"abcdef", 3, "abc…"},
	}
	for _, tt := range tests {
		if got := terminalSafe(tt.in, tt.max); got != tt.want {
			t.Errorf("terminalSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
