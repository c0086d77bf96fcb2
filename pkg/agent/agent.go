// Package agent is the contract between the conversation engine and the
// agents that answer callers: the scripted intake agent (pkg/intake) and
// the AI agent (pkg/aiagent). Both implement Agent, report what they did
// as Events of one set of kinds (which the transcript, the email, the
// prompt and the tools share), and end a phone call with a typed Handoff.
// Fallback composes them: the AI agent answers, and when the model fails
// the scripted agent finishes the turn from the same state.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

// Agent answers a business's callers. It keeps no state of its own: what
// it remembers lives in the session (Caller and State).
type Agent interface {
	// Greet initializes the agent's part of s.State and returns the
	// opening line.
	Greet(s *session.Session) Reply
	// Turn answers one caller utterance, changing s.Caller and s.State (never
	// s.Turns). It may stream words through out as they form; Reply.Text is
	// what is left to say after them. On error, the Reply holds what the
	// turn did before it failed (events, handoff), and s what it changed.
	Turn(ctx context.Context, s *session.Session, text string, now time.Time, out Output) (Reply, error)
}

// Greeting is the conversation's opening line on a channel, whichever agent
// greets: on the web the business's web greeting (never a key to press), on
// the phone its greeting (which Twilio speaks).
func Greeting(b *business.Business, ch session.Channel) string {
	if ch == session.ChannelWeb {
		return b.WebGreeting()
	}
	if g := strings.TrimSpace(b.Agent.Greeting); g != "" {
		return b.Fill(g)
	}
	return "Hi, you've reached " + b.DisplayName() + ". How can I help you today?"
}

// Output receives what an agent says while a turn runs.
type Output interface {
	// Text streams the next words of the reply. It returns ErrInterrupted
	// when the caller talked over the reply: the agent should stop.
	Text(delta string) error
	// CallerChanged shows the caller's details as soon as they change (the
	// web client's panel). A failed post is the engine's to report after
	// the turn, not a reason for the agent to stop.
	CallerChanged(c session.Caller)
}

// ErrInterrupted is returned by Output.Text, and then by Turn, when the
// caller talked over the reply. It is not a failure: nothing falls back.
var ErrInterrupted = errors.New("caller interrupted")

// Reply is the result of a turn.
type Reply struct {
	// Text is what to say (after anything streamed through Output).
	Text string
	// Done: the conversation is complete; end it after saying Text.
	Done bool
	// Events are worth a tool turn in the transcript, in order.
	Events []Event
	// Handoff, when set, hands a phone call on (transfer, voicemail).
	Handoff *Handoff
}

// Fallback is an Agent that answers with Primary and, when Primary fails
// (other than ErrInterrupted), lets Backup finish the same turn from the
// session as Primary left it, after whatever Primary already said. The
// caller is answered and the lead captured whatever the model does.
type Fallback struct {
	Primary, Backup Agent
	Log             *slog.Logger
}

// Greet greets with Backup, whose state must be ready to take over any turn.
func (f Fallback) Greet(s *session.Session) Reply { return f.Backup.Greet(s) }

// Turn implements Agent.
func (f Fallback) Turn(ctx context.Context, s *session.Session, text string, now time.Time, out Output) (Reply, error) {
	r, err := f.Primary.Turn(ctx, s, text, now, out)
	if err == nil || errors.Is(err, ErrInterrupted) {
		return r, err
	}
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	log.WarnContext(ctx, "agent failed; the backup agent finishes the turn", "err", err)
	b, berr := f.Backup.Turn(ctx, s, text, now, out)
	if berr != nil {
		return r, errors.Join(err, berr)
	}
	b.Events = append(r.Events, b.Events...)
	b.Done = b.Done || r.Done
	if b.Handoff == nil {
		b.Handoff = r.Handoff
	}
	return b, nil
}

// Handoff is the handoffData of the `end` frame, which Twilio posts to the
// Connect action: what happens to the call after the agent.
type Handoff struct {
	Reason string `json:"reason"`
	Staff  string `json:"staff,omitempty"` // the staff key of a transfer
	Name   string `json:"name,omitempty"`  // the staff member's name
}

// Handoff reasons.
const (
	HandoffCompleted = "completed" // the conversation is over: hang up
	HandoffEmergency = "emergency" // dial the emergency contact
	HandoffTransfer  = "transfer"  // dial the staff member
	HandoffVoicemail = "voicemail" // a message was taken: hang up
)

// Transfer reports whether the handoff hands the call to a person; the
// session then stays open, so an unanswered dial returns to the agent.
func (h *Handoff) Transfer() bool { return h != nil && h.Reason == HandoffTransfer }

// JSON is the handoff as the end frame carries it.
func (h Handoff) JSON() string {
	b, _ := json.Marshal(h) // three strings always marshal
	return string(b)
}

// ParseHandoff reads handoff data. Anything that is not a JSON object with
// a reason is no handoff (the zero Handoff).
func ParseHandoff(data string) Handoff {
	var h Handoff
	if json.Unmarshal([]byte(data), &h) != nil {
		return Handoff{}
	}
	return h
}
