package phone

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
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
// with DigitsFromSpeech first.
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

// DigitRun is a stretch of text that spells a number: written digits,
// number words, or both mixed, with the separators people put between the
// groups.
type DigitRun struct {
	Start, End int    // byte offsets of the run in the text
	Digits     string // the digits it spells
	Plus       bool   // it starts with "+"
}

// DigitsFromSpeech replaces every run of spoken or written digits in text
// with the digits it spells, so that what a speech-to-text engine wrote as
// "five oh three five five five zero one four two" becomes "5035550142" and
// "my number is 503 five five five 0142" becomes "my number is 5035550142".
// It understands zero to nine, "oh" and "o" for zero (next to other digits
// only), "double"/"triple" before a digit, ten to nineteen, tens with an
// optional unit ("forty two" → 42) and "hundred"/"thousand" after a digit
// ("eight hundred" → 800, "five fifty five" → 555). Other words are left as
// they were.
func DigitsFromSpeech(text string) string {
	runs := DigitRuns(text)
	if len(runs) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, r := range runs {
		b.WriteString(text[last:r.Start])
		if r.Plus {
			b.WriteByte('+')
		}
		b.WriteString(r.Digits)
		last = r.End
	}
	b.WriteString(text[last:])
	return b.String()
}

var units = map[string]byte{
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5',
	"six": '6', "seven": '7', "eight": '8', "nine": '9', "niner": '9',
}

var teens = map[string]string{
	"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
	"fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}

var tens = map[string]byte{
	"twenty": '2', "thirty": '3', "forty": '4', "fourty": '4', "fifty": '5',
	"sixty": '6', "seventy": '7', "eighty": '8', "ninety": '9',
}

// token is a word, a number or one punctuation character of a text.
type token struct {
	start, end int
	text       string // lower-cased
	kind       tokKind
	spaceAfter bool // white space follows before the next token
}

type tokKind int

const (
	tokWord tokKind = iota
	tokNumber
	tokPunct
)

func tokenize(text string) []token {
	var toks []token
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			if n := len(toks); n > 0 {
				toks[n-1].spaceAfter = true
			}
			i += size
		case r >= '0' && r <= '9':
			j := i
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			toks = append(toks, token{start: i, end: j, text: text[i:j], kind: tokNumber})
			i = j
		case unicode.IsLetter(r) || r == '\'' || r == '\u2019':
			j := i
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !unicode.IsLetter(r2) && r2 != '\'' && r2 != '\u2019' {
					break
				}
				j += s2
			}
			toks = append(toks, token{start: i, end: j, text: strings.ToLower(text[i:j]), kind: tokWord})
			i = j
		default:
			toks = append(toks, token{start: i, end: i + size, text: text[i : i+size], kind: tokPunct})
			i += size
		}
	}
	return toks
}

// DigitRuns finds the runs of written or spoken digits in text, in order.
// Groups separated by spaces, dashes, parentheses, commas, slashes or dots
// between digits ("503.555.0142") belong to one run; any other word ends a
// run. A run made only of "oh"/"o" is not a number ("oh, okay").
func DigitRuns(text string) []DigitRun {
	toks := tokenize(text)
	var runs []DigitRun
	for i := 0; i < len(toks); {
		run, next, ok := scanRun(toks, i)
		if ok {
			runs = append(runs, run)
			i = next
			continue
		}
		i++
	}
	return runs
}

// digitAt converts the number words or digits starting at toks[i] into
// digits. It returns the digits, the index after what it consumed, whether
// something was consumed, and whether it was a "strong" digit (not a lone
// "oh"/"o", which might just be an interjection).
func digitAt(toks []token, i int) (digits string, next int, ok, strong bool) {
	t := toks[i]
	if t.kind == tokNumber {
		return t.text, i + 1, true, true
	}
	if t.kind != tokWord {
		return "", i, false, false
	}
	word := func(j int) string {
		if j < len(toks) && toks[j].kind == tokWord {
			return toks[j].text
		}
		return ""
	}
	switch w := t.text; {
	case w == "oh" || w == "o":
		return "0", i + 1, true, false
	case w == "double" || w == "triple":
		if i+1 < len(toks) {
			d, n, ok := singleDigit(toks, i+1)
			if ok {
				times := 2
				if w == "triple" {
					times = 3
				}
				return strings.Repeat(d, times), n, true, true
			}
		}
	case units[w] != 0:
		d := string(units[w])
		switch word(i + 1) {
		case "hundred":
			j := i + 2
			if word(j) == "and" {
				if rest, n, ok := tensOrUnit(toks, j+1, true); ok {
					return d + rest, n, true, true
				}
			}
			if rest, n, ok := tensOrUnit(toks, j, false); ok {
				return d + rest, n, true, true
			}
			return d + "00", j, true, true
		case "thousand":
			return d + "000", i + 2, true, true
		}
		return d, i + 1, true, true
	case teens[w] != "":
		if word(i+1) == "hundred" { // "nineteen hundred"
			return teens[w] + "00", i + 2, true, true
		}
		return teens[w], i + 1, true, true
	case tens[w] != 0:
		d := string(tens[w]) + "0"
		n := i + 1
		if u := word(n); units[u] != 0 && u != "zero" {
			d, n = string(tens[w])+string(units[u]), n+1
		}
		if word(n) == "hundred" { // "twenty one hundred"
			return d + "00", n + 1, true, true
		}
		return d, n, true, true
	}
	return "", i, false, false
}

// singleDigit reads one digit word, "oh" or a one-digit number.
func singleDigit(toks []token, i int) (string, int, bool) {
	t := toks[i]
	switch {
	case t.kind == tokNumber && len(t.text) == 1:
		return t.text, i + 1, true
	case t.kind == tokWord && (t.text == "oh" || t.text == "o"):
		return "0", i + 1, true
	case t.kind == tokWord && units[t.text] != 0:
		return string(units[t.text]), i + 1, true
	}
	return "", i, false
}

// tensOrUnit reads the two digits after "hundred": "fifty five" → 55,
// "twelve" → 12 and, when unit is set (after "hundred and"), "two" → 02.
// Without "and", a digit after "hundred" starts the next group: "one eight
// hundred five five five" is 1 800 555.
func tensOrUnit(toks []token, i int, unit bool) (string, int, bool) {
	if i >= len(toks) || toks[i].kind != tokWord {
		return "", i, false
	}
	w := toks[i].text
	switch {
	case teens[w] != "":
		return teens[w], i + 1, true
	case tens[w] != 0:
		d := string(tens[w])
		if i+1 < len(toks) && toks[i+1].kind == tokWord {
			if u := toks[i+1].text; units[u] != 0 && u != "zero" {
				return d + string(units[u]), i + 2, true
			}
		}
		return d + "0", i + 1, true
	case unit && units[w] != 0 && w != "zero":
		return "0" + string(units[w]), i + 1, true
	}
	return "", i, false
}

// scanRun reads a run starting at toks[i], if one starts there. It returns
// the run and the index of the token after it.
func scanRun(toks []token, i int) (DigitRun, int, bool) {
	first := i
	plus := false
	if toks[i].kind == tokPunct && (toks[i].text == "+" || toks[i].text == "(") {
		if i+1 >= len(toks) || toks[i].spaceAfter {
			return DigitRun{}, 0, false
		}
		plus = toks[i].text == "+"
		i++
	}
	// "Oh, five oh three ...": an "oh" followed by a comma is an interjection.
	if t := toks[i]; t.kind == tokWord && (t.text == "oh" || t.text == "o") &&
		i+1 < len(toks) && toks[i+1].kind == tokPunct && !isJoinerDash(toks[i+1].text) {
		return DigitRun{}, 0, false
	}
	var digits strings.Builder
	strong := false
	last := -1 // index of the run's last token
	for j := i; j < len(toks); {
		d, next, ok, s := digitAt(toks, j)
		if !ok {
			break
		}
		digits.WriteString(d)
		strong = strong || s
		last = next - 1
		k := next
		for k < len(toks) && toks[k].kind == tokPunct && isJoiner(toks, k) {
			k++
		}
		if k == len(toks) {
			break
		}
		if _, _, ok, _ := digitAt(toks, k); !ok {
			break
		}
		j = k
	}
	if last < 0 || !strong {
		return DigitRun{}, 0, false
	}
	end := toks[last].end
	if toks[first].text == "(" && last+1 < len(toks) && toks[last+1].text == ")" {
		end = toks[last+1].end
	}
	return DigitRun{Start: toks[first].start, End: end, Digits: digits.String(), Plus: plus}, last + 1, true
}

func isJoinerDash(s string) bool { return s == "-" || s == "\u2013" }

// isJoiner reports whether the punctuation toks[k] may sit between two
// groups of one number.
func isJoiner(toks []token, k int) bool {
	switch toks[k].text {
	case "-", "(", ")", "/", ",", "\u2013":
		return true
	case ".":
		// "503.555.0142", but not the full stop ending a sentence.
		return !toks[k].spaceAfter && k > 0 && !toks[k-1].spaceAfter
	}
	return false
}
