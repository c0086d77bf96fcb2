// Package llmtest is a wire-level fake of OpenAI's Chat Completions API: an
// http.Handler that speaks the real streaming protocol (text/event-stream
// of chat.completion.chunk objects ending in "data: [DONE]"), so tests drive
// the real openai-go client end to end.
//
// Typical use:
//
//	fake := llmtest.NewServer(t)
//	fake.Enqueue(llmtest.Error(429, ""), llmtest.Text("Hello there!"))
//	fake.Handle(func(r llmtest.Recorded) llmtest.Response { // after the queue
//		if r.HasTool("update_user_info") && strings.Contains(r.LastUser(), "Ann") {
//			return llmtest.Calls(llmtest.Call{Name: "update_user_info", Arguments: `{"name":"Ann"}`})
//		}
//		return llmtest.Text("How can I help?")
//	})
//	c := llm.New(llm.Options{BaseURL: fake.URL, APIKey: func(context.Context) (string, error) { return "sk-test", nil }})
//
// Requests are answered from the queue first, then by the handler; with
// neither, the fake fails the test and answers 500. Every request is
// recorded (Requests, Last, Calls).
//
// Like the real API, the fake answers 401 without a Bearer token and 400
// for malformed requests (no model or messages, a tool message that answers
// no preceding tool call, an assistant message with neither content nor
// tool calls, a tool without a name), and 400 for non-streaming requests,
// which it does not implement.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is a failure injected into a streamed answer.
type Fault int

const (
	// NoFault: the stream completes with a finish reason and [DONE].
	NoFault Fault = iota
	// Stall: after FaultAfter chunks the fake stops writing and holds the
	// connection open until the client goes away.
	Stall
	// Cut: after FaultAfter chunks the fake aborts the connection (no
	// terminating chunk, no [DONE]); the client sees an unexpected EOF.
	Cut
)

// Call is a tool call the fake streams.
type Call struct {
	ID        string // "" = "call_<request>_<index>"
	Name      string
	Arguments string // streamed as is: may be malformed JSON
}

// Response is the fake's answer to one request: an HTTP error when Status
// is set (other than 200), else a stream.
//
// A stream is a sequence of chunks (SSE data events) as OpenAI sends them:
// first {"role":"assistant","content":""} (or, for tool calls without text,
// the role with content null and the first call's id and name), then the
// text in pieces, then for each call a chunk with its id, type and name
// and chunks with pieces of its arguments, then an empty delta with the
// finish reason, then (when the request asked for stream_options
// include_usage) a usage chunk with no choices, then [DONE].
type Response struct {
	// Status of an error answer (429, 500, 401, ...), with OpenAI's error
	// body {"error":{"message","type","param","code"}}. Empty message, type
	// and code get OpenAI's usual ones for the status.
	Status       int
	ErrorMessage string
	ErrorType    string
	ErrorCode    string
	// Header is added to the answer, error or stream ("Retry-After",
	// "Retry-After-Ms", ...).
	Header http.Header

	Text      string
	ToolCalls []Call
	// FinishReason; "" = "tool_calls" when there are calls, else "stop".
	FinishReason string
	// Model in the chunks; "" = the request's model.
	Model string

	// ChunkSize is the runes of text per chunk; 0 splits the text into
	// token-like pieces (words with their leading space, punctuation).
	ChunkSize int
	// ArgsChunkSize is the runes of arguments per chunk (0 = 5).
	ArgsChunkSize int
	// FirstChunkDelay is the time to first token: the headers are sent at
	// once, the first chunk after this delay.
	FirstChunkDelay time.Duration
	// ChunkDelay is the pause after each chunk.
	ChunkDelay time.Duration

	// Fault, after FaultAfter chunks (the role chunk counts). Use
	// ChunksBefore to find a count.
	Fault      Fault
	FaultAfter int
}

// Text is a streamed text answer.
func Text(s string) Response { return Response{Text: s} }

// Calls is a streamed answer of tool calls only.
func Calls(calls ...Call) Response { return Response{ToolCalls: calls} }

// Error is an HTTP error answer; message "" gets OpenAI's usual one.
func Error(status int, message string) Response {
	return Response{Status: status, ErrorMessage: message}
}

// Responder answers a request.
type Responder func(req Recorded) Response

// Fake is the fake API. It is safe for concurrent use.
type Fake struct {
	// URL is the base URL for llm.Options.BaseURL (it ends in /v1); set by
	// NewServer.
	URL string

	t    testing.TB
	done chan struct{} // closed at cleanup: stalled streams give up

	mu      sync.Mutex
	queue   []Response
	handler Responder
	reqs    []Recorded
}

// New returns the fake as a bare http.Handler (URL is empty), for mounting
// in another server. Stalled streams are released at the end of the test.
func New(t testing.TB) *Fake {
	f := &Fake{t: t, done: make(chan struct{})}
	t.Cleanup(func() { close(f.done) })
	return f
}

// NewServer starts the fake on an httptest.Server, closed at the end of the
// test.
func NewServer(t testing.TB) *Fake {
	srv := httptest.NewUnstartedServer(nil)
	f := New(t) // its cleanup (releasing stalls) runs before srv.Close
	srv.Config.Handler = f
	srv.Start()
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/v1"
	return f
}

// Enqueue adds answers for the next requests, in order.
func (f *Fake) Enqueue(rs ...Response) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, rs...)
}

// Handle sets the responder for requests the queue does not answer.
func (f *Fake) Handle(r Responder) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handler = r
}

// Calls is the number of requests received on the chat completions path
// (answered or refused).
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// Requests returns a copy of the recorded requests, oldest first.
func (f *Fake) Requests() []Recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Recorded(nil), f.reqs...)
}

// Last returns the latest request; it fails the test if there is none.
func (f *Fake) Last() Recorded {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatalf("llmtest: no request recorded")
	}
	return f.reqs[len(f.reqs)-1]
}

// ServeHTTP serves POST /v1/chat/completions (and /chat/completions).
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" && r.URL.Path != "/chat/completions" {
		writeError(w, http.StatusNotFound, apiError{Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), Type: "invalid_request_error"}, nil)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, apiError{Message: fmt.Sprintf("Invalid method for URL (%s %s)", r.Method, r.URL.Path), Type: "invalid_request_error"}, nil)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	rec := Recorded{
		Method:        r.Method,
		Path:          r.URL.Path,
		Header:        r.Header.Clone(),
		Authorization: r.Header.Get("Authorization"),
		Body:          body,
	}
	parseErr := json.Unmarshal(body, &rec)

	f.mu.Lock()
	rec.N = len(f.reqs) + 1
	f.reqs = append(f.reqs, rec)
	f.mu.Unlock()

	if !strings.HasPrefix(rec.Authorization, "Bearer ") || strings.TrimPrefix(rec.Authorization, "Bearer ") == "" {
		writeError(w, http.StatusUnauthorized, apiError{
			Message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
			Type:    "invalid_request_error",
		}, nil)
		return
	}
	if parseErr != nil {
		writeError(w, http.StatusBadRequest, apiError{
			Message: "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
			Type:    "invalid_request_error",
		}, nil)
		return
	}
	if msg, param := validate(&rec); msg != "" {
		writeError(w, http.StatusBadRequest, apiError{Message: msg, Type: "invalid_request_error", Param: param}, nil)
		return
	}
	if !rec.Stream {
		writeError(w, http.StatusBadRequest, apiError{Message: "llmtest: only streaming requests (stream: true) are implemented", Type: "invalid_request_error", Param: "stream"}, nil)
		return
	}

	resp, ok := f.next(rec)
	if !ok {
		f.t.Errorf("llmtest: request %d not expected (empty queue, no handler)", rec.N)
		writeError(w, http.StatusInternalServerError, apiError{Message: "llmtest: no response scripted", Type: "server_error"}, nil)
		return
	}
	if resp.Status != 0 && resp.Status != http.StatusOK {
		writeError(w, resp.Status, errorFor(resp, rec), resp.Header)
		return
	}
	f.stream(w, r, &rec, &resp)
}

func (f *Fake) next(rec Recorded) (Response, bool) {
	f.mu.Lock()
	if len(f.queue) > 0 {
		r := f.queue[0]
		f.queue = f.queue[1:]
		f.mu.Unlock()
		return r, true
	}
	h := f.handler
	f.mu.Unlock()
	if h == nil {
		return Response{}, false
	}
	return h(rec), true
}

// validate applies the checks of the real API that a client can get wrong.
func validate(rec *Recorded) (msg, param string) {
	if rec.Model == "" {
		return "you must provide a model parameter", "model"
	}
	if len(rec.Messages) == 0 {
		return "[] is too short - 'messages'", "messages"
	}
	if rec.StreamOptions != nil && !rec.Stream {
		return "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"
	}
	pending := map[string]bool{} // tool call ids of the latest assistant message
	for i, m := range rec.Messages {
		switch m.Role {
		case "system", "developer", "user":
			pending = map[string]bool{}
		case "assistant":
			if !m.HasContent && len(m.ToolCalls) == 0 {
				return "Invalid value for 'content': expected a string, got null.", fmt.Sprintf("messages.[%d].content", i)
			}
			pending = map[string]bool{}
			for _, tc := range m.ToolCalls {
				if tc.ID == "" || tc.Type != "function" || tc.Name == "" {
					return fmt.Sprintf("Missing required parameter: 'messages[%d].tool_calls[0].id', 'type' or 'function.name'.", i), fmt.Sprintf("messages.[%d].tool_calls", i)
				}
				pending[tc.ID] = true
			}
		case "tool":
			if !pending[m.ToolCallID] {
				return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", fmt.Sprintf("messages.[%d].role", i)
			}
		default:
			return fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", m.Role), fmt.Sprintf("messages[%d].role", i)
		}
	}
	for i, t := range rec.Tools {
		if t.Type != "function" || t.Name == "" {
			return fmt.Sprintf("Missing required parameter: 'tools[%d].function.name'.", i), fmt.Sprintf("tools[%d]", i)
		}
		if len(t.Parameters) > 0 && t.Parameters[0] != '{' {
			return fmt.Sprintf("Invalid schema for function '%s': schema must be a JSON Schema of 'type: \"object\"'.", t.Name), fmt.Sprintf("tools[%d].function.parameters", i)
		}
	}
	return "", ""
}

// ChunksBefore is the number of chunks a Response streams before its text
// reaches byte n (0 ≤ n ≤ len(Text)): FaultAfter: r.ChunksBefore(n) cuts
// the stream after the text pieces that end at or before n.
func (r Response) ChunksBefore(n int) int {
	count := 1 // the role chunk
	end := 0
	for _, p := range splitText(r.Text, r.ChunkSize) {
		if end+len(p) > n {
			break
		}
		end += len(p)
		count++
	}
	return count
}

// Sleep for d unless the client goes away or the test ends.
func (f *Fake) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-f.done:
	}
	return false
}
