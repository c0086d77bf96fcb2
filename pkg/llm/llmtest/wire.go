package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Recorded is one request as the fake received it: the HTTP details and
// the parsed JSON body (Body has all of it).
type Recorded struct {
	N             int         `json:"-"` // 1-based, in arrival order
	Method        string      `json:"-"`
	Path          string      `json:"-"`
	Header        http.Header `json:"-"`
	Authorization string      `json:"-"` // "Bearer sk-..."
	Body          []byte      `json:"-"` // the raw JSON body

	Model         string          `json:"model"`
	Temperature   *float64        `json:"temperature"` // nil: absent
	Stream        bool            `json:"stream"`
	StreamOptions *StreamOptions  `json:"stream_options"`
	Messages      []Message       `json:"messages"`
	Tools         []Tool          `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"`
	// MaxCompletionTokens and MaxTokens are the output caps (nil: absent).
	MaxCompletionTokens *int `json:"max_completion_tokens"`
	MaxTokens           *int `json:"max_tokens"`
}

// OutputCap is the request's output-token cap, 0 when it has none.
func (r Recorded) OutputCap() int {
	switch {
	case r.MaxCompletionTokens != nil:
		return *r.MaxCompletionTokens
	case r.MaxTokens != nil:
		return *r.MaxTokens
	}
	return 0
}

// StreamOptions is the request's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is a request message. Content is the string content, or the
// text parts joined; HasContent says whether content was present and not
// null.
type Message struct {
	Role       string
	Content    string
	HasContent bool
	Name       string
	ToolCallID string     // role "tool"
	ToolCalls  []ToolCall // role "assistant"
	Raw        json.RawMessage
}

// ToolCall is an assistant message's tool call (flattened).
type ToolCall struct {
	ID, Type, Name, Arguments string
}

// Tool is an offered tool (flattened from {"type","function":{...}}).
type Tool struct {
	Type        string
	Name        string
	Description string
	Parameters  json.RawMessage // the JSON Schema as sent
	Strict      *bool
}

// UnmarshalJSON reads the wire message.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       string          `json:"name"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Message{Role: w.Role, Name: w.Name, ToolCallID: w.ToolCallID, Raw: append(json.RawMessage(nil), b...)}
	if c := bytes.TrimSpace(w.Content); len(c) > 0 && !bytes.Equal(c, []byte("null")) {
		m.HasContent = true
		if c[0] == '"' {
			if err := json.Unmarshal(c, &m.Content); err != nil {
				return err
			}
		} else {
			var parts []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal(c, &parts); err != nil {
				return fmt.Errorf("content: %w", err)
			}
			for _, p := range parts {
				m.Content += p.Text
			}
		}
	}
	for _, tc := range w.ToolCalls {
		m.ToolCalls = append(m.ToolCalls, ToolCall{ID: tc.ID, Type: tc.Type, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return nil
}

// UnmarshalJSON reads the wire tool.
func (t *Tool) UnmarshalJSON(b []byte) error {
	var w struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
			Strict      *bool           `json:"strict"`
		} `json:"function"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Tool{Type: w.Type, Name: w.Function.Name, Description: w.Function.Description, Parameters: w.Function.Parameters, Strict: w.Function.Strict}
	return nil
}

// LastUser is the content of the last user message ("" if none).
func (r Recorded) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// LastMessage is the last message (zero if none).
func (r Recorded) LastMessage() Message {
	if len(r.Messages) == 0 {
		return Message{}
	}
	return r.Messages[len(r.Messages)-1]
}

// ToolNames are the names of the offered tools, in order.
func (r Recorded) ToolNames() []string {
	names := make([]string, 0, len(r.Tools))
	for _, t := range r.Tools {
		names = append(names, t.Name)
	}
	return names
}

// HasTool reports whether a tool of that name is offered.
func (r Recorded) HasTool(name string) bool {
	for _, t := range r.Tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// ToolResult is the content of the tool message answering call id.
func (r Recorded) ToolResult(callID string) (string, bool) {
	for _, m := range r.Messages {
		if m.Role == "tool" && m.ToolCallID == callID {
			return m.Content, true
		}
	}
	return "", false
}

// apiError is OpenAI's error object.
type apiError struct {
	Message string
	Type    string
	Param   string
	Code    string
}

// MarshalJSON writes {"error":{...}} with OpenAI's field order; empty
// param and code are null.
func (e apiError) MarshalJSON() ([]byte, error) {
	null := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	type body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	return json.Marshal(struct {
		Error body `json:"error"`
	}{body{e.Message, e.Type, null(e.Param), null(e.Code)}})
}

// errorFor fills in OpenAI's usual error for the status.
func errorFor(r Response, rec Recorded) apiError {
	e := apiError{Message: r.ErrorMessage, Type: r.ErrorType, Code: r.ErrorCode}
	var msg, typ, code string
	switch s := r.Status; {
	case s == http.StatusUnauthorized:
		key := strings.TrimPrefix(rec.Authorization, "Bearer ")
		if len(key) > 8 {
			key = key[:3] + strings.Repeat("*", 8) + key[len(key)-4:]
		}
		msg, typ, code = "Incorrect API key provided: "+key+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"
	case s == http.StatusNotFound:
		msg, typ, code = "The model `"+rec.Model+"` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"
	case s == http.StatusTooManyRequests:
		msg, typ, code = "Rate limit reached for "+rec.Model+" in organization org-llmtest on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.", "requests", "rate_limit_exceeded"
	case s == http.StatusServiceUnavailable:
		msg, typ = "The engine is currently overloaded, please try again later.", "server_error"
	case s >= 500:
		msg, typ = "The server had an error while processing your request. Sorry about that!", "server_error"
	default:
		msg, typ = http.StatusText(s), "invalid_request_error"
	}
	if e.Message == "" {
		e.Message = msg
	}
	if e.Type == "" {
		e.Type = typ
	}
	if e.Code == "" && r.ErrorType == "" {
		e.Code = code
	}
	return e
}

func writeError(w http.ResponseWriter, status int, e apiError, extra http.Header) {
	b, _ := json.Marshal(e)
	h := w.Header()
	for k, vs := range extra {
		h[k] = append(h[k], vs...)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Request-Id", "req_llmtest")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Chunk wire shapes. Nullable fields are RawMessage so that null, absent
// and "" come out as OpenAI writes them.
type chunk struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	ServiceTier       string          `json:"service_tier"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           []choice        `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"`
}

type choice struct {
	Index        int             `json:"index"`
	Delta        delta           `json:"delta"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason json.RawMessage `json:"finish_reason"`
}

type delta struct {
	Role      string          `json:"role,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	ToolCalls []toolCallDelta `json:"tool_calls,omitempty"`
	Refusal   json.RawMessage `json:"refusal,omitempty"`
}

type toolCallDelta struct {
	Index    int           `json:"index"`
	ID       string        `json:"id,omitempty"`
	Type     string        `json:"type,omitempty"`
	Function functionDelta `json:"function"`
}

type functionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

var jsonNull = json.RawMessage("null")

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// deltas are the choice deltas of a streamed answer, in order; the last
// one carries the finish reason.
func deltas(r *Response, n int) []choice {
	var out []choice
	add := func(d delta) { out = append(out, choice{Delta: d, Logprobs: jsonNull, FinishReason: jsonNull}) }
	calls := make([]toolCallDelta, len(r.ToolCalls))
	for i, c := range r.ToolCalls {
		id := c.ID
		if id == "" {
			id = fmt.Sprintf("call_%d_%d", n, i)
		}
		calls[i] = toolCallDelta{Index: i, ID: id, Type: "function", Function: functionDelta{Name: c.Name}}
	}
	first := 0
	if r.Text == "" && len(calls) > 0 {
		add(delta{Role: "assistant", Content: jsonNull, ToolCalls: calls[:1], Refusal: jsonNull})
		first = 1
	} else {
		add(delta{Role: "assistant", Content: jsonString(""), Refusal: jsonNull})
	}
	for _, p := range splitText(r.Text, r.ChunkSize) {
		add(delta{Content: jsonString(p)})
	}
	size := r.ArgsChunkSize
	if size <= 0 {
		size = 5
	}
	for i, c := range r.ToolCalls {
		if i >= first {
			add(delta{ToolCalls: calls[i : i+1]})
		}
		for _, p := range splitRunes(c.Arguments, size) {
			add(delta{ToolCalls: []toolCallDelta{{Index: i, Function: functionDelta{Arguments: p}}}})
		}
	}
	finish := r.FinishReason
	if finish == "" {
		finish = "stop"
		if len(r.ToolCalls) > 0 {
			finish = "tool_calls"
		}
	}
	out = append(out, choice{Logprobs: jsonNull, FinishReason: jsonString(finish)})
	return out
}

// stream writes a streamed answer.
func (f *Fake) stream(w http.ResponseWriter, r *http.Request, rec *Recorded, resp *Response) {
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = append(h[k], vs...)
	}
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Request-Id", "req_llmtest")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	flush()

	model := resp.Model
	if model == "" {
		model = rec.Model
	}
	usage := rec.StreamOptions != nil && rec.StreamOptions.IncludeUsage
	base := chunk{
		ID:                "chatcmpl-llmtest" + strconv.Itoa(rec.N),
		Object:            "chat.completion.chunk",
		Created:           time.Now().Unix(),
		Model:             model,
		ServiceTier:       "default",
		SystemFingerprint: "fp_llmtest",
	}
	if usage {
		base.Usage = jsonNull
	}
	events := make([][]byte, 0, 16)
	completion := 0
	for _, c := range deltas(resp, rec.N) {
		ch := base
		ch.Choices = []choice{c}
		events = append(events, event(&ch))
		completion++
	}
	if usage {
		prompt := len(rec.Body) / 4
		ch := base
		ch.Choices = []choice{}
		ch.Usage = json.RawMessage(fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`, prompt, completion, prompt+completion))
		events = append(events, event(&ch))
	}

	if !f.sleep(r, resp.FirstChunkDelay) {
		return
	}
	for i, ev := range events {
		if resp.Fault != NoFault && i == resp.FaultAfter {
			f.fault(r, resp.Fault, flush)
			return
		}
		if _, err := w.Write(ev); err != nil {
			return
		}
		flush()
		if resp.ChunkDelay > 0 && !f.sleep(r, resp.ChunkDelay) {
			return
		}
	}
	if resp.Fault != NoFault && resp.FaultAfter >= len(events) {
		f.fault(r, resp.Fault, flush)
		return
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	flush()
}

func (f *Fake) fault(r *http.Request, kind Fault, flush func()) {
	flush()
	switch kind {
	case Stall:
		select {
		case <-r.Context().Done():
		case <-f.done:
		}
	case Cut:
		// Aborts the connection without the terminating chunk; net/http
		// does not log it.
		panic(http.ErrAbortHandler)
	}
}

func event(c *chunk) []byte {
	b, _ := json.Marshal(c)
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, '\n', '\n')
}

// splitText cuts s into chunks of size runes, or (size 0) into token-like
// pieces: a word with its leading spaces, or one punctuation mark.
func splitText(s string, size int) []string {
	if size > 0 {
		return splitRunes(s, size)
	}
	var out []string
	start := 0
	var prev rune
	for i, c := range s {
		if i > start {
			cut := (unicode.IsSpace(c) && !unicode.IsSpace(prev)) ||
				unicode.IsPunct(c) || (unicode.IsPunct(prev) && !unicode.IsSpace(c))
			if cut {
				out = append(out, s[start:i])
				start = i
			}
		}
		prev = c
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func splitRunes(s string, size int) []string {
	var out []string
	for len(s) > 0 {
		i, n := 0, 0
		for i < len(s) && n < size {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			n++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}
