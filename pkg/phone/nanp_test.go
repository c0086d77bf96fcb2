package phone

import (
	"errors"
	"testing"
)

func TestValidateNANP(t *testing.T) {
	ok := NANP{E164: "+15035550142", Cleaned: "5035550142", ForSpeech: "5 0 3, 5 5 5, 0 1 4 2", Display: "(503) 555-0142"}
	tests := []struct {
		in      string
		want    NANP
		wantErr string
	}{
		{"5035550142", ok, ""},
		{"503-555-0142", ok, ""},
		{"(503) 555-0142", ok, ""},
		{"503.555.0142", ok, ""},
		{"503, 555, 0142", ok, ""},
		{" 1 503 555 0142 ", ok, ""},
		{"+1 (503) 555-0142", ok, ""},
		{"+15035550142", ok, ""},
		{"15035550142", ok, ""},
		{"+1-800-555-0199", NANP{E164: "+18005550199", Cleaned: "8005550199", ForSpeech: "8 0 0, 5 5 5, 0 1 9 9", Display: "(800) 555-0199"}, ""},
		{"", NANP{}, "I didn't get any digits"},
		{"503-555-CALL", NANP{}, "a phone number can only have digits, and that has letters in it"},
		{"1-800-FLOWERS", NANP{}, "a phone number can only have digits, and that has letters in it"},
		{"503 555 014", NANP{}, "that has 9 digits; a US number has 10"},
		{"555 0142", NANP{}, "that has 7 digits; a US number has 10"},
		{"5", NANP{}, "that has 1 digit; a US number has 10"},
		{"503 555 01422", NANP{}, "that has 11 digits; a US number has 10, or 11 starting with a 1"},
		{"503 555 014 2222", NANP{}, "that has 13 digits; a US number has 10"},
		{"+44 20 7946 0958", NANP{}, "that isn't a US or Canadian number; I can only take numbers with a US or Canadian area code"},
		{"023 555 0142", NANP{}, "the area code can't start with zero"},
		{"123 555 0142", NANP{}, "the area code can't start with one"},
		{"1 123 555 0142", NANP{}, "the area code can't start with one"},
		{"503 055 0142", NANP{}, "the three digits after the area code can't start with zero"},
		{"503 155 0142", NANP{}, "the three digits after the area code can't start with one"},
		{"503#555#0142", NANP{}, `a phone number can't have a '#' in it`},
		{"503 555 0142 +", NANP{}, `a phone number can't have a '+' in it`},
	}
	for _, tt := range tests {
		got, err := ValidateNANP(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Errorf("ValidateNANP(%q): error %T is not *InvalidError", tt.in, err)
			}
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("ValidateNANP(%q) = %+v, %q; want %+v, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
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
		got := DigitRuns(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("DigitRuns(%q) = %+v; want %+v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("DigitRuns(%q)[%d] = %+v; want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestValidateSpokenNumber(t *testing.T) {
	n, err := ValidateNANP(DigitsFromSpeech("five oh three, five five five, zero one four two"))
	if err != nil || n.E164 != "+15035550142" {
		t.Fatalf("got %+v, %v", n, err)
	}
}
