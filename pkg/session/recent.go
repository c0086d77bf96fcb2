package session

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/tenant"
)

// A session keeps its turns inline until they pass a high-water mark
// (highTurns, highChars); the save that passes it moves the older turns out
// into items of their own, keeping the recent ones: what a turn's prompt
// needs (the bounds are the prompt history's, prompt.History keeps at most
// this many). So a session item's size, and what a save writes, stays
// bounded however long the conversation, most saves are one plain write,
// and a short conversation never has a turn item at all.
const (
	// RecentTurns bounds how many turns a session keeps inline after an
	// eviction.
	RecentTurns = 40
	// RecentChars bounds the characters of the turns kept inline after an
	// eviction, except that the last minRecent turns are always kept
	// whatever their size.
	RecentChars = 12000
	minRecent   = 2
	// A save evicts once the inline turns pass either high-water bound.
	highTurns = 2 * RecentTurns
	highChars = 2 * RecentChars
	// firstCallerClip bounds Earlier.FirstCaller.
	firstCallerClip = 200
)

// Earlier sums up the turns of a session that are no longer inline.
type Earlier struct {
	Caller int `json:"caller,omitempty" dynamodbav:"caller,omitempty"`
	Agent  int `json:"agent,omitempty" dynamodbav:"agent,omitempty"`
	Tool   int `json:"tool,omitempty" dynamodbav:"tool,omitempty"`
	// Greeting is the conversation's first turn when the agent said it.
	Greeting string `json:"greeting,omitempty" dynamodbav:"greeting,omitempty"`
	// FirstCaller is the caller's first words (clipped).
	FirstCaller string `json:"firstCaller,omitempty" dynamodbav:"firstCaller,omitempty"`
}

// Count is how many turns Earlier stands for.
func (e Earlier) Count() int { return e.Caller + e.Agent + e.Tool }

// add counts a turn leaving the inline turns.
func (e *Earlier) add(t Turn) {
	switch t.Role {
	case RoleCaller:
		e.Caller++
		if e.FirstCaller == "" && t.Text != "" {
			e.FirstCaller = clipRunes(t.Text, firstCallerClip)
		}
	case RoleAgent:
		e.Agent++
		if t.Seq == 1 {
			e.Greeting = t.Text
		}
	default:
		e.Tool++
	}
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Greeting is the conversation's first turn when the agent said it (the web
// greeting, a phone leg's welcome), inline or not; "" otherwise.
func (s *Session) Greeting() string {
	if len(s.Turns) > 0 && s.Turns[0].Seq <= 1 {
		if s.Turns[0].Role == RoleAgent {
			return s.Turns[0].Text
		}
		return ""
	}
	return s.Earlier.Greeting
}

// Complete reports whether Turns holds the whole conversation.
func (s *Session) Complete() bool {
	return s.Earlier.Count() == 0 && (len(s.Turns) == 0 || s.Turns[0].Seq <= 1)
}

// Interrupted marks the last agent turn as talked over, keeping what the
// caller heard when it is shorter; the next Save writes the turn again.
// It reports whether there was an agent turn to mark.
func (s *Session) Interrupted(heard string) bool {
	for i := len(s.Turns) - 1; i >= 0; i-- {
		t := &s.Turns[i]
		if t.Role != RoleAgent {
			continue
		}
		t.Interrupted = true
		if heard != "" && len(heard) < len(t.Text) {
			t.Text = heard
		}
		return true
	}
	return false
}

// TakeInterrupt consumes the pending interrupt mark (nil: none); the next
// Save stamps it done. Apply it with Interrupted unless it belongs to a
// reply not yet stored.
func (s *Session) TakeInterrupt() *Interrupt {
	m := s.State.Engine.Interrupt
	s.State.Engine.Interrupt = nil
	return m
}

// SeenInterrupt makes a mark read outside the session (a streaming turn's
// poll, Store.PendingInterrupt) its pending mark, unless it has one: the
// caller then consumes it like any pending mark, and the next Save deletes
// it from the store.
func (s *Session) SeenInterrupt(m *Interrupt) {
	if m == nil || s.State.Engine.Interrupt != nil {
		return
	}
	c := *m
	s.State.Engine.Interrupt = &c
	if s.storedMark == nil {
		s.storedMark = &c
	}
}

// recent splits turns into those kept inline (the newest, within
// RecentTurns and RecentChars; at least minRecent) and the older ones.
func recent(turns []Turn) (older, kept []Turn) {
	start, chars := len(turns), 0
	for i := len(turns) - 1; i >= 0; i-- {
		n := utf8.RuneCountInString(turns[i].Text)
		kept := len(turns) - i - 1
		if kept >= minRecent && (kept+1 > RecentTurns || chars+n > RecentChars) {
			break
		}
		start, chars = i, chars+n
	}
	return turns[:start], turns[start:]
}

// overHigh reports whether turns pass the high-water mark.
func overHigh(turns []Turn) bool {
	if len(turns) > highTurns {
		return true
	}
	chars := 0
	for _, t := range turns {
		chars += utf8.RuneCountInString(t.Text)
	}
	return chars > highChars && len(turns) > minRecent
}

// maxEvict bounds the turns one save moves out (a TransactWriteItems holds
// at most 100 actions): an oversized previous version's item is moved out
// over several saves.
const maxEvict = 96

// storedForm is s as a store keeps it, and the turns this save moves out
// into items of their own (none until the inline turns pass the high-water
// mark). The consumed interrupt mark is stamped done.
func (s *Session) storedForm() (w *Session, evicted []Turn) {
	w = s.Clone()
	if overHigh(w.Turns) {
		older, _ := recent(w.Turns)
		evicted = slices.Clone(older[:min(len(older), maxEvict)])
		for _, t := range evicted {
			w.Earlier.add(t)
		}
		w.Turns = slices.Clone(w.Turns[len(evicted):])
	}
	if s.State.Engine.Interrupt == nil && s.storedMark != nil && s.storedMark.At.After(w.State.Engine.MarkDone) {
		w.State.Engine.MarkDone = s.storedMark.At
	}
	return w, evicted
}

// markPending reports whether a save must (re)write the mark item: a mark
// set in code rather than read (a previous version's state), or a pending
// mark whose session moved to another connection (the item is indexed
// under the connection). Consuming a mark writes nothing beside the
// session: its item stays, stamped done by State.Engine.MarkDone.
func (s *Session) markPending() bool {
	cur, was := s.State.Engine.Interrupt, s.storedMark
	switch {
	case cur == nil:
		return false
	case was == nil || !cur.At.Equal(was.At) || cur.Heard != was.Heard:
		return true
	}
	return s.ConnectionID != s.storedConn
}

// saved brings s up to date after its stored form w was written at
// version: s now looks as a read would return it.
func (s *Session) saved(w *Session, version int64) {
	s.Turns, s.Earlier, s.Version = slices.Clone(w.Turns), w.Earlier, version
	s.State.Engine.MarkDone = w.State.Engine.MarkDone
	s.storedConn = s.ConnectionID
	s.storedMark = nil
	if m := s.State.Engine.Interrupt; m != nil {
		c := *m
		s.storedMark = &c
	}
}

// withMark gives s, just read, the mark the store holds: pending unless a
// save already consumed it.
func (s *Session) withMark(mark *Interrupt) {
	s.storedConn = s.ConnectionID
	if mark == nil || !mark.At.After(s.State.Engine.MarkDone) {
		return
	}
	c, d := *mark, *mark
	s.State.Engine.Interrupt, s.storedMark = &c, &d
}

// TurnReader reads the turns moved out of a session's item (Earlier),
// oldest first.
type TurnReader interface {
	EarlierTurns(ctx context.Context, biz tenant.ID, id string) ([]Turn, error)
}

// AllTurns returns every turn of s: its inline turns when they are the
// whole conversation (no read), else the turns moved out followed by the
// inline ones.
func AllTurns(ctx context.Context, r TurnReader, s *Session) ([]Turn, error) {
	if s.Complete() {
		return slices.Clone(s.Turns), nil
	}
	if r == nil {
		return nil, fmt.Errorf("session %s/%s: %d earlier turns are stored apart and no turn reader was given", s.BusinessID, s.ID, s.Earlier.Count())
	}
	all, err := r.EarlierTurns(ctx, s.BusinessID, s.ID)
	if err != nil {
		return nil, err
	}
	bySeq := make(map[int]int, len(all))
	for i, t := range all {
		bySeq[t.Seq] = i
	}
	for _, t := range s.Turns {
		if i, ok := bySeq[t.Seq]; ok {
			all[i] = t
		} else {
			all = append(all, t)
		}
	}
	slices.SortStableFunc(all, func(a, b Turn) int { return a.Seq - b.Seq })
	return all, nil
}
