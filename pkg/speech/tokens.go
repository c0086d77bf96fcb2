package speech

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Span is a byte range [start, end) of the caller's text.
type Span struct{ Start, End int }

// Token is a word, a number or one punctuation character, with its place in
// the text. Words keep inner apostrophes and hyphens ("o'brien",
// "mary-jane", "j-a-m-i-e").
type Token struct {
	Span
	Text        string // as written
	Lower       string
	Kind        Kind
	SpaceBefore bool // white space (or the start of the text) comes before it
	Spelled     bool // letters spelled one by one, merged ("J A M I E")
}

// Kind is what a Token is.
type Kind int

// Token kinds.
const (
	Word Kind = iota
	Number
	Punct
)

// Tokens splits text into words, numbers and punctuation: the one
// tokenizer of what callers say. Names, phone numbers, emails and days and
// times are all read from its tokens.
func Tokens(text string) []Token { return tokenize(text, true) }

// tokenize is Tokens; with hyphens false a hyphen always stands alone, so
// "five-five-five" is three words (spoken digits).
func tokenize(text string, hyphens bool) []Token {
	var out []Token
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
			out = append(out, Token{Span: Span{i, j}, Text: text[i:j], Lower: text[i:j], Kind: Number, SpaceBefore: space})
			i = j
		case unicode.IsLetter(r):
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if unicode.IsLetter(r2) {
					j += s2
					continue
				}
				if (r2 == '\'' || r2 == '-' && hyphens) && j+s2 < len(text) {
					r3, _ := utf8.DecodeRuneInString(text[j+s2:])
					if unicode.IsLetter(r3) {
						j += s2
						continue
					}
				}
				break
			}
			w := text[i:j]
			out = append(out, Token{Span: Span{i, j}, Text: w, Lower: strings.ToLower(w), Kind: Word, SpaceBefore: space})
			i = j
		default:
			out = append(out, Token{Span: Span{i, i + size}, Text: text[i : i+size], Lower: text[i : i+size], Kind: Punct, SpaceBefore: space})
			i += size
		}
		space = false
	}
	return out
}

var hyphenSpelled = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z](?:-[A-Za-z])+$`) })

// IsHyphenSpelled reports whether w is letters spelled with hyphens
// ("J-A-M-I-E").
func IsHyphenSpelled(w string) bool { return hyphenSpelled().MatchString(w) }

// MergeSpelled joins letters spelled one by one ("J A M I E", "J-A-M-I-E",
// "j. a. m. i. e.") into one word token marked spelled.
func MergeSpelled(ts []Token) []Token {
	var out []Token
	for i := 0; i < len(ts); {
		t := ts[i]
		if t.Kind == Word && hyphenSpelled().MatchString(t.Text) {
			t.Text = strings.ReplaceAll(t.Text, "-", "")
			t.Lower = strings.ToLower(t.Text)
			t.Spelled = true
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
		letters := []Token{t}
		j := i + 1
		for j < len(ts) {
			k := j
			for k < len(ts) && ts[k].Kind == Punct && (ts[k].Text == "." || ts[k].Text == "-") {
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
			b.WriteString(l.Text)
		}
		end := letters[len(letters)-1].End
		if j < len(ts) && ts[j].Kind == Punct && ts[j].Text == "." && !ts[j].SpaceBefore {
			end = ts[j].End // "E." ends the spelling, not the sentence
			j++
		}
		w := b.String()
		out = append(out, Token{Span: Span{t.Start, end}, Text: w, Lower: strings.ToLower(w), Kind: Word, SpaceBefore: t.SpaceBefore, Spelled: true})
		i = j
	}
	return out
}

func isLetterTok(t Token) bool {
	return t.Kind == Word && utf8.RuneCountInString(t.Text) == 1
}

// Clause is a piece of a sentence between commas, semicolons, dashes or
// sentence ends.
type Clause struct {
	Span
	Sentence int // index of its sentence
}

var abbreviations = Set("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "mt", "ave", "blvd", "rd", "ste", "apt",
	"vs", "approx", "inc", "ltd", "co", "corp", "dept", "ext", "tel")

var dotted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z]{1,2}(?:\.[A-Za-z]{1,2})+$`) })

// Abbreviation reports whether word, written before a full stop, is an
// abbreviation whose stop does not end a sentence: a title or street word
// ("Dr", "St"), letters with stops between them ("a.m", "e.g", "Ph.D"), or
// a single letter (an initial).
func Abbreviation(word string) bool {
	return abbreviations[strings.ToLower(word)] || dotted().MatchString(word) || utf8.RuneCountInString(word) == 1 && unicode.IsLetter([]rune(word)[0])
}

// Clauses cuts text into sentences and clauses. A full stop after a
// single letter ("J. A. M.") or an abbreviation ("Dr.") does not end a
// sentence, nor does one inside a word ("gmail.com", "503.555.0142").
func Clauses(text string) (clauses []Clause, sentenceEnds []int) {
	ts := Tokens(text)
	start := 0
	sentence := 0
	cut := func(end int) {
		if strings.TrimSpace(text[start:end]) != "" {
			clauses = append(clauses, Clause{Span{start, end}, sentence})
		}
	}
	for i, t := range ts {
		if t.Kind != Punct {
			continue
		}
		nextSpace := i+1 >= len(ts) || ts[i+1].SpaceBefore
		switch t.Text {
		case ".", "!", "?":
			if t.Text == "." {
				if !nextSpace {
					continue
				}
				if i > 0 && ts[i-1].Kind == Word && Abbreviation(ts[i-1].Text) {
					continue
				}
			}
			cut(t.End)
			start = t.End
			sentenceEnds = append(sentenceEnds, t.End)
			sentence++
		case ",", ";", ":":
			if t.Text == ":" && !nextSpace {
				continue
			}
			cut(t.End)
			start = t.End
		case "-":
			if t.SpaceBefore && nextSpace {
				cut(t.End)
				start = t.End
			}
		}
	}
	cut(len(text))
	if start < len(text) && strings.TrimSpace(text[start:]) != "" || len(sentenceEnds) == 0 || sentenceEnds[len(sentenceEnds)-1] != len(text) {
		sentenceEnds = append(sentenceEnds, len(text))
	}
	return clauses, sentenceEnds
}

// Fields returns the places of the white-space separated fields of text,
// as the tokenizer sees them (tokens with no space between make one field).
func Fields(text string) []Span {
	var out []Span
	for _, t := range tokenize(text, true) {
		if n := len(out); n > 0 && !t.SpaceBefore {
			out[n-1].End = t.End
			continue
		}
		out = append(out, t.Span)
	}
	return out
}

// Set builds a lookup table of words.
func Set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Fillers are words that carry nothing about why someone is calling. A
// clause made only of them is dropped from the reason.
var Fillers = Set(
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

// LeadingFillers are words dropped from the start of a reason.
var LeadingFillers = Set("um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "so", "yeah", "yes", "yep", "well", "okay",
	"ok", "oh", "hi", "hello", "hey", "and", "also", "basically", "like", "right", "sure", "anyway", "anyways", "actually",
	"alright", "just", "um,", "there", "but")
