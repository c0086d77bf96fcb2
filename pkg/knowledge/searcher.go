package knowledge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ahca/ahca/pkg/tenant"
)

// Search modes reported by Searcher.Mode.
const (
	ModeEmbedding = "embedding"
	ModeLexical   = "lexical"
)

// Searcher searches one business's knowledge: by cosine similarity over the
// embedding index when it has a usable one, by BM25 otherwise. It holds
// only that business's chunks. It is safe for concurrent use.
type Searcher struct {
	biz      tenant.ID
	chunks   []Chunk
	lexical  *Lexical
	vectors  [][]float32 // by chunk, when the embedding search is usable
	embedder Embedder
	why      string // why the embedding search is not used, "" when it is
}

// NewSearcher returns the searcher of business biz over chunks, which must
// all be biz's. index and embedder may be nil; the embedding search is used
// only when both are given, the index is biz's and was built with the
// embedder's model, and it holds a vector for every chunk with the chunk's
// current hash (a stale index is not used: rebuild it). Otherwise the
// searcher is lexical, and Mode says why.
func NewSearcher(biz tenant.ID, chunks []Chunk, index *Index, embedder Embedder) (*Searcher, error) {
	if _, err := tenant.ParseID(string(biz)); err != nil {
		return nil, fmt.Errorf("knowledge: searcher: %w", err)
	}
	for _, c := range chunks {
		if c.BusinessID != biz {
			return nil, fmt.Errorf("knowledge: searcher for %s: chunk %s belongs to business %s", biz, c.ID, c.BusinessID)
		}
	}
	if index != nil && index.BusinessID != biz {
		return nil, fmt.Errorf("knowledge: searcher for %s: the index belongs to business %s", biz, index.BusinessID)
	}
	s := &Searcher{biz: biz, chunks: chunks, lexical: NewLexical(chunks)}
	s.vectors, s.why = match(chunks, index, embedder)
	if s.why == "" {
		s.embedder = embedder
	}
	return s, nil
}

func match(chunks []Chunk, index *Index, embedder Embedder) ([][]float32, string) {
	switch {
	case index == nil:
		return nil, "no embedding index"
	case embedder == nil:
		return nil, "no embedder"
	case index.Model != ModelOf(embedder):
		return nil, fmt.Sprintf("the index was built with %s, the embedder is %s", index.Model, ModelOf(embedder))
	}
	byID := make(map[string]Entry, len(index.Entries))
	for _, e := range index.Entries {
		byID[e.ChunkID] = e
	}
	vecs := make([][]float32, len(chunks))
	stale := 0
	for i, c := range chunks {
		e, ok := byID[c.ID]
		if !ok || e.Hash != c.Hash {
			stale++
			continue
		}
		vecs[i] = e.Vector
	}
	if stale > 0 {
		return nil, fmt.Sprintf("the index is stale: %d of %d chunks are missing or changed", stale, len(chunks))
	}
	return vecs, ""
}

// OpenDir returns the searcher of business biz over its knowledge
// directory dir, with the index file IndexFileName in dir when there is
// one. embedder may be nil (lexical search only).
func OpenDir(dir string, biz tenant.ID, embedder Embedder) (*Searcher, error) {
	chunks, err := LoadDir(dir, biz)
	if err != nil {
		return nil, err
	}
	idx, err := ReadIndexFile(filepath.Join(dir, IndexFileName))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return NewSearcher(biz, chunks, idx, embedder)
}

// OpenFS is OpenDir over a file system: a business's knowledge folder as
// fetched from the config bucket (see business.Files).
func OpenFS(fsys fs.FS, biz tenant.ID, embedder Embedder) (*Searcher, error) {
	chunks, err := LoadFS(fsys, biz)
	if err != nil {
		return nil, err
	}
	var idx *Index
	if f, err := fsys.Open(IndexFileName); err == nil {
		idx, err = ReadIndex(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return NewSearcher(biz, chunks, idx, embedder)
}

// BusinessID returns the business whose knowledge s searches.
func (s *Searcher) BusinessID() tenant.ID { return s.biz }

// Chunks returns the number of chunks searched.
func (s *Searcher) Chunks() int { return len(s.chunks) }

// Mode returns ModeEmbedding or ModeLexical, and for the lexical mode why
// the embedding search is not used.
func (s *Searcher) Mode() (mode, why string) {
	if s.embedder != nil {
		return ModeEmbedding, ""
	}
	return ModeLexical, s.why
}

// Search returns the k best chunks for query, best first; a nil Searcher
// finds nothing. With the
// embedding search it embeds the query; when that fails (the embeddings
// service is down) it answers lexically instead and returns the results
// with the embedding error, wrapped in a *FallbackError.
func (s *Searcher) Search(ctx context.Context, query string, k int) ([]Result, error) {
	query = strings.TrimSpace(query)
	if s == nil || query == "" || k <= 0 {
		return nil, nil
	}
	if s.embedder == nil {
		return s.lexical.Search(query, k), nil
	}
	vecs, err := s.embedder.Embed(ctx, []string{query})
	if err == nil && len(vecs) != 1 {
		err = fmt.Errorf("embedder returned %d vectors for 1 text", len(vecs))
	}
	if err != nil {
		return s.lexical.Search(query, k), &FallbackError{Err: err}
	}
	return s.nearest(vecs[0], k), nil
}

// SearchLexical is the BM25 search, whatever the mode.
func (s *Searcher) SearchLexical(query string, k int) []Result { return s.lexical.Search(query, k) }

func (s *Searcher) nearest(q []float32, k int) []Result {
	res := make([]Result, 0, len(s.chunks))
	for i, c := range s.chunks {
		res = append(res, Result{Chunk: c, Score: Cosine(q, s.vectors[i])})
	}
	return topK(res, k)
}

// FallbackError reports that the embedding search failed and the results
// returned with it came from the lexical search.
type FallbackError struct{ Err error }

func (e *FallbackError) Error() string {
	return "knowledge: embedding search failed, answered lexically: " + e.Err.Error()
}

func (e *FallbackError) Unwrap() error { return e.Err }
