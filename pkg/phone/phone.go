// Package phone normalizes and checks telephone numbers in E.164 form, the
// form Twilio uses for To/From and businesses.json uses for its keys.
package phone

import (
	"fmt"
	"strings"
)

// separators are the characters people and spreadsheets put inside numbers.
var separators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "", "\u00a0", "", "\t", "")

// Normalize strips spaces, dashes, dots and parentheses, so that
// "+1 (503) 548-4387" and "+1.503.548.4387" both become "+15035484387".
// It does not guess a country code: a number without '+' stays without it
// and fails IsE164.
func Normalize(s string) string {
	return separators.Replace(strings.TrimSpace(s))
}

// IsE164 reports whether s is already a normalized E.164 number: '+', a
// digit 1-9, then 6 to 14 more digits (the language of the regexp
// `^\+[1-9][0-9]{6,14}$`, checked by hand so that no regexp is compiled at
// init).
func IsE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseE164 normalizes s and checks that the result is E.164.
func ParseE164(s string) (string, error) {
	n := Normalize(s)
	if !IsE164(n) {
		return "", fmt.Errorf("%q is not an E.164 phone number (want '+' then country code and number, e.g. +15035550123)", s)
	}
	return n, nil
}
