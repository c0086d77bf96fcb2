package summary_test

import (
	"context"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/transcript"
)

type usageModel struct {
	res llm.Result
	err error
}

func (m usageModel) Stream(context.Context, llm.Request, func(string) error) (llm.Result, error) {
	return m.res, m.err
}

// A summary's tokens count against the business's modelTokensPerDay, on
// the same daily counter as its conversations' turns — also when the
// summary falls back (the model was paid for all the same).
func TestSummarizeCountsTokens(t *testing.T) {
	acme, _ := businesses(t)
	tr := ended("acme-plumbing", transcript.StatusEnded, jamie)
	counters := &session.MemoryCounters{}
	day := func() int64 {
		n, err := counters.Add(context.Background(), acme.ID, session.DayWindow(time.Now()), map[string]int64{session.CountModelTokens: 0})
		if err != nil {
			t.Fatal(err)
		}
		return n[session.CountModelTokens]
	}
	s := &summary.Summarizer{Counters: counters, LLM: usageModel{res: llm.Result{Text: aiText, Usage: llm.Usage{PromptTokens: 900, CompletionTokens: 60}}}}
	if _, source := s.Summarize(context.Background(), acme, tr); source != summary.SourceAI {
		t.Fatalf("source = %s", source)
	}
	if got := day(); got != 960 {
		t.Errorf("daily tokens = %d, want 960", got)
	}
	s.LLM = usageModel{res: llm.Result{Usage: llm.Usage{PromptTokens: 40}}} // no text: fallback
	if _, source := s.Summarize(context.Background(), acme, tr); source != summary.SourceFallback {
		t.Fatalf("source = %s", source)
	}
	if got := day(); got != 1000 {
		t.Errorf("daily tokens = %d, want 1000", got)
	}
	s.LLM = usageModel{res: llm.Result{Text: aiText}} // no usage reported: nothing counted
	s.Summarize(context.Background(), acme, tr)
	if got := day(); got != 1000 {
		t.Errorf("daily tokens = %d, want 1000", got)
	}
}
