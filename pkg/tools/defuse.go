package tools

import (
	"regexp"
	"strings"
	"sync"
)

// Compiled on first use, not at init: every function linking tools pays
// init time, and only texts to staff need these.
var (
	schemeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b(https?|ftp|sms|tel|mailto):/*`) })
	domainRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b([a-z0-9-]+)\.([a-z]{2,})\b`) })
)

// Defuse makes links in caller-supplied text unclickable for a text
// message to staff: "http://evil.example/x" becomes "hxxp://evil[.]example/x",
// "www.evil.example" "www[.]evil[.]example". Quotes become apostrophes so
// the words cannot close the quotation that marks them as the caller's.
func Defuse(s string) string {
	s = strings.NewReplacer(`"`, "'", "\u201c", "'", "\u201d", "'").Replace(s)
	s = schemeRE().ReplaceAllStringFunc(s, func(m string) string {
		return "hxxp-" + strings.ToLower(strings.TrimRight(m, ":/")) + ": "
	})
	for range 4 { // overlapping labels (a.b.c) need more than one pass
		s = domainRE().ReplaceAllString(s, "$1[.]$2")
	}
	return s
}
