package relay

import (
	"strings"
	"testing"
	"time"
)

// tokens splits text the way a model streams it: words with their spaces.
func tokens(text string) []string {
	var out []string
	for _, w := range strings.SplitAfter(text, " ") {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func TestCoalescer(t *testing.T) {
	reply := "Sure, I can help with that. Our crew repairs wood, vinyl and chain-link fences, and we also install new gates. " +
		"If the fence is down and animals could get out, press the pound key to reach the on-call crew right away. " +
		"Otherwise, could you tell me your name, and the best number to reach you? I'll make sure the office calls you back first thing in the morning. " +
		"Is there anything else you'd like me to pass along to the team about the damage, like the length of the fence or the material?"
	toks := tokens(reply)
	now := time.Unix(0, 0)
	c := &Coalescer{Now: func() time.Time { return now }}
	var phrases []string
	firstAt := -1
	for i, tok := range toks {
		got := c.Add(tok)
		if len(got) > 0 && firstAt < 0 {
			firstAt = i
		}
		phrases = append(phrases, got...)
	}
	if rest := c.Flush(); rest != "" {
		phrases = append(phrases, rest)
	}
	if strings.Join(phrases, "") != reply {
		t.Fatal("phrases lost text")
	}
	if len(toks) < 90 || len(phrases) > 15 {
		t.Errorf("%d tokens became %d posts; want at most 15", len(toks), len(phrases))
	}
	if firstAt > 8 {
		t.Errorf("first phrase left after token %d; it should leave as soon as it forms", firstAt)
	}
}

func TestCoalescerTimeBound(t *testing.T) {
	now := time.Unix(0, 0)
	c := &Coalescer{Now: func() time.Time { return now }}
	if got := c.Add("Let me check that for "); len(got) != 0 {
		t.Fatalf("flushed early: %q", got)
	}
	now = now.Add(time.Second)
	if got := c.Add("you "); len(got) != 1 || got[0] != "Let me check that for you " {
		t.Errorf("slow tokens not flushed at a word boundary: %q", got)
	}
}
