package openaiclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/ahca/ahca/pkg/llm"
)

// errStall is the cancel cause of an attempt whose stall timer fired.
var errStall = errors.New("stall timer fired")

// attempt runs the requests of one Stream call and keeps what must survive
// between them: the text already delivered to onText.
type attempt struct {
	c      *Client
	sdk    *openai.Client
	params *openai.ChatCompletionNewParams
	onText func(string) error

	text strings.Builder // every delta passed to onText
	sent bool

	// Outcome of the last run.
	status     int           // HTTP status of an API error, else 0
	retry      bool          // the failure may be retried
	retryAfter time.Duration // the server's Retry-After
}

func (a *attempt) partial() llm.Result { return llm.Result{Text: a.text.String()} }

// run makes one request and consumes its stream.
func (a *attempt) run(ctx context.Context) (llm.Result, error) {
	a.status, a.retry, a.retryAfter = 0, false, 0
	stall := a.c.opts.StallTimeout

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The stall timer runs while we wait for headers or the next chunk and
	// is stopped while a chunk is handled (onText may be slow).
	timer := time.AfterFunc(stall, func() { cancel(errStall) })
	defer timer.Stop()

	stream := a.sdk.Chat.Completions.NewStreaming(actx, *a.params)
	defer stream.Close()
	phase := "reading stream" // where a transport error happened
	if stream.Err() != nil {
		phase = "request" // no response (or an error status)
	}

	var acc openai.ChatCompletionAccumulator
	id := ""
	for stream.Next() {
		timer.Stop()
		chunk := stream.Current()
		// The accumulator refuses a chunk whose id differs from the first
		// one's. Some compatible servers (and Azure's filter chunks) vary or
		// omit ids; we do not use them, so make them consistent.
		if id == "" {
			id = chunk.ID
		}
		chunk.ID = id
		if !acc.AddChunk(chunk) {
			a.retry = !a.sent
			return llm.Result{}, fmt.Errorf("%w: inconsistent stream chunk", llm.ErrUnavailable)
		}
		for i := range chunk.Choices {
			ch := &chunk.Choices[i]
			if ch.Index != 0 || ch.Delta.Content == "" {
				continue
			}
			a.sent = true
			a.text.WriteString(ch.Delta.Content)
			if err := a.onText(ch.Delta.Content); err != nil {
				return llm.Result{}, fmt.Errorf("llm: stream stopped by onText: %w", err)
			}
		}
		timer.Reset(stall)
	}
	timer.Stop()

	err := stream.Err()
	var choice *openai.ChatCompletionChoice
	if len(acc.Choices) > 0 {
		choice = &acc.Choices[0]
	}
	if choice != nil && choice.FinishReason != "" {
		// The answer is complete; a failure after it (before the usage
		// chunk or [DONE]) loses nothing the caller needs.
		return a.result(ctx, &acc, choice), nil
	}
	if ctx.Err() != nil {
		return llm.Result{}, ctxError(ctx.Err())
	}
	a.retry = !a.sent
	if context.Cause(actx) == errStall {
		return llm.Result{}, fmt.Errorf("%w: no chunk for %s", llm.ErrStalled, stall)
	}
	if err == nil {
		return llm.Result{}, fmt.Errorf("%w: stream ended without a finish reason", llm.ErrUnavailable)
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return llm.Result{}, a.apiError(apiErr)
	}
	return llm.Result{}, fmt.Errorf("%w: %s: %w", llm.ErrUnavailable, phase, err)
}

func (a *attempt) result(ctx context.Context, acc *openai.ChatCompletionAccumulator, choice *openai.ChatCompletionChoice) llm.Result {
	res := llm.Result{Text: a.text.String(), FinishReason: choice.FinishReason,
		Usage: llm.Usage{PromptTokens: acc.Usage.PromptTokens, CompletionTokens: acc.Usage.CompletionTokens}}
	if n := len(choice.Message.ToolCalls); n > 0 {
		res.ToolCalls = make([]llm.ToolCall, 0, n)
		for _, tc := range choice.Message.ToolCalls {
			res.ToolCalls = append(res.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
	}
	if log := a.c.opts.Logger; log.Enabled(ctx, slog.LevelDebug) {
		log.LogAttrs(ctx, slog.LevelDebug, "llm completion",
			slog.String("model", acc.Model), slog.String("finish", res.FinishReason),
			slog.Int64("promptTokens", acc.Usage.PromptTokens), slog.Int64("completionTokens", acc.Usage.CompletionTokens))
	}
	return res
}

// apiError classifies an HTTP error answer: 429 and 5xx may be retried
// (unless the server asks for a longer wait than MaxRetryDelay, or the 429
// is insufficient_quota), other statuses not.
func (a *attempt) apiError(e *openai.Error) error {
	a.status = e.StatusCode
	a.retry = a.retry && (e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500)
	if e.Code == "insufficient_quota" || e.Type == "insufficient_quota" {
		a.retry = false // a 429 that waiting does not cure
	}
	if e.Response != nil {
		a.retryAfter = retryAfter(e.Response.Header, time.Now())
	}
	if a.retryAfter > a.c.opts.MaxRetryDelay {
		a.retry = false
	}
	var detail strings.Builder
	if e.Message != "" {
		detail.WriteString(": ")
		detail.WriteString(e.Message)
	}
	switch {
	case e.Code != "" && e.Type != "" && e.Code != e.Type:
		fmt.Fprintf(&detail, " (%s, %s)", e.Type, e.Code)
	case e.Code != "":
		fmt.Fprintf(&detail, " (%s)", e.Code)
	case e.Type != "":
		fmt.Fprintf(&detail, " (%s)", e.Type)
	}
	return fmt.Errorf("%w: %w%s", llm.ErrUnavailable, e, detail.String())
}

// retryAfter reads OpenAI's retry-after-ms, else the standard Retry-After
// (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
