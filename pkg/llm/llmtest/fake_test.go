package llmtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/llm/llmtest"
)

func post(t *testing.T, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

const userBody = `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`

// The stream is byte for byte what OpenAI sends (but for created and the
// usage figures).
func TestStreamWireFormat(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Enqueue(llmtest.Response{ArgsChunkSize: 4, ToolCalls: []llmtest.Call{
		{ID: "call_1", Name: "get_company_info", Arguments: `{"info_type":"hours"}`},
		{ID: "call_2", Name: "get_collection_status"},
	}})
	res, body := post(t, fake.URL+"/chat/completions", "Bearer sk-x", userBody)
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	body = regexp.MustCompile(`"created":\d+`).ReplaceAllString(body, `"created":1`)
	body = regexp.MustCompile(`"usage":\{.*\}\}`).ReplaceAllString(body, `"usage":{...}}`)
	head := `{"id":"chatcmpl-llmtest1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","service_tier":"default","system_fingerprint":"fp_llmtest",`
	want := []string{
		head + `"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_company_info","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"in"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"fo_t"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ype\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"ho"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"urs\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_collection_status","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`,
		head + `"choices":[],"usage":{...}}`,
		`[DONE]`,
	}
	var got []string
	for _, ev := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n") {
		got = append(got, strings.TrimPrefix(ev, "data: "))
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(got), len(want), body)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestTextChunksAndNoUsage(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Enqueue(llmtest.Text("Hi, Ann."))
	_, body := post(t, fake.URL+"/chat/completions", "Bearer sk-x",
		`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if strings.Contains(body, `"usage"`) {
		t.Errorf("usage without include_usage:\n%s", body)
	}
	var pieces []string
	for _, ev := range strings.Split(strings.TrimSpace(body), "\n\n") {
		var c struct {
			Choices []struct {
				Delta struct {
					Role    string  `json:"role"`
					Content *string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		data := strings.TrimPrefix(ev, "data: ")
		if data == "[DONE]" {
			continue
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if d := c.Choices[0].Delta; d.Content != nil {
			pieces = append(pieces, d.Role+"|"+*d.Content)
		} else if fr := c.Choices[0].FinishReason; fr != nil {
			pieces = append(pieces, "finish:"+*fr)
		}
	}
	if got, want := strings.Join(pieces, "/"), "assistant|/|Hi/|,/| Ann/|./finish:stop"; got != want {
		t.Errorf("pieces = %s, want %s", got, want)
	}
}

func TestErrorsAndRefusals(t *testing.T) {
	tests := []struct {
		name       string
		resp       *llmtest.Response
		auth, body string
		path       string
		wantStatus int
		wantBody   string // substring
		wantHeader [2]string
	}{
		{name: "429 with Retry-After", resp: &llmtest.Response{Status: 429, Header: http.Header{"Retry-After": {"2"}}},
			wantStatus: 429, wantBody: `{"error":{"message":"Rate limit reached for gpt-4o-mini`, wantHeader: [2]string{"Retry-After", "2"}},
		{name: "500", resp: &llmtest.Response{Status: 500},
			wantStatus: 500, wantBody: `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`},
		{name: "custom error", resp: &llmtest.Response{Status: 400, ErrorMessage: "bad", ErrorType: "invalid_request_error", ErrorCode: "x"},
			wantStatus: 400, wantBody: `{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":"x"}}`},
		{name: "no key", auth: "-", wantStatus: 401, wantBody: `You didn't provide an API key`},
		{name: "not streaming", body: `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, wantStatus: 400, wantBody: `only streaming`},
		{name: "no model", body: `{"stream":true,"messages":[{"role":"user","content":"hi"}]}`, wantStatus: 400, wantBody: `you must provide a model parameter`},
		{name: "orphan tool message", body: `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c1","content":"x"}]}`,
			wantStatus: 400, wantBody: `messages with role 'tool' must be a response to a preceeding message with 'tool_calls'`},
		{name: "assistant without content or calls", body: `{"model":"m","stream":true,"messages":[{"role":"assistant"}]}`,
			wantStatus: 400, wantBody: `expected a string, got null`},
		{name: "unknown path", path: "/v1/completions", wantStatus: 404, wantBody: `Invalid URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := llmtest.NewServer(t)
			if tt.resp != nil {
				fake.Enqueue(*tt.resp)
			}
			auth, body, path := "Bearer sk-x", userBody, "/chat/completions"
			if tt.auth == "-" {
				auth = ""
			}
			if tt.body != "" {
				body = tt.body
			}
			url := fake.URL + path
			if tt.path != "" {
				url = strings.TrimSuffix(fake.URL, "/v1") + tt.path
			}
			res, got := post(t, url, auth, body)
			if res.StatusCode != tt.wantStatus || !strings.Contains(got, tt.wantBody) {
				t.Errorf("= %d %s\nwant %d ...%s...", res.StatusCode, got, tt.wantStatus, tt.wantBody)
			}
			if res.StatusCode >= 400 && !json.Valid([]byte(got)) {
				t.Errorf("error body is not JSON: %s", got)
			}
			if k := tt.wantHeader[0]; k != "" && res.Header.Get(k) != tt.wantHeader[1] {
				t.Errorf("%s = %q", k, res.Header.Get(k))
			}
		})
	}
}

func TestQueueThenHandlerAndRecording(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Enqueue(llmtest.Text("first"))
	fake.Handle(func(r llmtest.Recorded) llmtest.Response { return llmtest.Text("echo " + r.LastUser()) })
	for _, want := range []string{"first", "echo hi"} {
		_, body := post(t, fake.URL+"/chat/completions", "Bearer sk-x", userBody)
		var text bytes.Buffer
		for _, ev := range strings.Split(strings.TrimSpace(body), "\n\n") {
			var c struct {
				Choices []struct {
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
			}
			if json.Unmarshal([]byte(strings.TrimPrefix(ev, "data: ")), &c) == nil && len(c.Choices) > 0 {
				text.WriteString(c.Choices[0].Delta.Content)
			}
		}
		if text.String() != want {
			t.Errorf("text = %q, want %q", text.String(), want)
		}
	}
	if fake.Calls() != 2 {
		t.Errorf("Calls = %d", fake.Calls())
	}
	r := fake.Last()
	if r.N != 2 || r.Authorization != "Bearer sk-x" || r.Model != "gpt-4o-mini" || r.LastUser() != "hi" || !r.StreamOptions.IncludeUsage {
		t.Errorf("Last = %+v", r)
	}
}

func TestChunksBefore(t *testing.T) {
	r := llmtest.Text("Hello there, friend")                            // Hello | " there" | , | " friend"
	for n, want := range map[int]int{0: 1, 5: 2, 11: 3, 12: 4, 19: 5} { // role chunk + pieces
		if got := r.ChunksBefore(n); got != want {
			t.Errorf("ChunksBefore(%d) = %d, want %d", n, got, want)
		}
	}
}
