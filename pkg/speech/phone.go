package speech

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/ahca/ahca/pkg/phone"
)

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
// only), "double"/"triple" before a digit, ten to nineteen, digitTens with an
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

var digitUnits = map[string]byte{
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5',
	"six": '6', "seven": '7', "eight": '8', "nine": '9', "niner": '9',
}

var digitTeens = map[string]string{
	"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
	"fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}

var digitTens = map[string]byte{
	"twenty": '2', "thirty": '3', "forty": '4', "fourty": '4', "fifty": '5',
	"sixty": '6', "seventy": '7', "eighty": '8', "ninety": '9',
}

// DigitRuns finds the runs of written or spoken digits in text, in order.
// Groups separated by spaces, dashes, parentheses, commas, slashes or dots
// between digits ("503.555.0142") belong to one run; any other word ends a
// run. A run made only of "oh"/"o" is not a number ("oh, okay").
func DigitRuns(text string) []DigitRun {
	toks := tokenize(text, false)
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
func digitAt(toks []Token, i int) (digits string, next int, ok, strong bool) {
	t := toks[i]
	if t.Kind == Number {
		if t.Lower[0] < '0' || t.Lower[0] > '9' {
			return "", i, false, false
		}
		return t.Lower, i + 1, true, true
	}
	if t.Kind != Word {
		return "", i, false, false
	}
	word := func(j int) string {
		if j < len(toks) && toks[j].Kind == Word {
			return toks[j].Lower
		}
		return ""
	}
	switch w := t.Lower; {
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
	case digitUnits[w] != 0:
		d := string(digitUnits[w])
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
	case digitTeens[w] != "":
		if word(i+1) == "hundred" { // "nineteen hundred"
			return digitTeens[w] + "00", i + 2, true, true
		}
		return digitTeens[w], i + 1, true, true
	case digitTens[w] != 0:
		d := string(digitTens[w]) + "0"
		n := i + 1
		if u := word(n); digitUnits[u] != 0 && u != "zero" {
			d, n = string(digitTens[w])+string(digitUnits[u]), n+1
		}
		if word(n) == "hundred" { // "twenty one hundred"
			return d + "00", n + 1, true, true
		}
		return d, n, true, true
	}
	return "", i, false, false
}

// singleDigit reads one digit word, "oh" or a one-digit number.
func singleDigit(toks []Token, i int) (string, int, bool) {
	t := toks[i]
	switch {
	case t.Kind == Number && len(t.Lower) == 1:
		return t.Lower, i + 1, true
	case t.Kind == Word && (t.Lower == "oh" || t.Lower == "o"):
		return "0", i + 1, true
	case t.Kind == Word && digitUnits[t.Lower] != 0:
		return string(digitUnits[t.Lower]), i + 1, true
	}
	return "", i, false
}

// tensOrUnit reads the two digits after "hundred": "fifty five" → 55,
// "twelve" → 12 and, when unit is set (after "hundred and"), "two" → 02.
// Without "and", a digit after "hundred" starts the next group: "one eight
// hundred five five five" is 1 800 555.
func tensOrUnit(toks []Token, i int, unit bool) (string, int, bool) {
	if i >= len(toks) || toks[i].Kind != Word {
		return "", i, false
	}
	w := toks[i].Lower
	switch {
	case digitTeens[w] != "":
		return digitTeens[w], i + 1, true
	case digitTens[w] != 0:
		d := string(digitTens[w])
		if i+1 < len(toks) && toks[i+1].Kind == Word {
			if u := toks[i+1].Lower; digitUnits[u] != 0 && u != "zero" {
				return d + string(digitUnits[u]), i + 2, true
			}
		}
		return d + "0", i + 1, true
	case unit && digitUnits[w] != 0 && w != "zero":
		return "0" + string(digitUnits[w]), i + 1, true
	}
	return "", i, false
}

// scanRun reads a run starting at toks[i], if one starts there. It returns
// the run and the index of the token after it.
func scanRun(toks []Token, i int) (DigitRun, int, bool) {
	first := i
	plus := false
	if toks[i].Kind == Punct && (toks[i].Lower == "+" || toks[i].Lower == "(") {
		if i+1 >= len(toks) || spaceAfter(toks, i) {
			return DigitRun{}, 0, false
		}
		plus = toks[i].Lower == "+"
		i++
	}
	// "Oh, five oh three ...": an "oh" followed by a comma is an interjection.
	if t := toks[i]; t.Kind == Word && (t.Lower == "oh" || t.Lower == "o") &&
		i+1 < len(toks) && toks[i+1].Kind == Punct && !isJoinerDash(toks[i+1].Lower) {
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
		for k < len(toks) && toks[k].Kind == Punct && isJoiner(toks, k) {
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
	end := toks[last].End
	if toks[first].Lower == "(" && last+1 < len(toks) && toks[last+1].Lower == ")" {
		end = toks[last+1].End
	}
	return DigitRun{Start: toks[first].Start, End: end, Digits: digits.String(), Plus: plus}, last + 1, true
}

func isJoinerDash(s string) bool { return s == "-" || s == "\u2013" }

// isJoiner reports whether the punctuation toks[k] may sit between two
// groups of one number.
func isJoiner(toks []Token, k int) bool {
	switch toks[k].Lower {
	case "-", "(", ")", "/", ",", "\u2013":
		return true
	case ".":
		// "503.555.0142", but not the full stop ending a sentence.
		return !spaceAfter(toks, k) && k > 0 && !spaceAfter(toks, k-1)
	}
	return false
}

// spaceAfter reports whether white space follows toks[k] before the next
// token.
func spaceAfter(toks []Token, k int) bool { return k+1 < len(toks) && toks[k+1].SpaceBefore }

// PhoneHit is a phone number found in the text, valid or not.
type PhoneHit struct {
	Number phone.NANP // valid when Err is nil
	Err    error      // why it is not a valid number, in words for the caller
	Digits string     // the digits heard
	Span   Span
}

var ordinal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^\d+(st|nd|rd|th|am|pm|s)$`) })

// FindPhone looks for a phone number. Unless asked is set (the agent just
// asked for the number), only runs of at least 7 digits count, so "two
// dogs" or "a 6 foot fence" are not numbers.
func FindPhone(text string, asked bool) (PhoneHit, bool) {
	runs := DigitRuns(text)
	var best *DigitRun
	for i := range runs {
		r := &runs[i]
		if n := len(r.Digits); n == 10 || (n == 11 && r.Digits[0] == '1') {
			best = r
			break
		}
		if best == nil || len(r.Digits) > len(best.Digits) {
			best = r
		}
	}
	if best == nil || (len(best.Digits) < 7 && !asked) {
		if asked {
			// Letters only, like "CALL-NOW", or digits glued to letters.
			for _, f := range strings.Fields(text) {
				if hasDigit(f) && hasLetter(f) && !ordinal().MatchString(strings.Trim(f, ".,!?")) {
					_, err := phone.ValidateNANP(strings.Trim(f, ".,!?"))
					return PhoneHit{Err: err, Digits: DigitsOnly(f), Span: Span{strings.Index(text, f), strings.Index(text, f) + len(f)}}, true
				}
			}
		}
		return PhoneHit{}, false
	}
	hit := PhoneHit{Digits: best.Digits, Span: Span{best.Start, best.End}}
	// Letters glued to the digits ("503-555-CALL"): say so.
	end := best.End
	for end < len(text) && (text[end] == '-' || text[end] == '.') {
		end++
	}
	glued := (end < len(text) && isLetterByte(text[end])) || (best.Start > 0 && isLetterByte(text[best.Start-1]))
	if !glued && asked && len(best.Digits) < 10 {
		// "503 555 CALL": a vanity word after the digits.
		e := end
		for e < len(text) && (text[e] == ' ' || text[e] == '-') {
			e++
		}
		w := e
		for w < len(text) && isLetterByte(text[w]) {
			w++
		}
		if word := text[e:w]; len(word) >= 3 && strings.ToUpper(word) == word {
			end, glued = e, true
		}
	}
	if glued {
		e := end
		for e < len(text) && !unicode.IsSpace(rune(text[e])) {
			e++
		}
		_, hit.Err = phone.ValidateNANP(text[best.Start:e])
		hit.Span.End = e
		return hit, true
	}
	in := best.Digits
	if best.Plus {
		in = "+" + in
	}
	hit.Number, hit.Err = CheckPhone(in)
	return hit, true
}

func isLetterByte(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

func hasDigit(s string) bool  { return strings.IndexFunc(s, unicode.IsDigit) >= 0 }
func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

// DigitsOnly is the ASCII digits of s.
func DigitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckPhone validates a number the caller gave, written or spoken ("five
// oh three ..."), with the NANP rules (phone.ValidateNANP): the phone check
// of both agents. The error is one an agent can say to the caller.
func CheckPhone(s string) (phone.NANP, error) {
	n, err := phone.ValidateNANP(DigitsFromSpeech(strings.TrimSpace(s)))
	if err != nil {
		var ie *phone.InvalidError
		if !errors.As(err, &ie) {
			return phone.NANP{}, errors.New("that doesn't look like a phone number")
		}
		return phone.NANP{}, ie
	}
	return n, nil
}
