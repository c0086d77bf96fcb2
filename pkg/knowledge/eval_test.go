package knowledge

import (
	"context"
	"testing"
)

const evalFile = "testdata/eval.json"

// Recall floors for the sample knowledge's evaluation set. The lexical
// search answers when there is no API key, so it must find most answers.
const (
	lexicalFloor   = 0.75
	hashEmbedFloor = 0.6 // a bag of hashed words: a check of the plumbing, not of meaning
)

func evalSetup(tb testing.TB) ([]EvalCase, *Searcher, *Searcher) {
	tb.Helper()
	cases, err := ReadEvalFile(evalFile)
	if err != nil {
		tb.Fatal(err)
	}
	chunks := sampleChunks(tb)
	sections := map[string]bool{}
	for _, c := range chunks {
		sections[c.SectionID] = true
	}
	for _, c := range cases {
		for _, id := range c.Expect {
			if !sections[id] {
				tb.Fatalf("%s: %q expects section %q, which the knowledge does not have", evalFile, c.Question, id)
			}
		}
	}
	lex, err := NewSearcher("sherpaprompt", chunks, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := Build(context.Background(), chunks, HashEmbedder{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	emb, err := NewSearcher("sherpaprompt", chunks, idx, HashEmbedder{})
	if err != nil {
		tb.Fatal(err)
	}
	if m, why := emb.Mode(); m != ModeEmbedding {
		tb.Fatalf("embedding searcher is %s: %s", m, why)
	}
	return cases, lex, emb
}

func searchFunc(tb testing.TB, s *Searcher) func(string, int) []Result {
	return func(q string, k int) []Result {
		res, err := s.Search(context.Background(), q, k)
		if err != nil {
			tb.Fatal(err)
		}
		return res
	}
}

func TestRecallAt3(t *testing.T) {
	cases, lex, emb := evalSetup(t)
	if len(cases) < 12 {
		t.Errorf("only %d evaluation questions", len(cases))
	}
	for _, tc := range []struct {
		name  string
		s     *Searcher
		floor float64
	}{{"lexical", lex, lexicalFloor}, {"embedding (hash test embedder)", emb, hashEmbedFloor}} {
		recall, misses := Recall(cases, 3, searchFunc(t, tc.s))
		t.Logf("%s recall@3 = %.3f over %d questions; missed: %q", tc.name, recall, len(cases), misses)
		if recall < tc.floor {
			t.Errorf("%s recall@3 = %.3f, below the floor %.2f; missed: %q", tc.name, recall, tc.floor, misses)
		}
	}
}

// BenchmarkRecall reports recall@3 of the evaluation set as a metric, with
// the time of one pass over the set.
func BenchmarkRecall(b *testing.B) {
	cases, lex, emb := evalSetup(b)
	for _, bc := range []struct {
		name string
		s    *Searcher
	}{{"lexical", lex}, {"embedding-hash", emb}} {
		b.Run(bc.name, func(b *testing.B) {
			search := searchFunc(b, bc.s)
			var recall float64
			for b.Loop() {
				recall, _ = Recall(cases, 3, search)
			}
			b.ReportMetric(recall, "recall@3")
		})
	}
}
