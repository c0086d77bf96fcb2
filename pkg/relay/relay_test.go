package relay

import (
	"strings"
	"testing"
)

func TestPhrases(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"Hi.", 1},
		{"Thanks for calling Superior Fence and Construction, this is Riley. If a fence or gate has failed and it can't wait, press pound now. Otherwise, how can I help?", 3},
		{"Got it. Thanks. What's your name?", 1},
		{"Version 2.5 is out. It has many new features for everyone to enjoy today!", 1},
	}
	for _, tt := range tests {
		got := Phrases(tt.in)
		if len(got) != tt.want {
			t.Errorf("Phrases(%q) = %q (%d), want %d phrases", tt.in, got, len(got), tt.want)
		}
		if strings.Join(got, "") != tt.in {
			t.Errorf("Phrases(%q) lost text: %q", tt.in, got)
		}
		for i, p := range got[:max(0, len(got)-1)] {
			if len(p) < MinPhrase {
				t.Errorf("phrase %d %q shorter than %d", i, p, MinPhrase)
			}
		}
	}
}
