package chathttp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/llm/chathttp"
	"github.com/ahca/ahca/pkg/llm/llmtest"
)

func client(fake *llmtest.Fake) *chathttp.Client {
	return chathttp.New(chathttp.Options{
		APIKey:      func(context.Context) (string, error) { return "sk-test", nil },
		BaseURL:     fake.URL,
		MaxAttempts: 2,
		Backoff:     func(int) time.Duration { return time.Millisecond },
	})
}

func TestStream(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Enqueue(llmtest.Text("Jamie's fence blew down; call back tomorrow."))
	var deltas string
	res, err := client(fake).Stream(context.Background(), llm.Request{Messages: []llm.Message{
		{Role: llm.RoleSystem, Content: "Summarize."}, {Role: llm.RoleUser, Content: "caller: my fence"},
	}}, func(d string) error { deltas += d; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Jamie's fence blew down; call back tomorrow." || deltas != res.Text {
		t.Errorf("text %q, deltas %q", res.Text, deltas)
	}
	if res.FinishReason != "stop" || res.Usage.CompletionTokens == 0 || res.Usage.PromptTokens == 0 {
		t.Errorf("finish %q, usage %+v", res.FinishReason, res.Usage)
	}
	rec := fake.Last()
	if rec.Model != llm.DefaultModel || !rec.Stream || rec.StreamOptions == nil || !rec.StreamOptions.IncludeUsage || rec.OutputCap() != llm.DefaultMaxOutputTokens {
		t.Errorf("request: model %q stream %v options %+v cap %d", rec.Model, rec.Stream, rec.StreamOptions, rec.OutputCap())
	}
	if rec.Temperature == nil || *rec.Temperature != llm.DefaultTemperature {
		t.Errorf("temperature %v, want the default", rec.Temperature)
	}
	if len(rec.Messages) != 2 || rec.LastUser() != "caller: my fence" {
		t.Errorf("messages %+v", rec.Messages)
	}
}

func TestNegativeTemperatureIsLeftOut(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Enqueue(llmtest.Text("ok"))
	temp := -1.0
	if _, err := client(fake).Stream(context.Background(), llm.Request{Model: "o4-mini", Temperature: &temp, MaxOutputTokens: 300,
		Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if rec := fake.Last(); rec.Temperature != nil || rec.Model != "o4-mini" || rec.OutputCap() != 300 {
		t.Errorf("temperature %v, model %q, cap %d", rec.Temperature, rec.Model, rec.OutputCap())
	}
}

func TestRetries(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Enqueue(llmtest.Error(500, ""), llmtest.Text("second time"))
	res, err := client(fake).Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil)
	if err != nil || res.Text != "second time" || fake.Calls() != 2 {
		t.Fatalf("res %q, err %v, calls %d", res.Text, err, fake.Calls())
	}

	fake = llmtest.NewServer(t)
	fake.Enqueue(llmtest.Error(400, "bad request"), llmtest.Text("never"))
	_, err = client(fake).Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil)
	if !errors.Is(err, llm.ErrUnavailable) || fake.Calls() != 1 {
		t.Fatalf("a 400: err %v after %d calls, want ErrUnavailable after 1", err, fake.Calls())
	}

	fake = llmtest.NewServer(t)
	fake.Enqueue(llmtest.Error(503, ""), llmtest.Error(503, ""))
	_, err = client(fake).Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil)
	if !errors.Is(err, llm.ErrUnavailable) || fake.Calls() != 2 {
		t.Fatalf("two 503s: err %v after %d calls", err, fake.Calls())
	}
}

func TestRefusesTools(t *testing.T) {
	fake := llmtest.NewServer(t)
	_, err := client(fake).Stream(context.Background(), llm.Request{Tools: []llm.Tool{{Name: "x"}}, Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil)
	if !errors.Is(err, llm.ErrUnavailable) || fake.Calls() != 0 {
		t.Fatalf("err %v, calls %d", err, fake.Calls())
	}
}
