package openaiclient_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
)

// BenchmarkStream100Tokens streams a 100-token answer from the in-process
// fake (no delays) through the real openai-go client. The figures include
// the fake's own work (encoding the chunks) and the loopback HTTP.
func BenchmarkStream100Tokens(b *testing.B) {
	fake := llmtest.NewServer(b)
	answer := strings.TrimSpace(strings.Repeat("word ", 100))
	fake.Handle(func(llmtest.Recorded) llmtest.Response { return llmtest.Text(answer) })
	c := openaiclient.New(openaiclient.Options{
		BaseURL: fake.URL,
		APIKey:  func(context.Context) (string, error) { return "sk-bench", nil },
	})
	req := llm.Request{Messages: []llm.Message{
		{Role: llm.RoleSystem, Content: "You are the receptionist."},
		{Role: llm.RoleUser, Content: "Tell me about your hours."},
	}}
	ctx := context.Background()
	n := 0
	onText := func(string) error { n++; return nil }
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		res, err := c.Stream(ctx, req, onText)
		if err != nil {
			b.Fatal(err)
		}
		if n != 100 || len(res.Text) != len(answer) {
			b.Fatalf("deltas = %d, text %d bytes", n, len(res.Text))
		}
	}
}
