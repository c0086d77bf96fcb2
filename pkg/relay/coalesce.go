package relay

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/speech"
)

// Coalescer turns a stream of model tokens into phrases worth one post
// each: it flushes at the end of a sentence, at clause punctuation once a
// phrase is long enough, at a word boundary when the phrase gets long, and
// at a word boundary when tokens have been trickling for a while — so the
// first phrase leaves as soon as it forms and a 100-token reply takes
// roughly 10 posts instead of 100.
//
// A phrase only ever ends after white space, and never inside what
// text-to-speech must read whole: a full stop that is not followed by a
// space ("dana@example.org", "$0.45", "example.com/pricing") is no sentence
// end, an abbreviation's stop ("Dr.", "a.m.", "e.g.") is none either, and
// no break at all follows a field with a digit in it, so "(503) 555-0199",
// "5 0 3, 5 5 5, 0 1 4 2", "10 a.m." and "$5 million" stay in one phrase.
type Coalescer struct {
	SentenceMin int           // flush at . ! ? once the phrase has this many bytes (default 16)
	ClauseMin   int           // flush at , ; : once the phrase has this many bytes (default 48)
	Max         int           // flush at a word break past this many bytes (default 200); at any space past twice as many (and runMax)
	Every       time.Duration // flush at a word break when the phrase is this old (default 600ms)
	Now         func() time.Time

	buf   strings.Builder
	since time.Time
}

func (c *Coalescer) defaults() {
	if c.SentenceMin == 0 {
		c.SentenceMin = 16
	}
	if c.ClauseMin == 0 {
		c.ClauseMin = 48
	}
	if c.Max == 0 {
		c.Max = 200
	}
	if c.Every == 0 {
		c.Every = 600 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// runMax is the least a phrase grows before any space may end it, inside
// a token or not: far beyond any phone number or amount.
const runMax = 400

// Add appends a token and returns the phrases that are complete.
func (c *Coalescer) Add(token string) []string {
	c.defaults()
	if c.buf.Len() == 0 {
		c.since = c.Now()
	}
	var out []string
	for _, r := range token {
		if !unicode.IsSpace(r) {
			c.buf.WriteRune(r)
			continue
		}
		b := breakBefore(c.buf.String())
		c.buf.WriteRune(r)
		if c.cut(b) {
			out = append(out, c.Flush())
			c.since = c.Now()
		}
	}
	return out
}

// cut decides whether the buffer, which ends with a space that allows a
// break of kind b, is a phrase.
func (c *Coalescer) cut(b breakKind) bool {
	n := c.buf.Len()
	switch {
	case b == sentenceBreak && n >= c.SentenceMin,
		b == clauseBreak && n >= c.ClauseMin,
		b >= wordBreak && n >= c.Max,
		b >= wordBreak && n >= 8 && c.Now().Sub(c.since) >= c.Every,
		n/2 >= c.Max && n >= runMax: // a run of numbers or initials must not grow without end
		return true
	}
	return false
}

// Flush returns what is left (possibly "").
func (c *Coalescer) Flush() string {
	p := c.buf.String()
	c.buf.Reset()
	return p
}

// breakKind is what a space after some text allows.
type breakKind int

const (
	noBreak       breakKind = iota // inside a token that is read whole
	wordBreak                      // between two words
	clauseBreak                    // after , ; :
	sentenceBreak                  // after . ! ?
)

// closers may follow a sentence's last punctuation ("…today.)").
const closers = `"')]}”’»`

// breakBefore tells what a space appended to text would allow.
func breakBefore(text string) breakKind {
	field := text[strings.LastIndexFunc(text, unicode.IsSpace)+1:]
	core := strings.TrimRight(field, closers)
	if core == "" {
		return noBreak
	}
	last, _ := utf8.DecodeLastRuneInString(core)
	switch last {
	case '!', '?':
		return sentenceBreak
	case '.':
		word := strings.TrimLeft(strings.TrimRight(core, "."), `"'([{“‘«`)
		if len(core)-len(strings.TrimRight(core, ".")) == 1 && speech.Abbreviation(word) {
			return noBreak
		}
		return sentenceBreak
	case ',', ';', ':':
		if strings.ContainsFunc(core, unicode.IsDigit) {
			return noBreak // a group of a number read out: "5 0 3, 5 5 5, 0 1 4 2"
		}
		return clauseBreak
	}
	if strings.ContainsFunc(core, unicode.IsDigit) {
		return noBreak
	}
	return wordBreak
}
