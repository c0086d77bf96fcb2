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
