package business

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// DefaultUrgencyKeywords make a caller's or visitor's words urgent when a
// business lists none (intake.urgencyKeywords). Each is a word or phrase
// matched whole, case-insensitively.
var DefaultUrgencyKeywords = []string{
	"emergency", "emergencies", "urgent", "urgently", "asap", "immediately", "right away", "right now",
	"flood", "flooded", "flooding", "burst", "leak", "leaking", "gas leak", "smell gas", "gas smell",
	"fire", "smoke", "sparking", "no heat", "no power", "injured", "bleeding", "not breathing", "can't breathe",
}

// DefaultAccentColor is the widget's accent when the config gives none; white
// text on it meets WCAG AA (5.2:1).
const DefaultAccentColor = "#2563eb"

// Fill replaces the placeholders a business's texts may use: {businessName},
// {agentName}, {companyName}.
func (b *Business) Fill(text string) string {
	return strings.NewReplacer(
		"{businessName}", b.Name,
		"{agentName}", b.AgentName(),
		"{companyName}", b.DisplayName(),
	).Replace(text)
}

// WebGreeting is the web chat's first message: promptConfig.webGreeting with
// its placeholders filled, else one built from the business. Unlike the
// phone greeting it never tells the visitor to press a key.
func (b *Business) WebGreeting() string {
	if g := strings.TrimSpace(b.Agent.WebGreeting); g != "" {
		return b.Fill(g)
	}
	return defaultWebGreeting(b)
}

func defaultWebGreeting(b *Business) string {
	if b.Agent.Name != "" {
		return fmt.Sprintf("Hi, I'm %s with %s. How can I help you today?", b.Agent.Name, b.DisplayName())
	}
	return fmt.Sprintf("Hi, thanks for reaching out to %s. How can I help you today?", b.DisplayName())
}

// WidgetSnippet is the line a business pastes into its site's pages to get
// the chat widget; webOrigin is where the stack serves widget.js.
func (b *Business) WidgetSnippet(webOrigin string) string {
	return fmt.Sprintf(`<script src="%s/widget.js" data-business="%s" async></script>`, strings.TrimSuffix(webOrigin, "/"), b.ID)
}

// PageOrigins are the page origins a web chat with b may be opened from:
// the stack's own trusted origins (its hosted page) and b's
// web.allowedOrigins, lower-cased without a trailing slash; nil when b
// allows any origin (no list).
func (b *Business) PageOrigins(trusted []string) []string {
	if len(b.Web.AllowedOrigins) == 0 {
		return nil
	}
	out := make([]string, 0, len(trusted)+len(b.Web.AllowedOrigins))
	for _, o := range append(slices.Clone(trusted), b.Web.AllowedOrigins...) {
		if o = strings.ToLower(strings.TrimSuffix(o, "/")); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// keypadRe finds a phone-only instruction in a text meant for the web.
var keypadRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b(press(ing)?|pound|dial)\b|#`) })

// IsUrgent reports whether text contains one of the business's urgency
// keywords, as whole words, case-insensitively. Both channels' agents ask
// it, so "a pipe burst" is urgent on the phone and on the web alike.
func (b *Business) IsUrgent(text string) bool { return b.UrgentPhrase(text) != "" }

// UrgentPhrase returns the first urgency keyword text contains (as
// configured), or "" when none does.
func (b *Business) UrgentPhrase(text string) string {
	keywords := b.Intake.UrgencyKeywords
	if keywords == nil {
		keywords = DefaultUrgencyKeywords
	}
	words := wordsOf(text)
	for _, k := range keywords {
		if kw := wordsOf(k); len(kw) > 0 && containsRun(words, kw) {
			return k
		}
	}
	return ""
}

// wordsOf splits text into lower-case words: letters and digits, with
// apostrophes inside a word kept ("can't"; a typographic ’ counts as ').
func wordsOf(text string) []string {
	text = strings.ReplaceAll(strings.ToLower(text), "’", "'")
	f := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	out := f[:0]
	for _, w := range f {
		if w = strings.Trim(w, "'"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// containsRun reports whether run occurs in words as consecutive elements.
func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		match := true
		for j, w := range run {
			if words[i+j] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

var hexColorRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`) })

// textColorOn returns #000000 or #ffffff, whichever contrasts more with the
// background color hex (#rgb or #rrggbb, already validated).
func textColorOn(hex string) string {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var lum float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += weight * c
	}
	// WCAG contrast: (L1+0.05)/(L2+0.05) against white (L=1) and black (L=0).
	if 1.05/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#ffffff"
	}
	return "#000000"
}
