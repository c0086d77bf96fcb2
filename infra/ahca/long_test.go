package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
)

// withConfig copies the configs tree and edits one business's config.json,
// so a test can give it limits or features the shipped configs do not have.
func withConfig(tb testing.TB, biz string, edit func(cfg map[string]any)) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../configs")); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "businesses", biz, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		tb.Fatal(err)
	}
	edit(cfg)
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// A 300-turn web conversation of ~1,000-character messages, answered by a
// stand-in model with ~800-character replies, on DynamoDB Local behind a
// counting proxy: every caller turn reaches `ahca transcripts show --json`,
// each turn is one read and two writes (the model turn's claim and its
// save), and the median save in the last fifth of the conversation is at
// most twice the first fifth's (it grew 9.5× when the session item held
// every turn).
func TestLongConversationKeepsEveryTurnAtFlatCost(t *testing.T) {
	if testing.Short() {
		t.Skip("300 turns on DynamoDB Local")
	}
	const turns = 300
	proxy, endpoint := newDynamoProxy(t, sessiontest.DynamoEndpoint(t), nil)
	reply := strings.TrimSpace(strings.Repeat("Our crew can look at that fence tomorrow morning, and they will call before they come. ", 10))[:800]
	model := httptest.NewServer(fakeModelHandler(0, reply))
	t.Cleanup(model.Close)
	stack := startTestStack(t, devOptions{
		Store: "dynamodb", DynamoDBEndpoint: endpoint, Table: fmt.Sprintf("dev-long-%d", time.Now().UnixNano()),
		ConfigsDir: withConfig(t, "superior-fencing", func(cfg map[string]any) { cfg["limits"] = map[string]any{"promptsPerMinute": 600} }),
		llm: openaiclient.New(openaiclient.Options{
			BaseURL: model.URL + "/v1", APIKey: func(context.Context) (string, error) { return "sk-test", nil },
		}),
	})
	c := dialBusiness(t, stack, "superior-fencing")
	_, frames := c.turn(`{"type":"setup"}`)
	var sessionID string
	for _, f := range frames {
		if f["type"] == "session_ready" {
			sessionID, _ = f["sessionId"].(string)
		}
	}
	if sessionID == "" {
		t.Fatalf("no session_ready: %v", frames)
	}
	message := func(i int) string {
		head := fmt.Sprintf("Message %d: ", i)
		return strings.TrimSpace(head + strings.Repeat("my fence leans after the storm and the gate will not latch ", 17)[:1000-len(head)])
	}
	proxy.take()
	var writes []int // bytes of each turn's save
	lagged := 0      // turns that re-read after the index lagged
	for i := 1; i <= turns; i++ {
		text, frames := c.turn(say(message(i)))
		if text == "" {
			t.Fatalf("turn %d: no reply: %v", i, frames)
		}
		reads, saves, save := 0, 0, 0
		for _, r := range proxy.take() {
			switch r.op {
			case "Query", "GetItem":
				reads++
			case "PutItem", "TransactWriteItems": // the claim, then the save
				saves++
				save = r.bytes
			}
		}
		writes = append(writes, save)
		// One read and two writes (the claim, the save). The index the
		// read uses may lag a save by a moment; the turn then confirms
		// with one consistent read, and at worst saves again: allowed
		// now and then, never more.
		switch {
		case reads < 1 || saves < 2 || reads > 2 || saves > 3:
			t.Errorf("turn %d: %d reads and %d writes; want 1 and 2, at most 2 and 3 when the index lags", i, reads, saves)
		case reads != 1 || saves != 2:
			lagged++
		}
	}
	if lagged > turns/20 {
		t.Errorf("%d of %d turns took more than 1 read and 2 writes; want at most 5%% (index lag)", lagged, turns)
	}
	fifth := len(writes) / 5
	first, last := median(writes[:fifth]), median(writes[len(writes)-fifth:])
	t.Logf("median save request: %d bytes in the first fifth, %d in the last", first, last)
	if last > 2*first {
		t.Errorf("median save request grew from %d bytes (first fifth) to %d (last fifth); want at most twice", first, last)
	}

	c.c.Close(1000, "bye") // $disconnect ends the session; the stream delivers it
	var rec *delivery.Record
	deadline := time.Now().Add(30 * time.Second)
	for rec == nil && time.Now().Before(deadline) {
		rec, _ = stack.Records.FindTranscript(context.Background(), "superior-fencing", sessionID)
		time.Sleep(50 * time.Millisecond)
	}
	if rec == nil {
		t.Fatal("no transcript stored after the conversation ended")
	}
	code, out, errOut := runCLI(t, "transcripts", "show", sessionID, "--business", "superior-fencing", "--json", "--url", stack.URL)
	if code != exitOK {
		t.Fatalf("transcripts show: exit %d: %s", code, errOut)
	}
	var shown delivery.Record
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("transcripts show --json: %v\n%.300s", err, out)
	}
	var callerTurns []string
	for _, tu := range shown.Turns {
		if tu.Role == session.RoleCaller {
			callerTurns = append(callerTurns, tu.Text)
		}
	}
	if len(callerTurns) != turns {
		t.Fatalf("transcript has %d caller turns, want %d", len(callerTurns), turns)
	}
	for i, text := range callerTurns {
		if text != message(i+1) {
			t.Fatalf("caller turn %d = %.40q…, want %.40q…", i+1, text, message(i+1))
		}
	}
}

func median(xs []int) int {
	c := slices.Clone(xs)
	slices.Sort(c)
	return c[len(c)/2]
}
