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
