package contact

import (
	"strings"

	"github.com/ahca/ahca/pkg/speech"
)

// NormalizeEmail returns the address s gives, lower-cased, and whether s is
// one complete address and nothing else. Written, spelled and spoken forms
// are accepted:
//
//	"matt@gmail.com"                      → "matt@gmail.com"
//	"Matt.Smith+x@Example.COM"            → "matt.smith+x@example.com"
//	"j o h n at gmail dot com"            → "john@gmail.com"
//	"john dot smith at example dot org"   → "john.smith@example.org"
//	"john underscore doe at example dot co dot uk" → "john_doe@example.co.uk"
//
// The whole address is lower-cased, local part included: every mainstream
// provider treats local parts case-insensitively, spoken and spelled forms
// carry no case at all, and one spelling per address keeps comparisons and
// read-backs simple. Only ASCII addresses are accepted (no internationalized
// domains or local parts). Text around the address ("my email is ...") is
// not accepted: pass the address alone; FindEmail reads addresses out of
// free text (speech.FindEmail).
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "mailto:")
	m, ok := speech.FindEmail(s)
	if !ok || !m.Valid {
		return "", false
	}
	if hasWordChar(s[:m.Start]) || hasWordChar(s[m.End:]) {
		return "", false
	}
	return m.Email, true
}

// ValidEmail reports whether s, taken as written, has the shape of a
// complete lower-case ASCII email address: a local part, "@", and a domain
// of at least two labels whose last is two or more letters.
func ValidEmail(s string) bool { return speech.ValidEmail(s) }

func hasWordChar(s string) bool {
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			return true
		}
	}
	return false
}
