// Package session holds conversation state: which business a connection
// belongs to, what the caller has told us, where the agent is in its flow,
// and the turn history. It is the durable form of the brief's
// TenantContextManager. Every key carries the business id, so a session of
// one business can never be addressed through another business's key.
package session

import (
	"errors"
	"slices"
	"time"

	"github.com/ahca/ahca/pkg/tenant"
)

// Errors. Store methods never return a nil *Session without an error.
var (
	ErrNotFound = errors.New("session not found")
	// ErrConflict is returned by Save when the stored version is not the one
	// the caller read: another invocation saved first. Re-read and retry.
	ErrConflict = errors.New("session changed concurrently")
	// ErrExists is returned by Create when the session already exists.
	ErrExists = errors.New("session already exists")
)

// Channel is how the caller reached us.
type Channel string

const (
	ChannelWeb   Channel = "web"
	ChannelPhone Channel = "phone"
)

// Status is where a session is in its life.
type Status string

const (
	StatusActive Status = "active"
	StatusEnded  Status = "ended"
)

// Roles of a turn.
const (
	RoleCaller = "caller"
	RoleAgent  = "agent"
	RoleTool   = "tool"
)

// Turn is one utterance or tool result, in order.
type Turn struct {
	Seq  int       `json:"seq" dynamodbav:"seq"`
	Role string    `json:"role" dynamodbav:"role"`
	Text string    `json:"text" dynamodbav:"text"`
	At   time.Time `json:"at" dynamodbav:"at"`
	// Tool names the tool for RoleTool turns.
	Tool string `json:"tool,omitempty" dynamodbav:"tool,omitempty"`
	// Interrupted marks an agent turn the caller talked over; Text is what
	// they heard.
	Interrupted bool `json:"interrupted,omitempty" dynamodbav:"interrupted,omitempty"`
}

// Caller is what we know about the person on the other end.
type Caller struct {
	Name   string `json:"name,omitempty" dynamodbav:"name,omitempty"`
	Phone  string `json:"phone,omitempty" dynamodbav:"phone,omitempty"`
	Email  string `json:"email,omitempty" dynamodbav:"email,omitempty"`
	Reason string `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	// CallerID is the number Twilio reported. It is never shown to the model;
	// it is only a fallback for the summary.
	CallerID string `json:"callerId,omitempty" dynamodbav:"callerId,omitempty"`
}

// Session is one conversation of one caller with one business.
type Session struct {
	BusinessID   tenant.ID `json:"businessId" dynamodbav:"businessId"`
	ID           string    `json:"sessionId" dynamodbav:"sessionId"`
	Channel      Channel   `json:"channel" dynamodbav:"channel"`
	ConnectionID string    `json:"connectionId,omitempty" dynamodbav:"connectionId,omitempty"`
	CallSID      string    `json:"callSid,omitempty" dynamodbav:"callSid,omitempty"`
	Status       Status    `json:"status" dynamodbav:"status"`
	EndReason    string    `json:"endReason,omitempty" dynamodbav:"endReason,omitempty"`

	Caller Caller `json:"caller" dynamodbav:"caller"`
	// State is what the agents, tools, webhooks and engine remember
	// between turns (see State).
	State State `json:"state" dynamodbav:"state"`
	// Turns are the conversation's turns kept inline, oldest first: all of
	// a short conversation's; of a long one, the recent ones (at least what
	// the prompt's history can use: RecentTurns, RecentChars), the older
	// ones being items of their own. AllTurns reads the whole conversation.
	Turns []Turn `json:"turns,omitempty" dynamodbav:"turns,omitempty"`
	// Earlier sums up the turns no longer in Turns.
	Earlier Earlier `json:"earlier,omitzero" dynamodbav:"earlier,omitempty"`

	// Version increases by one with every Save; Save succeeds only when the
	// stored version equals the version the caller read.
	Version int64 `json:"version" dynamodbav:"version"`

	CreatedAt time.Time `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt" dynamodbav:"updatedAt"`
	EndedAt   time.Time `json:"endedAt,omitzero" dynamodbav:"endedAt,omitempty"`
	// ExpiresAt is when an abandoned session may be deleted. Stores set the
	// table's TTL from it, but TTL deletion lags, so code checks Expired.
	ExpiresAt time.Time `json:"expiresAt" dynamodbav:"-"`
	// IdleTimeout ends the session once it has been idle this long (the
	// sweeper, whatever happens to the connection's close); zero means
	// DefaultIdleTimeout of its channel.
	IdleTimeout time.Duration `json:"idleTimeout,omitempty" dynamodbav:"idleTimeout,omitempty"`

	// storedMark is the pending interrupt mark the store holds, as of the
	// read: Save stamps it done when State.Engine.Interrupt was consumed.
	storedMark *Interrupt
	// storedConn is the connection the stored mark is indexed under.
	storedConn string
}

// Default idle timeouts, by channel: a web visitor who stopped typing for
// ten minutes has gone; a phone call ends with its status callback, so its
// timeout only covers a callback that never came (a call can sit in a
// transfer for a long while).
const (
	DefaultWebIdleTimeout   = 10 * time.Minute
	DefaultPhoneIdleTimeout = 30 * time.Minute
)

// LastActive is when the session last changed.
func (s *Session) LastActive() time.Time {
	if s.UpdatedAt.After(s.CreatedAt) {
		return s.UpdatedAt
	}
	return s.CreatedAt
}

// IdleAfter is how long the session may be idle before it is ended.
func (s *Session) IdleAfter() time.Duration {
	switch {
	case s.IdleTimeout > 0:
		return s.IdleTimeout
	case s.Channel == ChannelPhone:
		return DefaultPhoneIdleTimeout
	}
	return DefaultWebIdleTimeout
}

// IdleAt is when an active session counts as idle: its last activity plus
// its idle timeout.
func (s *Session) IdleAt() time.Time { return s.LastActive().Add(s.IdleAfter()) }

// Expired reports whether the session is past its expiry at now.
func (s *Session) Expired(now time.Time) bool {
	return !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)
}

// Active reports whether the session can take another turn at now.
func (s *Session) Active(now time.Time) bool {
	return s.Status == StatusActive && !s.Expired(now)
}

// Append adds a turn with the next sequence number.
func (s *Session) Append(role, text string, at time.Time) *Turn {
	seq := 1
	if n := len(s.Turns); n > 0 {
		seq = s.Turns[n-1].Seq + 1
	}
	s.Turns = append(s.Turns, Turn{Seq: seq, Role: role, Text: text, At: at})
	return &s.Turns[len(s.Turns)-1]
}

// Clone returns a deep copy, so a caller can never mutate a store's state.
func (s *Session) Clone() *Session {
	c := *s
	c.State = s.State.Clone()
	c.Turns = slices.Clone(s.Turns)
	if s.storedMark != nil {
		m := *s.storedMark
		c.storedMark = &m
	}
	return &c
}
