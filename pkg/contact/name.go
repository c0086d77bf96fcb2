package contact

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/speech"
)

// nameQuotes turns typographic apostrophes and dashes into ASCII ones.
var nameQuotes = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u2013", "-", "\u2014", "-")

// dottedInitials is initials written together: "A.J.", "J.R.R.".
var dottedInitials = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:\pL\.){2,}$`) })

// NormalizeName tidies a name as a caller or a model gave it:
//
//   - white space is trimmed and collapsed; punctuation around words (",",
//     quotes, brackets) is dropped; words without letters are dropped;
//   - letters spelled one by one are joined: "J A M I E", "J. A. M. I. E."
//     and "J-A-M-I-E" become "Jamie"; two spaces, a comma, a semicolon or a
//     slash separate spelled words ("J A M I E  R I V E R A"). Two or more single letters in a row
//     are always a spelling; a lone one is an initial ("John F. Kennedy"),
//     and initials written together stay ("A.J. Rivera");
//   - words are capitalized as FormatName does ("jamie o'brien" → "Jamie
//     O'Brien", "MARY-JANE" → "Mary-Jane", "McDonald" stays), particles
//     after the first word are lower-cased unless written capitalized
//     ("ludwig van beethoven" → "Ludwig van Beethoven"), and the first word
//     always starts with a capital ("de la cruz" → "De la Cruz").
//
// It returns "" when s has no letters.
func NormalizeName(s string) string {
	var words []string
	var spelled []string // single letters in a row, as written
	flush := func() {
		switch len(spelled) {
		case 0:
		case 1:
			words = append(words, strings.ToUpper(spelled[0])) // an initial
		default:
			var b strings.Builder
			for _, l := range spelled {
				b.WriteString(strings.TrimSuffix(l, "."))
			}
			words = append(words, speech.ProperWord(b.String()))
		}
		spelled = spelled[:0]
	}
	for _, f := range nameFields(nameQuotes.Replace(s)) {
		if f == "" { // a gap between spelled words
			flush()
			continue
		}
		w := strings.TrimFunc(f, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.'
		})
		w = strings.TrimLeft(w, ".")
		if speech.IsHyphenSpelled(w) {
			w = strings.ReplaceAll(w, "-", "")
			flush()
			words = append(words, speech.ProperWord(w))
			continue
		}
		if isSingleLetter(w) {
			spelled = append(spelled, w)
			continue
		}
		flush()
		switch {
		case dottedInitials().MatchString(w):
			words = append(words, strings.ToUpper(w))
		case !hasLetter(w):
		default:
			w = strings.TrimRight(w, ".")
			lower := strings.ToLower(w)
			if len(words) > 0 && speech.IsParticle(lower) && (w == lower || w == strings.ToUpper(w)) {
				words = append(words, lower)
			} else {
				words = append(words, speech.ProperWord(w))
			}
		}
	}
	flush()
	if len(words) == 0 {
		return ""
	}
	name := strings.Join(words, " ")
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}

// gapRe separates spelled words: "J A M I E  R I V E R A", "J A M I E, R I V E R A".
var gapRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s{2,}|\s*[,;/]\s*`) })

// nameFields splits s into words, with "" between the groups gapRe
// separates.
func nameFields(s string) []string {
	var out []string
	for i, g := range gapRe().Split(strings.TrimSpace(s), -1) {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, strings.Fields(g)...)
	}
	return out
}

// isSingleLetter reports whether w is one letter, with or without a full
// stop ("J", "j.").
func isSingleLetter(w string) bool {
	w = strings.TrimSuffix(w, ".")
	r, size := utf8.DecodeRuneInString(w)
	return size > 0 && size == len(w) && unicode.IsLetter(r)
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }
