package knowledge

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ahca/ahca/pkg/tenant"
)

func TestTokenize(t *testing.T) {
	got := Tokenize("What are the Plans' PRICES, and do companies get discounts? It's $79/month (Wi-Fi).")
	want := []string{"plan", "price", "company", "discount", "79", "month", "wi", "fi"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, w := range []string{"business", "status", "analysis", "class"} {
		if got := Tokenize(w); len(got) != 1 || got[0] != w {
			t.Errorf("%s stemmed to %q", w, got)
		}
	}
}

func chunk(biz tenant.ID, id, heading, text string) Chunk {
	c := Chunk{ID: id + "/0", BusinessID: biz, Source: "t.md", SectionID: id, Heading: heading, Text: text}
	c.Hash = hashOf(c.Content())
	return c
}

func TestLexicalRanking(t *testing.T) {
	chunks := []Chunk{
		chunk("acme", "a#hours", "Hours", "We are open weekdays from nine to five."),
		chunk("acme", "a#roofs", "Roofs", "We repair roofs and gutters. Roof repairs come with a warranty."),
		chunk("acme", "a#gutters", "Gutters", "Gutter cleaning twice a year."),
	}
	l := NewLexical(chunks)
	res := l.Search("Do you repair roofs?", 3)
	if len(res) == 0 || res[0].Chunk.SectionID != "a#roofs" {
		t.Fatalf("roof question: %+v", res)
	}
	for i := 1; i < len(res); i++ {
		if res[i].Score > res[i-1].Score {
			t.Errorf("results not sorted: %+v", res)
		}
	}
	if res := l.Search("gutters", 1); len(res) != 1 {
		t.Errorf("k=1 gave %d results", len(res))
	}
	if res := l.Search("what is the weather on mars", 3); len(res) != 0 {
		t.Errorf("a query sharing no term matched: %+v", res)
	}
	if res := l.Search("the and of", 3); len(res) != 0 {
		t.Errorf("a stopword query matched: %+v", res)
	}
	if res := NewLexical(nil).Search("roof", 3); len(res) != 0 {
		t.Error("an empty index matched")
	}
}

// countingEmbedder counts the texts it embeds.
type countingEmbedder struct {
	HashEmbedder
	mu    sync.Mutex
	texts int
	fail  error
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	c.texts += len(texts)
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return c.HashEmbedder.Embed(ctx, texts)
}

// sampleIndex builds the index of the sample knowledge with a
// countingEmbedder.
func sampleIndex(t *testing.T) ([]Chunk, *countingEmbedder, *Index) {
	t.Helper()
	chunks := sampleChunks(t)
	emb := &countingEmbedder{}
	idx, err := Build(context.Background(), chunks, emb, nil)
	if err != nil {
		t.Fatal(err)
	}
	return chunks, emb, idx
}

func TestBuildSkipsUnchangedChunks(t *testing.T) {
	ctx := context.Background()
	chunks, emb, idx := sampleIndex(t)
	if emb.texts != len(chunks) || idx.Embedded != len(chunks) || idx.Reused != 0 || idx.Dims != 1024 || idx.Model != "hash-bow-1024" || idx.BusinessID != "sherpaprompt" {
		t.Fatalf("first build: embedded %d (%d texts), reused %d, %d dims, model %s", idx.Embedded, emb.texts, idx.Reused, idx.Dims, idx.Model)
	}

	// The file round trip keeps every vector exactly.
	var buf bytes.Buffer
	if err := idx.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"model": "hash-bow-1024"`) {
		t.Errorf("the file does not name the model:\n%.300s", buf.String())
	}
	read, err := ReadIndex(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range idx.Entries {
		if !slices.Equal(read.Entries[i].Vector, idx.Entries[i].Vector) || read.Entries[i].Hash != idx.Entries[i].Hash {
			t.Fatalf("entry %d changed in the file", i)
		}
	}

	// Nothing changed: nothing is embedded.
	emb.texts = 0
	again, err := Build(ctx, chunks, emb, read)
	if err != nil || emb.texts != 0 || again.Reused != len(chunks) {
		t.Fatalf("rebuild: %v, embedded %d texts, reused %d", err, emb.texts, again.Reused)
	}

	// One chunk changed, one added: two are embedded.
	changed := slices.Clone(chunks)
	changed[3].Text += " Now with more."
	changed[3].Hash = hashOf(changed[3].Content())
	changed = append(changed, chunk("sherpaprompt", "new#section", "New", "A brand new section."))
	emb.texts = 0
	third, err := Build(ctx, changed, emb, again)
	if err != nil || emb.texts != 2 || third.Reused != len(chunks)-1 || third.Embedded != 2 {
		t.Fatalf("incremental build: %v, embedded %d texts, reused %d", err, emb.texts, third.Reused)
	}

	// Another model, or another business's index, is not reused.
	emb.texts = 0
	other := &countingEmbedder{HashEmbedder: HashEmbedder{Dims: 64}}
	if _, err := Build(ctx, chunks, other, read); err != nil || other.texts != len(chunks) {
		t.Errorf("another model reused vectors: %v, embedded %d", err, other.texts)
	}

	// File on disk.
	name := filepath.Join(t.TempDir(), IndexFileName)
	if err := third.WriteFile(name); err != nil {
		t.Fatal(err)
	}
	if x, err := ReadIndexFile(name); err != nil || len(x.Entries) != len(changed) {
		t.Errorf("ReadIndexFile: %v", err)
	}

	// Failures.
	if _, err := Build(ctx, append(slices.Clone(chunks), chunk("acme", "x", "X", "x")), emb, nil); err == nil {
		t.Error("an index of two businesses was built")
	}
	emb.fail = errors.New("rate limited")
	if _, err := Build(ctx, changed, emb, nil); err == nil || !strings.Contains(err.Error(), "rate limited") {
		t.Errorf("embedder failure: %v", err)
	}
	if _, err := ReadIndex(strings.NewReader(`{"version": 1, "businessId": "acme", "dims": 2, "entries": [{"id": "a", "vector": "AAAA"}]}`)); err == nil {
		t.Error("a vector of the wrong size was accepted")
	}
}

func TestSearcherModes(t *testing.T) {
	ctx := context.Background()
	chunks, emb, idx := sampleIndex(t)

	s, err := NewSearcher("sherpaprompt", chunks, idx, emb)
	if err != nil {
		t.Fatal(err)
	}
	if mode, _ := s.Mode(); mode != ModeEmbedding {
		t.Fatalf("mode %s with a matching index", mode)
	}
	res, err := s.Search(ctx, "Do you integrate with HubSpot?", 3)
	if err != nil || len(res) != 3 || res[0].Chunk.SectionID != "sherpaprompt_product#integrations_crm" {
		t.Fatalf("embedding search: %v %+v", err, res)
	}

	// The embeddings service fails: the lexical search answers.
	emb.fail = errors.New("503 from the embeddings API")
	res, err = s.Search(ctx, "Do you integrate with HubSpot?", 3)
	var fe *FallbackError
	if !errors.As(err, &fe) || len(res) == 0 || res[0].Chunk.SectionID != "sherpaprompt_product#integrations_crm" {
		t.Errorf("fallback: %v %+v", err, res)
	}
	emb.fail = nil

	for name, tc := range map[string]struct {
		idx *Index
		emb Embedder
		why string
	}{
		"no index":    {nil, emb, "no embedding index"},
		"no embedder": {idx, nil, "no embedder"},
		"other model": {idx, HashEmbedder{Dims: 32}, "built with hash-bow-1024"},
		"stale":       {&Index{Version: 1, BusinessID: "sherpaprompt", Model: idx.Model, Dims: idx.Dims, Entries: idx.Entries[1:]}, emb, "stale: 1 of"},
	} {
		s, err := NewSearcher("sherpaprompt", chunks, tc.idx, tc.emb)
		if err != nil {
			t.Fatal(err)
		}
		mode, why := s.Mode()
		if mode != ModeLexical || !strings.Contains(why, tc.why) {
			t.Errorf("%s: mode %s (%s)", name, mode, why)
		}
		if res, err := s.Search(ctx, "support hours", 3); err != nil || len(res) == 0 || res[0].Chunk.SectionID != "support#support_hours" {
			t.Errorf("%s: lexical search: %v %+v", name, err, res)
		}
	}
	if res, err := s.Search(ctx, "   ", 3); err != nil || res != nil {
		t.Errorf("empty query: %v %v", res, err)
	}
}

func TestOpenDir(t *testing.T) {
	ctx := context.Background()
	dir := writeFiles(t, map[string]string{"faq.md": "# FAQ\n## Parking\nPark behind the building.\n## Hours\nOpen daily."})
	s, err := OpenDir(dir, "acme", HashEmbedder{})
	if err != nil {
		t.Fatal(err)
	}
	if mode, _ := s.Mode(); mode != ModeLexical || s.Chunks() != 2 || s.BusinessID() != "acme" {
		t.Fatalf("without an index: %s, %d chunks", mode, s.Chunks())
	}
	chunks, _ := LoadDir(dir, "acme")
	idx, err := Build(ctx, chunks, HashEmbedder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, IndexFileName)); err != nil {
		t.Fatal(err)
	}
	s, err = OpenDir(dir, "acme", HashEmbedder{})
	if err != nil {
		t.Fatal(err)
	}
	if mode, why := s.Mode(); mode != ModeEmbedding || s.Chunks() != 2 {
		t.Fatalf("with an index: %s (%s), %d chunks (the index file must not be loaded as knowledge)", mode, why, s.Chunks())
	}
	if res, err := s.Search(ctx, "where do I park", 1); err != nil || len(res) != 1 || res[0].Chunk.SectionID != "faq#parking" {
		t.Errorf("search: %v %+v", err, res)
	}
}

// One business's searcher never returns another business's chunks, even
// for a query only the other business's text matches.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	dirA := writeFiles(t, map[string]string{"a.md": "# Plumbing\n## Leaks\nWe fix leaking pipes and faucets."})
	dirB := writeFiles(t, map[string]string{"b.md": "# Secret\n## Zanzibar discount\nThe zanzibar loyalty discount is forty percent."})
	chunksA, err := LoadDir(dirA, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	chunksB, err := LoadDir(dirB, "bravo")
	if err != nil {
		t.Fatal(err)
	}
	idxA, _ := Build(ctx, chunksA, HashEmbedder{}, nil)
	idxB, _ := Build(ctx, chunksB, HashEmbedder{}, nil)

	const query = "zanzibar loyalty discount forty percent"
	searchers := map[string]*Searcher{}
	for name, idx := range map[string]*Index{"lexical": nil, "embedding": idxA} {
		s, err := NewSearcher("alpha", chunksA, idx, HashEmbedder{})
		if err != nil {
			t.Fatal(err)
		}
		searchers[name] = s
	}
	for name, s := range searchers {
		res, err := s.Search(ctx, query, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Chunk.BusinessID != "alpha" || strings.Contains(r.Chunk.Text, "zanzibar") {
				t.Errorf("%s: alpha's searcher returned %s of %s", name, r.Chunk.ID, r.Chunk.BusinessID)
			}
		}
	}
	// B's own searcher finds it (the query is a fair one).
	sb, _ := NewSearcher("bravo", chunksB, idxB, HashEmbedder{})
	if res, _ := sb.Search(ctx, query, 1); len(res) != 1 || res[0].Chunk.BusinessID != "bravo" {
		t.Errorf("bravo's searcher: %+v", res)
	}
	// Mixing is refused outright.
	if _, err := NewSearcher("alpha", append(slices.Clone(chunksA), chunksB...), nil, nil); err == nil {
		t.Error("a searcher over two businesses' chunks was built")
	}
	if _, err := NewSearcher("alpha", chunksA, idxB, HashEmbedder{}); err == nil {
		t.Error("alpha's searcher accepted bravo's index")
	}
	// The same text in two businesses gives two chunks, each its own.
	dirA2 := writeFiles(t, map[string]string{"b.md": "# Secret\n## Zanzibar discount\nThe zanzibar loyalty discount is forty percent."})
	chunksA2, _ := LoadDir(dirA2, "alpha")
	if chunksA2[0].ID != chunksB[0].ID || chunksA2[0].BusinessID == chunksB[0].BusinessID {
		t.Errorf("same text, different businesses: %+v %+v", chunksA2[0], chunksB[0])
	}
}
