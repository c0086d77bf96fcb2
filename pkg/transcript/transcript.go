// Package transcript is the durable record of a finished conversation: who
// called which business, when, over which channel, what they said and what
// was collected. It is built from the session when the session ends (or
// expires abandoned) and is what the summary email is made from.
package transcript

import (
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Status is how the conversation finished.
type Status string

const (
	StatusCompleted Status = "completed" // the agent closed it with everything collected
	StatusEnded     Status = "ended"     // the caller left (disconnect, hang-up)
	StatusAbandoned Status = "abandoned" // the session expired while still active
)

// Turn is one line of the transcript.
type Turn struct {
	At   time.Time `json:"at" dynamodbav:"at"`
	Role string    `json:"role" dynamodbav:"role"` // caller, agent, tool
	Text string    `json:"text" dynamodbav:"text"`
	// Tool names the event of a tool turn (phone_validated, ...).
	Tool        string `json:"tool,omitempty" dynamodbav:"tool,omitempty"`
	Interrupted bool   `json:"interrupted,omitempty" dynamodbav:"interrupted,omitempty"`
}

// Transcript is one finished conversation.
type Transcript struct {
	BusinessID tenant.ID       `json:"businessId" dynamodbav:"businessId"`
	SessionID  string          `json:"sessionId" dynamodbav:"sessionId"`
	Channel    session.Channel `json:"channel" dynamodbav:"channel"`
	CallSID    string          `json:"callSid,omitempty" dynamodbav:"callSid,omitempty"`
	Status     Status          `json:"status" dynamodbav:"status"`
	EndReason  string          `json:"endReason,omitempty" dynamodbav:"endReason,omitempty"`
	StartedAt  time.Time       `json:"startedAt" dynamodbav:"startedAt"`
	EndedAt    time.Time       `json:"endedAt" dynamodbav:"endedAt"`

	// Caller is what the caller told us.
	Caller session.Caller `json:"caller" dynamodbav:"caller"`
	// CallbackPhone is the number to call back: the one the caller gave,
	// else Twilio's caller id, flagged by PhoneFromCallerID.
	CallbackPhone     string `json:"callbackPhone,omitempty" dynamodbav:"callbackPhone,omitempty"`
	PhoneFromCallerID bool   `json:"phoneFromCallerId,omitempty" dynamodbav:"phoneFromCallerId,omitempty"`

	Turns []Turn `json:"turns" dynamodbav:"turns"`

	// Booking is the appointment the agent booked, if any.
	Booking *Booking `json:"booking,omitempty" dynamodbav:"booking,omitempty"`
}

// Booking is an appointment made during the conversation.
type Booking struct {
	Start   time.Time `json:"start" dynamodbav:"start"`
	Service string    `json:"service,omitempty" dynamodbav:"service,omitempty"`
}

// FromSession builds the transcript of a session that has ended, or that
// expired while active (abandoned) as of now.
func FromSession(s *session.Session, now time.Time) Transcript {
	t := Transcript{
		BusinessID: s.BusinessID, SessionID: s.ID, Channel: s.Channel, CallSID: s.CallSID,
		StartedAt: s.CreatedAt, EndedAt: s.EndedAt, EndReason: s.EndReason,
		Caller: s.Caller, CallbackPhone: s.Caller.Phone,
	}
	t.Caller.CallerID = ""
	switch {
	case s.Status == session.StatusActive:
		t.Status, t.EndReason = StatusAbandoned, "expired"
		t.EndedAt = s.UpdatedAt
		if t.EndedAt.IsZero() {
			t.EndedAt = now
		}
	case s.EndReason == "completed":
		t.Status = StatusCompleted
	default:
		t.Status = StatusEnded
	}
	if t.CallbackPhone == "" && s.Caller.CallerID != "" {
		t.CallbackPhone, t.PhoneFromCallerID = s.Caller.CallerID, true
	}
	for _, tu := range s.Turns {
		t.Turns = append(t.Turns, Turn{At: tu.At, Role: tu.Role, Text: tu.Text, Tool: tu.Tool, Interrupted: tu.Interrupted})
	}
	if bk := s.State.Booking; bk.Booked() {
		t.Booking = &Booking{Start: bk.Start, Service: bk.Service}
	}
	return t
}

// Duration is how long the conversation lasted.
func (t Transcript) Duration() time.Duration { return t.EndedAt.Sub(t.StartedAt) }
