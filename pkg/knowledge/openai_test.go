package knowledge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOpenAIEmbedder(t *testing.T) {
	var got struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer sk-test" ||
			r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		if got.Input[0] == "fail" {
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error": {"message": "Rate limit reached", "type": "requests"}}`))
			return
		}
		// Out of order on purpose: the index decides.
		w.Write([]byte(`{"object": "list", "model": "text-embedding-3-small", "data": [
			{"object": "embedding", "index": 1, "embedding": [0.5, -0.25]},
			{"object": "embedding", "index": 0, "embedding": [1, 0]}]}`))
	}))
	defer srv.Close()

	e := &OpenAIEmbedder{APIKey: "sk-test", BaseURL: srv.URL + "/v1/", Client: srv.Client()}
	if ModelOf(e) != DefaultEmbeddingModel {
		t.Errorf("model %s", ModelOf(e))
	}
	vecs, err := e.Embed(context.Background(), []string{"first", "second"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "text-embedding-3-small" || len(got.Input) != 2 || got.Input[1] != "second" {
		t.Errorf("request body %+v", got)
	}
	if len(vecs) != 2 || vecs[0][0] != 1 || vecs[1][1] != -0.25 {
		t.Errorf("vectors %v", vecs)
	}
	if _, err := e.Embed(context.Background(), []string{"fail"}); err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "Rate limit reached") {
		t.Errorf("error response: %v", err)
	}
	if _, err := e.Embed(context.Background(), []string{"a", "b", "c"}); err == nil || !strings.Contains(err.Error(), "no embedding for input 2") {
		t.Errorf("missing vector: %v", err)
	}
	if _, err := (&OpenAIEmbedder{}).Embed(context.Background(), []string{"x"}); err == nil {
		t.Error("no API key accepted")
	}
}
