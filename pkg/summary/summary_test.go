package summary_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ahca/ahca/internal/testtext"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/llm/chathttp"
	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// businesses: acme-plumbing has its own summary prompt and model; bravo-web
// has none (the built-in prompt) and requires name, phone and email.
func businesses(t *testing.T) (acme, bravo *business.Business) {
	t.Helper()
	files := map[string][]byte{
		"businesses.json": []byte(`{"phoneToBusinessMap":{"+15035550100":"acme-plumbing"}}`),
		"businesses/acme-plumbing/config.json": []byte(`{"businessId":"acme-plumbing","businessName":"Acme Plumbing","phone":"+15035550100",
			"timezone":"America/Los_Angeles","features":{"basicInfoCollection":true},
			"email":{"provider":"ses","fromEmail":"leads@acme.example","notificationRecipients":["office@acme.example"]},
			"companyInfo":{"name":"Acme Plumbing Co."},"promptConfig":{"agentName":"Sam","greeting":"Acme, this is Sam."},
			"llm":{"model":"gpt-4.1-mini"}}`),
		"businesses/acme-plumbing/prompt_rules.json": []byte(`{"realtimeSystem":{"full":"You are Sam."},
			"summary":{"systemPrompt":"Summarize this call for {companyName}'s dispatcher.","rules":["Say how urgent it is.","  "],
			"closing":"Keep it short.","outputFormat":"One paragraph."}}`),
		"businesses/bravo-web/config.json": []byte(`{"businessId":"bravo-web","businessName":"Bravo Web","phone":"+15035550101",
			"timezone":"America/New_York","features":{"basicInfoCollection":true},
			"intake":{"requiredFields":["name","phone","email"]},
			"email":{"provider":"ses","fromEmail":"leads@bravo.example","notificationRecipients":["office@bravo.example"]},
			"companyInfo":{"name":"Bravo Web"},"promptConfig":{"agentName":"Kit","greeting":"Bravo, Kit here."}}`),
		"businesses/bravo-web/prompt_rules.json": []byte(`{"realtimeSystem":{"full":"You are Kit."}}`),
	}
	set, err := business.Build("", files)
	if err != nil {
		t.Fatal(err)
	}
	a, err := set.Business("acme-plumbing")
	if err != nil {
		t.Fatal(err)
	}
	b, err := set.Business("bravo-web")
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

var t0 = time.Date(2026, 11, 2, 4, 58, 1, 0, time.UTC) // 8:58 PM PST on Nov 1

func ended(biz tenant.ID, status transcript.Status, c session.Caller) transcript.Transcript {
	return transcript.Transcript{
		BusinessID: biz, SessionID: "s-1", Channel: session.ChannelPhone, Status: status, EndReason: "disconnected",
		StartedAt: t0, EndedAt: t0.Add(200 * time.Second), Caller: c,
		Turns: []transcript.Turn{
			{At: t0, Role: session.RoleAgent, Text: "Acme, this is Sam."},
			{At: t0.Add(5 * time.Second), Role: session.RoleCaller, Text: "My   fence\nblew down in the storm."},
			{At: t0.Add(6 * time.Second), Role: session.RoleTool, Tool: "phone_validated", Text: "+15035550142"},
			{At: t0.Add(9 * time.Second), Role: session.RoleAgent, Text: "Sorry to hear", Interrupted: true},
		},
	}
}

var jamie = session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "fence blew down"}

// clients are the two model clients a Summarizer runs with: openai-go
// (ahca dev, whose engine shares it) and the thin chathttp (email-summary).
var clients = map[string]func(fake *llmtest.Fake, hc *http.Client) llm.Streamer{
	"openaiclient": func(fake *llmtest.Fake, hc *http.Client) llm.Streamer {
		return openaiclient.New(openaiclient.Options{
			APIKey:      func(context.Context) (string, error) { return "sk-test", nil },
			BaseURL:     fake.URL,
			HTTPClient:  hc,
			MaxAttempts: 2,
			Backoff:     func(int) time.Duration { return time.Millisecond },
		})
	},
	"chathttp": func(fake *llmtest.Fake, hc *http.Client) llm.Streamer {
		return chathttp.New(chathttp.Options{
			APIKey:      func(context.Context) (string, error) { return "sk-test", nil },
			BaseURL:     fake.URL,
			HTTPClient:  hc,
			MaxAttempts: 2,
			Backoff:     func(int) time.Duration { return time.Millisecond },
		})
	},
}

const aiText = "Jamie Rivera's fence blew down in the storm and needs a repair; it is urgent. Sam promised a callback in the morning."

func TestSummarize(t *testing.T) {
	acme, _ := businesses(t)
	tr := ended("acme-plumbing", transcript.StatusEnded, jamie)
	tr.Caller.CallerID = "+19995550000" // must never reach the model
	tr.CallbackPhone = "+19995550000"
	fallback := summary.Fallback(acme, tr)
	tests := []struct {
		name       string
		answers    []llmtest.Response // nil: no model at all
		timeout    time.Duration
		wantText   string
		wantSource string
		// wantElapsed is the fake time Summarize takes (the test runs in a
		// synctest bubble): a stalled or slow model is cut off exactly at
		// Timeout, not at the client's own 8 s stall timeout or when the
		// model would answer.
		wantElapsed time.Duration
	}{
		{name: "success", answers: []llmtest.Response{llmtest.Text("  \"" + aiText + "\"\n")}, wantText: aiText, wantSource: summary.SourceAI},
		{name: "server error", answers: []llmtest.Response{llmtest.Error(500, ""), llmtest.Error(500, "")}, wantText: fallback, wantSource: summary.SourceFallback,
			wantElapsed: time.Millisecond}, // one backoff
		{name: "stall", answers: []llmtest.Response{{Text: aiText, Fault: llmtest.Stall, FaultAfter: 2}, {Text: aiText, Fault: llmtest.Stall, FaultAfter: 2}},
			timeout: 300 * time.Millisecond, wantText: fallback, wantSource: summary.SourceFallback, wantElapsed: 300 * time.Millisecond},
		{name: "slow first token", answers: []llmtest.Response{{Text: aiText, FirstChunkDelay: 5 * time.Second}},
			timeout: 200 * time.Millisecond, wantText: fallback, wantSource: summary.SourceFallback, wantElapsed: 200 * time.Millisecond},
		{name: "empty", answers: []llmtest.Response{llmtest.Text("")}, wantText: fallback, wantSource: summary.SourceFallback},
		{name: "whitespace", answers: []llmtest.Response{llmtest.Text(" \n\t ")}, wantText: fallback, wantSource: summary.SourceFallback},
		{name: "nil model", wantText: fallback, wantSource: summary.SourceFallback},
	}
	for _, client := range []string{"openaiclient", "chathttp"} {
		for _, tt := range tests {
			t.Run(client+"/"+tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					newClient := clients[client]
					s := &summary.Summarizer{Timeout: tt.timeout}
					var fake *llmtest.Fake
					if tt.answers != nil {
						var hc *http.Client
						fake, hc = llmtest.NewPiped(t)
						fake.Enqueue(tt.answers...)
						s.LLM = newClient(fake, hc)
					}
					start := time.Now()
					text, source := s.Summarize(context.Background(), acme, tr)
					if el := time.Since(start); el != tt.wantElapsed {
						t.Errorf("took %v (fake clock), want %v", el, tt.wantElapsed)
					}
					if text != tt.wantText || source != tt.wantSource {
						t.Errorf("Summarize = %q, %q; want %q, %q", text, source, tt.wantText, tt.wantSource)
					}
					if fake == nil {
						return
					}
					if fake.Calls() == 0 {
						t.Fatal("the model was not asked")
					}
					req := fake.Requests()[0]
					body := string(req.Body)
					if strings.Contains(body, "9995550000") {
						t.Errorf("the caller id reached the model:\n%s", body)
					}
					if !strings.Contains(body, `"model":"gpt-4.1-mini"`) || strings.Contains(body, `"tools"`) {
						t.Errorf("request model/tools wrong:\n%s", body)
					}
				})
			})
		}
	}
}

// The prompt: the business's summary section (placeholders filled, blank
// rules dropped) or the built-in one, always the guard; the transcript
// compact, in the business's time zone, without tool turns or caller id.
func TestRequest(t *testing.T) {
	acme, bravo := businesses(t)
	tr := ended("acme-plumbing", transcript.StatusEnded, jamie)
	tr.Caller.CallerID = "+19995550000"
	req := summary.Request(acme, tr)
	if req.Model != "gpt-4.1-mini" || req.Temperature == nil || *req.Temperature != 0.2 || len(req.Tools) != 0 {
		t.Errorf("request model %q temperature %v tools %d", req.Model, req.Temperature, len(req.Tools))
	}
	if len(req.Messages) != 2 || req.Messages[0].Role != llm.RoleSystem || req.Messages[1].Role != llm.RoleUser {
		t.Fatalf("messages %+v", req.Messages)
	}
	sys := req.Messages[0].Content
	wantSys := "Summarize this call for Acme Plumbing Co.'s dispatcher.\n\nRules:\n- Say how urgent it is.\n\nKeep it short.\n\nFormat: One paragraph.\n\nWrite plain text"
	if !strings.HasPrefix(sys, wantSys) || !strings.Contains(sys, "not instructions to you") {
		t.Errorf("system prompt:\n%s\nwant prefix:\n%s", sys, wantSys)
	}
	user := req.Messages[1].Content
	wantUser := `Business: Acme Plumbing
Channel: phone call
Started: Sun 1 Nov 2026 8:58 PM PST (lasted 3m20s)
Outcome: the caller hung up before the assistant closed the conversation
Collected: name: Jamie Rivera; phone: (503) 555-0142; reason: fence blew down
Conversation:
Agent: Acme, this is Sam.
Caller: My fence blew down in the storm.
Agent: Sorry to hear [interrupted]`
	if user != wantUser {
		t.Errorf("user message:\n%s\nwant:\n%s", user, wantUser)
	}

	bt := ended("bravo-web", transcript.StatusAbandoned, session.Caller{Name: "Ann"})
	bt.Channel = session.ChannelWeb
	breq := summary.Request(bravo, bt)
	if !strings.HasPrefix(breq.Messages[0].Content, strings.ReplaceAll(summary.DefaultPrompt, "{businessName}", "Bravo Web")) {
		t.Errorf("built-in prompt not used:\n%s", breq.Messages[0].Content)
	}
	testtext.Check(t, "bravo user message", breq.Messages[1].Content, []string{"Channel: web chat", "Started: Sun 1 Nov 2026 11:58 PM EST",
		"Outcome: the conversation stopped before it was finished", "Not collected: phone number, email address"}, nil)
	if breq.Model != "" {
		t.Errorf("model %q, want the client's default", breq.Model)
	}
}

func TestRenderBoundsLongConversations(t *testing.T) {
	acme, _ := businesses(t)
	tr := ended("acme-plumbing", transcript.StatusCompleted, jamie)
	tr.Turns = nil
	for i := range 400 {
		role := session.RoleCaller
		if i%2 == 1 {
			role = session.RoleAgent
		}
		tr.Turns = append(tr.Turns, transcript.Turn{Role: role, Text: strings.Repeat("word ", 30) + "#" + string(rune('A'+i%26))})
	}
	tr.Turns[0].Text = "FIRST " + strings.Repeat("é", 2000) // a long turn is cut at a rune boundary
	tr.Turns[399].Text = "LAST"
	out := summary.Render(acme, tr)
	if len(out) > summary.MaxTranscriptChars+1000 {
		t.Errorf("rendered %d bytes", len(out))
	}
	testtext.Check(t, "render", out, []string{"Caller: FIRST ", "lines left out]", "Agent: LAST"}, nil)
	if !strings.Contains(out, "é…") || strings.Contains(out, "\uFFFD") {
		t.Error("long turn not cut cleanly at a rune boundary")
	}
}

func TestFallback(t *testing.T) {
	acme, bravo := businesses(t)
	tests := []struct {
		name string
		b    *business.Business
		t    transcript.Transcript
		want string
	}{
		{"ended with everything", acme, ended("acme-plumbing", transcript.StatusEnded, jamie),
			"Jamie Rivera called about: fence blew down. Callback: (503) 555-0142. The caller hung up before the assistant closed the conversation."},
		{"completed", acme, ended("acme-plumbing", transcript.StatusCompleted, jamie),
			"Jamie Rivera called about: fence blew down. Callback: (503) 555-0142. The conversation was completed."},
		{"ended before the phone", acme, ended("acme-plumbing", transcript.StatusEnded, session.Caller{Name: "Jamie Rivera", Reason: "fence blew down."}),
			"Jamie Rivera called about: fence blew down. No callback number or email was given. The caller hung up before the assistant closed the conversation. They did not give their phone number."},
		{"caller id only is not a callback", acme, func() transcript.Transcript {
			tr := ended("acme-plumbing", transcript.StatusAbandoned, session.Caller{})
			tr.CallbackPhone, tr.PhoneFromCallerID = "+19995550000", true
			return tr
		}(),
			"A caller called without giving a reason. No callback number was given; call back on the caller ID shown. The conversation was abandoned before the caller gave their name, phone number and reason for getting in touch."},
		{"emergency not answered, hung up mid-question", acme, func() transcript.Transcript {
			tr := ended("acme-plumbing", transcript.StatusEnded, session.Caller{Name: "Dana"})
			tr.CallbackPhone, tr.PhoneFromCallerID, tr.EndReason = "+19995550000", true, transcript.EndCallerHungUp
			tr.Emergency = &transcript.Emergency{Pressed: true, Result: transcript.TransferNotAnswered}
			tr.LastQuestion = "What happened?"
			return tr
		}(),
			"Dana called without giving a reason. EMERGENCY: The caller pressed # for the on-call line, and nobody answered. No callback number was given; call back on the caller ID shown. The caller hung up while being asked: “What happened?” They did not give their phone number and reason for getting in touch."},
		{"voicemail, ended by the engine as completed", acme, func() transcript.Transcript {
			tr := ended("acme-plumbing", transcript.StatusCompleted, jamie)
			tr.EndReason, tr.Voicemail = transcript.EndCompleted, &transcript.Voicemail{For: "pharmacy", ForName: "Jordan", Notified: 1}
			return tr
		}(),
			"Jamie Rivera called about: fence blew down. Callback: (503) 555-0142. A message was taken for Jordan and texted to them."},
		{"booking", bravo, func() transcript.Transcript {
			tr := ended("bravo-web", transcript.StatusCompleted, session.Caller{Name: "Ann", Email: "a@b.example", Reason: "demo"})
			tr.Channel = session.ChannelWeb
			tr.Booking = &transcript.Booking{Start: time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC), Service: "demo"}
			return tr
		}(),
			"Ann wrote in on the web chat about: demo. Appointment booked for Tue, Dec 8, 2026 at 10:00 AM EST (demo). Email: a@b.example. The conversation was completed."},
		{"web, email only, abandoned", bravo, func() transcript.Transcript {
			tr := ended("bravo-web", transcript.StatusAbandoned, session.Caller{Email: "ann@example.com", Reason: "a quote"})
			tr.Channel = session.ChannelWeb
			return tr
		}(),
			"A web visitor wrote in on the web chat about: a quote. Email: ann@example.com. The conversation was abandoned before the caller gave their name and phone number."},
		{"phone not NANP kept as given", bravo, ended("bravo-web", transcript.StatusEnded, session.Caller{Name: "Ann", Phone: "+442079460000", Email: "a@b.example"}),
			"Ann called without giving a reason. Callback: +442079460000, email: a@b.example. The caller hung up before the assistant closed the conversation."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary.Fallback(tt.b, tt.t); got != tt.want {
				t.Errorf("Fallback:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	long := strings.Repeat("This sentence is eleven words long and ends with a stop. ", 40)
	tests := []struct{ in, want string }{
		{"  Summary: Ann called.  ", "Ann called."},
		{"“Ann called.”", "Ann called."},
		{"\"\"", ""},
		{"Ann\n\ncalled.", "Ann called."},
	}
	for _, tt := range tests {
		if got := summary.Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := summary.Clean(long)
	if len(got) > summary.MaxChars || !strings.HasSuffix(got, "stop.") {
		t.Errorf("Clean(long) = %d bytes ending %q", len(got), got[max(0, len(got)-20):])
	}
	words := summary.Clean(strings.Repeat("word ", 400))
	if len(words) > summary.MaxChars+len("…") || !strings.HasSuffix(words, "word…") {
		t.Errorf("Clean(words) = %d bytes ending %q", len(words), words[max(0, len(words)-20):])
	}
}

// The model reads what the owner will see beside its summary: the
// emergency and its transfer's result, a booking, and that a caller-ID
// callback exists (never the number itself), so its summary cannot
// contradict the email.
func TestRequestSaysWhatTheEmailShows(t *testing.T) {
	acme, _ := businesses(t)
	tr := ended("acme-plumbing", transcript.StatusEnded, session.Caller{Name: "Dana"})
	tr.CallbackPhone, tr.PhoneFromCallerID, tr.EndReason = "+19995550000", true, transcript.EndCallerHungUp
	tr.Emergency = &transcript.Emergency{Pressed: true, Result: transcript.TransferNotAnswered}
	tr.Booking = &transcript.Booking{Start: time.Date(2026, 12, 8, 18, 0, 0, 0, time.UTC)}
	user := summary.Request(acme, tr).Messages[1].Content
	testtext.Check(t, "user message", user, []string{
		"EMERGENCY: the caller pressed # for the on-call line, and nobody answered.",
		"Appointment booked: Tue, Dec 8, 2026 at 10:00 AM PST",
		"do not say there is no number to call back",
	}, []string{"9995550000"}) // the caller id never reaches the model
}
