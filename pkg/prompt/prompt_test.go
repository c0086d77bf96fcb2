package prompt

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/internal/testtext"
	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// callerID is what Twilio reported; it must never reach the model.
const callerID = "+15035550199"

var (
	winter  = time.Date(2026, 11, 29, 2, 55, 0, 0, time.UTC) // Saturday, November 28, 2026, 6:55 PM in Oregon
	summer  = time.Date(2026, 7, 4, 19, 30, 0, 0, time.UTC)  // Saturday, July 4, 2026, 12:30 PM in Oregon
	tuesday = businesstest.Tuesday                           // Maple Street Vet is open
)

// biz returns a business of the project's configs/.
func biz(t *testing.T, id string) *business.Business { return businesstest.Get(t, tenant.ID(id)) }

func newSession(b *business.Business, ch session.Channel) *session.Session {
	return &session.Session{BusinessID: b.ID, ID: "s-1", Channel: ch, Status: session.StatusActive,
		Caller: session.Caller{CallerID: callerID}}
}

func all(msgs []llm.Message) string {
	var w strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&w, "--- %s\n%s\n", m.Role, m.Content)
	}
	return w.String()
}

// TestGolden keeps a whole prompt in testdata for review; run with -update
// after an intended change.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		biz  string
		ch   session.Channel
		now  time.Time
		fill func(s *session.Session)
	}{
		{"superior-fencing-phone", "superior-fencing", session.ChannelPhone, winter, func(s *session.Session) {
			s.Append(session.RoleCaller, "Hi, my fence blew down in the storm last night.", winter)
			s.Append(session.RoleAgent, "I'm sorry to hear that. Can I get your name?", winter)
			s.Append(session.RoleCaller, "Jamie Rivera. My number is five oh three, five five five, oh one four two.", winter)
			tt := s.Append(session.RoleTool, "(503) 555-0142", winter)
			tt.Tool = string(agent.EventPhoneValidated)
			tt = s.Append(session.RoleTool, "name=Jamie Rivera; phone=+15035550142; reason=Fence blew down in the storm", winter)
			tt.Tool = string(agent.EventInfoUpdated)
			a := s.Append(session.RoleAgent, "Thanks Jamie. I have 5 0 3,", winter)
			a.Interrupted = true
			s.Append(session.RoleCaller, "Wait, how late are you open tomorrow?", winter)
			s.Caller.Name, s.Caller.Phone, s.Caller.Reason = "Jamie Rivera", "+15035550142", "Fence blew down in the storm"
		}},
		{"sherpaprompt-web", "sherpaprompt", session.ChannelWeb, summer, func(s *session.Session) {
			s.Append(session.RoleAgent, "Hi, I'm Scout from SherpaPrompt. I can answer questions about the product or set up a demo. What brings you here today?", summer)
			s.Append(session.RoleCaller, "I'd like a demo.", summer)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := biz(t, tt.biz)
			s := newSession(b, tt.ch)
			tt.fill(s)
			got := all(Build(b, s, tt.now, Options{Tools: tools.Default().For(b)}))
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once)", err)
			}
			if got != string(want) {
				t.Errorf("Build differs from %s (go test -update to accept):\n%s", path, got)
			}
		})
	}
}

func TestSystem(t *testing.T) {
	tests := []struct {
		name    string
		biz     string             // a business of configs/
		b       *business.Business // or this one
		ch      session.Channel
		now     time.Time
		caller  session.Caller
		call    session.Call
		turns   []session.Turn
		want    []string
		notWant []string
	}{
		{
			name: "business prompt, winter date in PST, phone channel",
			biz:  "superior-fencing",
			ch:   session.ChannelPhone, now: winter,
			want: []string{
				"You are Riley, the after-hours phone assistant for Superior Fence & Construction",
				"Now at the business: Saturday, November 28, 2026, 6:55 PM PST (time zone America/Los_Angeles).",
				"Channel: phone call.",
				"press the pound key (#)",
				`The conversation opened with your greeting: "Thanks for calling Superior Fence and Construction, this is Riley`,
				"Required before the conversation may end: name, callback phone number, reason for calling.",
				"Collected so far: nothing yet.",
				"Still missing: name, callback phone number, reason for calling.",
				"You do not know the number the caller is calling from: ask for a callback number",
				"- Ask for a callback number even if caller id is available.",
				"Closing: Confirm name, reason and number, then close politely.",
				"Personality: practical, friendly and quick.",
			},
		},
		{
			name: "summer date in PDT",
			biz:  "superior-fencing",
			ch:   session.ChannelPhone, now: summer,
			want: []string{"Now at the business: Saturday, July 4, 2026, 12:30 PM PDT (time zone America/Los_Angeles)."},
		},
		{
			name: "another zone: Denver in summer, web channel, email required, no phone line",
			biz:  "sherpaprompt",
			ch:   session.ChannelWeb, now: summer,
			caller: session.Caller{Name: "Matt", Email: "matt@gmail.com"},
			want: []string{
				"Now at the business: Saturday, July 4, 2026, 1:30 PM MDT (time zone America/Denver).",
				"Channel: text chat",
				"Required before the conversation may end: name, email address.",
				"Collected so far: name: Matt; email address: matt@gmail.com.",
			},
			notWant: []string{"Still missing", "pound key", "calling from"},
		},
		{
			name: "web chat of a business with an on-call line: no key to press, a call back for urgent messages",
			biz:  "superior-fencing",
			ch:   session.ChannelWeb, now: winter,
			want: []string{
				`The conversation opened with your greeting: "Hi, I'm Riley with Superior Fence & Construction. How can I help you today?"`,
				"never tell the visitor to press a key",
				`if the visitor describes an emergency or types #, tell them: "I'll mark this as urgent. If you leave a phone number`,
				"ask for their phone number first",
			},
			// The business's own prompt speaks of the pound key; the generated
			// lines never do on the web, and the web rule overrides it.
			notWant: []string{"the caller can press the pound key", "Callers with a fallen fence"},
		},
		{
			name: "after the on-call line did not answer: no second #",
			biz:  "superior-fencing",
			ch:   session.ChannelPhone, now: winter, call: session.Call{ResumeStaff: session.ResumeEmergency},
			want:    []string{"The on-call line did not answer a moment ago. Do not offer # again"},
			notWant: []string{"the caller can press the pound key (#) at any time"},
		},
		{
			name: "after a staff member did not answer: a message for them",
			biz:  "maple-street-vet",
			ch:   session.ChannelPhone, now: tuesday, call: session.Call{ResumeStaff: "billing"},
			want: []string{"Priya did not answer the transfer a moment ago: take a message for them"},
		},
		{
			name: "operating hours: open now",
			biz:  "maple-street-vet",
			ch:   session.ChannelPhone, now: tuesday,
			caller: session.Caller{Phone: "+15415550100"},
			want: []string{
				"Tuesday, March 4, 2025, 2:00 PM PST",
				"The business is open right now.",
				"callback phone number: (541) 555-0100 (say it as 5 4 1, 5 5 5, 0 1 0 0)",
				"Still missing: name, reason for calling.",
			},
		},
		{
			name: "greeting from the first agent turn",
			biz:  "sherpaprompt",
			ch:   session.ChannelWeb, now: summer,
			turns: []session.Turn{{Seq: 1, Role: session.RoleAgent, Text: "Hello from the web!"}},
			want:  []string{`The conversation opened with your greeting: "Hello from the web!". Do not greet or introduce yourself again.`},
		},
		{
			name: "placeholders filled, unknown ones left; defaults for an empty config",
			b: &business.Business{
				ID: "acme", Name: "Acme Plumbing",
				Company: business.Company{Name: "Acme Plumbing & Drains"},
				Agent:   business.Agent{Name: "Ada", Greeting: "Hi, {agentName} at {businessName}."},
				Prompts: business.Prompts{System: "You are {agentName} for {businessName} ({companyName}). Keep {unknownThing} and {businessname} as written."},
				Intake:  business.Intake{Required: []string{}},
			},
			ch: session.ChannelPhone, now: winter,
			want: []string{
				"You are Ada for Acme Plumbing (Acme Plumbing & Drains). Keep {unknownThing} and {businessname} as written.",
				`The conversation opened with your greeting: "Hi, Ada at Acme Plumbing."`,
				"Sunday, November 29, 2026, 2:55 AM UTC (time zone UTC)",
				"This business requires no caller details before the conversation ends.",
			},
			notWant: []string{"{agentName}", "{businessName}", "{companyName}", "calling from", "# Collecting details"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			if b == nil {
				b = biz(t, tt.biz)
			}
			s := newSession(b, tt.ch)
			s.Caller = tt.caller
			s.Caller.CallerID = callerID
			s.State.Call = tt.call
			s.Turns = tt.turns
			msgs := Build(b, s, tt.now, Options{Tools: tools.Default().For(b)})
			if len(msgs) == 0 || msgs[0].Role != llm.RoleSystem {
				t.Fatalf("first message is not the system prompt: %+v", msgs)
			}
			sys := msgs[0].Content
			testtext.Check(t, "system prompt", sys, tt.want, tt.notWant)
		})
	}
}

// TestCallerIDNeverShown: the number Twilio reported appears nowhere, in
// any form, even when it is set and the caller gave another number.
func TestCallerIDNeverShown(t *testing.T) {
	for _, id := range []string{"superior-fencing", "sherpaprompt", "maple-street-vet"} {
		for _, ch := range []session.Channel{session.ChannelPhone, session.ChannelWeb} {
			b := biz(t, id)
			s := newSession(b, ch)
			s.Caller.Name, s.Caller.Phone = "Jamie", "+15035550142"
			s.Append(session.RoleCaller, "Hi, it's Jamie.", winter)
			s.Append(session.RoleAgent, "Hi Jamie, what's the best number to reach you?", winter)
			for _, opts := range []Options{{}, {Tools: tools.Default().For(b)}, {MaxHistoryTurns: 1}} {
				got := all(Build(b, s, winter, opts))
				for _, form := range []string{callerID, "5035550199", "555-0199", "5550199", "0 1 9 9", "callerId", "CallerID"} {
					if strings.Contains(got, form) {
						t.Errorf("%s/%s: the caller id appears as %q:\n%s", id, ch, form, got)
					}
				}
			}
		}
	}
}

func TestHistory(t *testing.T) {
	turns := []session.Turn{
		{Seq: 1, Role: session.RoleAgent, Text: "Thanks for calling, how can I help?"},
		{Seq: 2, Role: session.RoleCaller, Text: "My gate won't latch."},
		{Seq: 3, Role: session.RoleTool, Tool: string(agent.EventPhoneValidated), Text: "(503) 555-0142"},
		{Seq: 4, Role: session.RoleTool, Tool: string(agent.EventInfoUpdated), Text: "phone=+15035550142"},
		{Seq: 5, Role: session.RoleAgent, Text: "Got it, I have 5 0 3", Interrupted: true},
		{Seq: 6, Role: session.RoleCaller, Text: "  "},
		{Seq: 7, Role: session.RoleTool, Tool: "route_call", Text: "pharmacy"},
		{Seq: 8, Role: session.RoleTool, Tool: "", Text: ""},
		{Seq: 9, Role: session.RoleCaller, Text: "Are you open Saturday?"},
	}
	want := []llm.Message{
		{Role: llm.RoleAssistant, Content: "Thanks for calling, how can I help?"},
		{Role: llm.RoleUser, Content: "My gate won't latch."},
		{Role: llm.RoleSystem, Content: "[validated phone (503) 555-0142]\n[saved caller details: phone=+15035550142]"},
		{Role: llm.RoleAssistant, Content: "Got it, I have 5 0 3"},
		{Role: llm.RoleSystem, Content: "[the caller interrupted that reply; they heard only the part shown]\n[route_call: pharmacy]\n[tool]"},
		{Role: llm.RoleUser, Content: "Are you open Saturday?"},
	}
	if got := History(turns, session.Earlier{}, Options{}); !reflect.DeepEqual(got, want) {
		t.Errorf("History:\n got %#v\nwant %#v", got, want)
	}
}

func TestHistoryBounds(t *testing.T) {
	var turns []session.Turn
	for i := 1; i <= 100; i++ {
		role := session.RoleCaller
		if i%2 == 0 {
			role = session.RoleAgent
		}
		turns = append(turns, session.Turn{Seq: i, Role: role, Text: fmt.Sprintf("turn %03d %s", i, strings.Repeat("x", 20))}) // 29 characters
	}
	tests := []struct {
		name      string
		opts      Options
		turns     []session.Turn
		earlier   session.Earlier
		wantFirst int // Seq of the first kept turn
		wantNote  string
	}{
		{"default turn bound", Options{}, turns, session.Earlier{}, 61,
			`Earlier in this conversation: 60 earlier turns are not shown (30 from the caller, 30 from you, 0 tool notes). The caller first said: "turn 001 xxxxxxxxxxxxxxxxxxxx".`},
		{"char bound", Options{MaxHistoryChars: 100}, turns, session.Earlier{}, 98,
			`Earlier in this conversation: 97 earlier turns are not shown (49 from the caller, 48 from you, 0 tool notes).`},
		// A session read from a store: the 60 oldest turns are stored apart
		// and summed up in Earlier; the note is the same as with all turns.
		{"older turns stored apart", Options{}, turns[60:], session.Earlier{Caller: 30, Agent: 30, FirstCaller: turns[0].Text}, 61,
			`Earlier in this conversation: 60 earlier turns are not shown (30 from the caller, 30 from you, 0 tool notes). The caller first said: "turn 001 xxxxxxxxxxxxxxxxxxxx".`},
		{"stored apart and dropped", Options{MaxHistoryTurns: 5}, turns[60:], session.Earlier{Caller: 30, Agent: 30}, 96, "95 earlier turns"},
		{"turn bound", Options{MaxHistoryTurns: 5}, turns, session.Earlier{}, 96, "95 earlier turns"},
		{"the newest turn is kept even when over the char bound", Options{MaxHistoryChars: 10}, turns, session.Earlier{}, 100, "99 earlier turns"},
		{"everything fits", Options{}, turns[:40], session.Earlier{}, 1, ""},
		{"one dropped", Options{MaxHistoryTurns: 39}, turns[:40], session.Earlier{}, 2, `Earlier in this conversation: 1 earlier turn is not shown (1 from the caller, 0 from you, 0 tool notes).`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := History(tt.turns, tt.earlier, tt.opts)
			if tt.wantNote == "" {
				if msgs[0].Role == llm.RoleSystem {
					t.Fatalf("unexpected note: %q", msgs[0].Content)
				}
			} else {
				if msgs[0].Role != llm.RoleSystem || !strings.Contains(msgs[0].Content, tt.wantNote) {
					t.Fatalf("first message %+v; want a note with %q", msgs[0], tt.wantNote)
				}
				msgs = msgs[1:]
			}
			if first := fmt.Sprintf("turn %03d ", tt.wantFirst); !strings.HasPrefix(msgs[0].Content, first) {
				t.Errorf("first kept message %q; want it to start with %q", msgs[0].Content, first)
			}
			last := tt.turns[len(tt.turns)-1].Text
			if msgs[len(msgs)-1].Content != last {
				t.Errorf("last message %q; want the newest turn %q", msgs[len(msgs)-1].Content, last)
			}
			if n := tt.turns[len(tt.turns)-1].Seq - tt.wantFirst + 1; len(msgs) != n {
				t.Errorf("%d messages kept; want %d", len(msgs), n)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	b := biz(t, "superior-fencing")
	s := newSession(b, session.ChannelPhone)
	for i := range 60 {
		s.Append([]string{session.RoleCaller, session.RoleAgent, session.RoleTool}[i%3], fmt.Sprintf("text %d", i), winter)
	}
	opts := Options{MaxHistoryTurns: 10, Tools: tools.Default().For(b)}
	first := Build(b, s, winter, opts)
	for range 5 {
		if got := Build(b, s, winter, opts); !reflect.DeepEqual(got, first) {
			t.Fatal("Build is not deterministic")
		}
	}
}

func TestToolGuidance(t *testing.T) {
	b := biz(t, "superior-fencing")
	s := newSession(b, session.ChannelPhone)
	extra := append(tools.Default().For(b), llm.Tool{Name: "route_call"})
	tests := []struct {
		name    string
		tools   []llm.Tool
		want    []string
		notWant []string
	}{
		{"nil: generic", nil, []string{"Use your tools as their descriptions say."}, []string{"update_user_info"}},
		{"offered ones only", tools.Default().For(&business.Business{ID: "quiet"}), []string{"get_company_info", "end_conversation"}, []string{"update_user_info", "validate_phone_number"}},
		{"others listed", extra, []string{"update_user_info", "Also available: route_call;"}, nil},
		{"none", []llm.Tool{}, []string{"No tools are available"}, []string{"update_user_info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := Build(b, s, winter, Options{Tools: tt.tools})[0].Content
			tail := sys[strings.Index(sys, "# Tools"):]
			testtext.Check(t, "tool guidance", tail, tt.want, tt.notWant)
		})
	}
}
