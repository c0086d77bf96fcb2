package knowledge

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Result is one search hit: a chunk and its score (BM25 for the lexical
// search, cosine similarity for the embedding search; higher is better).
type Result struct {
	Chunk Chunk   `json:"chunk"`
	Score float64 `json:"score"`
}

// stopwords are common English words that carry no meaning for search.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`a an the and or but if of to in on at by for with from as into about
	is are was were be been being am do does did doing have has had having it its it's this that these those
	i me my we our you your he she they them their what which who whom when where why how can could would
	should will shall may might must not no so than then there here up down out over under again just also
	any all each some such only own same too very s t don't i'm i'd let us get got`) {
		m[w] = true
	}
	return m
}()

// Tokenize returns the search terms of s: lower-case words and numbers,
// punctuation stripped, stopwords dropped, plurals reduced to a stem
// ("plans" → "plan", "companies" → "company").
func Tokenize(s string) []string {
	var out []string
	for f := range strings.FieldsFuncSeq(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		f = strings.Trim(f, "'")
		f = strings.TrimSuffix(f, "'s")
		if f == "" || stopwords[f] {
			continue
		}
		if f = stem(f); f != "" && !stopwords[f] {
			out = append(out, f)
		}
	}
	return out
}

// stem strips a plural ending.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "xes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Lexical is a BM25 index over a fixed set of chunks. It is read-only once
// built and safe for concurrent use.
type Lexical struct {
	chunks []Chunk
	tf     []map[string]int
	length []float64
	avg    float64
	df     map[string]int
}

// NewLexical indexes chunks (heading and text) for BM25 search.
func NewLexical(chunks []Chunk) *Lexical {
	l := &Lexical{chunks: chunks, tf: make([]map[string]int, len(chunks)), length: make([]float64, len(chunks)), df: map[string]int{}}
	var total float64
	for i, c := range chunks {
		tf := map[string]int{}
		toks := Tokenize(c.Content())
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			l.df[t]++
		}
		l.tf[i] = tf
		l.length[i] = float64(len(toks))
		total += l.length[i]
	}
	if len(chunks) > 0 {
		l.avg = total / float64(len(chunks))
	}
	return l
}

// Search returns the k chunks that score best for query, best first, with
// ties in chunk order. Chunks sharing no term with the query are never
// returned, so a query with no known term gives no results.
func (l *Lexical) Search(query string, k int) []Result {
	if l == nil || k <= 0 || len(l.chunks) == 0 {
		return nil
	}
	terms := map[string]bool{}
	for _, t := range Tokenize(query) {
		terms[t] = true
	}
	n := float64(len(l.chunks))
	var res []Result
	for i := range l.chunks {
		var score float64
		for t := range terms {
			f := float64(l.tf[i][t])
			if f == 0 {
				continue
			}
			df := float64(l.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			norm := 1 - bm25B
			if l.avg > 0 {
				norm += bm25B * l.length[i] / l.avg
			}
			score += idf * f * (bm25K1 + 1) / (f + bm25K1*norm)
		}
		if score > 0 {
			res = append(res, Result{Chunk: l.chunks[i], Score: score})
		}
	}
	return topK(res, k)
}

// topK sorts res by score, best first (stable), and keeps k of them.
func topK(res []Result, k int) []Result {
	sort.SliceStable(res, func(i, j int) bool { return res[i].Score > res[j].Score })
	if len(res) > k {
		res = res[:k]
	}
	return res
}
