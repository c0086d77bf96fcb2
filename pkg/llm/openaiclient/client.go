// Package openaiclient implements llm.Streamer on the OpenAI Chat
// Completions API (github.com/openai/openai-go/v3): streaming, tool calls,
// retries before the first token, stall detection. It is its own package so
// that only the functions that talk to the model link openai-go (about
// 15 MB and several ms of start-up): pkg/llm itself holds only types.
package openaiclient

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ahca/ahca/pkg/llm"
)

// Defaults of a Client, besides package llm's (DefaultModel, …).
const (
	DefaultStallTimeout  = 8 * time.Second
	DefaultMaxRetryDelay = 5 * time.Second
)

// Options configure a Client. Only APIKey is required.
type Options struct {
	// APIKey returns the API key. It is called on the first Stream (never by
	// New) and its value cached; after a 401 the cached key is dropped and
	// the next Stream asks again (a rotated key is picked up). Errors are
	// not cached.
	APIKey func(ctx context.Context) (string, error)
	// BaseURL of an OpenAI-compatible API ("http://127.0.0.1:11434/v1");
	// empty means llm.DefaultBaseURL.
	BaseURL string
	// HTTPClient; nil means the SDK's default (a clone of
	// http.DefaultTransport with a response-header timeout).
	HTTPClient *http.Client
	// DefaultModel is used when Request.Model is empty (llm.DefaultModel).
	DefaultModel string
	// DefaultTemperature is used when Request.Temperature is nil; nil means
	// llm.DefaultTemperature (0.3). A pointer so that 0 can be chosen. A
	// negative temperature (here or in a Request) leaves the field out of
	// the request, for models that only accept their default.
	DefaultTemperature *float64
	// DefaultMaxOutputTokens caps a completion whose Request sets no
	// MaxOutputTokens (llm.DefaultMaxOutputTokens): every request carries
	// max_completion_tokens.
	DefaultMaxOutputTokens int
	// MaxAttempts bounds the requests one Stream makes (llm.DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait before retry number attempt (1 = the first
	// retry). nil means 200 ms doubling, ±20 % jitter. A Retry-After (or
	// retry-after-ms) from the server lengthens it.
	Backoff func(attempt int) time.Duration
	// MaxRetryDelay: a server asking to wait longer than this (Retry-After)
	// is not retried (DefaultMaxRetryDelay).
	MaxRetryDelay time.Duration
	// StallTimeout: waiting this long for the response headers or for the
	// next chunk aborts the attempt with ErrStalled (DefaultStallTimeout).
	// Time spent in onText does not count.
	StallTimeout time.Duration
	// Logger receives retries (Warn) and usage (Debug); nil discards.
	Logger *slog.Logger
}

// Client streams chat completions from an OpenAI-compatible API with
// github.com/openai/openai-go/v3. It is safe for concurrent use. Its only
// retry policy is its own (the SDK's retries are disabled).
type Client struct {
	opts Options

	// keyLock (a one-slot semaphore, so waiting honours ctx) serializes
	// the lazy key resolution; sdk and key are read and written under mu.
	keyLock chan struct{}
	mu      sync.Mutex
	sdk     *openai.Client
	key     string
}

var _ llm.Streamer = (*Client)(nil)

// New returns a Client. It does no I/O: the API key is resolved on the
// first Stream.
func New(opts Options) *Client {
	if opts.DefaultModel == "" {
		opts.DefaultModel = llm.DefaultModel
	}
	if opts.DefaultTemperature == nil {
		t := llm.DefaultTemperature
		opts.DefaultTemperature = &t
	} else {
		t := *opts.DefaultTemperature // the caller's pointer stays theirs
		opts.DefaultTemperature = &t
	}
	if opts.DefaultMaxOutputTokens <= 0 {
		opts.DefaultMaxOutputTokens = llm.DefaultMaxOutputTokens
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = llm.DefaultMaxAttempts
	}
	if opts.Backoff == nil {
		opts.Backoff = llm.DefaultBackoff
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = DefaultMaxRetryDelay
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BaseURL == "" {
		opts.BaseURL = llm.DefaultBaseURL
	}
	return &Client{opts: opts, keyLock: make(chan struct{}, 1)}
}

// Stream sends req and streams the answer: every content delta goes to
// onText in order, and the Result holds the whole text, the assembled tool
// calls and the finish reason.
//
// Failures: 429, 5xx, connection errors, a stall or a stream that ends
// early are retried (up to MaxAttempts) only while no text has reached
// onText; a stream that had produced only tool-call fragments is discarded
// and retried. Other 4xx are not retried. Once text has been delivered a
// failure is returned at once, with the partial Result. Every error wraps
// ErrUnavailable or ErrStalled, except an error returned by onText, which
// stops the stream and is returned wrapped as is. When ctx is done the
// error wraps ErrUnavailable and ctx.Err().
//
// On error the Result carries Text (exactly the deltas passed to onText,
// including one whose onText call failed) and no tool calls.
func (c *Client) Stream(ctx context.Context, req llm.Request, onText func(delta string) error) (llm.Result, error) {
	if err := ctx.Err(); err != nil {
		return llm.Result{}, ctxError(err)
	}
	if onText == nil {
		onText = func(string) error { return nil }
	}
	params, err := c.params(req)
	if err != nil {
		return llm.Result{}, err
	}
	sdk, key, err := c.client(ctx)
	if err != nil {
		return llm.Result{}, err
	}
	a := attempt{c: c, sdk: sdk, params: &params, onText: onText}
	for n := 1; ; n++ {
		res, err := a.run(ctx)
		if err == nil {
			return res, nil
		}
		if a.status == http.StatusUnauthorized {
			c.forgetKey(sdk)
		}
		if !a.retry || n >= c.opts.MaxAttempts {
			if n > 1 {
				err = fmt.Errorf("%w (attempt %d of %d)", err, n, c.opts.MaxAttempts)
			}
			return a.partial(), redact(err, key)
		}
		delay := c.opts.Backoff(n)
		if a.retryAfter > delay {
			delay = a.retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			// Waiting would outlive the caller: give up now.
			return a.partial(), redact(fmt.Errorf("%w (attempt %d, no time left to retry)", err, n), key)
		}
		c.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "llm attempt failed; retrying",
			slog.Int("attempt", n), slog.Int("status", a.status), slog.Duration("delay", delay),
			slog.String("err", redact(err, key).Error()))
		if err := sleep(ctx, delay); err != nil {
			return a.partial(), ctxError(err)
		}
	}
}

// client returns the SDK client, resolving the API key the first time.
func (c *Client) client(ctx context.Context) (*openai.Client, string, error) {
	c.mu.Lock()
	sdk, key := c.sdk, c.key
	c.mu.Unlock()
	if sdk != nil {
		return sdk, key, nil
	}
	select {
	case c.keyLock <- struct{}{}:
	case <-ctx.Done():
		return nil, "", ctxError(ctx.Err())
	}
	defer func() { <-c.keyLock }()
	c.mu.Lock()
	sdk, key = c.sdk, c.key
	c.mu.Unlock()
	if sdk != nil { // resolved while we waited
		return sdk, key, nil
	}
	if c.opts.APIKey == nil {
		return nil, "", fmt.Errorf("%w: no API key configured", llm.ErrUnavailable)
	}
	key, err := c.opts.APIKey(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctxError(ctx.Err())
		}
		return nil, "", redact(fmt.Errorf("%w: api key: %w", llm.ErrUnavailable, err), key)
	}
	if key = strings.TrimSpace(key); key == "" {
		return nil, "", fmt.Errorf("%w: api key is empty", llm.ErrUnavailable)
	}
	opts := []option.RequestOption{
		option.WithAPIKey(key),
		option.WithBaseURL(c.opts.BaseURL),
		option.WithMaxRetries(0),
	}
	if c.opts.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(c.opts.HTTPClient))
	}
	cl := openai.NewClient(opts...)
	c.mu.Lock()
	c.sdk, c.key = &cl, key
	c.mu.Unlock()
	return &cl, key, nil
}

// forgetKey drops a key the API refused, unless it was replaced already.
func (c *Client) forgetKey(sdk *openai.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sdk == sdk {
		c.sdk, c.key = nil, ""
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func ctxError(err error) error {
	return fmt.Errorf("%w: %w", llm.ErrUnavailable, err)
}

// redact wraps err so that its message never shows secret. The chain is
// kept for errors.Is/As. Secrets too short to be a real key are left alone
// (replacing them would mangle the message).
func redact(err error, secret string) error {
	if err == nil || len(secret) < 8 || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{err: err, secret: secret}
}

type redactedError struct {
	err    error
	secret string
}

func (e *redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.secret, "[REDACTED]")
}

func (e *redactedError) Unwrap() error { return e.err }
