package knowledge

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"

	"github.com/ahca/ahca/pkg/tenant"
)

// Embedder turns texts into vectors, one per text, in order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Modeler is implemented by an Embedder that names its model; the name is
// recorded in the index, and an index is only used with the model that
// built it. An Embedder without it is "unknown".
type Modeler interface{ Model() string }

// ModelOf returns e's model name.
func ModelOf(e Embedder) string {
	if m, ok := e.(Modeler); ok && m.Model() != "" {
		return m.Model()
	}
	return "unknown"
}

// IndexFileName is the name of a business's embedding index file, kept in
// its knowledge directory (LoadDir skips it).
const IndexFileName = "embeddings" + IndexSuffix

// indexVersion is the version of the index file format.
const indexVersion = 1

// BatchSize is how many chunks Build embeds per Embed call.
const BatchSize = 64

// Index holds one embedding vector per chunk of one business.
type Index struct {
	Version    int       `json:"version"`
	BusinessID tenant.ID `json:"businessId"`
	Model      string    `json:"model"`
	Dims       int       `json:"dims"`
	Entries    []Entry   `json:"entries"`

	// Reused and Embedded count the chunks Build took from the previous
	// index and embedded anew; they are not stored.
	Reused   int `json:"-"`
	Embedded int `json:"-"`
}

// Entry is one chunk's vector. In the file the vector is base64 of the
// little-endian float32 values.
type Entry struct {
	ChunkID   string    `json:"id"`
	SectionID string    `json:"sectionId"`
	Source    string    `json:"source"`
	Hash      string    `json:"hash"`
	Vector    []float32 `json:"-"`
}

// MarshalJSON writes the vector as base64 float32.
func (e Entry) MarshalJSON() ([]byte, error) {
	buf := make([]byte, 4*len(e.Vector))
	for i, v := range e.Vector {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	type plain Entry
	return json.Marshal(struct {
		plain
		Vector string `json:"vector"`
	}{plain(e), base64.StdEncoding.EncodeToString(buf)})
}

// UnmarshalJSON reads a vector written by MarshalJSON.
func (e *Entry) UnmarshalJSON(data []byte) error {
	type plain Entry
	var f struct {
		plain
		Vector string `json:"vector"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(f.Vector)
	if err != nil {
		return fmt.Errorf("entry %q: vector is not base64: %w", f.ChunkID, err)
	}
	if len(raw)%4 != 0 {
		return fmt.Errorf("entry %q: vector has %d bytes, not a whole number of float32", f.ChunkID, len(raw))
	}
	*e = Entry(f.plain)
	e.Vector = make([]float32, len(raw)/4)
	for i := range e.Vector {
		e.Vector[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return nil
}

// Build embeds chunks, all of one business, into an index. A chunk whose
// ID and Hash are unchanged in previous (built for the same business with
// the same model) keeps its vector there and is not embedded again;
// previous may be nil. Chunks are embedded BatchSize at a time.
func Build(ctx context.Context, chunks []Chunk, embedder Embedder, previous *Index) (*Index, error) {
	if embedder == nil {
		return nil, errors.New("knowledge: build: no embedder")
	}
	if len(chunks) == 0 {
		return nil, errors.New("knowledge: build: no chunks")
	}
	biz := chunks[0].BusinessID
	for _, c := range chunks {
		if c.BusinessID != biz {
			return nil, fmt.Errorf("knowledge: build: chunks of businesses %s and %s mixed; an index holds one business", biz, c.BusinessID)
		}
	}
	idx := &Index{Version: indexVersion, BusinessID: biz, Model: ModelOf(embedder), Entries: make([]Entry, len(chunks))}
	old := map[string]Entry{}
	if previous != nil && previous.BusinessID == biz && previous.Model == idx.Model {
		for _, e := range previous.Entries {
			old[e.ChunkID] = e
		}
	}
	var todo []int
	for i, c := range chunks {
		idx.Entries[i] = Entry{ChunkID: c.ID, SectionID: c.SectionID, Source: c.Source, Hash: c.Hash}
		if e, ok := old[c.ID]; ok && e.Hash == c.Hash && len(e.Vector) > 0 {
			idx.Entries[i].Vector = e.Vector
			idx.Reused++
			continue
		}
		todo = append(todo, i)
	}
	for start := 0; start < len(todo); start += BatchSize {
		batch := todo[start:min(start+BatchSize, len(todo))]
		texts := make([]string, len(batch))
		for j, i := range batch {
			texts[j] = chunks[i].Content()
		}
		vecs, err := embedder.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("knowledge: build: embedding chunks %d-%d of %d: %w", start+1, start+len(batch), len(todo), err)
		}
		if len(vecs) != len(batch) {
			return nil, fmt.Errorf("knowledge: build: embedder returned %d vectors for %d texts", len(vecs), len(batch))
		}
		for j, i := range batch {
			idx.Entries[i].Vector = vecs[j]
		}
		idx.Embedded += len(batch)
	}
	for _, e := range idx.Entries {
		if idx.Dims == 0 {
			idx.Dims = len(e.Vector)
		}
		if len(e.Vector) == 0 || len(e.Vector) != idx.Dims {
			return nil, fmt.Errorf("knowledge: build: chunk %s has a %d-dimensional vector, expected %d", e.ChunkID, len(e.Vector), idx.Dims)
		}
	}
	return idx, nil
}

// Write writes the index as JSON.
func (x *Index) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(x)
}

// WriteFile writes the index to name, replacing it atomically.
func (x *Index) WriteFile(name string) error {
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := x.Write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, name)
}

// ReadIndex reads an index written by Write and checks it is whole.
func ReadIndex(r io.Reader) (*Index, error) {
	var x Index
	if err := json.NewDecoder(r).Decode(&x); err != nil {
		return nil, fmt.Errorf("knowledge: index: %w", err)
	}
	if x.Version != indexVersion {
		return nil, fmt.Errorf("knowledge: index: version %d, this program reads version %d; rebuild it", x.Version, indexVersion)
	}
	if _, err := tenant.ParseID(string(x.BusinessID)); err != nil {
		return nil, fmt.Errorf("knowledge: index: %w", err)
	}
	for _, e := range x.Entries {
		if len(e.Vector) != x.Dims || x.Dims == 0 {
			return nil, fmt.Errorf("knowledge: index: chunk %s has a %d-dimensional vector, the index says %d", e.ChunkID, len(e.Vector), x.Dims)
		}
	}
	return &x, nil
}

// ReadIndexFile reads the index file name. A missing file gives an error
// satisfying errors.Is(err, fs.ErrNotExist).
func ReadIndexFile(name string) (*Index, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := ReadIndex(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, name)
	}
	return x, nil
}

// Cosine returns the cosine similarity of a and b (0 when either is zero
// or their lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// HashEmbedder is a deterministic, offline Embedder for tests and
// benchmarks: a hashed bag of words (the Tokenize terms) in Dims
// dimensions (1024 when zero), L2-normalized. It knows nothing of meaning,
// only of shared words.
type HashEmbedder struct{ Dims int }

// Model names the embedder and its size.
func (h HashEmbedder) Model() string { return fmt.Sprintf("hash-bow-%d", h.dims()) }

func (h HashEmbedder) dims() int {
	if h.Dims <= 0 {
		return 1024
	}
	return h.Dims
}

// Embed returns one vector per text.
func (h HashEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, h.dims())
		for _, tok := range Tokenize(t) {
			f := fnv.New64a()
			f.Write([]byte(tok))
			sum := f.Sum64()
			sign := float32(1)
			if sum>>63 == 1 {
				sign = -1
			}
			v[sum%uint64(len(v))] += sign
		}
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if n > 0 {
			s := float32(1 / math.Sqrt(n))
			for j := range v {
				v[j] *= s
			}
		}
		out[i] = v
	}
	return out, nil
}
