package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// defaultHTTPTimeout bounds one provider request when the caller's
// http.Client has no timeout of its own.
const defaultHTTPTimeout = 30 * time.Second

// maxErrorBody is how much of an error response is read.
const maxErrorBody = 64 << 10

var defaultHTTPClient = &http.Client{Timeout: defaultHTTPTimeout}

// apiResponse is a provider's HTTP answer, body read (bounded).
type apiResponse struct {
	status int
	body   []byte
}

// doJSON sends one JSON request (body nil for none) and reads the answer.
// Transport errors are returned as they are (transient, unless the context
// says otherwise — still transient).
func doJSON(ctx context.Context, c *http.Client, method, url string, body any, setAuth func(*http.Request)) (apiResponse, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiResponse{}, permanent(fmt.Errorf("encode request: %w", err))
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return apiResponse{}, permanent(fmt.Errorf("build request: %w", err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ahca-email/1")
	if setAuth != nil {
		setAuth(req)
	}
	if c == nil {
		c = defaultHTTPClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return apiResponse{}, err
	}
	defer resp.Body.Close()
	limit := int64(maxErrorBody)
	if resp.StatusCode < 300 {
		limit = 16 << 20
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return apiResponse{}, fmt.Errorf("read response: %w", err)
	}
	return apiResponse{status: resp.StatusCode, body: b}, nil
}

// byStatus classifies an HTTP failure by its status alone: 4xx but 408 and
// 429 are permanent, everything else is transient.
func byStatus(status int, err error) error {
	if status >= 400 && status < 500 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout {
		return permanent(err)
	}
	return err
}

// resolveKey calls the key function f. Its errors keep their class (the
// function marks missing or malformed references permanent, see
// Providers.For); no function or an empty key is permanent.
func resolveKey(ctx context.Context, provider string, f func(context.Context) (string, error)) (string, error) {
	if f == nil {
		return "", permanent(fmt.Errorf("email: %s: no API key configured", provider))
	}
	k, err := f(ctx)
	if err != nil {
		return "", fmt.Errorf("email: %s: API key: %w", provider, err)
	}
	if k == "" {
		return "", permanent(fmt.Errorf("email: %s: API key is empty", provider))
	}
	return k, nil
}

var errNoBody = errors.New("empty response")

func snippet(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
