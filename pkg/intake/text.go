package intake

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/speech"
)

// span is a byte range [Start, End) of the caller's text.
type span = speech.Span

// normalizeQuotes turns typographic apostrophes into ASCII ones, keeping
// byte offsets stable enough for our use (we re-tokenize the result).
var quoteFixer = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u201c", "\"", "\u201d", "\"", "\u2013", "-", "\u2014", " - ")

// wordsOf returns the lower-case words of s (letters, digits, apostrophes).
func wordsOf(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '@'
	})
}

// norm is s lower-cased with punctuation dropped and spaces collapsed:
// "No, that's right!" → "no that's right".
func norm(s string) string { return strings.Join(wordsOf(quoteFixer.Replace(s)), " ") }

// set builds a lookup table.
var set = speech.Set

// fillers and leadingFillers: see speech.Fillers and speech.LeadingFillers.
var (
	fillers        = speech.Fillers
	leadingFillers = speech.LeadingFillers
)

// leadIns are openings people put before the reason for their call. They
// are dropped so the reason reads as the caller's point ("I'm calling
// because my fence blew down" → "My fence blew down").
var leadIns = []string{
	"the reason i'm calling is", "the reason i am calling is", "the reason for my call is", "the reason for the call is",
	"the reason for calling is", "the reason is", "reason is", "reason being",
	"i'm calling because", "i am calling because", "i was calling because", "calling because",
	"i'm calling about", "i am calling about", "i was calling about", "calling about",
	"i'm calling regarding", "i am calling regarding", "calling regarding",
	"i'm calling in regards to", "i'm calling in regard to", "in regards to", "in regard to",
	"i'm calling for", "i am calling for", "i'm calling to", "i am calling to", "i was calling to", "calling to",
	"i'm reaching out about", "i'm reaching out because", "i'm reaching out to", "reaching out about", "reaching out to",
	"i'm calling", "i am calling",
	"it's about", "it is about", "it's regarding", "it is regarding", "it's for", "regarding",
	"the message is", "my message is", "message is", "the message", "tell them",
	"i need to", "i needed to", "i want to", "i wanted to", "i'd like to", "i would like to", "i was hoping to",
	"i was wondering if i could", "i was wondering if you could", "i'm looking to", "i am looking to",
	"i'm hoping to", "i am hoping to",
}

// cleanReason trims a reason as the caller said it: leading fillers and
// lead-ins go, trailing full stops go, the first letter is capitalized.
func cleanReason(s string) string {
	s = strings.TrimSpace(quoteFixer.Replace(s))
	for changed := true; changed; {
		changed = false
		s = strings.TrimLeft(s, " ,.;:-!")
		if s == "" {
			break
		}
		lower := strings.ToLower(s)
		for _, l := range leadIns {
			if hasWordPrefix(lower, l) {
				s = s[len(l):]
				changed = true
				break
			}
		}
		if changed {
			continue
		}
		first := lower
		if i := strings.IndexFunc(lower, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '.' }); i >= 0 {
			first = lower[:i]
		}
		if leadingFillers[first] && len(first) < len(s) {
			s = s[len(first):]
			changed = true
		} else if leadingFillers[first] && len(first) == len(s) {
			s = ""
		}
	}
	s = strings.TrimRight(strings.TrimSpace(s), " ,.;:-")
	return upperFirst(s)
}

// hasWordPrefix reports whether s starts with the words p, ending at a word
// boundary.
func hasWordPrefix(s, p string) bool {
	if !strings.HasPrefix(s, p) {
		return false
	}
	if len(s) == len(p) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[len(p):])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// lowerFirst lower-cases the first letter unless the first word is "I" (or
// "I'm", ...) or looks like a name or acronym (a capital after the first
// letter).
func lowerFirst(s string) string {
	first := s
	if i := strings.IndexAny(s, " ,.;:!?"); i >= 0 {
		first = s[:i]
	}
	if first == "I" || strings.HasPrefix(first, "I'") {
		return s
	}
	for _, r := range first[min(1, len(first)):] {
		if unicode.IsUpper(r) {
			return s
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[size:]
}

// meaningful reports whether s says something beyond greetings and fillers.
func meaningful(s string) bool {
	for _, w := range wordsOf(s) {
		if !fillers[w] {
			return true
		}
	}
	return false
}

// blank replaces the bytes of each span with spaces, keeping offsets.
func blank(text string, spans ...span) string {
	b := []byte(text)
	for _, sp := range spans {
		for i := max(sp.Start, 0); i < sp.End && i < len(b); i++ {
			b[i] = ' '
		}
	}
	return string(b)
}

// leftover is what remains of text once the given spans (a name, a number,
// an email, questions) are taken out and clauses made only of fillers are
// dropped: "This is Jamie, my number is 503 555 0142, my fence blew down" →
// "my fence blew down".
func leftover(text string, cut ...span) string {
	rest := blank(text, cut...)
	clauses, _ := speech.Clauses(rest)
	// Split clauses further at " and " / " but " so "I'm Jamie and my fence
	// blew down" loses only its first half.
	var parts []span
	for _, c := range clauses {
		parts = append(parts, splitConj(rest, c.Span)...)
	}
	var kept []span
	for _, p := range parts {
		if meaningful(rest[p.Start:p.End]) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range kept {
		if i > 0 {
			if contiguous(parts, kept[i-1], p) {
				b.WriteString(rest[kept[i-1].End:p.Start])
			} else {
				b.WriteString(", ")
			}
		}
		b.WriteString(rest[p.Start:p.End])
	}
	return collapseSpaces(b.String())
}

var doublePunct = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`([,.;:!?])\s*,`) })

func collapseSpaces(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	s = doublePunct().ReplaceAllString(s, "$1")
	return strings.TrimSpace(s)
}

// contiguous reports whether b directly follows a in parts.
func contiguous(parts []span, a, b span) bool {
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == a {
			return parts[i+1] == b
		}
	}
	return false
}

var conj = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\s(?:and|but|also)\s`) })

// splitConj splits a clause at conjunctions. The conjunction stays at the
// start of the following part, so rebuilding from contiguous parts restores
// the original.
func splitConj(text string, c span) []span {
	var out []span
	start := c.Start
	for _, m := range conj().FindAllStringIndex(text[c.Start:c.End], -1) {
		at := c.Start + m[0]
		out = append(out, span{Start: start, End: at})
		start = at
	}
	return append(out, span{Start: start, End: c.End})
}
