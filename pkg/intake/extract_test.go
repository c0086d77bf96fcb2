package intake

import (
	"testing"
)

func TestFindName(t *testing.T) {
	asked := nameMode{asked: true}
	correcting := nameMode{correct: true}
	tests := []struct {
		in   string
		mode nameMode
		want string
		part string
	}{
		// Triggers.
		{"my name is Jamie Rivera", nameMode{}, "Jamie Rivera", ""},
		{"My name's jamie rivera and my fence is down", nameMode{}, "Jamie Rivera", ""},
		{"This is Jamie Rivera, my number is 503 555 0142", nameMode{}, "Jamie Rivera", ""},
		{"Hi, I'm Jamie and my gate won't latch", nameMode{}, "Jamie", ""},
		{"I am Sam Lee.", nameMode{}, "Sam Lee", ""},
		{"You can call me Sam", nameMode{}, "Sam", ""},
		{"Jamie Rivera here, my fence blew down", nameMode{}, "Jamie Rivera", ""},
		{"Jamie speaking", nameMode{}, "Jamie", ""},
		{"my last name is Rivera", nameMode{}, "Rivera", "last"},
		{"my first name is Jamie", nameMode{}, "Jamie", "first"},
		// Weak triggers only when asked or correcting.
		{"it's Jamie", asked, "Jamie", ""},
		{"It's Jamie", nameMode{}, "", ""},
		{"no, it's Sam", correcting, "Sam", ""},
		{"no it's sam", correcting, "Sam", ""},
		{"no, it's wrong", correcting, "", ""},
		{"that's correct", correcting, "", ""},
		// Bare answers to "may I have your name?".
		{"Jamie Rivera", asked, "Jamie Rivera", ""},
		{"jamie rivera", asked, "Jamie Rivera", ""},
		{"Yeah, Jamie.", asked, "Jamie", ""},
		{"Sure, it's Pat O'Brien", asked, "Pat O'Brien", ""},
		{"o'brien", asked, "O'Brien", ""},
		{"MARY-JANE WATSON", asked, "Mary-Jane Watson", ""},
		{"McDonald", asked, "McDonald", ""},
		{"Ludwig van Beethoven", asked, "Ludwig van Beethoven", ""},
		{"Jamie Rivera and my number is 503 555 0142", asked, "Jamie Rivera", ""},
		// Spelled names.
		{"J A M I E", asked, "Jamie", ""},
		{"J-A-M-I-E", asked, "Jamie", ""},
		{"j. a. m. i. e.", asked, "Jamie", ""},
		{"Jamie, J A M I E", asked, "Jamie", ""},
		{"Katelyn, that's K A I T L Y N", asked, "Kaitlyn", ""},
		{"my name is jamie, R I V E R A", nameMode{}, "Jamie Rivera", ""},
		{"it's spelled P A T T", asked, "Patt", ""},
		// Not names.
		{"yes", asked, "", ""},
		{"no", asked, "", ""},
		{"503 555 0142", asked, "", ""},
		{"I'm calling about my fence", nameMode{}, "", ""},
		{"I'm locked out", asked, "", ""},
		{"this is urgent", nameMode{}, "", ""},
		{"hi i'm jamie", nameMode{}, "Jamie", ""},                         // lower case: the name ends its clause
		{"hi this is jamie, my fence is broken", nameMode{}, "Jamie", ""}, //
		{"i'm curious about vinyl fencing", nameMode{}, "", ""},
		{"I'm locked out of the yard", nameMode{}, "", ""},
		{"this is ridiculous", nameMode{}, "", ""},
		{"my dog's name is Max", nameMode{}, "", ""},
		{"please call me back at 503 555 0142", nameMode{}, "", ""},
		{"my fence blew down", asked, "", ""},
		{"", asked, "", ""},
	}
	for _, tt := range tests {
		got, ok := findName(tt.in, tt.mode)
		if !ok {
			got = nameHit{}
		}
		if got.name != tt.want || got.part != tt.part {
			t.Errorf("findName(%q, %+v) = %q (part %q); want %q (part %q)", tt.in, tt.mode, got.name, got.part, tt.want, tt.part)
		}
	}
}

func TestFindPhone(t *testing.T) {
	tests := []struct {
		in      string
		asked   bool
		want    string // E.164
		wantErr string // "" and want "" means no number found
	}{
		{"503 555 0142", false, "+15035550142", ""},
		{"my number is (503) 555-0142.", false, "+15035550142", ""},
		{"It's 503.555.0142", false, "+15035550142", ""},
		{"1-503-555-0142", false, "+15035550142", ""},
		{"+1 503 555 0142", false, "+15035550142", ""},
		{"five oh three five five five zero one four two", false, "+15035550142", ""},
		{"Five oh three, five five five, oh one four two.", false, "+15035550142", ""},
		{"503 five five five 0142", false, "+15035550142", ""},
		{"five o three double five five o one four two", false, "+15035550142", ""},
		{"five oh three triple five oh one four two", false, "+15035550142", ""},
		{"five oh three five fifty five oh one forty two", false, "+15035550142", ""},
		{"This is Jamie, 503 555 0142, my 6 foot fence blew down", false, "+15035550142", ""},
		{"555 0142", true, "", "that has 7 digits; a US number has 10"},
		{"503 555 014", true, "", "that has 9 digits; a US number has 10"},
		{"503-555-CALL", true, "", "a phone number can only have digits, and that has letters in it"},
		{"503 555 CALL", true, "", "a phone number can only have digits, and that has letters in it"},
		{"023 555 0142", true, "", "the area code can't start with zero"},
		{"503 155 0142", true, "", "the three digits after the area code can't start with one"},
		{"I have 2 dogs", true, "", "that has 1 digit; a US number has 10"},
		{"I have 2 dogs", false, "", ""},
		{"a six foot fence", false, "", ""},
		{"oh, okay", true, "", ""},
		{"", true, "", ""},
	}
	for _, tt := range tests {
		got, ok := findPhone(tt.in, tt.asked)
		gotE164, gotErr := "", ""
		if ok {
			gotE164 = got.num.E164
			if got.err != nil {
				gotErr = got.err.Error()
			}
		}
		if gotE164 != tt.want || gotErr != tt.wantErr {
			t.Errorf("findPhone(%q, %v) = %q, %q; want %q, %q", tt.in, tt.asked, gotE164, gotErr, tt.want, tt.wantErr)
		}
	}
}

func TestFindEmail(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		valid bool
	}{
		{"matt@gmail.com", "matt@gmail.com", true},
		{"My email is Matt@Gmail.com.", "matt@gmail.com", true},
		{"jamie.rivera+fence@example.com", "jamie.rivera+fence@example.com", true},
		{"j o h n at gmail dot com", "john@gmail.com", true},
		{"it's j-o-h-n at gmail dot com", "john@gmail.com", true},
		{"john dot smith at example dot org", "john.smith@example.org", true},
		{"my email is sam at example dot com", "sam@example.com", true},
		{"John at Gmail.com", "john@gmail.com", true},
		{"john underscore doe at example dot co dot uk", "john_doe@example.co.uk", true},
		{"dana dot whitfield at acme dash roofing dot com", "dana.whitfield@acme-roofing.com", true},
		{"s a m at e x a m p l e dot com", "sam@example.com", true},
		{"sam at sign example dot com", "sam@example.com", true},
		{"It's sam at example dot com, thanks", "sam@example.com", true},
		{"call me at 503 555 0142", "", false},
		{"I'm at home", "", false},
		{"jamie@example", "jamie@example", false},
		{"john at gmail dot c", "john@gmail.c", false},
		{"dana at acme", "dana@acme", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := findEmail(tt.in)
		if !ok {
			got = emailHit{}
		}
		if got.email != tt.want || got.valid != tt.valid {
			t.Errorf("findEmail(%q) = %q (valid %v); want %q (valid %v)", tt.in, got.email, got.valid, tt.want, tt.valid)
		}
	}
}

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
	// The spans are what findName/findPhone/findEmail return for these.
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
		if e, ok := findEmail(rest); ok {
			cut = append(cut, e.span)
			rest = blank(rest, e.span)
		}
		if p, ok := findPhone(rest, false); ok {
			cut = append(cut, p.span)
			rest = blank(rest, p.span)
		}
		if n, ok := findName(rest, nameMode{}); ok {
			cut = append(cut, n.span)
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
