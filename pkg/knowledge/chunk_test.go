package knowledge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ahca/ahca/internal/reference"
	"github.com/ahca/ahca/pkg/tenant"
)

const sampleDir = "../../configs/businesses/sherpaprompt/knowledge"

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sampleChunks loads the sample knowledge of sherpaprompt.
func sampleChunks(tb testing.TB) []Chunk {
	tb.Helper()
	chunks, err := LoadDir(sampleDir, "sherpaprompt")
	if err != nil {
		tb.Fatal(err)
	}
	return chunks
}

func TestLoadSampleKnowledge(t *testing.T) {
	chunks := sampleChunks(t)
	sections := map[string]bool{}
	ids := map[string]bool{}
	sources := map[string]bool{}
	for _, c := range chunks {
		if c.BusinessID != "sherpaprompt" || c.Text == "" || c.SectionID == "" || c.Heading == "" {
			t.Errorf("incomplete chunk %+v", c)
		}
		if ids[c.ID] {
			t.Errorf("duplicate chunk id %s", c.ID)
		}
		if c.Hash != hashOf(c.Content()) {
			t.Errorf("chunk %s: hash does not match its content", c.ID)
		}
		if len(c.Text) > MaxChunk {
			t.Errorf("chunk %s: %d bytes, more than %d", c.ID, len(c.Text), MaxChunk)
		}
		ids[c.ID] = true
		sections[c.SectionID] = true
		sources[c.Source] = true
	}
	if n := len(sections); n < 15 || n > 30 {
		t.Errorf("%d sections, want about 15-25", n)
	}
	for _, s := range []string{"pricing.md", "demos.md", "support.md", "product.json"} {
		if !sources[s] {
			t.Errorf("no chunk from %s", s)
		}
	}
	again, err := LoadDir(sampleDir, "sherpaprompt")
	if err != nil || len(again) != len(chunks) || again[0] != chunks[0] || again[len(again)-1] != chunks[len(chunks)-1] {
		t.Errorf("loading twice gave different chunks")
	}
}

func TestMarkdownSections(t *testing.T) {
	long := strings.Repeat("Scout answers the phone and books the visit. ", 50)
	dir := writeFiles(t, map[string]string{
		"guide.md": "Intro before any heading.\n\n# Guide\n\n## Pricing\nTwo plans.\n\n```\n# not a heading\n```\n\n### Details\n" + long +
			"\n## Empty\n\n## Pricing\nAgain.\n",
		"notes.txt":   "ignored",
		"sub/more.md": "# More\ntext",
	})
	chunks, err := LoadDir(dir, "acme")
	if err != nil {
		t.Fatal(err)
	}
	bySection := map[string][]Chunk{}
	var order []string
	for _, c := range chunks {
		if _, ok := bySection[c.SectionID]; !ok {
			order = append(order, c.SectionID)
		}
		bySection[c.SectionID] = append(bySection[c.SectionID], c)
	}
	wantOrder := []string{"guide#guide", "guide#pricing", "guide#details", "guide#pricing_2", "more#more"}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Fatalf("sections %v, want %v", order, wantOrder)
	}
	if c := bySection["guide#guide"][0]; c.Text != "Intro before any heading." || c.Heading != "guide" {
		t.Errorf("text before the first heading: %+v", c)
	}
	if c := bySection["guide#pricing"][0]; !strings.Contains(c.Text, "# not a heading") || c.Heading != "Guide > Pricing" {
		t.Errorf("fenced code or heading path: %+v", c)
	}
	details := bySection["guide#details"]
	if len(details) < 3 {
		t.Fatalf("a %d-byte section gave %d chunks", len(long), len(details))
	}
	for i, c := range details {
		if c.Heading != "Guide > Pricing > Details" || c.ID != "guide#details/"+string(rune('0'+i)) || len(c.Text) > MaxChunk {
			t.Errorf("chunk %d: %s %q, %d bytes", i, c.ID, c.Heading, len(c.Text))
		}
	}
	if c := bySection["more#more"][0]; c.Source != "sub/more.md" {
		t.Errorf("source %q, want sub/more.md", c.Source)
	}
}

func TestJSONSections(t *testing.T) {
	dir := writeFiles(t, map[string]string{"kb.json": `{
  "doc_id": "kb", "title": "Help Center", "version": "1", "labels": ["x"],
  "sections": [
    {"section_id": "kb#", "heading_level": 1, "heading": "", "path": "", "raw_markdown": ""},
    {"section_id": "kb#a", "heading": "Alpha", "path": "Alpha", "raw_markdown": "**Bold** raw", "normalized_text": "H2: Alpha\n\nnormalized words"},
    {"section_id": "kb#b", "heading": "Beta", "path": "Alpha > Beta", "raw_markdown": "**Bold** raw only"}
  ]}`})
	chunks, err := LoadDir(dir, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 2 {
		t.Fatalf("got %d chunks, want 2 (the empty section dropped): %+v", len(chunks), chunks)
	}
	if c := chunks[0]; c.SectionID != "kb#a" || c.Text != "H2: Alpha\n\nnormalized words" || c.Heading != "Help Center > Alpha" || c.Source != "kb.json" {
		t.Errorf("normalized_text preferred: %+v", c)
	}
	if c := chunks[1]; c.Text != "Bold raw only" || c.Heading != "Help Center > Alpha > Beta" {
		t.Errorf("raw_markdown fallback: %+v", c)
	}
}

// Documents in the original service's sectioned JSON shape (doc_id,
// sections with raw_markdown, normalized_text, labels, chunks, structured
// intents, a file name with a space) load as they are. The fixture is ours;
// TestLoadReferenceDocuments repeats the check over the original files.
func TestLoadOriginalShapeDocuments(t *testing.T) {
	chunks, err := LoadDir(filepath.Join("testdata", "original-shape"), "ridgeline-roofing")
	if err != nil {
		t.Fatal(err)
	}
	bySection := map[string]Chunk{}
	for _, c := range chunks {
		bySection[c.SectionID] = c
	}
	want := []string{"service_plans#seasonal_clean", "service_plans#guard_install", "field_guide#active_leak", "field_guide#insurance", "intents#v1"}
	if len(bySection) != len(want) {
		t.Errorf("sections %v, want %v (the empty one dropped)", keys(bySection), want)
	}
	for _, id := range want {
		if _, ok := bySection[id]; !ok {
			t.Errorf("section %s not loaded", id)
		}
	}
	if c := bySection["service_plans#seasonal_clean"]; !strings.Contains(c.Text, "$210 a visit") || c.Source != "service_plans_1.0.json" {
		t.Errorf("raw_markdown section: %+v", c)
	}
	if c := bySection["field_guide#active_leak"]; !strings.Contains(c.Text, "assesses the damage once it is dry") {
		t.Errorf("normalized_text not preferred over raw_markdown: %+v", c)
	}
	if c := bySection["intents#v1"]; c.Source != "Caller Intents_1.1.json" {
		t.Errorf("file name with a space: %+v", c)
	}
}

// The original service's own documents load as they are, when present.
func TestLoadReferenceDocuments(t *testing.T) {
	chunks, err := LoadDir(reference.Dir(t, "original-knowledge"), "original")
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 20 {
		t.Errorf("only %d chunks", len(chunks))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"syntax", map[string]string{"bad.json": "{\n \"doc_id\": \"x\",\n \"sections\": [,]\n}"}, []string{"bad.json", "malformed JSON at line 3"}},
		{"empty", map[string]string{"empty.json": ""}, []string{"empty.json", "empty or ends early"}},
		{"no doc_id", map[string]string{"a.json": `{"sections": []}`}, []string{"a.json", `"doc_id" is missing`}},
		{"no sections", map[string]string{"a.json": `{"doc_id": "a"}`}, []string{"a.json", `"sections" is missing`}},
		{"sections type", map[string]string{"a.json": `{"doc_id": "a", "sections": {}}`}, []string{"a.json", "line 1", "sections must be an array"}},
		{"array", map[string]string{"a.json": `[1]`}, []string{"a.json", "must be an object"}},
		{"no section_id", map[string]string{"a.json": `{"doc_id": "a", "sections": [{"heading": "h"}]}`}, []string{"a.json", "sections[0]", "section_id"}},
		{"duplicate in file", map[string]string{"a.json": `{"doc_id": "a", "sections": [{"section_id": "s"}, {"section_id": "s"}]}`}, []string{"a.json", "sections[1]", "duplicate"}},
		{"duplicate across files", map[string]string{"a.md": "# S\nx", "b.json": `{"doc_id": "b", "sections": [{"section_id": "a#s", "raw_markdown": "y"}]}`}, []string{"b.json", `"a#s"`, "a.md"}},
		{"two values", map[string]string{"a.json": `{"doc_id": "a", "sections": []} {}`}, []string{"a.json", "more than one value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadDir(writeFiles(t, tc.files), "acme")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := LoadDir(t.TempDir(), "Not A Business"); err == nil {
		t.Error("an invalid business id was accepted")
	}
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing"), tenant.ID("acme")); err == nil {
		t.Error("a missing directory was accepted")
	}
}

func TestSplitText(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		b.WriteString("Sentence number ")
		b.WriteString(strings.Repeat("é", i%5))
		b.WriteString(" about roofing estimates and follow-ups. ")
		if i%7 == 6 {
			b.WriteString("\n\n")
		}
	}
	text := strings.TrimSpace(b.String())
	parts := SplitText(text, 300, 60)
	if len(parts) < 5 {
		t.Fatalf("%d parts for %d bytes", len(parts), len(text))
	}
	pos := 0
	for i, p := range parts {
		if len(p) > 300 || p == "" || !utf8.ValidString(p) {
			t.Errorf("part %d: %d bytes, valid UTF-8 %v", i, len(p), utf8.ValidString(p))
		}
		at := strings.Index(text[max(pos-300, 0):], p)
		if at < 0 {
			t.Fatalf("part %d is not a piece of the text: %q", i, p)
		}
		start := max(pos-300, 0) + at
		if i > 0 && start >= pos {
			t.Errorf("part %d does not overlap the one before (starts at %d, previous ended at %d)", i, start, pos)
		}
		pos = start + len(p)
	}
	if pos != len(text) {
		t.Errorf("the parts end at %d of %d bytes", pos, len(text))
	}
	if got := SplitText("  short  ", 300, 60); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text: %q", got)
	}
	if got := SplitText(strings.Repeat("x", 1000), 300, 60); len(got) < 4 {
		t.Errorf("text without spaces: %d parts", len(got))
	}
	if got := SplitText(strings.Repeat("é", 500), 301, 60); !utf8.ValidString(strings.Join(got, "")) {
		t.Error("a cut split a character")
	}
}
