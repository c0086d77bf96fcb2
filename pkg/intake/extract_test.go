package intake

import (
	"testing"

	"github.com/ahca/ahca/pkg/speech"
)

func TestCleanReason(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Um, so, I'm calling because my fence blew down.", "My fence blew down"},
		{"yeah I need to get a quote for a new gate", "Get a quote for a new gate"},
		{"I'd like a quote for a cedar fence", "I'd like a quote for a cedar fence"},
		{"I'm calling about my cat's prescription", "My cat's prescription"},
		{"the reason I'm calling is the gate won't latch", "The gate won't latch"},
		{"  well, basically the gate's broken  ", "The gate's broken"},
		{"Hi", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := cleanReason(tt.in); got != tt.want {
			t.Errorf("cleanReason(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestLeftover(t *testing.T) {
	// The spans are what speech.FindName/FindPhone/FindEmail return for these.
	tests := []struct {
		in   string
		want string
	}{
		{"This is Jamie Rivera, my number is 503 555 0142, my fence blew down", "my fence blew down"},
		{"Hi, I'm Jamie and my gate won't latch", "and my gate won't latch"},
		{"my email is sam at example dot com and I want a demo", "and I want a demo"},
		{"My fence blew down, my number is 503 555 0142, and the gate too", "My fence blew down, and the gate too"},
		{"my fence and gate blew down", "my fence and gate blew down"},
		{"Hi, this is", ""},
	}
	for _, tt := range tests {
		var cut []span
		rest := tt.in
		if e, ok := speech.FindEmail(rest); ok {
			cut = append(cut, e.Span)
			rest = blank(rest, e.Span)
		}
		if p, ok := speech.FindPhone(rest, false); ok {
			cut = append(cut, p.Span)
			rest = blank(rest, p.Span)
		}
		if n, ok := speech.FindName(rest, speech.NameMode{}); ok {
			cut = append(cut, n.Span)
		}
		if got := leftover(tt.in, cut...); got != tt.want {
			t.Errorf("leftover(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestYesNo(t *testing.T) {
	tests := []struct {
		in      string
		yes, no bool
	}{
		{"yes", true, false},
		{"Yep, that's right.", true, false},
		{"correct", true, false},
		{"sure", true, false},
		{"that's right", true, false},
		{"no", false, true},
		{"Nope.", false, true},
		{"no, that's wrong", false, true},
		{"that's not right", false, true},
		{"No, that's correct", true, false},
		{"actually my name is Sam", false, true},
		{"no problem", false, false},
		{"what are your hours", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		yes, no := yesNo(tt.in)
		if yes != tt.yes || no != tt.no {
			t.Errorf("yesNo(%q) = %v, %v; want %v, %v", tt.in, yes, no, tt.yes, tt.no)
		}
	}
}

func TestFindQuestions(t *testing.T) {
	tests := []struct {
		in     string
		topics [][]topic // per question found
	}{
		{"What are your hours?", [][]topic{{topicHours}}},
		{"when do you open", [][]topic{{topicHours}}},
		{"Hi, this is Jamie, where are you located?", [][]topic{{topicAddress}}},
		{"What are your hours? Also, what's your website?", [][]topic{{topicHours}, {topicWebsite}}},
		{"what do you guys do", [][]topic{{topicServices}}},
		{"Do you install vinyl fences?", [][]topic{{topicServices}}},
		{"What's your email address?", [][]topic{{topicEmail}}},
		{"Do you need my email?", [][]topic{nil}},
		{"What's your phone number?", [][]topic{{topicPhone}}},
		{"Am I talking to a real person? Is this a robot?", [][]topic{{topicAgent}, {topicAgent}}},
		{"Can I speak to someone?", [][]topic{{topicPerson}}},
		{"How much does a fence cost?", [][]topic{nil}},
		{"Can you come out tomorrow to fix my gate?", nil}, // a request: the reason, not a question
		{"Can you tell me your hours?", [][]topic{{topicHours}}},
		{"My gate is broken.", nil},
		{"My gate won't close", nil},
		{"I was wondering what your hours are", [][]topic{{topicHours}}},
	}
	for _, tt := range tests {
		qs := findQuestions(tt.in)
		var got [][]topic
		for _, q := range qs {
			got = append(got, q.topics)
		}
		if len(got) != len(tt.topics) {
			t.Errorf("findQuestions(%q) = %v; want %v", tt.in, got, tt.topics)
			continue
		}
		for i := range got {
			if len(got[i]) != len(tt.topics[i]) || (len(got[i]) > 0 && got[i][0] != tt.topics[i][0]) {
				t.Errorf("findQuestions(%q) = %v; want %v", tt.in, got, tt.topics)
			}
		}
	}
}

func TestMentionedField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"the number is wrong", fieldPhone},
		{"you spelled my name wrong", fieldName},
		{"the email", fieldEmail},
		{"the reason", fieldReason},
		{"my name and number", ""},
		{"no", ""},
	}
	for _, tt := range tests {
		if got := mentionedField(tt.in); got != tt.want {
			t.Errorf("mentionedField(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
