package intake

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

// FuzzRespond feeds arbitrary utterances to the agent of each shipped
// business and of a business that requires nothing. Whatever is said, the
// agent must not panic, must answer with text, must be deterministic, and
// must end the conversation within the turn limit.
func FuzzRespond(f *testing.F) {
	for _, seed := range []string{
		"", " ", "...", "?", "@", "at at at", "dot dot dot", "+", "(", ")", "'", "-", "J.", "J", "a b c d e f g",
		"oh", "double", "triple triple", "five hundred and", "one two three four five six seven eight nine zero one two",
		"12345678901234567890", "+44 20 7946 0958", "my name is", "my name is my name is", "it's", "this is",
		"no no no no", "yes no", "what?", "why?", "emergency emergency", "😀 hello 😀", "Ünïcödé Nâmé",
		"\x00\xff", strings.Repeat("fence ", 500), "call me at", "j o h n at", "at gmail dot com", "@gmail.com",
		"My name is Jamie, 503 555 0142, jamie@example.com, my fence blew down. What are your hours?",
		"no, the number", "the reason is", "leave a message for", "I have a question", "bye",
	} {
		f.Add(seed, seed+" "+seed)
	}
	set, err := business.Load(f.Context(), business.DirSource{Dir: "../../configs"})
	if err != nil {
		f.Fatal(err)
	}
	var agents []*Agent
	for _, id := range set.IDs() {
		b, _ := set.Business(id)
		agents = append(agents, New(b))
	}
	agents = append(agents, New(&business.Business{ID: "bare", Name: "Bare", Intake: business.Intake{Required: []string{}}}))

	f.Fuzz(func(t *testing.T, first, second string) {
		for _, a := range agents {
			for _, ch := range []session.Channel{session.ChannelPhone, session.ChannelWeb} {
				s := &session.Session{Channel: ch, Caller: session.Caller{CallerID: "+15035550100"}}
				a.Greet(s)
				says := []string{first, second}
				var r agent.Reply
				for n := 0; n <= maxTurns+1; n++ {
					text := says[n%2]
					twin := s.Clone()
					r = a.Respond(s, text, tuesday)
					r2 := a.Respond(twin, text, tuesday)
					if !reflect.DeepEqual(r, r2) || !reflect.DeepEqual(s, twin) {
						t.Fatalf("%s: Respond(%q) is not deterministic", a.b.ID, text)
					}
					if strings.TrimSpace(r.Text) == "" {
						t.Fatalf("%s: Respond(%q) said nothing (state %+v)", a.b.ID, text, s.State)
					}
					if !utf8.ValidString(r.Text) {
						t.Fatalf("%s: Respond(%q) = invalid UTF-8 %q", a.b.ID, text, r.Text)
					}
					if r.Done {
						break
					}
				}
				if !r.Done {
					t.Fatalf("%s: not done after %d turns of %q / %q (state %+v)", a.b.ID, maxTurns+1, first, second, s.State)
				}
			}
		}
	})
}
