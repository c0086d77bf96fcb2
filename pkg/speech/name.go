package speech

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// nonNames are words that follow "I'm", "this is", "it's" without being a
// name, and words that are never a name on their own.
var nonNames = Set(
	"yes", "yeah", "yep", "yup", "no", "nope", "nah", "ok", "okay", "sure", "hi", "hello", "hey", "thanks", "thank", "you",
	"um", "umm", "uh", "er", "hmm", "so", "well", "right", "correct", "wrong", "the", "a", "an", "and", "or", "but", "my",
	"your", "our", "their", "his", "her", "it", "its", "it's", "is", "are", "was", "were", "be", "been", "i", "i'm", "me",
	"we", "us", "they", "calling", "call", "looking", "trying", "wondering", "hoping", "interested", "just", "not",
	"sorry", "here", "there", "this", "that", "these", "those", "what", "when", "where", "why", "how", "who", "which",
	"about", "because", "for", "from", "with", "to", "at", "in", "on", "of", "by", "as", "phone", "number", "email",
	"address", "name", "spelled", "spell", "fence", "gate", "dog", "cat", "pet", "appointment", "quote", "help", "good",
	"fine", "great", "new", "urgent", "emergency", "back", "home", "tomorrow", "today", "tonight", "later", "anytime",
	"soon", "asap", "after", "before", "if", "still", "also", "too", "very", "really", "actually", "basically", "having",
	"getting", "going", "gonna", "need", "needing", "want", "wanting", "like", "would", "could", "can", "will", "should",
	"have", "has", "had", "got", "do", "does", "did", "done", "locked", "stuck", "sick", "worried", "afraid", "happy",
	"glad", "ready", "available", "out", "up", "down", "over", "off", "all", "set", "calling", "speaking", "fine", "doing",
	"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero", "oh", "o", "nothing", "none",
	"someone", "somebody", "anyone", "everyone", "customer", "client", "owner", "homeowner", "neighbor", "mom", "dad",
	"wife", "husband", "again", "yet", "already", "now", "then", "mr", "mrs", "ms", "dr", "please", "perfect", "exactly",
	"absolutely", "alright", "true", "false", "maybe", "probably", "definitely", "around", "near", "outside", "inside",
	"message", "reason", "question", "problem", "issue", "mail", "e-mail", "cell", "mobile", "text", "correct", "fixed",
	"broken", "gone", "missing", "lost", "open", "closed", "sure", "positive", "certain", "bye", "goodbye", "morning",
	"afternoon", "evening", "night", "real", "person", "human", "robot", "machine", "assistant", "agent", "same", "different",
	"fantastic", "wonderful", "awesome", "cool", "fun", "busy", "free", "late", "early", "tired", "confused",
	"first", "second", "last", "next", "quick", "wait", "hold", "sec", "second", "moment", "minute", "hang", "well",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "week", "month", "year",
	"curious", "unsure", "upset", "away", "important", "serious", "bad", "crazy", "weird", "ridiculous", "terrible",
	"awful", "insane", "annoying", "frustrating", "sad", "angry", "mad", "scared", "nervous", "desperate", "stressed",
	"calling", "pregnant", "retired", "local", "nearby", "close", "far", "unable", "able", "trying", "having",
	"hoping", "wondering", "thinking", "planning", "interested", "concerned", "aware", "sure", "certain", "urgently",
)

// nameTriggers introduce a name. Strong ones ("my name is") take any name
// that follows. After medium ones ("this is", "I'm", "call me") and weak
// ones a lower-case name must end its clause ("hi this is jamie, ..."), so
// "I'm locked out" is not a name; a capitalized one need not. Weak ones
// ("it's Jamie") only count when the agent asked for the name or is
// confirming.
var nameTriggers = []struct {
	words    []string
	strength int // 2 strong, 1 medium, 0 weak
	part     string
}{
	{[]string{"my", "name", "is"}, 2, ""},
	{[]string{"my", "name's"}, 2, ""},
	{[]string{"the", "name", "is"}, 2, ""},
	{[]string{"the", "name's"}, 2, ""},
	{[]string{"name", "is"}, 2, ""},
	{[]string{"name's"}, 2, ""},
	{[]string{"my", "first", "name", "is"}, 2, "first"},
	{[]string{"first", "name", "is"}, 2, "first"},
	{[]string{"my", "last", "name", "is"}, 2, "last"},
	{[]string{"last", "name", "is"}, 2, "last"},
	{[]string{"my", "surname", "is"}, 2, "last"},
	{[]string{"you", "can", "call", "me"}, 1, ""},
	{[]string{"call", "me"}, 1, ""},
	{[]string{"this", "is"}, 1, ""},
	{[]string{"i'm"}, 1, ""},
	{[]string{"im"}, 1, ""},
	{[]string{"i", "am"}, 1, ""},
	{[]string{"it's"}, 0, ""},
	{[]string{"its"}, 0, ""},
	{[]string{"it", "is"}, 0, ""},
	{[]string{"that's"}, 0, ""},
}

// NameHit is a name found in the text.
type NameHit struct {
	Name string // formatted: "Jamie Rivera"
	Span Span   // where it was said
	Part string // "", "first" or "last": which part of the name was given
}

// NameMode says how eagerly to read a name.
type NameMode struct {
	Asked   bool // the agent just asked for the name: bare answers count
	Correct bool // the agent is confirming: "it's Sam" is a correction
}

// FindName finds the caller's name in text: after "my name is", "this is",
// "I'm", "call me" (and, when asked or correcting, "it's"), before "here" or
// "speaking", or, when asked, a bare name; a spelling that follows ("Jamie,
// J A M I E") is folded in.
func FindName(text string, mode NameMode) (NameHit, bool) {
	ts := MergeSpelled(Tokens(text))
	// Triggered names.
	for i := range ts {
		if i > 0 && ts[i-1].Kind == Word && ts[i].Kind == Word {
			// A trigger starts a word run only after a boundary or at a
			// clause start; "my dog's name is Max" must not match "name is".
			if ts[i].Lower == "name" || ts[i].Lower == "name's" {
				prev := ts[i-1].Lower
				if prev != "my" && prev != "the" && prev != "first" && prev != "last" && prev != "and" && prev != "so" && prev != "well" {
					continue
				}
			}
		}
		for _, tr := range nameTriggers {
			n := len(tr.words)
			if i+n > len(ts) || !matchWords(ts[i:i+n], tr.words) {
				continue
			}
			if tr.strength == 0 && !mode.Asked && !mode.Correct {
				continue
			}
			// Skip "spelled", "actually", "just" after the trigger.
			j := i + n
			for j < len(ts) && ts[j].Kind == Word && (ts[j].Lower == "spelled" || ts[j].Lower == "actually" || ts[j].Lower == "just" || ts[j].Lower == "um" || ts[j].Lower == "uh") {
				j++
			}
			// A lower-case name after "this is"/"I'm" must end its clause
			// ("hi this is jamie, ..."), which keeps out "I'm locked out".
			words, end, _, ok := nameWords(ts, j, false, tr.strength < 2)
			if !ok {
				continue
			}
			return NameHit{Name: FormatName(words), Span: Span{ts[i].Start, end}, Part: tr.part}, true
		}
	}
	// "Jamie Rivera here", "Jamie speaking".
	clauses, _ := Clauses(text)
	for _, c := range clauses {
		cts := MergeSpelled(Tokens(text[c.Start:c.End]))
		cts = trimTokens(cts)
		for len(cts) > 0 && cts[0].Kind == Word && (Fillers[cts[0].Lower] && !isCapName(cts[0])) {
			cts = cts[1:]
		}
		if n := len(cts); n >= 2 && n <= 4 && (cts[n-1].Lower == "here" || cts[n-1].Lower == "speaking") {
			words, _, next, ok := nameWords(cts, 0, true, false)
			if ok && next == n-1 {
				return NameHit{Name: FormatName(words), Span: Span{c.Start + cts[0].Start, c.Start + cts[n-1].End}}, true
			}
		}
	}
	if !mode.Asked {
		return NameHit{}, false
	}
	// A bare answer to "may I have your name?": the first clause, if it is
	// only a name (and perhaps its spelling).
	for _, c := range clauses {
		cts := trimTokens(MergeSpelled(Tokens(text[c.Start:c.End])))
		for len(cts) > 0 && cts[0].Kind == Word && LeadingFillers[cts[0].Lower] {
			cts = cts[1:]
		}
		if len(cts) == 0 {
			continue
		}
		words, end, k, ok := nameWords(cts, 0, false, false)
		// The rest of the clause must be nothing but "and ..." or empty.
		if !ok || k < len(cts) && cts[k].Lower != "and" && cts[k].Kind != Punct {
			continue // "It's urgent! Jamie.": look at the next clause
		}
		return NameHit{Name: FormatName(words), Span: Span{c.Start + cts[0].Start, c.Start + end}}, true
	}
	return NameHit{}, false
}

func matchWords(ts []Token, words []string) bool {
	for k, w := range words {
		if ts[k].Kind != Word || ts[k].Lower != w {
			return false
		}
	}
	return true
}

// trimTokens drops leading and trailing punctuation.
func trimTokens(ts []Token) []Token {
	for len(ts) > 0 && ts[0].Kind == Punct {
		ts = ts[1:]
	}
	for len(ts) > 0 && ts[len(ts)-1].Kind == Punct {
		ts = ts[:len(ts)-1]
	}
	return ts
}

func isCapName(t Token) bool {
	r, _ := utf8.DecodeRuneInString(t.Text)
	return unicode.IsUpper(r) && !nonNames[t.Lower]
}

// nameWords reads up to four name words from ts[i:]. With needCaps the
// first word must be capitalized (or spelled) and so must the rest, bar
// particles. With lone (a medium trigger on a lower-case name) the name must
// end its clause. It then folds in a spelling that follows ("Jamie, J A M I
// E"). It returns the words, the end offset of what it consumed, the index
// of the next token, and ok.
func nameWords(ts []Token, i int, needCaps, lone bool) ([]string, int, int, bool) {
	var words []string
	end := -1
	caps := true
	j := i
	for j < len(ts) && len(words) < 4 {
		t := ts[j]
		if t.Kind != Word || !nameLike(t) {
			break
		}
		upper := isUpperStart(t) || t.Spelled
		if len(words) == 0 {
			if needCaps && !upper {
				return nil, 0, 0, false
			}
			caps = upper
		} else if caps && !upper {
			if IsParticle(t.Lower) && j+1 < len(ts) && isUpperStart(ts[j+1]) {
				words = append(words, t.Lower)
				j++
				continue
			}
			break
		}
		words = append(words, t.Text)
		end = t.End
		j++
	}
	if len(words) == 0 {
		return nil, 0, 0, false
	}
	if !caps && lone {
		// "i'm jamie" is a name, "i'm locked out" is not.
		if j < len(ts) && ts[j].Kind == Word && ts[j].Lower != "and" && ts[j].Lower != "calling" && ts[j].Lower != "from" && ts[j].Lower != "here" {
			return nil, 0, 0, false
		}
		for _, w := range words {
			l := strings.ToLower(w)
			if strings.HasSuffix(l, "ing") || strings.HasSuffix(l, "ed") || strings.HasSuffix(l, "ly") {
				return nil, 0, 0, false
			}
		}
	}
	// A spelling after the name: "Jamie, that's J A M I E".
	k := j
	for k < len(ts) {
		t := ts[k]
		if t.Kind == Punct && (t.Text == "," || t.Text == "." || t.Text == "-" || t.Text == ":") {
			k++
			continue
		}
		if t.Kind == Word && !t.Spelled && (t.Lower == "that's" || t.Lower == "thats" || t.Lower == "spelled" || t.Lower == "spelt" || t.Lower == "it's" || t.Lower == "its" || t.Lower == "that" || t.Lower == "is" || t.Lower == "as" || t.Lower == "like") {
			k++
			continue
		}
		if t.Kind == Word && t.Spelled && utf8.RuneCountInString(t.Text) >= 2 {
			words = foldSpelling(words, t.Text)
			end = t.End
			j = k + 1
			k = j
			continue
		}
		break
	}
	return words, end, j, true
}

// foldSpelling puts a spelled word in place of the spoken word it spells
// (same first letter), or appends it.
func foldSpelling(words []string, spelled string) []string {
	for i := len(words) - 1; i >= 0; i-- {
		if strings.EqualFold(words[i][:1], spelled[:1]) {
			words[i] = spelled
			return words
		}
	}
	if len(words) < 4 {
		words = append(words, spelled)
	}
	return words
}

func nameLike(t Token) bool {
	if nonNames[t.Lower] && !t.Spelled {
		return false
	}
	n := utf8.RuneCountInString(t.Text)
	if n < 2 && !t.Spelled {
		return false
	}
	for _, r := range t.Text {
		if !unicode.IsLetter(r) && r != '\'' && r != '-' {
			return false
		}
	}
	return true
}

func isUpperStart(t Token) bool {
	r, _ := utf8.DecodeRuneInString(t.Text)
	return unicode.IsUpper(r)
}

// particles may sit lower-case inside a name ("Ludwig van Beethoven").
var particles = Set("de", "da", "del", "della", "di", "du", "la", "le", "van", "von", "der", "den", "st", "bin", "al", "el", "dos", "das", "mac")

// IsParticle reports whether w (lower-case) is a particle that stays
// lower-case inside a name: "van", "de", "la", ...
func IsParticle(w string) bool { return particles[w] }

// FormatName capitalizes the words of a name properly: "jamie rivera" →
// "Jamie Rivera", "JAMIE" → "Jamie", "o'brien" → "O'Brien", "mary-jane" →
// "Mary-Jane"; a word in mixed case that starts with a capital stays as
// written ("McDonald", "DeShawn"), and a lower-case particle stays
// lower-case wherever it is ("Ludwig van Beethoven").
func FormatName(words []string) string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if particles[w] {
			out = append(out, w)
			continue
		}
		out = append(out, ProperWord(w))
	}
	return strings.Join(out, " ")
}

// ProperWord capitalizes one word of a name as FormatName does.
func ProperWord(w string) string {
	lower, upper := strings.ToLower(w), strings.ToUpper(w)
	if w != lower && w != upper && unicode.IsUpper([]rune(w)[0]) {
		return w // already mixed case
	}
	rs := []rune(lower)
	for i := range rs {
		if i == 0 || rs[i-1] == '-' || (rs[i-1] == '\'' && i == 2 && len(rs) > 3) {
			rs[i] = unicode.ToUpper(rs[i])
		}
	}
	return string(rs)
}
