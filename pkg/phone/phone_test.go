package phone

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseE164(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"+15035484387", "+15035484387", false},
		{"+1 (503) 548-4387", "+15035484387", false},
		{"+1.503.548.4387", "+15035484387", false},
		{" +44 20 7946 0958 ", "+442079460958", false},
		{"5035484387", "", true},
		{"+0123456789", "", true},
		{"+1503CALLNOW", "", true},
		{"", "", true},
		{"+1234567890123456", "", true},
		{"+1234567", "+1234567", false},
		{"+123456", "", true},
		{"+123456789012345", "+123456789012345", false},
		{"+01234567", "", true},
		{"+", "", true},
		{"++1234567", "", true},
		{"+1234567x", "", true},
		{"+١234567", "", true},
	}
	for _, tt := range tests {
		got, err := ParseE164(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseE164(%q) = %q, %v; want %q, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestIsE164MatchesRegexp checks the hand-written IsE164 against the regexp
// it replaced.
func TestIsE164MatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	for _, s := range []string{"", "+", "+1", "+123456", "+1234567", "+01234567", "+1234567\n", "\n+1234567",
		"+123456789012345", "+1234567890123456", "1234567", "++1234567", "+12345 67", "+١234567", "+1234567a"} {
		if got, want := IsE164(s), re.MatchString(s); got != want {
			t.Errorf("IsE164(%q) = %v, regexp says %v", s, got, want)
		}
	}
	for n := 0; n <= 18; n++ {
		for _, first := range "019" {
			s := "+" + string(first) + strings.Repeat("5", n)
			if got, want := IsE164(s), re.MatchString(s); got != want {
				t.Errorf("IsE164(%q) = %v, regexp says %v", s, got, want)
			}
		}
	}
}
