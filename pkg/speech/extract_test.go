package speech

import (
	"slices"
	"testing"
)

func TestFindName(t *testing.T) {
	asked := NameMode{Asked: true}
	correcting := NameMode{Correct: true}
	tests := []struct {
		in   string
		mode NameMode
		want string
		part string
	}{
		// Triggers.
		{"my name is Jamie Rivera", NameMode{}, "Jamie Rivera", ""},
		{"My name's jamie rivera and my fence is down", NameMode{}, "Jamie Rivera", ""},
		{"This is Jamie Rivera, my number is 503 555 0142", NameMode{}, "Jamie Rivera", ""},
		{"Hi, I'm Jamie and my gate won't latch", NameMode{}, "Jamie", ""},
		{"I am Sam Lee.", NameMode{}, "Sam Lee", ""},
		{"You can call me Sam", NameMode{}, "Sam", ""},
		{"Jamie Rivera here, my fence blew down", NameMode{}, "Jamie Rivera", ""},
		{"Jamie speaking", NameMode{}, "Jamie", ""},
		{"my last name is Rivera", NameMode{}, "Rivera", "last"},
		{"my first name is Jamie", NameMode{}, "Jamie", "first"},
		// Weak triggers only when asked or correcting.
		{"it's Jamie", asked, "Jamie", ""},
		{"It's Jamie", NameMode{}, "", ""},
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
		{"my name is jamie, R I V E R A", NameMode{}, "Jamie Rivera", ""},
		{"it's spelled P A T T", asked, "Patt", ""},
		// Not names.
		{"yes", asked, "", ""},
		{"no", asked, "", ""},
		{"503 555 0142", asked, "", ""},
		{"I'm calling about my fence", NameMode{}, "", ""},
		{"I'm locked out", asked, "", ""},
		{"this is urgent", NameMode{}, "", ""},
		{"hi i'm jamie", NameMode{}, "Jamie", ""},                         // lower case: the name ends its clause
		{"hi this is jamie, my fence is broken", NameMode{}, "Jamie", ""}, //
		{"i'm curious about vinyl fencing", NameMode{}, "", ""},
		{"I'm locked out of the yard", NameMode{}, "", ""},
		{"this is ridiculous", NameMode{}, "", ""},
		{"my dog's name is Max", NameMode{}, "", ""},
		{"please call me back at 503 555 0142", NameMode{}, "", ""},
		{"my fence blew down", asked, "", ""},
		{"", asked, "", ""},
	}
	for _, tt := range tests {
		got, ok := FindName(tt.in, tt.mode)
		if !ok {
			got = NameHit{}
		}
		if got.Name != tt.want || got.Part != tt.part {
			t.Errorf("FindName(%q, %+v) = %q (part %q); want %q (part %q)", tt.in, tt.mode, got.Name, got.Part, tt.want, tt.part)
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
		got, ok := FindPhone(tt.in, tt.asked)
		gotE164, gotErr := "", ""
		if ok {
			gotE164 = got.Number.E164
			if got.Err != nil {
				gotErr = got.Err.Error()
			}
		}
		if gotE164 != tt.want || gotErr != tt.wantErr {
			t.Errorf("FindPhone(%q, %v) = %q, %q; want %q, %q", tt.in, tt.asked, gotE164, gotErr, tt.want, tt.wantErr)
		}
	}
}

func TestFindEmail(t *testing.T) {
	tests := []struct {
		in         string
		want       string
		valid      bool
		start, end int // -1: not checked
	}{
		{"matt@gmail.com", "matt@gmail.com", true, 0, 14},
		{"My email is Matt@Gmail.com.", "matt@gmail.com", true, 12, 26},
		{"jamie.rivera+fence@example.com", "jamie.rivera+fence@example.com", true, -1, -1},
		{"j o h n at gmail dot com", "john@gmail.com", true, -1, -1},
		{"it's j-o-h-n at gmail dot com", "john@gmail.com", true, -1, -1},
		{"john dot smith at example dot org", "john.smith@example.org", true, -1, -1},
		{"my email is sam at example dot com", "sam@example.com", true, -1, -1},
		{"John at Gmail.com", "john@gmail.com", true, -1, -1},
		{"john underscore doe at example dot co dot uk", "john_doe@example.co.uk", true, -1, -1},
		{"dana dot whitfield at acme dash roofing dot com", "dana.whitfield@acme-roofing.com", true, -1, -1},
		{"s a m at e x a m p l e dot com", "sam@example.com", true, -1, -1},
		{"sam at sign example dot com", "sam@example.com", true, -1, -1},
		{"It's sam at example dot com, thanks", "sam@example.com", true, 5, 27},
		{"send it to contact@acme.com please", "contact@acme.com", true, 11, 27},
		{"call me at 503 555 0142", "", false, -1, -1},
		{"I'm at home", "", false, -1, -1},
		{"jamie@example", "jamie@example", false, -1, -1},
		{"john at gmail dot c", "john@gmail.c", false, -1, -1},
		{"dana at acme", "dana@acme", false, 0, 12},
		{"", "", false, -1, -1},
	}
	for _, tt := range tests {
		got, ok := FindEmail(tt.in)
		if !ok {
			got = EmailMatch{}
		}
		if got.Email != tt.want || got.Valid != tt.valid || tt.start >= 0 && (got.Start != tt.start || got.End != tt.end) {
			t.Errorf("FindEmail(%q) = %+v; want %q (valid %v) at %d-%d", tt.in, got, tt.want, tt.valid, tt.start, tt.end)
		}
	}
}

func TestDigitsFromSpeech(t *testing.T) {
	tests := []struct{ in, want string }{
		{"five oh three five five five zero one four two", "5035550142"},
		{"Five Oh Three, five five five, zero one four two.", "5035550142."},
		{"503 five five five 0142", "5035550142"},
		{"five o three five five five o one four two", "5035550142"},
		{"five oh three double five five oh one four two", "5035550142"},
		{"five oh three triple five oh one four two", "5035550142"},
		{"five oh three five fifty five oh one forty two", "5035550142"},
		{"one eight hundred five five five one two one two", "18005551212"},
		{"five oh three, five five five, twenty one hundred", "5035552100"},
		{"my number is 503-555-0142 thanks", "my number is 5035550142 thanks"},
		{"my number is (503) 555-0142.", "my number is 5035550142."},
		{"call +1 503 555 0142", "call +15035550142"},
		{"503.555.0142", "5035550142"},
		{"five-oh-three", "503"},
		{"oh, okay", "oh, okay"},
		{"Oh, five oh three", "Oh, 503"},
		{"j o h n at gmail dot com", "j o h n at gmail dot com"},
		{"I have two dogs", "I have 2 dogs"},
		{"I'm 42. My number is 503 555 0142", "I'm 42. My number is 5035550142"},
		{"nothing to see here", "nothing to see here"},
		{"", ""},
		{"nineteen seventy", "1970"},
		{"double", "double"},
		{"five hundred and two", "502"},
	}
	for _, tt := range tests {
		if got := DigitsFromSpeech(tt.in); got != tt.want {
			t.Errorf("DigitsFromSpeech(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestDigitRuns(t *testing.T) {
	tests := []struct {
		in   string
		want []DigitRun
	}{
		{"this is Jamie, 503 555 0142, my fence blew down", []DigitRun{{Start: 15, End: 27, Digits: "5035550142"}}},
		{"(503) 555-0142 or 971 555 0178", []DigitRun{{Start: 0, End: 14, Digits: "5035550142"}, {Start: 18, End: 30, Digits: "9715550178"}}},
		{"+1 503 555 0142", []DigitRun{{Start: 0, End: 15, Digits: "15035550142", Plus: true}}},
		{"six foot fence", []DigitRun{{Start: 0, End: 3, Digits: "6"}}},
		{"no digits", nil},
	}
	for _, tt := range tests {
		if got := DigitRuns(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("DigitRuns(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestCheckPhone(t *testing.T) {
	n, err := CheckPhone("five oh three, five five five, zero one four two")
	if err != nil || n.E164 != "+15035550142" {
		t.Fatalf("got %+v, %v", n, err)
	}
}

func TestFormatName(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"jamie", "rivera"}, "Jamie Rivera"},
		{[]string{"JAMIE"}, "Jamie"},
		{[]string{"o'brien"}, "O'Brien"},
		{[]string{"mary-jane"}, "Mary-Jane"},
		{[]string{"McDonald"}, "McDonald"},
		{[]string{"Ludwig", "van", "Beethoven"}, "Ludwig van Beethoven"},
		{[]string{"d'arcy"}, "D'Arcy"},
	}
	for _, tt := range tests {
		if got := FormatName(tt.in); got != tt.want {
			t.Errorf("FormatName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
