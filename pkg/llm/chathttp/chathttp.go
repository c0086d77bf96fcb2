// Package chathttp implements llm.Streamer for requests without tools on
// the OpenAI Chat Completions API (streamed, as openaiclient does) with
// net/http and encoding/json alone. It exists for email-summary: one
// tool-less completion per email does not need openai-go, which would make
// up half of that function's binary and of its cold start (issue 12). The
// agent's turns, with tools, stay on pkg/llm/openaiclient.
//
// The defaults are openaiclient's (package llm's); a request with tools is refused.
package chathttp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/llm"
)

// Options configure a Client. Only APIKey is required.
type Options struct {
	// APIKey returns the API key; called on the first Stream (never by
	// New) and cached until a 401.
	APIKey func(ctx context.Context) (string, error)
	// BaseURL of an OpenAI-compatible API; empty means llm.DefaultBaseURL.
	BaseURL string
	// HTTPClient; nil means http.DefaultClient.
	HTTPClient *http.Client
	// DefaultModel is used when Request.Model is empty.
	DefaultModel string
	// MaxAttempts bounds the requests one Stream makes (llm.DefaultMaxAttempts):
	// 429, 5xx, connection errors and a stream that ends early are retried
	// while no text has reached onText.
	MaxAttempts int
	// Backoff is the wait before retry number attempt (1 = the first
	// retry); nil means 200 ms doubling with ±20 % jitter.
	Backoff func(attempt int) time.Duration
	// Logger receives retries (Warn); nil discards.
	Logger *slog.Logger
}

// Client is safe for concurrent use.
type Client struct {
	opts Options
	mu   sync.Mutex
	key  string
}

var _ llm.Streamer = (*Client)(nil)

// New returns a Client; it does no I/O.
func New(opts Options) *Client {
	if opts.BaseURL == "" {
		opts.BaseURL = llm.DefaultBaseURL
	}
	if opts.DefaultModel == "" {
		opts.DefaultModel = llm.DefaultModel
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = llm.DefaultMaxAttempts
	}
	if opts.Backoff == nil {
		opts.Backoff = llm.DefaultBackoff
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{opts: opts}
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type request struct {
	Model         string    `json:"model"`
	Messages      []message `json:"messages"`
	Temperature   *float64  `json:"temperature,omitempty"`
	MaxTokens     int       `json:"max_completion_tokens"`
	Stream        bool      `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

// Stream sends req and streams the answer's text to onText. Every error
// wraps llm.ErrUnavailable, except one returned by onText.
func (c *Client) Stream(ctx context.Context, req llm.Request, onText func(delta string) error) (llm.Result, error) {
	if len(req.Tools) > 0 {
		return llm.Result{}, fmt.Errorf("%w: chathttp does not send tools", llm.ErrUnavailable)
	}
	if onText == nil {
		onText = func(string) error { return nil }
	}
	body := request{Model: req.Model, Temperature: req.Temperature, MaxTokens: req.MaxOutputTokens, Stream: true}
	body.StreamOptions.IncludeUsage = true
	if body.Model == "" {
		body.Model = c.opts.DefaultModel
	}
	if body.Temperature == nil {
		t := llm.DefaultTemperature
		body.Temperature = &t
	}
	if *body.Temperature < 0 {
		body.Temperature = nil // the model only takes its default
	}
	if body.MaxTokens <= 0 {
		body.MaxTokens = llm.DefaultMaxOutputTokens
	}
	for _, m := range req.Messages {
		body.Messages = append(body.Messages, message{Role: m.Role, Content: m.Content})
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return llm.Result{}, fmt.Errorf("%w: %v", llm.ErrUnavailable, err)
	}
	for n := 1; ; n++ {
		res, retry, err := c.attempt(ctx, payload, onText)
		if err == nil || !retry || n >= c.opts.MaxAttempts || ctx.Err() != nil {
			if err != nil && n > 1 {
				err = fmt.Errorf("%w (attempt %d of %d)", err, n, c.opts.MaxAttempts)
			}
			return res, err
		}
		c.opts.Logger.WarnContext(ctx, "llm request failed; retrying", "attempt", n, "err", err)
		select {
		case <-ctx.Done():
			return llm.Result{}, fmt.Errorf("%w: %w", llm.ErrUnavailable, ctx.Err())
		case <-time.After(c.opts.Backoff(n)):
		}
	}
}

// attempt makes one request; retry says whether another may follow.
func (c *Client) attempt(ctx context.Context, payload []byte, onText func(string) error) (res llm.Result, retry bool, err error) {
	key, err := c.apiKey(ctx)
	if err != nil {
		return res, false, fmt.Errorf("%w: api key: %w", llm.ErrUnavailable, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.opts.BaseURL, "/")+"/chat/completions", bytes.NewReader(payload))
	if err != nil {
		return res, false, fmt.Errorf("%w: %v", llm.ErrUnavailable, err)
	}
	hreq.Header.Set("Authorization", "Bearer "+key)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	resp, err := c.opts.HTTPClient.Do(hreq)
	if err != nil {
		return res, ctx.Err() == nil, fmt.Errorf("%w: %w", llm.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		if resp.StatusCode == http.StatusUnauthorized {
			c.forgetKey(key)
		}
		retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		return res, retry, fmt.Errorf("%w: status %d: %s", llm.ErrUnavailable, resp.StatusCode, bytes.TrimSpace(msg))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var text strings.Builder
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		line = strings.TrimSpace(line)
		if line == "[DONE]" {
			res.Text = text.String()
			return res, false, nil
		}
		var ch chunk
		if err := json.Unmarshal([]byte(line), &ch); err != nil {
			return res, text.Len() == 0, fmt.Errorf("%w: malformed chunk: %v", llm.ErrUnavailable, err)
		}
		if ch.Usage != nil {
			res.Usage = llm.Usage{PromptTokens: ch.Usage.PromptTokens, CompletionTokens: ch.Usage.CompletionTokens}
		}
		for _, choice := range ch.Choices {
			if choice.FinishReason != nil {
				res.FinishReason = *choice.FinishReason
			}
			if d := choice.Delta.Content; d != "" {
				text.WriteString(d)
				if err := onText(d); err != nil {
					res.Text = text.String()
					return res, false, err
				}
			}
		}
	}
	res.Text = text.String()
	err = sc.Err()
	if err == nil {
		err = errors.New("stream ended before [DONE]")
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return res, text.Len() == 0 && ctx.Err() == nil, fmt.Errorf("%w: %w", llm.ErrUnavailable, err)
}

func (c *Client) apiKey(ctx context.Context) (string, error) {
	c.mu.Lock()
	key := c.key
	c.mu.Unlock()
	if key != "" {
		return key, nil
	}
	if c.opts.APIKey == nil {
		return "", errors.New("no APIKey")
	}
	key, err := c.opts.APIKey(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.key = key
	c.mu.Unlock()
	return key, nil
}

func (c *Client) forgetKey(key string) {
	c.mu.Lock()
	if c.key == key {
		c.key = ""
	}
	c.mu.Unlock()
}
