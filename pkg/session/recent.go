package session

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/tenant"
)

// A session keeps only its recent turns inline; every turn is also its own
// item, written once (in the save that appends it), so a save's cost does
// not grow with the conversation and no length of conversation is too long
// to store. The recent turns are what a turn's prompt needs: the bounds are
// the prompt history's (prompt.History keeps at most this many).
const (
	// RecentTurns bounds how many turns a session keeps inline.
	RecentTurns = 40
	// RecentChars bounds the characters of the turns kept inline, except
	// that the last minRecent turns are always kept whatever their size.
	RecentChars = 12000
	minRecent   = 2
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
		t.Interrupted, t.changed = true, true
		if heard != "" && len(heard) < len(t.Text) {
			t.Text = heard
		}
		return true
	}
	return false
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

// stored is s as a store keeps it: the recent turns inline, the older ones
// counted in Earlier.
func (s *Session) storedForm() *Session {
	c := s.Clone()
	older, kept := recent(c.Turns)
	for _, t := range older {
		c.Earlier.add(t)
	}
	c.Turns = slices.Clone(kept)
	for i := range c.Turns {
		c.Turns[i].changed = false
	}
	return c
}

// pendingTurns are the turns a save of s must write as their own items:
// the new ones and those edited since the read (in the save's one
// conditional write), and a previous version's inline turns, which are
// already committed and may be written before it (backfill).
func (s *Session) pendingTurns() (backfill, pending []Turn) {
	for _, t := range s.Turns {
		switch {
		case t.Seq > s.storedSeq || t.changed:
			t.changed = false
			pending = append(pending, t)
		case t.Seq <= s.backfill:
			backfill = append(backfill, t)
		}
	}
	return backfill, pending
}

// markChange is what a save does to the stored interrupt mark.
type markChange int

const (
	markKeep   markChange = iota
	markPut               // store State.Engine.Interrupt
	markDelete            // delete storedMark (consumed)
)

func (s *Session) markChange() markChange {
	cur, was := s.State.Engine.Interrupt, s.storedMark
	switch {
	case cur == nil && was == nil:
		return markKeep
	case cur == nil:
		return markDelete
	case was == nil || !cur.At.Equal(was.At) || cur.Heard != was.Heard:
		return markPut
	case s.ConnectionID != s.storedConn:
		return markPut // index it under the session's new connection
	}
	return markKeep
}

// saved brings s up to date after its stored form w was written at
// version: s now looks as a read would return it.
func (s *Session) saved(w *Session, version int64) {
	s.Turns, s.Earlier, s.Version = slices.Clone(w.Turns), w.Earlier, version
	s.storedSeq, s.backfill, s.storedConn = lastSeq(s.Turns), 0, s.ConnectionID
	s.storedMark = nil
	if m := s.State.Engine.Interrupt; m != nil {
		c := *m
		s.storedMark = &c
	}
}

// lastSeq is the sequence number of the last of turns (0: none).
func lastSeq(turns []Turn) int {
	if n := len(turns); n > 0 {
		return turns[n-1].Seq
	}
	return 0
}

// withMark gives s, just read, the mark the store holds.
func (s *Session) withMark(mark *Interrupt) {
	s.storedMark = nil
	if mark != nil {
		c, d := *mark, *mark
		s.State.Engine.Interrupt, s.storedMark = &c, &d
	}
}

// TurnReader reads every turn of a session, oldest first.
type TurnReader interface {
	Turns(ctx context.Context, biz tenant.ID, id string) ([]Turn, error)
}

// AllTurns returns every turn of s: its inline turns when they are the
// whole conversation (no read), else the store's turn items, with the
// inline ones (which may be newer edits of the same turns) on top.
func AllTurns(ctx context.Context, r TurnReader, s *Session) ([]Turn, error) {
	if s.Complete() {
		return slices.Clone(s.Turns), nil
	}
	if r == nil {
		return nil, fmt.Errorf("session %s/%s: %d earlier turns are stored apart and no turn reader was given", s.BusinessID, s.ID, s.Earlier.Count())
	}
	all, err := r.Turns(ctx, s.BusinessID, s.ID)
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
