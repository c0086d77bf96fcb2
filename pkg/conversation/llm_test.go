package conversation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/llm/llmtest"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/relay/relaytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

type llmFixture struct {
	engine *conversation.Engine
	store  session.Store
	rec    *relaytest.Recorder
	fake   *llmtest.Fake
	set    *business.Set
}

func newLLMFixture(t *testing.T) *llmFixture {
	t.Helper()
	set := businesstest.Set(t)
	fake := llmtest.NewServer(t)
	client := newClient(fake)
	f := &llmFixture{store: session.NewMemoryStore(), rec: relaytest.New(), fake: fake, set: set}
	f.engine = &conversation.Engine{Configs: setConfigs{set}, Store: f.store, LLM: client, TurnTimeout: 5 * time.Second, InterruptPoll: time.Millisecond}
	return f
}

type setConfigs struct{ s *business.Set }

func (c setConfigs) Business(_ context.Context, id tenant.ID) (*business.Business, error) {
	return c.s.Business(id)
}

func (f *llmFixture) open(t *testing.T, biz, conn string) {
	t.Helper()
	b, err := f.set.Business(tenant.ID(biz))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Open(context.Background(), b, conn, session.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	f.handle(t, conn, `{"type":"setup"}`)
	f.rec.Take(conn)
}

func (f *llmFixture) handle(t *testing.T, conn, frame string) []map[string]any {
	t.Helper()
	if err := f.engine.Handle(context.Background(), f.rec, conn, []byte(frame)); err != nil {
		t.Fatalf("Handle(%s): %v", frame, err)
	}
	return f.rec.Take(conn)
}

func (f *llmFixture) session(t *testing.T, conn string) *session.Session {
	t.Helper()
	s, err := f.store.ByConnection(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func promptFrame(text string) string {
	b, _ := json.Marshal(map[string]any{"type": "prompt", "voicePrompt": text, "last": true})
	return string(b)
}

func args(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// lastMessage is the last message of a recorded request.
func lastMessage(r llmtest.Recorded) llmtest.Message { return r.Messages[len(r.Messages)-1] }

func toolNames(r llmtest.Recorded) []string {
	var names []string
	for _, tl := range r.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

// A scripted caller talks to each business's AI agent through the real
// engine; the fake model answers like a model would: it calls tools, reads
// their results and speaks.
func TestLLMConversationPerBusiness(t *testing.T) {
	tests := []struct {
		biz        string
		says       []string
		collect    map[string]any // update_user_info arguments the "model" extracts from the first utterance
		wantCaller session.Caller
	}{
		{"superior-fencing", []string{"Hi, I'm Jamie Rivera, my fence blew down, call me at 503 555 0142", "No, that's everything"},
			map[string]any{"name": "Jamie Rivera", "phone": "503 555 0142", "reason": "Fence blew down"},
			session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "Fence blew down"}},
		{"sherpaprompt", []string{"I'm Sam Lee, sam dot lee at example dot com, I'd like a demo", "That's all, thanks"},
			map[string]any{"name": "Sam Lee", "email": "sam dot lee at example dot com", "reason": "Wants a demo"},
			session.Caller{Name: "Sam Lee", Email: "sam.lee@example.com", Reason: "Wants a demo"}},
		{"maple-street-vet", []string{"This is Priya Shah at 541 555 0199, my dog needs a refill", "Nope, thanks"},
			map[string]any{"name": "Priya Shah", "phone": "541-555-0199", "reason": "Prescription refill for dog"},
			session.Caller{Name: "Priya Shah", Phone: "+15415550199", Reason: "Prescription refill for dog"}},
	}
	for _, tt := range tests {
		t.Run(tt.biz, func(t *testing.T) {
			f := newLLMFixture(t)
			b, _ := f.set.Business(tenant.ID(tt.biz))
			f.fake.Handle(func(r llmtest.Recorded) llmtest.Response {
				last := lastMessage(r)
				switch {
				case last.Role == "tool":
					return llmtest.Text("Thanks! I have that noted. Is there anything else I can help you with today?")
				case strings.Contains(last.Content, tt.says[0]):
					return llmtest.Calls(llmtest.Call{Name: "update_user_info", Arguments: args(tt.collect)})
				default:
					return llmtest.Calls(llmtest.Call{Name: "end_conversation", Arguments: `{"reason":"caller is done"}`})
				}
			})
			f.open(t, tt.biz, "c1")
			// A caller id (as a phone call would have) that must never reach the model.
			withID := f.session(t, "c1")
			withID.Caller.CallerID = "+17205550177"
			if err := f.store.Save(context.Background(), withID); err != nil {
				t.Fatal(err)
			}
			frames := f.handle(t, "c1", promptFrame(tt.says[0]))
			text, closed := relaytest.Reply(frames)
			if !closed || !strings.Contains(text, "Thanks!") {
				t.Fatalf("reply %q closed=%v: %v", text, closed, frames)
			}
			if ui := relaytest.Find(frames, "user_info_updated"); ui == nil {
				t.Errorf("no user_info_updated: %v", frames)
			}
			// What the model saw: the business's prompt, the caller's words, tools by features.
			first := f.fake.Requests()[0]
			if !strings.Contains(first.Messages[0].Content, b.Name) && !strings.Contains(first.Messages[0].Content, b.Agent.Name) {
				t.Errorf("system prompt does not name the business or agent: %.200s", first.Messages[0].Content)
			}
			tools := toolNames(first)
			for _, want := range []string{"end_conversation", "get_collection_status", "get_company_info", "update_user_info"} {
				if !slices.Contains(tools, want) {
					t.Errorf("tools offered = %v, missing %s", tools, want)
				}
			}
			for _, r := range f.fake.Requests() {
				for _, form := range []string{"7205550177", "555-0177", "5550177", "0 1 7 7"} {
					if strings.Contains(string(r.Body), form) {
						t.Errorf("caller id (%s) leaked to the model in request %d", form, r.N)
					}
				}
			}
			s := f.session(t, "c1")
			got := s.Caller
			if got.Name != tt.wantCaller.Name || got.Phone != tt.wantCaller.Phone || got.Email != tt.wantCaller.Email || got.Reason != tt.wantCaller.Reason {
				t.Errorf("caller = %+v, want %+v", got, tt.wantCaller)
			}

			frames = f.handle(t, "c1", promptFrame(tt.says[1]))
			if relaytest.Find(frames, "end") == nil || !f.rec.Closed("c1") {
				t.Errorf("end_conversation did not end the conversation: %v", frames)
			}
			s = f.session(t, "c1")
			if s.Status != session.StatusEnded || s.EndReason != conversation.EndCompleted {
				t.Errorf("status %s %s", s.Status, s.EndReason)
			}
			roles := ""
			for _, tu := range s.Turns {
				roles += tu.Role[:1]
			}
			if !strings.HasPrefix(roles, "ac") || strings.Count(roles, "c") != 2 || !strings.HasSuffix(roles, "a") {
				t.Errorf("turn roles = %s (a=agent c=caller t=tool)", roles)
			}
		})
	}
}

// When the model fails, the caller still gets an answer, the turn is
// closed with last:true and the session stays consistent.
func TestLLMFaults(t *testing.T) {
	long := "Thanks for the details. Our crew can take a look at the fence first thing tomorrow morning, and they will call you before they come out. Could you tell me your name, please?"
	tests := []struct {
		name      string
		responses []llmtest.Response
		wantCalls int
		wantText  string // substring of the reply
		scripted  bool   // the scripted agent finished the turn
	}{
		{"429 then success", []llmtest.Response{llmtest.Error(429, "rate limited"), llmtest.Text("Sure, what is your name?")}, 2, "what is your name", false},
		{"500 before the first token", []llmtest.Response{llmtest.Error(500, ""), llmtest.Text("Sure, what is your name?")}, 2, "what is your name", false},
		{"persistent 500", []llmtest.Response{llmtest.Error(500, ""), llmtest.Error(500, ""), llmtest.Error(500, "")}, 3, "name", true},
		{"stalls before the first token, every attempt", []llmtest.Response{{Text: long, Fault: llmtest.Stall, FaultAfter: 1}, {Text: long, Fault: llmtest.Stall, FaultAfter: 1}, {Text: long, Fault: llmtest.Stall, FaultAfter: 1}}, 3, "name", true},
		{"stall after phrases were posted", []llmtest.Response{{Text: long, Fault: llmtest.Stall, FaultAfter: 25}}, 1, "Thanks for the details", true},
		{"cut mid-stream after phrases were posted", []llmtest.Response{{Text: long, Fault: llmtest.Cut, FaultAfter: 25}}, 1, "Thanks for the details", true},
		{"malformed tool arguments", []llmtest.Response{llmtest.Calls(llmtest.Call{Name: "update_user_info", Arguments: `{"name": "Jamie`}), llmtest.Text("Sorry, could you repeat your name?")}, 2, "repeat your name", false},
		{"unknown tool", []llmtest.Response{llmtest.Calls(llmtest.Call{Name: "launch_rocket", Arguments: `{}`}), llmtest.Text("I can't do that, but what is your name?")}, 2, "what is your name", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLLMFixture(t)
			f.open(t, "superior-fencing", "c1")
			before := f.session(t, "c1")
			f.fake.Enqueue(tt.responses...)
			frames := f.handle(t, "c1", promptFrame("My fence blew down in the storm"))
			text, closed := relaytest.Reply(frames)
			if !closed {
				t.Errorf("turn not closed by one last:true frame: %v", frames)
			}
			if !strings.Contains(text, tt.wantText) {
				t.Errorf("reply %q lacks %q", text, tt.wantText)
			}
			if got := f.fake.Calls(); got != tt.wantCalls {
				t.Errorf("model calls = %d, want %d", got, tt.wantCalls)
			}
			s := f.session(t, "c1")
			// A model turn writes twice: its claim (no parallel model
			// request on one conversation) and its one save.
			if s.Version != before.Version+2 {
				t.Errorf("version %d -> %d: want exactly the claim and one save", before.Version, s.Version)
			}
			if !s.State.Usage.TurnUntil.IsZero() {
				t.Errorf("claim not released: %+v", s.State.Usage)
			}
			n := len(s.Turns)
			if s.Turns[n-1].Role != session.RoleAgent || s.Turns[n-1].Text != text {
				t.Errorf("stored agent turn %q, posted %q", s.Turns[n-1].Text, text)
			}
			if !slices.ContainsFunc(s.Turns, func(tu session.Turn) bool { return tu.Role == session.RoleCaller }) {
				t.Error("caller turn not stored")
			}
			if tt.scripted && s.Caller.Reason == "" {
				t.Errorf("scripted fallback did not capture the reason: %+v", s.Caller)
			}
			for _, r := range f.fake.Requests()[1:] {
				if tt.name == "malformed tool arguments" || tt.name == "unknown tool" {
					last := lastMessage(r)
					if last.Role != "tool" || !strings.Contains(last.Content, "error") {
						t.Errorf("model did not get an error result: %+v", last)
					}
				}
			}
		})
	}
}

// An interrupt (a parallel invocation) stops the streaming reply within a
// phrase and the stored reply is what the caller heard.
func TestLLMInterrupt(t *testing.T) {
	f := newLLMFixture(t)
	f.open(t, "superior-fencing", "c1")
	long := strings.Repeat("Our crew repairs every kind of fence, and they will be glad to help you. ", 12)
	f.fake.Enqueue(llmtest.Response{Text: long, ChunkDelay: 5 * time.Millisecond})
	interrupted := make(chan struct{})
	var once sync.Once
	f.rec.OnPost = func(conn string, frame map[string]any) {
		if frame["type"] == "text" && frame["last"] == false {
			once.Do(func() {
				go func() {
					defer close(interrupted)
					if err := f.engine.Handle(context.Background(), f.rec, "c1", []byte(`{"type":"interrupt","utteranceUntilInterrupt":"Our crew repairs every kind","durationUntilInterruptMs":700}`)); err != nil {
						t.Errorf("interrupt: %v", err)
					}
				}()
				<-time.After(50 * time.Millisecond) // let the interrupt land before the next phrase
			})
		}
	}
	frames := f.handle(t, "c1", promptFrame("What do you fix?"))
	<-interrupted
	text, closed := relaytest.Reply(frames)
	if !closed {
		t.Errorf("interrupted turn not closed: %v", frames)
	}
	if len(text) >= len(long)/2 {
		t.Errorf("kept posting after the interrupt: %d of %d characters", len(text), len(long))
	}
	s := f.session(t, "c1")
	last := s.Turns[len(s.Turns)-1]
	if last.Role != session.RoleAgent || !last.Interrupted || last.Text != "Our crew repairs every kind" {
		t.Errorf("stored reply = %+v, want what the caller heard", last)
	}
	if pending := s.State.Engine.Interrupt != nil; pending {
		t.Error("interrupt mark not consumed")
	}
}

// Prompts racing on one session never reach the model at once: each is
// answered (its reply, or a busy error), and the ones answered are kept in
// order, each followed by its own reply.
func TestLLMConcurrentPrompts(t *testing.T) {
	f := newLLMFixture(t)
	f.open(t, "superior-fencing", "c1")
	f.fake.Handle(func(r llmtest.Recorded) llmtest.Response {
		return llmtest.Response{Text: "Noted: " + lastMessage(r).Content, ChunkDelay: time.Millisecond}
	})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.engine.Handle(context.Background(), f.rec, "c1", []byte(promptFrame(fmt.Sprintf("utterance %d", i)))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := f.session(t, "c1")
	var callers []string
	for i, tu := range s.Turns {
		if i > 0 && tu.Seq != s.Turns[i-1].Seq+1 {
			t.Errorf("turn seq not contiguous at %d: %+v", i, s.Turns)
		}
		if tu.Role == session.RoleCaller {
			callers = append(callers, tu.Text)
		}
	}
	replies, refusals, codes := answers(f.rec.Take("c1"))
	if replies+refusals != 4 || refusals != codes["busy"] || len(callers) != replies || f.fake.Calls() != replies {
		t.Fatalf("caller turns %q, %d replies, refusals %v, %d model calls", callers, replies, codes, f.fake.Calls())
	}
	for i, tu := range s.Turns {
		if tu.Role == session.RoleCaller && (i+1 >= len(s.Turns) || s.Turns[i+1].Text != "Noted: "+tu.Text) {
			t.Errorf("caller turn %q not followed by its own reply", tu.Text)
		}
	}
}

// A model slower than the turn deadline: the scripted agent answers in time.
func TestLLMTurnDeadline(t *testing.T) {
	f := newLLMFixture(t)
	f.engine.TurnTimeout = 200 * time.Millisecond
	f.open(t, "superior-fencing", "c1")
	f.fake.Enqueue(llmtest.Response{Text: "Too late.", FirstChunkDelay: 5 * time.Second})
	frames := f.handle(t, "c1", promptFrame("My gate is broken"))
	text, closed := relaytest.Reply(frames)
	if !closed || !strings.Contains(text, "name") {
		t.Errorf("reply %q closed=%v", text, closed)
	}
	if strings.Contains(text, "Too late") {
		t.Error("the late model answer was used")
	}
}

// The AI agent books a demo on the builtin calendar; the web client is told.
func TestLLMBooksAppointment(t *testing.T) {
	f := newLLMFixture(t)
	reg := tools.Default()
	reg.Register(tools.BookingTool(booking.NewMemoryStore()))
	f.engine.Tools = reg
	f.open(t, "sherpaprompt", "c1")
	// The slot is read back first; the booking follows the caller's yes.
	f.fake.Enqueue(
		llmtest.Calls(llmtest.Call{Name: "update_user_info", Arguments: `{"name":"Sam Lee","email":"sam@example.com","reason":"demo"}`}),
		llmtest.Calls(llmtest.Call{Name: "schedule_appointment", Arguments: `{"date_time":"next Tuesday at 10am","service":"product demo"}`}),
		llmtest.Text("Next Tuesday at 10 is open. Shall I book it?"),
		llmtest.Calls(llmtest.Call{Name: "schedule_appointment", Arguments: `{"date_time":"next Tuesday at 10am","confirm":true,"service":"product demo"}`}),
		llmtest.Text("You're booked. See you then!"),
	)
	f.handle(t, "c1", promptFrame("I'm Sam Lee, sam@example.com, book me a demo next Tuesday at 10am"))
	frames := f.handle(t, "c1", promptFrame("Yes please"))
	appt := relaytest.Find(frames, "appointment_created")
	if appt == nil {
		t.Fatalf("no appointment_created frame: %v\n%s", frames, f.fake.Requests()[3].LastMessage().Content)
	}
	a := appt["appointment"].(map[string]any)
	start, _ := a["start"].(string)
	at, err := time.Parse(time.RFC3339, start)
	denver, _ := time.LoadLocation("America/Denver")
	if err != nil || at.In(denver).Format(time.RFC3339) != start { // at the business's offset, as read back
		t.Errorf("start %q is not at the business's offset", start)
	}
	if a["timeZone"] != "America/Denver" || !strings.Contains(fmt.Sprint(a["when"]), "Tue") || a["service"] != "product demo" {
		t.Errorf("appointment = %v", a)
	}
	s := f.session(t, "c1")
	if !slices.ContainsFunc(s.Turns, func(tu session.Turn) bool { return tu.Tool == "appointment_booked" }) {
		t.Errorf("no booking event in the transcript: %+v", s.Turns)
	}
}

// newClient is an OpenAI client of the fake model server.
func newClient(fake *llmtest.Fake) *openaiclient.Client {
	return openaiclient.New(openaiclient.Options{
		BaseURL: fake.URL, APIKey: func(context.Context) (string, error) { return "sk-test", nil },
		Backoff: func(int) time.Duration { return 0 }, StallTimeout: 300 * time.Millisecond,
	})
}

func containsText(s, sub string) bool { return strings.Contains(s, sub) }

// failingSaves lets ok saves through, then fails every other.
type failingSaves struct {
	session.Store
	ok atomic.Int32
}

func (f *failingSaves) Save(ctx context.Context, s *session.Session) error {
	if f.ok.Add(-1) < 0 {
		return errors.New("store unavailable")
	}
	return f.Store.Save(ctx, s)
}

// A save that fails after the reply was streamed is not passed over in
// silence: the caller gets an error saying it was not saved, and nothing
// of the turn is stored.
func TestLLMSaveFailsAfterStreaming(t *testing.T) {
	f := newLLMFixture(t)
	f.open(t, "superior-fencing", "c1")
	before := f.session(t, "c1")
	failing := &failingSaves{Store: f.store}
	failing.ok.Store(1) // the claim
	f.engine.Store = failing
	f.fake.Enqueue(llmtest.Text("Got it, Dana. What's the best number to reach you?"))
	err := f.engine.Handle(context.Background(), f.rec, "c1", []byte(promptFrame("I'm Dana")))
	if err == nil {
		t.Error("Handle hid the failed save")
	}
	frames := f.rec.Take("c1")
	text, _ := relaytest.Reply(frames)
	if !strings.Contains(text, "Got it") {
		t.Fatalf("the reply was not streamed before the save: %v", frames)
	}
	last := frames[len(frames)-1]
	if last["type"] != "error" || last["code"] != "internal" || !strings.Contains(fmt.Sprint(last["message"]), "not saved") {
		t.Errorf("last frame %v; want an error saying it was not saved", last)
	}
	after := f.session(t, "c1")
	if after.Caller.Name != "" || len(after.Turns) != len(before.Turns) {
		t.Errorf("the failed turn left %d turns (before %d), caller %+v", len(after.Turns), len(before.Turns), after.Caller)
	}
}

// agentScenario is one conversation both agents can hold: the caller's
// turns, what the model does on each (for the AI agent, through the
// wire-level OpenAI fake), and what either agent must end with.
type agentScenario struct {
	name   string
	biz    string
	turns  []agentTurn
	caller session.Caller // collected at the end (CallerID aside)
	events []string       // the event kinds recorded, in order
	books  bool           // the business's calendar is a memory store both agents book in
	booked string         // with books: the start booked (RFC 3339), "" for none
}

type agentTurn struct {
	says  string
	model []llmtest.Response // the AI agent's model responses for this turn
}

func update(args string) llmtest.Response { return call("update_user_info", args) }

// tells is a turn in which the caller says a field's value and the model
// records it, then replies.
func tells(field, says, reply string) agentTurn {
	return agentTurn{says, []llmtest.Response{update(fmt.Sprintf(`{%q:%q}`, field, says)), llmtest.Text(reply)}}
}

func validate(number string) llmtest.Response {
	return call("validate_phone_number", fmt.Sprintf(`{"phone_number":%q}`, number))
}

func call(tool, args string) llmtest.Response {
	return llmtest.Calls(llmtest.Call{Name: tool, Arguments: args})
}

// TestAgentsBehaveAlike plays the same script to the scripted agent and to
// the AI agent through the real engine: where their capabilities overlap
// they collect the same fields, record the same events and end the same way.
func TestAgentsBehaveAlike(t *testing.T) {
	scenarios := []agentScenario{
		{name: "one field per turn, then the read-back", biz: "superior-fencing",
			turns: []agentTurn{
				tells("reason", "My fence blew down in the storm", "Sorry to hear that. May I have your name?"),
				tells("name", "Jamie Rivera", "Thanks, Jamie. What's the best number to reach you?"),
				{"five oh three, five five five, zero one four two", []llmtest.Response{
					validate("five oh three, five five five, zero one four two"),
					update(`{"phone":"503 555 0142"}`),
					llmtest.Text("I have Jamie Rivera at 5 0 3, 5 5 5, 0 1 4 2, about your fence. Is that right?")}},
				{"Yes.", []llmtest.Response{call("end_conversation", `{"reason":"details collected"}`), llmtest.Text("Thank you, Jamie! Goodbye.")}},
			},
			caller: session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "My fence blew down in the storm"},
			events: []string{"user_info_updated", "user_info_updated", "phone_validated", "user_info_updated", "end_conversation"}},
		{name: "an invalid number is refused, then corrected", biz: "maple-street-vet",
			turns: []agentTurn{
				tells("reason", "My dog needs a refill", "Of course. May I have your name?"),
				tells("name", "Priya Shah", "Thanks, Priya. What's the best number to reach you?"),
				{"555 0199", []llmtest.Response{
					validate("555 0199"),
					llmtest.Text("That has 7 digits; could you say it with the area code?")}},
				{"541 555 0199", []llmtest.Response{
					validate("541 555 0199"),
					update(`{"phone":"541 555 0199"}`),
					llmtest.Text("I have Priya Shah at 5 4 1, 5 5 5, 0 1 9 9, for a refill. Is that right?")}},
			},
			caller: session.Caller{Name: "Priya Shah", Phone: "+15415550199", Reason: "My dog needs a refill"},
			events: []string{"user_info_updated", "user_info_updated", "phone_invalid", "phone_validated", "user_info_updated"}},
		{name: "a demo booked for the time asked", biz: "sherpaprompt", books: true,
			turns: []agentTurn{
				{"I'd like to book a demo tomorrow at 10am", []llmtest.Response{update(`{"reason":"Book a demo tomorrow at 10am"}`), llmtest.Text("I can help you book a demo. May I have your name, please?")}},
				tells("name", "Sam Lee", "Thanks, Sam. What's the best email address to reach you?"),
				{"sam.lee@example.com", []llmtest.Response{update(`{"email":"sam.lee@example.com"}`),
					call("schedule_appointment", `{"date_time":"tomorrow at 10am","service":"demo"}`),
					llmtest.Text("I have Wed, Mar 11 at 10:00 AM MDT available. Shall I book your demo?")}},
				{"yes please", []llmtest.Response{call("schedule_appointment", `{"date_time":"2026-03-11T10:00:00-06:00","service":"demo","confirm":true}`),
					llmtest.Text("You're all set: your demo is booked for Wed, Mar 11 at 10:00 AM MDT.")}},
			},
			caller: session.Caller{Name: "Sam Lee", Email: "sam.lee@example.com", Reason: "Book a demo tomorrow at 10am"},
			events: []string{"user_info_updated", "user_info_updated", "user_info_updated", "appointment_booked"},
			booked: "2026-03-11T10:00:00-06:00"},
		{name: "# typed in the chat: an urgent call back, no key to press", biz: "superior-fencing",
			turns: []agentTurn{
				{"#", []llmtest.Response{llmtest.Text("I'll mark this as urgent. If you leave a phone number, the team will call you back as soon as they can. What's happening?")}},
				tells("reason", "A tree took out my fence", "Got it. What's the best phone number for the team to reach you?"),
			},
			caller: session.Caller{Reason: "A tree took out my fence"},
			events: []string{"emergency", "user_info_updated"}},
		{name: "a question about the opening hours", biz: "maple-street-vet",
			turns: []agentTurn{
				{"What are your hours?", []llmtest.Response{call("get_company_info", `{"info_type":"hours"}`), llmtest.Text("We're open Monday to Friday, 8 AM to 6 PM. How can I help you today?")}},
			},
			caller: session.Caller{},
			events: []string{"company_info"}},
	}
	for _, sc := range scenarios {
		bothAgents(t, sc.name, "AI agent", func(t *testing.T, ai bool) {
			s := playScenario(t, sc, ai)
			if got := collected(s.Caller); got != sc.caller {
				t.Errorf("collected %+v;\n         want %+v", got, sc.caller)
			}
			var kinds []string
			for _, tu := range s.Turns {
				if tu.Role == session.RoleTool {
					kinds = append(kinds, tu.Tool)
				}
			}
			if !slices.Equal(kinds, sc.events) {
				t.Errorf("events %q;\n  want %q", kinds, sc.events)
			}
			if got := s.State.Booking.Start; sc.books && (got.IsZero() || got.Format(time.RFC3339) != sc.booked) {
				t.Errorf("booked %v; want %s", got, sc.booked)
			}
			ended := slices.Contains(sc.events, "end_conversation")
			if (s.Status == session.StatusEnded) != ended || ended && s.EndReason != conversation.EndCompleted {
				t.Errorf("status %s (%s); want ended: %v", s.Status, s.EndReason, ended)
			}
		})
	}
}

// bothAgents runs f as two subtests of name: with the scripted agent
// (model false), then with the model (true), that one named by modelName.
func bothAgents(t *testing.T, name, modelName string, f func(t *testing.T, model bool)) {
	t.Helper()
	for _, model := range []bool{false, true} {
		sub := name + ", scripted agent"
		if model {
			sub = name + ", " + modelName
		}
		t.Run(sub, func(t *testing.T) { f(t, model) })
	}
}

// playScenario runs the scenario's turns through the engine on the web and
// returns the stored session.
func playScenario(t *testing.T, sc agentScenario, ai bool) *session.Session {
	t.Helper()
	ctx := context.Background()
	f, b := newAgentFixture(t, sc.biz, ai)
	if sc.books {
		bookings := booking.NewMemoryStore()
		f.engine.NewAgent = conversation.Assistants(nil, bookings)
		f.engine.Tools = tools.Default()
		f.engine.Tools.Register(tools.BookingTool(bookings))
	}
	f.engine.Now = func() time.Time { return time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC) }
	store, rec, e, fake := f.store, f.rec, f.engine, f.fake
	if _, err := e.Open(ctx, b, "c1", session.ChannelWeb); err != nil {
		t.Fatal(err)
	}
	if err := e.Handle(ctx, rec, "c1", []byte(`{"type":"setup"}`)); err != nil {
		t.Fatal(err)
	}
	rec.Take("c1") // session_ready and the greeting
	for _, turn := range sc.turns {
		if ai {
			fake.Enqueue(turn.model...)
		}
		if err := e.Handle(ctx, rec, "c1", []byte(promptFrame(turn.says))); err != nil {
			t.Fatalf("%q: %v", turn.says, err)
		}
		if reply, closed := relaytest.Reply(rec.Take("c1")); !closed || reply == "" {
			t.Fatalf("%q: reply %q, closed %v", turn.says, reply, closed)
		}
	}
	if ai && fake.Calls() != countResponses(sc) {
		t.Errorf("model calls %d; want %d (the script ran off)", fake.Calls(), countResponses(sc))
	}
	s, err := store.ByConnection(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newAgentFixture is newLLMFixture for one business, b: with ai the engine
// answers through the fake model, without it the scripted agent does.
func newAgentFixture(t *testing.T, biz string, ai bool) (f *llmFixture, b *business.Business) {
	t.Helper()
	f = newLLMFixture(t)
	if !ai {
		f.engine.LLM = nil
	}
	b, err := f.set.Business(tenant.ID(biz))
	if err != nil {
		t.Fatal(err)
	}
	return f, b
}

func countResponses(sc agentScenario) int {
	n := 0
	for _, tu := range sc.turns {
		n += len(tu.model)
	}
	return n
}

func collected(c session.Caller) session.Caller {
	c.CallerID = ""
	return c
}

// A phone leg that opens with "What's your name?" (after the emergency
// line did not answer, and an after-hours call in voicemail mode) takes the
// caller's answer as the name, not as the reason for the call; with a model
// that fails, the scripted agent it falls back to does the same.
func TestLegGreetingQuestionIsAnswered(t *testing.T) {
	tests := []struct {
		name     string
		biz      string
		call     session.Call
		greeted  bool   // an earlier leg already greeted
		greeting string // the leg's greeting recorded
	}{
		{"after the emergency line did not answer", "superior-fencing", session.Call{ResumeStaff: twiliovoice.ResumeEmergency}, true,
			"I'm sorry, I couldn't reach our on-call crew. Let me take your details so they can call you back as soon as possible. What's your name?"},
		{"after hours in voicemail mode", "maple-street-vet", session.Call{Mode: session.CallVoicemail}, false,
			"We're closed right now, but I can take a message and someone will call you back. What's your name?"},
	}
	for _, tt := range tests {
		bothAgents(t, tt.name, "model failing", func(t *testing.T, model bool) {
			ctx := context.Background()
			f, b := newAgentFixture(t, tt.biz, model)
			if model {
				f.fake.Enqueue(llmtest.Error(500, ""), llmtest.Error(500, ""), llmtest.Error(500, ""))
			}
			store, rec, e := f.store, f.rec, f.engine
			now := time.Now().UTC()
			s := &session.Session{BusinessID: b.ID, ID: "CA1", Channel: session.ChannelPhone, CallSID: "CA1", ConnectionID: "leg2",
				Status: session.StatusActive, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
				State: session.State{Call: tt.call, Engine: session.Engine{Greeted: tt.greeted, Leg: "VX1"}}}
			if err := store.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
			if err := e.Handle(ctx, rec, "leg2", []byte(`{"type":"setup","callSid":"CA1","sessionId":"VX2"}`)); err != nil {
				t.Fatal(err)
			}
			if err := e.Handle(ctx, rec, "leg2", []byte(`{"type":"prompt","voicePrompt":"Chris Park","last":true}`)); err != nil {
				t.Fatal(err)
			}
			got, err := store.Get(ctx, b.ID, "CA1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Caller.Name != "Chris Park" || got.Caller.Reason != "" {
				t.Errorf("caller %+v; want the name Chris Park and no reason yet", got.Caller)
			}
			if !containsTurn(got, session.RoleAgent, tt.greeting) {
				t.Errorf("the leg's greeting was not recorded: %+v", got.Turns)
			}
			reply, _ := relaytest.Reply(rec.Take("leg2"))
			if containsText(reply, "your name") {
				t.Errorf("asked for the name again: %q", reply)
			}
		})
	}
}

func containsTurn(s *session.Session, role, text string) bool {
	for _, tu := range s.Turns {
		if tu.Role == role && containsText(tu.Text, text) {
			return true
		}
	}
	return false
}
