package speech

import (
	"regexp"
	"strings"
	"sync"
)

// EmailMatch is an email address found in a text.
type EmailMatch struct {
	// Email is the address as assembled from the text, lower-cased:
	// "J o h n at Gmail dot com" gives "john@gmail.com". When Valid is
	// false it is what was heard ("dana@acme"), for the agent to repeat.
	Email string
	// Valid reports whether Email has the shape of a complete address.
	Valid bool
	// Span is the byte offsets of the words the address was read from, in
	// strings.ToLower(text) (the same offsets as in text for ASCII text).
	Span
}

// ValidEmail reports whether s, taken as written, has the shape of a
// complete lower-case ASCII email address: a local part, "@", and a domain
// of at least two labels whose last is two or more letters.
func ValidEmail(s string) bool {
	return emailShape().MatchString(s) && !strings.Contains(s, "..")
}

var emailShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9_])?@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$`)
})

// etok is one piece of a possibly spelled email address.
type etok struct {
	text string // lower-cased; "@", "." and the like for spoken symbols
	// start, end is the field of the text it came from; pieces of one
	// written field ("john.smith@gmail.com") share it.
	start, end int
	// literalAt marks an "@" written as the character, not said as "at".
	literalAt bool
}

var emailSymbols = map[string]string{
	"at": "@", "@": "@", "dot": ".", "period": ".", "point": ".", "underscore": "_", "dash": "-", "hyphen": "-",
	"minus": "-", "plus": "+",
}

// emailStops end the local part when reading backwards from "at".
var emailStops = Set("is", "it's", "its", "email", "e-mail", "mail", "address", "my", "me", "the", "to", "was", "it",
	"that's", "thats", "send", "reach", "contact", "use", "try", "and", "or", "um", "uh", "so", "yeah", "yes", "sure",
	"ok", "okay", "here", "you", "can", "this", "be", "would", "should", "spelled", "under", "on", "i'm", "am", "i", "no",
	"actually", "sorry", "correct", "right", "oh", "well", "like", "just", "at", "please")

// FindEmail finds an email address in text, written ("matt@gmail.com") or
// spoken ("j o h n at gmail dot com", "john dot smith at example dot org",
// "sam at sign example dot com"). It returns the first complete address,
// else the first incomplete one ("dana at acme" gives "dana@acme", not
// Valid), and false when there is nothing like an address.
func FindEmail(text string) (EmailMatch, bool) {
	et := emailTokens(strings.ToLower(text))
	var fallback EmailMatch
	found := false
	for i, t := range et {
		if t.text != "@" {
			continue
		}
		// "at sign", "at symbol".
		j := i + 1
		if j < len(et) && (et[j].text == "sign" || et[j].text == "symbol") {
			j++
		}
		domain, dEnd := readDomain(et, j)
		if domain == "" {
			continue
		}
		local, lStart := readLocal(et, i)
		if !ValidEmail(local + "@" + domain) {
			// "contact@acme.com": a written address whose local part is a
			// word that ends a spoken one.
			if l, s := writtenLocal(et, i, domain); l != "" {
				local, lStart = l, s
			}
		}
		if local == "" {
			continue
		}
		e := local + "@" + domain
		hit := EmailMatch{Email: e, Valid: ValidEmail(e), Span: Span{et[lStart].start, et[dEnd-1].end}}
		if hit.Valid {
			return hit, true
		}
		if !found {
			fallback, found = hit, true
		}
	}
	return fallback, found
}

// emailTokens splits text into words, splitting written addresses into
// their parts: "john.smith@gmail.com" → john . smith @ gmail . com.
func emailTokens(text string) []etok {
	var out []etok
	for _, sp := range Fields(text) {
		start, f := sp.Start, text[sp.Start:sp.End]
		w := strings.Trim(f, ",;:!?\"()<>")
		w = strings.TrimSuffix(w, ".")
		if w == "" {
			continue
		}
		off := start + strings.Index(f, w)
		s, e := off, off+len(w) // without the punctuation around it
		if hyphenSpelled().MatchString(w) {
			out = append(out, etok{text: strings.ReplaceAll(w, "-", ""), start: s, end: e})
			continue
		}
		if sym, ok := emailSymbols[w]; ok {
			out = append(out, etok{text: sym, start: s, end: e, literalAt: w == "@"})
			continue
		}
		// Split at "@" and ".".
		var cur strings.Builder
		flush := func() {
			if cur.Len() > 0 {
				out = append(out, etok{text: cur.String(), start: s, end: e})
				cur.Reset()
			}
		}
		for _, r := range w {
			switch r {
			case '@', '.':
				flush()
				out = append(out, etok{text: string(r), start: s, end: e, literalAt: r == '@'})
			default:
				cur.WriteRune(r)
			}
		}
		flush()
	}
	return out
}

var (
	labelRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`) })
	localWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9_%+-]+$`) })
)

func isSymbol(s string) bool { return s == "@" || s == "." || s == "_" || s == "-" || s == "+" }

// readDomain reads "gmail dot com" (or "g m a i l dot com") from et[j:].
// It returns the domain and the index after it.
func readDomain(et []etok, j int) (string, int) {
	var b strings.Builder
	expectLabel := true
	end := j
	for j < len(et) {
		t := et[j].text
		if expectLabel {
			if !labelRe().MatchString(t) || emailSymbolWord(t) {
				break
			}
			b.WriteString(t)
			j++
			// Letters spelled one by one.
			if len(t) == 1 {
				for j < len(et) && len(et[j].text) == 1 && labelRe().MatchString(et[j].text) {
					b.WriteString(et[j].text)
					j++
				}
			}
			expectLabel = false
			end = j
			continue
		}
		if t == "." || t == "-" {
			if j+1 < len(et) && labelRe().MatchString(et[j+1].text) {
				b.WriteString(t)
				expectLabel = true
				j++
				continue
			}
		}
		break
	}
	// "acme" or "acme.c" is returned too: FindEmail reports it as an
	// incomplete address.
	return b.String(), end
}

func emailSymbolWord(t string) bool {
	_, ok := emailSymbols[t]
	return ok && !isSymbol(t)
}

// writtenLocal reads the local part of an address written in one piece
// ("contact@acme.com", "me@example.org"): everything of the "@"'s own field
// before it. Words that end a spoken local part ("contact", "me") are part
// of a written one. FindEmail uses it when the spoken reading (readLocal)
// gives no complete address. It returns "" unless the address it reads is
// complete.
func writtenLocal(et []etok, at int, domain string) (string, int) {
	if !et[at].literalAt {
		return "", at
	}
	k := at
	for k > 0 && et[k-1].start == et[at].start && et[k-1].end == et[at].end {
		k--
	}
	if k == at {
		return "", at
	}
	var b strings.Builder
	for _, t := range et[k:at] {
		b.WriteString(t.text)
	}
	if !ValidEmail(b.String() + "@" + domain) {
		return "", at
	}
	return b.String(), k
}

// readLocal reads the part before et[at] backwards: single letters and
// digits always, words only next to "at" or joined by a dot, underscore or
// dash ("john dot smith"). It returns the local part and its first index.
func readLocal(et []etok, at int) (string, int) {
	var parts []string
	start := at
	joined := true // the next word may be taken
	for k := at - 1; k >= 0; k-- {
		t := et[k].text
		switch {
		case t == "@":
			k = -1
			continue
		case isSymbol(t):
			if len(parts) == 0 {
				return "", at
			}
			parts = append(parts, t)
			joined = true
		case len(t) == 1 && labelRe().MatchString(t):
			parts = append(parts, t)
		case emailStops[t]:
			k = -1
			continue
		case localWord().MatchString(t):
			if !joined {
				k = -1
				continue
			}
			parts = append(parts, t)
			joined = false
		default:
			k = -1
			continue
		}
		start = k
	}
	// Drop dangling symbols at the front.
	for len(parts) > 0 && isSymbol(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return "", at
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return b.String(), start
}
