// Package knowledge answers questions from a business's own documents: it
// loads the Markdown files and sectioned JSON documents kept beside the
// business's config (configs/businesses/<id>/knowledge/), cuts them into
// chunks by section and size, and searches them either by cosine similarity
// over an embedding index or, with no index (offline, no API key), by BM25
// over the same chunks.
//
// Every chunk carries the business it belongs to, and a Searcher is built
// for exactly one business's chunks: one business's search can never return
// another's text.
package knowledge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/tenant"
)

// Chunking sizes, in bytes of text.
const (
	MaxChunk = 800 // a section longer than this is cut into several chunks
	Overlap  = 150 // text repeated at the start of the next chunk of a section
)

// IndexSuffix ends the name of an embedding index file; LoadDir skips such
// files (see IndexFileName).
const IndexSuffix = ".index.json"

// Chunk is one searchable passage of a business's knowledge.
type Chunk struct {
	// ID is unique within the business: SectionID, "/", the part number.
	ID         string    `json:"id"`
	BusinessID tenant.ID `json:"businessId"`
	// Source is the file the chunk comes from, relative to the knowledge
	// directory, with forward slashes.
	Source string `json:"source"`
	// SectionID is the section_id of a JSON document, or "<file stem>#<slug
	// of the heading>" for a Markdown file.
	SectionID string `json:"sectionId"`
	// Heading is the section's heading path, e.g. "Pricing > Team plan".
	Heading string `json:"heading"`
	Text    string `json:"text"`
	// Hash is the hex SHA-256 of Content(): it changes when the text or the
	// heading does, so an unchanged chunk keeps its embedding.
	Hash string `json:"hash"`
}

// Content is what is embedded and indexed for the chunk: the heading, a
// blank line and the text.
func (c Chunk) Content() string {
	if c.Heading == "" {
		return c.Text
	}
	return c.Heading + "\n\n" + c.Text
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// LoadDir loads the knowledge of business biz from dir (and its
// subdirectories): *.md files and sectioned JSON documents (*.json, except
// embedding index files ending in IndexSuffix). Other files are ignored.
// Files are read in lexical order so the chunks come out the same every
// time. An error names the file and what is wrong with it.
func LoadDir(dir string, biz tenant.ID) ([]Chunk, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	chunks, err := LoadFS(os.DirFS(dir), biz)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	return chunks, nil
}

// LoadFS is LoadDir over a file system, e.g. files fetched from S3.
func LoadFS(fsys fs.FS, biz tenant.ID) ([]Chunk, error) {
	if _, err := tenant.ParseID(string(biz)); err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	var out []Chunk
	seen := map[string]string{} // section id → file
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		lower := strings.ToLower(name)
		var secs []section
		switch {
		case strings.HasSuffix(lower, IndexSuffix):
			return nil
		case strings.HasSuffix(lower, ".md"), strings.HasSuffix(lower, ".json"):
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return fmt.Errorf("knowledge: %s: %w", name, err)
			}
			if strings.HasSuffix(lower, ".md") {
				secs = markdownSections(name, string(data))
			} else if secs, err = jsonSections(data); err != nil {
				return fmt.Errorf("knowledge: %s: %w", name, err)
			}
		default:
			return nil
		}
		for _, s := range secs {
			if prev, dup := seen[s.id]; dup {
				return fmt.Errorf("knowledge: %s: section id %q is already used in %s", name, s.id, prev)
			}
			seen[s.id] = name
			for i, part := range SplitText(s.text, MaxChunk, Overlap) {
				c := Chunk{ID: s.id + "/" + strconv.Itoa(i), BusinessID: biz, Source: name, SectionID: s.id, Heading: s.heading, Text: part}
				c.Hash = hashOf(c.Content())
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type section struct{ id, heading, text string }

var (
	atxHeading = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	nonSlug    = regexp.MustCompile(`[^a-z0-9]+`)
)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

// markdownSections cuts a Markdown file at its ATX headings (outside fenced
// code). A section's heading is the path of headings above it; text before
// the first heading belongs to a section named after the file. Sections
// with no text are dropped.
func markdownSections(name, text string) []section {
	stem := strings.TrimSuffix(path.Base(name), path.Ext(name))
	stemSlug := slug(stem)
	if stemSlug == "" {
		stemSlug = "doc"
	}
	var (
		out     []section
		stack   []string // headings by level-1
		heading = stem
		body    strings.Builder
		used    = map[string]int{}
		fenced  bool
	)
	flush := func() {
		t := strings.TrimSpace(body.String())
		body.Reset()
		if t == "" {
			return
		}
		base := slug(heading)
		if len(stack) > 0 {
			base = slug(stack[len(stack)-1])
		}
		if base == "" {
			base = "section"
		}
		id := stemSlug + "#" + base
		if n := used[base]; n > 0 {
			id += "_" + strconv.Itoa(n+1)
		}
		used[base]++
		out = append(out, section{id: id, heading: heading, text: t})
	}
	for line := range strings.Lines(strings.ReplaceAll(text, "\r\n", "\n")) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
		}
		if !fenced {
			if m := atxHeading.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil {
				flush()
				level := len(m[1])
				for len(stack) < level-1 {
					stack = append(stack, "")
				}
				stack = append(stack[:level-1], m[2])
				var parts []string
				for _, h := range stack {
					if h != "" {
						parts = append(parts, h)
					}
				}
				heading = strings.Join(parts, " > ")
				continue
			}
		}
		body.WriteString(line)
	}
	flush()
	return out
}

// jsonDoc is the original service's sectioned knowledge document.
type jsonDoc struct {
	DocID    *string       `json:"doc_id"`
	Title    string        `json:"title"`
	Sections []jsonSection `json:"sections"`
}

type jsonSection struct {
	SectionID      string  `json:"section_id"`
	Heading        string  `json:"heading"`
	Path           string  `json:"path"`
	RawMarkdown    string  `json:"raw_markdown"`
	NormalizedText *string `json:"normalized_text"`
}

func jsonSections(data []byte) ([]section, error) {
	var doc jsonDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, describeJSONError(data, err)
	}
	if dec.More() {
		return nil, errors.New("malformed JSON: more than one value; expected one document object")
	}
	switch {
	case doc.DocID == nil || strings.TrimSpace(*doc.DocID) == "":
		return nil, errors.New(`not a knowledge document: "doc_id" is missing or empty (expected {"doc_id", "title", "sections": [...]})`)
	case doc.Sections == nil:
		return nil, errors.New(`not a knowledge document: "sections" is missing (expected an array of {"section_id", "heading", "path", "raw_markdown"})`)
	}
	var out []section
	ids := map[string]bool{}
	for i, s := range doc.Sections {
		if strings.TrimSpace(s.SectionID) == "" {
			return nil, fmt.Errorf("sections[%d]: \"section_id\" is missing or empty", i)
		}
		if ids[s.SectionID] {
			return nil, fmt.Errorf("sections[%d]: duplicate section_id %q", i, s.SectionID)
		}
		ids[s.SectionID] = true
		text := s.RawMarkdown
		if s.NormalizedText != nil && strings.TrimSpace(*s.NormalizedText) != "" {
			text = *s.NormalizedText
		}
		text = strings.TrimSpace(plainMarkdown(text))
		if text == "" {
			continue
		}
		heading := s.Path
		if heading == "" {
			heading = s.Heading
		}
		if doc.Title != "" && !strings.HasPrefix(heading, doc.Title) {
			heading = strings.TrimSuffix(doc.Title+" > "+heading, " > ")
		}
		out = append(out, section{id: s.SectionID, heading: heading, text: text})
	}
	return out, nil
}

// plainMarkdown drops emphasis markers, which only add noise to search.
func plainMarkdown(s string) string {
	return strings.NewReplacer("**", "", "__", "").Replace(s)
}

func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(data, se.Offset)
		return fmt.Errorf("malformed JSON at line %d, column %d: %v", line, col, se)
	case errors.As(err, &te):
		line, col := position(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Errorf("wrong type at line %d, column %d: %s must be %s, not %s", line, col, field, expectedType(te), te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: the file is empty or ends early")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

func expectedType(te *json.UnmarshalTypeError) string {
	switch te.Type.Kind().String() {
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a " + te.Type.Elem().Kind().String()
	}
	return "a " + te.Type.Kind().String()
}

func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// SplitText cuts text into pieces of at most size bytes, preferring to cut
// at a paragraph break, then at the end of a sentence, then at a space;
// each piece after the first repeats about overlap bytes of the one before
// it, starting at a word. Text of size bytes or fewer is one piece.
func SplitText(text string, size, overlap int) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if size <= 0 || len(text) <= size {
		return []string{text}
	}
	overlap = min(max(overlap, 0), size/2)
	var out []string
	start := 0
	for start < len(text) {
		end := start + size
		if end >= len(text) {
			out = append(out, strings.TrimSpace(text[start:]))
			break
		}
		end = cutPoint(text, start, end)
		out = append(out, strings.TrimSpace(text[start:end]))
		next := end - overlap
		if next <= start {
			next = end
		} else if i := strings.IndexAny(text[next:end], " \n"); i >= 0 {
			next += i + 1
		} else {
			next = end
		}
		for next < len(text) && (text[next] == ' ' || text[next] == '\n') {
			next++
		}
		start = next
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// cutPoint picks where to end the piece text[start:end].
func cutPoint(text string, start, end int) int {
	window := text[start:end]
	half := len(window) / 2
	if i := strings.LastIndex(window, "\n\n"); i >= half {
		return start + i
	}
	for _, sep := range []string{". ", "! ", "? ", ".\n", "\n"} {
		if i := strings.LastIndex(window, sep); i >= half {
			return start + i + 1
		}
	}
	if i := strings.LastIndexByte(window, ' '); i > 0 {
		return start + i
	}
	for end > start+1 && !utf8.RuneStart(text[end]) {
		end--
	}
	return end
}
