package intake

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// span is a byte range [start, end) of the caller's text.
type span struct{ start, end int }

// tok is a word, a number or one punctuation character, with its place in
// the text. Words keep inner apostrophes and hyphens ("o'brien",
// "mary-jane", "j-a-m-i-e").
type tok struct {
	span
	text        string // as written
	lower       string
	kind        tokKind
	spaceBefore bool
	spelled     bool // letters spelled one by one, merged ("J A M I E")
}

type tokKind int

const (
	kWord tokKind = iota
	kNumber
	kPunct
)

// normalizeQuotes turns typographic apostrophes into ASCII ones, keeping
// byte offsets stable enough for our use (we re-tokenize the result).
var quoteFixer = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u201c", "\"", "\u201d", "\"", "\u2013", "-", "\u2014", " - ")

func tokens(text string) []tok {
	var out []tok
	space := true
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
			i += size
			continue
		case unicode.IsDigit(r):
			j := i
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			if j == i {
				j = i + size
			}
			out = append(out, tok{span: span{i, j}, text: text[i:j], lower: text[i:j], kind: kNumber, spaceBefore: space})
			i = j
		case unicode.IsLetter(r):
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if unicode.IsLetter(r2) {
					j += s2
					continue
				}
				if (r2 == '\'' || r2 == '-') && j+s2 < len(text) {
					r3, _ := utf8.DecodeRuneInString(text[j+s2:])
					if unicode.IsLetter(r3) {
						j += s2
						continue
					}
				}
				break
			}
			w := text[i:j]
			out = append(out, tok{span: span{i, j}, text: w, lower: strings.ToLower(w), kind: kWord, spaceBefore: space})
			i = j
		default:
			out = append(out, tok{span: span{i, i + size}, text: text[i : i+size], lower: text[i : i+size], kind: kPunct, spaceBefore: space})
			i += size
		}
		space = false
	}
	return out
}

var hyphenSpelled = regexp.MustCompile(`^[A-Za-z](?:-[A-Za-z])+$`)

// mergeSpelled joins letters spelled one by one ("J A M I E", "J-A-M-I-E",
// "j. a. m. i. e.") into one word token marked spelled.
func mergeSpelled(ts []tok) []tok {
	var out []tok
	for i := 0; i < len(ts); {
		t := ts[i]
		if t.kind == kWord && hyphenSpelled.MatchString(t.text) {
			t.text = strings.ReplaceAll(t.text, "-", "")
			t.lower = strings.ToLower(t.text)
			t.spelled = true
			out = append(out, t)
			i++
			continue
		}
		if !isLetterTok(t) {
			out = append(out, t)
			i++
			continue
		}
		// Collect single letters separated by spaces, dots or dashes.
		letters := []tok{t}
		j := i + 1
		for j < len(ts) {
			k := j
			for k < len(ts) && ts[k].kind == kPunct && (ts[k].text == "." || ts[k].text == "-") {
				k++
			}
			if k < len(ts) && isLetterTok(ts[k]) {
				letters = append(letters, ts[k])
				j = k + 1
				continue
			}
			break
		}
		if len(letters) < 2 {
			out = append(out, t)
			i++
			continue
		}
		var b strings.Builder
		for _, l := range letters {
			b.WriteString(l.text)
		}
		end := letters[len(letters)-1].end
		if j < len(ts) && ts[j].kind == kPunct && ts[j].text == "." && !ts[j].spaceBefore {
			end = ts[j].end // "E." ends the spelling, not the sentence
			j++
		}
		w := b.String()
		out = append(out, tok{span: span{t.start, end}, text: w, lower: strings.ToLower(w), kind: kWord, spaceBefore: t.spaceBefore, spelled: true})
		i = j
	}
	return out
}

func isLetterTok(t tok) bool {
	return t.kind == kWord && utf8.RuneCountInString(t.text) == 1
}

// clause is a piece of a sentence between commas, semicolons, dashes or
// sentence ends.
type clause struct {
	span
	sentence int // index of its sentence
}

var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "jr": true, "sr": true, "mt": true}

// splitClauses cuts text into sentences and clauses. A full stop after a
// single letter ("J. A. M.") or an abbreviation ("Dr.") does not end a
// sentence, nor does one inside a word ("gmail.com", "503.555.0142").
func splitClauses(text string) (clauses []clause, sentenceEnds []int) {
	ts := tokens(text)
	start := 0
	sentence := 0
	cut := func(end int) {
		if strings.TrimSpace(text[start:end]) != "" {
			clauses = append(clauses, clause{span{start, end}, sentence})
		}
	}
	for i, t := range ts {
		if t.kind != kPunct {
			continue
		}
		nextSpace := i+1 >= len(ts) || ts[i+1].spaceBefore
		switch t.text {
		case ".", "!", "?":
			if t.text == "." {
				if !nextSpace {
					continue
				}
				if i > 0 && ts[i-1].kind == kWord && (utf8.RuneCountInString(ts[i-1].text) == 1 || abbreviations[ts[i-1].lower]) {
					continue
				}
			}
			cut(t.end)
			start = t.end
			sentenceEnds = append(sentenceEnds, t.end)
			sentence++
		case ",", ";", ":":
			if t.text == ":" && !nextSpace {
				continue
			}
			cut(t.end)
			start = t.end
		case "-":
			if t.spaceBefore && nextSpace {
				cut(t.end)
				start = t.end
			}
		}
	}
	cut(len(text))
	if start < len(text) && strings.TrimSpace(text[start:]) != "" || len(sentenceEnds) == 0 || sentenceEnds[len(sentenceEnds)-1] != len(text) {
		sentenceEnds = append(sentenceEnds, len(text))
	}
	return clauses, sentenceEnds
}

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
func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// fillers are words that carry nothing about why someone is calling. A
// clause made only of them is dropped from the reason.
var fillers = set(
	"um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "mm", "mhm", "ah", "oh", "so", "yeah", "yes", "yep", "yup", "ya",
	"ok", "okay", "well", "like", "and", "also", "basically", "right", "sure", "hi", "hello", "hey", "there", "good",
	"morning", "afternoon", "evening", "my", "is", "it's", "its", "it", "this", "that's", "thats", "that", "you", "can",
	"could", "reach", "me", "at", "on", "call", "text", "email", "e", "mail", "address", "name", "name's", "number",
	"number's", "phone", "cell", "mobile", "home", "work", "best", "the", "here", "please", "thanks", "thank", "just",
	"i'm", "im", "i", "am", "spelled", "spell", "as", "a", "an", "or", "to", "be", "would", "great", "actually",
	"sorry", "again", "is", "was", "by", "with", "of", "for", "already", "said", "told", "gave", "your", "yours", "one",
	"no", "nope", "correct", "fine", "perfect", "alright", "all", "set", "that'll", "do", "use", "try", "reached",
	"contact", "cellphone", "landline", "too", "as", "well", "well", "then", "now",
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

// leadingFillers are words dropped from the start of a reason.
var leadingFillers = set("um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "so", "yeah", "yes", "yep", "well", "okay",
	"ok", "oh", "hi", "hello", "hey", "and", "also", "basically", "like", "right", "sure", "anyway", "anyways", "actually",
	"alright", "just", "um,", "there", "but")

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
		for i := max(sp.start, 0); i < sp.end && i < len(b); i++ {
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
	clauses, _ := splitClauses(rest)
	// Split clauses further at " and " / " but " so "I'm Jamie and my fence
	// blew down" loses only its first half.
	var parts []span
	for _, c := range clauses {
		parts = append(parts, splitConj(rest, c.span)...)
	}
	var kept []span
	for _, p := range parts {
		if meaningful(rest[p.start:p.end]) {
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
				b.WriteString(rest[kept[i-1].end:p.start])
			} else {
				b.WriteString(", ")
			}
		}
		b.WriteString(rest[p.start:p.end])
	}
	return collapseSpaces(b.String())
}

var doublePunct = regexp.MustCompile(`([,.;:!?])\s*,`)

func collapseSpaces(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	s = doublePunct.ReplaceAllString(s, "$1")
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

var conj = regexp.MustCompile(`(?i)\s(?:and|but|also)\s`)

// splitConj splits a clause at conjunctions. The conjunction stays at the
// start of the following part, so rebuilding from contiguous parts restores
// the original.
func splitConj(text string, c span) []span {
	var out []span
	start := c.start
	for _, m := range conj.FindAllStringIndex(text[c.start:c.end], -1) {
		at := c.start + m[0]
		out = append(out, span{start, at})
		start = at
	}
	return append(out, span{start, c.end})
}
