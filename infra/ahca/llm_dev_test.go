package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
)

func fakeModel(tb testing.TB, fake *llmtest.Fake) *openaiclient.Client {
	return openaiclient.New(openaiclient.Options{
		BaseURL: fake.URL, APIKey: func(context.Context) (string, error) { return "sk-test", nil },
		Backoff: func(int) time.Duration { return 0 },
	})
}

// Through the whole local stack (emulator, handlers, engine, real OpenAI
// client against the wire-level fake): each business's AI agent collects a
// lead with tools offered by its features and ends the conversation.
func TestDevStackLLMConversations(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Handle(func(r llmtest.Recorded) llmtest.Response {
		last := r.LastMessage()
		if len(r.Tools) == 0 && r.Messages[0].Role == "system" && !strings.Contains(r.Messages[0].Content, "receptionist") && last.Role == "user" && strings.Contains(last.Content, "Transcript") {
			return llmtest.Text("A caller left their details.")
		}
		switch {
		case last.Role == "tool" && r.Messages[len(r.Messages)-2].ToolCalls[0].Name == "end_conversation":
			if strings.Contains(last.Content, "error") {
				return llmtest.Text("Before you go: " + last.Content)
			}
			return llmtest.Text("Thanks for calling. Goodbye!")
		case last.Role == "tool":
			return llmtest.Text("Got it, thank you. Anything else?")
		case strings.Contains(last.Content, "that's all"):
			return llmtest.Calls(llmtest.Call{Name: "end_conversation", Arguments: `{}`})
		default:
			var a map[string]string
			json.Unmarshal([]byte(last.Content), &a) // the scripted caller speaks JSON the "model" understands
			b, _ := json.Marshal(a)
			return llmtest.Calls(llmtest.Call{Name: "update_user_info", Arguments: string(b)})
		}
	})
	stack := startTestStack(t, devOptions{llm: fakeModel(t, fake)})
	callers := map[string]map[string]string{
		"superior-fencing": {"name": "Jamie Rivera", "phone": "503 555 0142", "reason": "Fence blew down"},
		"sherpaprompt":     {"name": "Sam Lee", "email": "sam@example.com", "reason": "Demo"},
		"maple-street-vet": {"name": "Priya Shah", "phone": "541 555 0199", "reason": "Refill"},
	}
	for biz, info := range callers {
		t.Run(biz, func(t *testing.T) {
			c := dialBusiness(t, stack, biz)
			c.turn(`{"type":"setup"}`)
			words, _ := json.Marshal(info)
			reply, frames := c.turn(say(string(words)))
			if reply != "Got it, thank you. Anything else?" {
				t.Fatalf("reply %q (frames %v)", reply, frames)
			}
			ui := frames[0]
			if ui["type"] != "user_info_updated" || ui["userInfo"].(map[string]any)["name"] != info["name"] {
				t.Errorf("first frame = %v, want user_info_updated with the name", ui)
			}
			reply, _ = c.turn(say("that's all"))
			if !strings.Contains(reply, "Goodbye") {
				t.Errorf("closing reply %q", reply)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, data, err := c.c.Read(ctx)
			if err != nil || !strings.Contains(string(data), `"type":"end"`) {
				t.Errorf("no end frame: %s %v", data, err)
			}
		})
	}
	withTools := 0
	for _, r := range fake.Requests() {
		names := r.ToolNames()
		if len(names) == 0 {
			continue // the summary email's request (no tools)
		}
		withTools++
		if !slices.Contains(names, "update_user_info") || !slices.Contains(names, "end_conversation") {
			t.Errorf("tools offered %v", names)
		}
	}
	if withTools < 2*len(callers) {
		t.Errorf("%d conversation requests offered tools, want at least %d", withTools, 2*len(callers))
	}
}

// BenchmarkLLMTurn measures the server around a model with a fixed
// time-to-first-token, through the whole local stack: frame in → model
// request received (overhead before the LLM request), first model token
// written → first phrase at the client (token-to-post), posts per 100-token
// reply, and store calls per turn (with DynamoDB Local when
// AHCA_DYNAMODB_ENDPOINT is set).
func BenchmarkLLMTurn(b *testing.B) {
	const ttft = 20 * time.Millisecond
	reply := strings.TrimSpace(strings.Repeat("Sure, our crew can look at the fence tomorrow morning, and they will call you before they come. ", 6))
	fake := llmtest.NewServer(b)
	var mu sync.Mutex
	var received, firstChunk time.Time
	fake.Handle(func(r llmtest.Recorded) llmtest.Response {
		mu.Lock()
		received = time.Now()
		firstChunk = received.Add(ttft)
		mu.Unlock()
		return llmtest.Response{Text: reply, FirstChunkDelay: ttft}
	})
	r := newBenchRun(b, devOptions{llm: fakeModel(b, fake)}, "bench-llm")
	var before, tokenToPost []time.Duration
	for i := 0; b.Loop(); i++ {
		c := r.next(b, i, 10)
		sent := time.Now()
		got, frames := c.firstPhraseTurn(say("Can someone look at my fence?"))
		if got == "" {
			b.Fatalf("empty reply: %v", frames)
		}
		mu.Lock()
		before = append(before, received.Sub(sent))
		tokenToPost = append(tokenToPost, c.firstText.Sub(firstChunk))
		mu.Unlock()
	}
	b.StopTimer()
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(ds[(len(ds)-1)*99/100].Microseconds())/1000, name+"-p99-ms")
	}
	report("before-llm", before)
	report("token-to-post", tokenToPost)
	r.report(b, "posts/100-token-reply")
}
