package knowledge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Defaults of OpenAIEmbedder.
const (
	DefaultEmbeddingModel = "text-embedding-3-small"
	DefaultOpenAIBaseURL  = "https://api.openai.com/v1"
)

// OpenAIEmbedder embeds texts with the OpenAI embeddings API: POST
// {BaseURL}/embeddings.
type OpenAIEmbedder struct {
	APIKey  string
	BaseURL string       // DefaultOpenAIBaseURL when empty
	ModelID string       // DefaultEmbeddingModel when empty
	Client  *http.Client // http.DefaultClient when nil
}

// Model returns the embedding model used.
func (o *OpenAIEmbedder) Model() string {
	if o.ModelID == "" {
		return DefaultEmbeddingModel
	}
	return o.ModelID
}

// maxErrorBody bounds how much of an error response is quoted.
const maxErrorBody = 512

// Embed returns one vector per text, in order.
func (o *OpenAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	if o.APIKey == "" {
		return nil, errors.New("openai embeddings: no API key")
	}
	body, err := json.Marshal(struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{o.Model(), texts})
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if base == "" {
		base = DefaultOpenAIBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/embeddings", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+o.APIKey)
	req.Header.Set("Content-Type", "application/json")
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openai embeddings: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(msg, &e) == nil && e.Error.Message != "" {
			msg = []byte(e.Error.Message)
		}
		return nil, fmt.Errorf("openai embeddings: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var out struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("openai embeddings: reading the response: %w", err)
	}
	vecs := make([][]float32, len(texts))
	for _, d := range out.Data {
		if d.Index < 0 || d.Index >= len(texts) || vecs[d.Index] != nil {
			return nil, fmt.Errorf("openai embeddings: response has a bad or repeated index %d", d.Index)
		}
		vecs[d.Index] = d.Embedding
	}
	for i, v := range vecs {
		if len(v) == 0 {
			return nil, fmt.Errorf("openai embeddings: no embedding for input %d of %d", i, len(texts))
		}
	}
	return vecs, nil
}
