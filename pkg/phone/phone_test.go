package phone

import "testing"

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
	}
	for _, tt := range tests {
		got, err := ParseE164(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseE164(%q) = %q, %v; want %q, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
