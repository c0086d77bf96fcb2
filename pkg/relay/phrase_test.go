package relay

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

// spoken are replies with tokens text-to-speech must read whole; each
// lists the tokens (as they appear in the reply) no phrase may split.
var spoken = []struct {
	reply string
	whole []string
}{
	{"Thanks, I have your email as dana@example.org. What day works best for the visit, and what time of day suits you?",
		[]string{"dana@example.org"}},
	{"Each extra seat is billed at $0.45 each, and the starter plan is $1,299.99 a year. Would you like the details sent over?",
		[]string{"$0.45", "$1,299.99"}},
	{"You can read more at https://superiorfence.example.com/pricing?plan=starter. It lists every plan we offer, with photos.",
		[]string{"https://superiorfence.example.com/pricing?plan=starter"}},
	{"You will find answers at www.example.com/faq. or call us. Dr. Patel can see your dog at 10:30 tomorrow, or at 4 p.m. on Friday if that suits you better.",
		[]string{"www.example.com/faq", "Dr. Patel", "10:30", "4 p.m.", "p.m. on"}},
	{"Our office is at 12 Main St. Springfield, next to the bakery. We open at 8 a.m. and close at 5 p.m. every weekday, e.g. Monday to Friday.",
		[]string{"St. Springfield", "8 a.m. and", "5 p.m. every", "e.g. Monday"}},
	{"The best number for the on-call crew is (503) 555-0199, and the office line is +1 503 555 0142 if you prefer to call during the day. Either one reaches a person.",
		[]string{"(503) 555-0199", "+1 503 555 0142"}},
	{"Thanks, Jamie. I have your number as 5 0 3, 5 5 5, 0 1 4 2, and your email as jamie at example dot com. Is that right?",
		[]string{"5 0 3, 5 5 5, 0 1 4 2"}},
	{"Version 2.5 is out. It costs 3.5 percent less, i.e. about $12.40 a month. Mr. J. R. Smith approved it at 9:15 a.m. yesterday.",
		[]string{"2.5", "3.5", "i.e. about", "$12.40", "Mr. J. R. Smith", "9:15 a.m. yesterday"}},
	{"Your booking is for Tuesday, March 3 at 10:00 AM MST. We'll text 503.555.0199 the day before; reply to ops@superior-fence.example.co.uk with questions.",
		[]string{"10:00 AM", "503.555.0199", "ops@superior-fence.example.co.uk"}},
}

// checkWhole fails when a phrase boundary falls strictly inside a token
// that must be read whole, or when the phrases lose text.
func checkWhole(t *testing.T, how, reply string, whole []string, phrases []string) {
	t.Helper()
	if got := strings.Join(phrases, ""); got != reply {
		t.Fatalf("%s: phrases lost text:\n got %q\nwant %q", how, got, reply)
	}
	cuts := map[int]bool{}
	at := 0
	for _, p := range phrases[:max(0, len(phrases)-1)] {
		at += len(p)
		cuts[at] = true
	}
	for _, w := range whole {
		start := strings.Index(reply, w)
		if start < 0 {
			t.Fatalf("bad case: %q not in %q", w, reply)
		}
		for i := start + 1; i < start+len(w); i++ {
			if cuts[i] {
				t.Errorf("%s: phrase break inside %q: %q", how, w, phrases)
			}
		}
	}
}

func TestPhrasesKeepTokensWhole(t *testing.T) {
	for _, tt := range spoken {
		got := Phrases(tt.reply)
		if len(got) < 2 {
			t.Errorf("Phrases(%q) = %q: a reply this long should be more than one phrase", tt.reply, got)
		}
		checkWhole(t, "Phrases", tt.reply, tt.whole, got)
	}
}

// TestCoalescerKeepsTokensWhole streams each reply in small chunks of
// random size with the thresholds as low as they go and a clock that
// passes Every between chunks, so the coalescer is tempted to break at
// every chance it has.
func TestCoalescerKeepsTokensWhole(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	for _, tt := range spoken {
		for round := 0; round < 20; round++ {
			now := time.Unix(0, 0)
			c := &Coalescer{SentenceMin: 1, ClauseMin: 1, Max: 10, Every: time.Millisecond, Now: func() time.Time { return now }}
			var phrases []string
			runes := []rune(tt.reply)
			for i := 0; i < len(runes); {
				n := min(1+rng.Intn(6), len(runes)-i)
				phrases = append(phrases, c.Add(string(runes[i:i+n]))...)
				i += n
				now = now.Add(time.Duration(rng.Intn(3)) * time.Millisecond)
			}
			if rest := c.Flush(); rest != "" {
				phrases = append(phrases, rest)
			}
			if len(phrases) < 4 {
				t.Errorf("%q streamed as %q: the low thresholds should cut it more", tt.reply, phrases)
			}
			checkWhole(t, "Coalescer", tt.reply, tt.whole, phrases)
		}
	}
}

func TestCoalescerBreaksRunsOfNumbers(t *testing.T) {
	c := &Coalescer{Max: 10, Now: func() time.Time { return time.Unix(0, 0) }}
	got := c.Add(strings.Repeat("1 2 3 4 5 ", 50)) // 500 bytes, no break allowed
	if len(got) != 1 || len(got[0]) != runMax {
		t.Errorf("a run of numbers became %q; want one phrase of %d bytes, then the rest", got, runMax)
	}
}

func TestBreakBefore(t *testing.T) {
	tests := []struct {
		text string
		want breakKind
	}{
		{"Hello.", sentenceBreak},
		{"Really?", sentenceBreak},
		{"(see the FAQ.)", sentenceBreak},
		{"Wait...", sentenceBreak},
		{"at 10 a.m.", noBreak},
		{"ask Dr.", noBreak},
		{"ask J.", noBreak},
		{"yes,", clauseBreak},
		{"hours:", clauseBreak},
		{"5 0 3,", noBreak},
		{"call (503)", noBreak},
		{"costs $5", noBreak},
		{"hello", wordBreak},
		{"hello ", noBreak},
		{"", noBreak},
	}
	for _, tt := range tests {
		if got := breakBefore(tt.text); got != tt.want {
			t.Errorf("breakBefore(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
