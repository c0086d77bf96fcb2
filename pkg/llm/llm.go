// Package llm is the model adapter: streaming chat completions with tool
// calls on an OpenAI-compatible API (github.com/openai/openai-go/v3). Only
// the functions that talk to the model import it, because openai-go adds
// megabytes and cold-start time to a binary.
package llm

import (
	"context"
	"encoding/json"
	"errors"
)

// Roles of a Message.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one chat message.
type Message struct {
	Role    string
	Content string
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID answers a call (RoleTool).
	ToolCallID string
}

// ToolCall is a function call requested by the model.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // raw JSON as the model wrote it; may be malformed
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON Schema of the arguments object
}

// Request is one completion request.
type Request struct {
	Model       string
	Temperature *float64
	Messages    []Message
	Tools       []Tool
	// MaxOutputTokens caps the completion's tokens (max_completion_tokens).
	// Zero means the client's default cap: no request goes out uncapped.
	MaxOutputTokens int
}

// Result is what one streamed completion produced.
type Result struct {
	Text         string
	ToolCalls    []ToolCall
	FinishReason string
	// Usage is what the completion cost, when the API reported it.
	Usage Usage
}

// Usage counts a completion's tokens.
type Usage struct {
	PromptTokens     int64
	CompletionTokens int64
}

// Total is the tokens in and out.
func (u Usage) Total() int64 { return u.PromptTokens + u.CompletionTokens }

// Streamer streams one completion: onText receives each content delta as it
// arrives (return an error to stop the stream); the accumulated result,
// tool calls included, is returned at the end.
type Streamer interface {
	Stream(ctx context.Context, req Request, onText func(delta string) error) (Result, error)
}

// Errors that classify a failed completion. Every failure wraps one of them.
var (
	// ErrUnavailable: the model could not be reached or answered with an
	// error (after retries, when retrying was allowed).
	ErrUnavailable = errors.New("llm unavailable")
	// ErrStalled: the stream stopped producing chunks before it finished.
	ErrStalled = errors.New("llm stream stalled")
)
