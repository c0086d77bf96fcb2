package business

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func buildAcme(t *testing.T, mutate func(tree map[string][]byte)) (*Business, *Set) {
	t.Helper()
	tree := validTree()
	if mutate != nil {
		mutate(tree)
	}
	s, err := Build("", tree)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	b, err := s.Business("acme")
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

func TestWebGreeting(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(tree map[string][]byte)
		want   string
	}{
		{"default names the agent and the company", func(tr map[string][]byte) {
			set(t, tr, acme, "promptConfig.agentName", "Riley")
			set(t, tr, acme, "companyInfo.name", "Acme Fence & Construction")
		}, "Hi, I'm Riley with Acme Fence & Construction. How can I help you today?"},
		{"default without an agent name", nil, "Hi, thanks for reaching out to Acme Fencing. How can I help you today?"},
		{"configured, placeholders filled", func(tr map[string][]byte) {
			set(t, tr, acme, "promptConfig.agentName", "Riley")
			set(t, tr, acme, "promptConfig.webGreeting", "Welcome to {companyName}! {agentName} here. What can I do for you?")
		}, "Welcome to Acme Fencing! Riley here. What can I do for you?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := buildAcme(t, tt.mutate)
			if got := b.WebGreeting(); got != tt.want {
				t.Errorf("WebGreeting() = %q, want %q", got, tt.want)
			}
		})
	}
	// A phone greeting with a keypad instruction does not leak to the web.
	b, _ := buildAcme(t, func(tr map[string][]byte) {
		set(t, tr, acme, "promptConfig.greeting", "Press pound now to reach our on-call crew.")
	})
	if g := b.WebGreeting(); keypadRe().MatchString(g) {
		t.Errorf("web greeting %q mentions a key", g)
	}
	// A hand-built Business (as in other packages' tests) gets the default.
	hand := &Business{Name: "Hand", Agent: Agent{Name: "Ada"}}
	if got := hand.WebGreeting(); got != "Hi, I'm Ada with Hand. How can I help you today?" {
		t.Errorf("hand-built WebGreeting() = %q", got)
	}
}

func TestWebGreetingWithKeypadWarns(t *testing.T) {
	_, s := buildAcme(t, func(tr map[string][]byte) {
		set(t, tr, acme, "promptConfig.webGreeting", "Hi! Press # for an emergency.")
	})
	for _, w := range s.Warnings() {
		if w.Path == "$.promptConfig.webGreeting" && strings.Contains(w.Msg, "no keypad") && w.Line > 0 {
			return
		}
	}
	t.Errorf("no keypad warning for the web greeting: %v", s.Warnings())
}

func TestIsUrgent(t *testing.T) {
	def := &Business{}
	tests := []struct {
		text string
		want bool
	}{
		{"A pipe burst and my basement is flooding!", true},
		{"this is an EMERGENCY!", true},
		{"I need someone out here right away.", true},
		{"I can’t breathe, there's smoke", true},
		{"There's a gas smell in the kitchen", true},
		{"I'd like a quote for a new cedar fence", false},
		{"My neighbour's name is Bursty", false},        // whole words only
		{"I'd like to talk about the gasket", false},    // "gas" alone is not a keyword
		{"leaky faucet, whenever you have time", false}, // "leaky" is not "leak"
		{"", false},
	}
	for _, tt := range tests {
		if got := def.IsUrgent(tt.text); got != tt.want {
			t.Errorf("IsUrgent(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}

	vet, _ := buildAcme(t, func(tr map[string][]byte) {
		set(t, tr, acme, "intake.urgencyKeywords", []any{"hit by a car", "Seizure", "ate chocolate"})
	})
	for text, want := range map[string]bool{
		"my dog was hit by a car":      true,
		"she is having a seizure":      true,
		"He ATE CHOCOLATE an hour ago": true,
		"this is an emergency":         false, // the business's list replaces the defaults
		"my cat was hit by a bus":      false,
	} {
		if got := vet.IsUrgent(text); got != want {
			t.Errorf("vet.IsUrgent(%q) = %v, want %v", text, got, want)
		}
	}
	if got := vet.UrgentPhrase("she is having a seizure"); got != "Seizure" {
		t.Errorf("UrgentPhrase = %q, want the keyword as configured", got)
	}

	none, _ := buildAcme(t, func(tr map[string][]byte) { set(t, tr, acme, "intake.urgencyKeywords", []any{}) })
	if none.IsUrgent("emergency!") {
		t.Error("an empty urgencyKeywords list still found urgency")
	}
	dflt, _ := buildAcme(t, nil)
	if !dflt.IsUrgent("a pipe burst") {
		t.Error("a config without urgencyKeywords does not use the defaults")
	}
}

func TestWidgetDefaultsAndValues(t *testing.T) {
	b, _ := buildAcme(t, func(tr map[string][]byte) { set(t, tr, acme, "promptConfig.agentName", "Riley") })
	want := Widget{Position: WidgetBottomRight, LauncherText: "Chat with Riley", AccentColor: DefaultAccentColor, AccentTextColor: "#ffffff"}
	if b.Web.Widget != want {
		t.Errorf("default widget = %+v, want %+v", b.Web.Widget, want)
	}
	b, _ = buildAcme(t, func(tr map[string][]byte) {
		set(t, tr, acme, "web.widget", map[string]any{"position": "bottom-left", "launcherText": "Questions?", "accentColor": "#FE0", "openOnLoad": true})
	})
	want = Widget{Position: WidgetBottomLeft, LauncherText: "Questions?", AccentColor: "#fe0", AccentTextColor: "#000000", OpenOnLoad: true}
	if b.Web.Widget != want {
		t.Errorf("widget = %+v, want %+v", b.Web.Widget, want)
	}
	if b, _ := buildAcme(t, nil); b.Web.Widget.LauncherText != "Chat with us" {
		t.Errorf("launcher text without an agent name = %q", b.Web.Widget.LauncherText)
	}
}

func TestTextColorOn(t *testing.T) {
	for bg, want := range map[string]string{"#000": "#ffffff", "#ffffff": "#000000", "#2563eb": "#ffffff", "#ffcc00": "#000000", "#767676": "#000000", "#595959": "#ffffff"} {
		if got := textColorOn(bg); got != want {
			t.Errorf("textColorOn(%s) = %s, want %s", bg, got, want)
		}
	}
}

func TestChannelSettingsProblems(t *testing.T) {
	tests := []struct {
		path  string
		value any
		want  string
	}{
		{"web.widget.position", "top-left", `$.web.widget.position: unknown position "top-left": want bottom-right or bottom-left`},
		{"web.widget.accentColor", "blue", `$.web.widget.accentColor: "blue" is not a color: want a CSS hex color #rgb or #rrggbb`},
		{"web.widget.accentColor", "#12345", `$.web.widget.accentColor: "#12345" is not a color`},
		{"web.widget.openOnLoad", "yes", `$.web.widget.openOnLoad: got string "yes", want true or false`},
		{"web.widget", "on", `$.web.widget: got string "on", want an object`},
		{"intake.urgencyKeywords", []any{"flood", " !! "}, `$.intake.urgencyKeywords[1]: "!!" has no words`},
		{"intake.urgencyKeywords", "flood", `$.intake.urgencyKeywords: got string "flood", want an array of strings`},
		{"promptConfig.webGreeting", 7, `$.promptConfig.webGreeting: got number 7, want a string`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) { wantProblem(t, acme, tt.path, tt.value, tt.want) })
	}
}

// wantProblem sets path in file of the valid tree to value and wants Build
// to refuse it with a problem containing want; it returns the problems.
func wantProblem(t *testing.T, file, path string, value any, want string) Problems {
	t.Helper()
	tree := validTree()
	set(t, tree, file, path, value)
	_, err := Build("", tree)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Build: %v, want problems", err)
	}
	if !strings.Contains(ps.Error(), want) {
		t.Errorf("problems:\n%v\nwant one containing %q", ps, want)
	}
	return ps
}

// The shipped configs' web greetings mention no key to press.
func TestShippedWebGreetingsHaveNoKeypad(t *testing.T) {
	s, err := Load(context.Background(), DirSource{Dir: "../../configs"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range s.IDs() {
		b, _ := s.Business(id)
		if g := b.WebGreeting(); keypadRe().MatchString(g) || g == "" {
			t.Errorf("%s: web greeting %q", id, g)
		}
	}
}

func TestPlaceholdersWarn(t *testing.T) {
	_, s := buildAcme(t, func(tr map[string][]byte) {
		set(t, tr, acme, "description", "TODO: what Acme does")
		set(t, tr, acme, "_todo", []any{"TODO: set the phone"})
	})
	got := map[string]string{}
	for _, w := range s.Warnings() {
		if v, ok := w.Placeholder(); ok {
			got[w.Path] = v
		}
	}
	if got["$.description"] != "TODO: what Acme does" || got["$._todo[0]"] != "TODO: set the phone" || len(got) != 2 {
		t.Errorf("placeholder warnings = %v", got)
	}
}

func TestWidgetSnippet(t *testing.T) {
	b := &Business{ID: "acme"}
	want := `<script src="https://chat.example.com/widget.js" data-business="acme" async></script>`
	for _, origin := range []string{"https://chat.example.com", "https://chat.example.com/"} {
		if got := b.WidgetSnippet(origin); got != want {
			t.Errorf("WidgetSnippet(%q) = %s", origin, got)
		}
	}
}
