package tools

import (
	"strings"
	"testing"
)

func TestDefuse(t *testing.T) {
	for _, in := range []string{
		"click http://evil.example/pay now",
		"see www.evil.example",
		`she said "call https://x.y.z" ok`,
		"EVIL.COM/login",
	} {
		got := Defuse(in)
		if strings.Contains(got, "://") || strings.Contains(got, `"`) || regexpDomain(got) {
			t.Errorf("Defuse(%q) = %q: a link survived", in, got)
		}
	}
	if got := Defuse("My fence blew down, call me"); got != "My fence blew down, call me" {
		t.Errorf("plain words changed: %q", got)
	}
}

func regexpDomain(s string) bool { return domainRE().MatchString(s) }
