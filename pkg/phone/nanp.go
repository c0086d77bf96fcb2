package phone

import (
	"fmt"
	"strings"
	"unicode"
)

// NANP is a validated North American Numbering Plan number (US, Canada and
// the other +1 countries) in the forms the agent needs.
type NANP struct {
	E164    string // "+15035550142": what is stored and dialled
	Cleaned string // "5035550142": ten digits, no country code
	// ForSpeech groups the digits 3-3-4 with every digit separated, so that
	// text-to-speech reads them one by one: "5 0 3, 5 5 5, 0 1 4 2".
	ForSpeech string
	Display   string // "(503) 555-0142": for screens and emails
}

// String returns the display form.
func (n NANP) String() string { return n.Display }

// InvalidError says why a number is not a valid NANP number, in words an
// agent can say to the caller ("that has 9 digits; a US number has 10").
type InvalidError struct {
	Reason string
	Digits int // how many digits were found
}

func (e *InvalidError) Error() string { return e.Reason }

func invalid(digits int, format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...), Digits: digits}
}

// ValidateNANP checks s with the NANP rules the original service's
// validate_phone_number tool applied: letters are rejected; the number has
// 10 digits, or 11 with a leading 1 (a "+" may precede it); the area code
// and the exchange code (the three digits after it) may not start with 0 or
// 1. Spaces, dashes, dots, commas, slashes and parentheses are ignored.
// Spoken numbers ("five oh three ...") are not understood here: convert them
// with speech.DigitsFromSpeech first (speech.CheckPhone does both).
func ValidateNANP(s string) (NANP, error) {
	s = strings.TrimSpace(s)
	var digits []byte
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case unicode.IsLetter(r):
			return NANP{}, invalid(len(digits), "a phone number can only have digits, and that has letters in it")
		case r == '+' && i == 0:
			plus = true
		case unicode.IsSpace(r) || strings.ContainsRune("-.,/()", r):
		default:
			return NANP{}, invalid(len(digits), "a phone number can't have a %q in it", r)
		}
	}
	n := len(digits)
	switch {
	case n == 0:
		return NANP{}, invalid(0, "I didn't get any digits")
	case plus && digits[0] != '1':
		return NANP{}, invalid(n, "that isn't a US or Canadian number; I can only take numbers with a US or Canadian area code")
	case n == 11 && digits[0] == '1':
		digits = digits[1:]
	case n == 11:
		return NANP{}, invalid(n, "that has 11 digits; a US number has 10, or 11 starting with a 1")
	case n != 10:
		return NANP{}, invalid(n, "that has %d %s; a US number has 10", n, plural(n, "digit", "digits"))
	}
	if digits[0] == '0' || digits[0] == '1' {
		return NANP{}, invalid(n, "the area code can't start with %s", digitName(digits[0]))
	}
	if digits[3] == '0' || digits[3] == '1' {
		return NANP{}, invalid(n, "the three digits after the area code can't start with %s", digitName(digits[3]))
	}
	d := string(digits)
	return NANP{
		E164:      "+1" + d,
		Cleaned:   d,
		ForSpeech: spaced(d[:3]) + ", " + spaced(d[3:6]) + ", " + spaced(d[6:]),
		Display:   "(" + d[:3] + ") " + d[3:6] + "-" + d[6:],
	}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func digitName(b byte) string {
	if b == '0' {
		return "zero"
	}
	return "one"
}

// spaced separates every character with a space: "503" → "5 0 3".
func spaced(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
