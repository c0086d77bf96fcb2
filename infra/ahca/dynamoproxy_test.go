package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// dynamoProxy stands in front of DynamoDB Local: it records every request's
// operation and body size (what a turn costs on the wire) and, with a fault
// function, answers some requests with an error as DynamoDB does when it
// throttles or fails.
type dynamoProxy struct {
	mu       sync.Mutex
	reqs     []storeRequest
	injected map[string]int // by operation
}

type storeRequest struct {
	op    string // GetItem, Query, PutItem, TransactWriteItems, ...
	bytes int
}

// fault decides a request's fate: ok, or the HTTP status and the
// DynamoDB error type to answer with.
type fault func(op string) (status int, errType string, ok bool)

func newDynamoProxy(tb testing.TB, endpoint string, inject fault) (*dynamoProxy, string) {
	p := &dynamoProxy{injected: map[string]int{}}
	client := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		p.mu.Lock()
		p.reqs = append(p.reqs, storeRequest{op: op, bytes: len(body)})
		p.mu.Unlock()
		if inject != nil {
			if status, errType, ok := inject(op); !ok {
				p.mu.Lock()
				p.injected[op]++
				p.mu.Unlock()
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected by the test's proxy"}`, errType)
				return
			}
		}
		// Whole bodies both ways: the proxy never cuts a response short.
		out, err := http.NewRequestWithContext(r.Context(), r.Method, endpoint+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(data)
	}))
	tb.Cleanup(srv.Close)
	return p, srv.URL
}

// take returns the requests since the last take.
func (p *dynamoProxy) take() []storeRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.reqs
	p.reqs = nil
	return out
}

// faults is how many requests were answered with an injected error.
func (p *dynamoProxy) faults() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.injected {
		n += c
	}
	return n
}
