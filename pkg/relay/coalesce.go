package relay

import (
	"strings"
	"time"
	"unicode"
)

// Coalescer turns a stream of model tokens into phrases worth one post
// each: it flushes at the end of a sentence, at clause punctuation once a
// phrase is long enough, at a word boundary when the phrase gets long, and
// at a word boundary when tokens have been trickling for a while — so the
// first phrase leaves as soon as it forms and a 100-token reply takes
// roughly 10 posts instead of 100.
type Coalescer struct {
	SentenceMin int           // flush at . ! ? once the phrase has this many bytes (default 16)
	ClauseMin   int           // flush at , ; : once the phrase has this many bytes (default 48)
	Max         int           // flush at a space past this many bytes (default 200)
	Every       time.Duration // flush at a space when the phrase is this old (default 600ms)
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

// Add appends a token and returns the phrases that are complete.
func (c *Coalescer) Add(token string) []string {
	c.defaults()
	if c.buf.Len() == 0 {
		c.since = c.Now()
	}
	var out []string
	for _, r := range token {
		c.buf.WriteRune(r)
		if p, ok := c.cut(r); ok {
			out = append(out, p)
		}
	}
	return out
}

// cut decides, after rune r, whether the buffer is a phrase.
func (c *Coalescer) cut(r rune) (string, bool) {
	n := c.buf.Len()
	switch {
	case (r == '.' || r == '!' || r == '?') && n >= c.SentenceMin,
		(r == ',' || r == ';' || r == ':') && n >= c.ClauseMin,
		unicode.IsSpace(r) && n >= c.Max,
		unicode.IsSpace(r) && n >= 8 && c.Now().Sub(c.since) >= c.Every:
		p := c.buf.String()
		c.buf.Reset()
		return p, true
	}
	return "", false
}

// Flush returns what is left (possibly "").
func (c *Coalescer) Flush() string {
	p := c.buf.String()
	c.buf.Reset()
	return p
}
