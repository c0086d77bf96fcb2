// Package testtext checks a text for the phrases a test wants in it and
// the ones it must not have.
package testtext

import (
	"strings"
	"testing"
)

// Check reports "<what> lacks <w>" for every w of want not in text and
// "<what> has <w>" for every w of notWant in it, each with the text.
func Check(tb testing.TB, what, text string, want, notWant []string) {
	tb.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			tb.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
	for _, w := range notWant {
		if strings.Contains(text, w) {
			tb.Errorf("%s has %q:\n%s", what, w, text)
		}
	}
}
