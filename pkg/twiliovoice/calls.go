package twiliovoice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// DefaultCallTTL bounds an abandoned call's session (API Gateway closes
// every WebSocket connection after 2 hours).
const DefaultCallTTL = 3 * time.Hour

// SessionCalls implements Calls over a session.Store: a call's session has
// the CallSid as its id, so a retried webhook finds the session it already
// opened instead of opening another.
type SessionCalls struct {
	Store session.Store
	Now   func() time.Time // default time.Now
	TTL   time.Duration    // default DefaultCallTTL
	// IdleTimeout, when set, is every call's idle timeout (`ahca dev
	// --idle-timeout`); else the business's session.phoneIdleTimeout.
	IdleTimeout time.Duration
}

var _ Calls = (*SessionCalls)(nil)

func (c *SessionCalls) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// Start creates the phone session: id and CallSID the CallSid, the
// business's id, status active, the caller id (when it is a number) kept
// only as Caller.CallerID. What Twilio says as it answers is recorded as
// the agent's first turn, at the time it is said: the leg's welcome
// greeting (the engine then does not record it again at setup, which can
// arrive after the caller's first key press), or the after-hours greeting
// with an after_hours event. A session that already exists is left alone.
func (c *SessionCalls) Start(ctx context.Context, b *business.Business, call Call) error {
	if call.SID == "" {
		return errors.New("start call: empty CallSid")
	}
	now := c.now()
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultCallTTL
	}
	s := &session.Session{
		BusinessID: b.ID, ID: call.SID, Channel: session.ChannelPhone, CallSID: call.SID,
		Status:    session.StatusActive,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(ttl),
		// The sweeper's backstop for a status callback that never comes.
		IdleTimeout: cmp.Or(c.IdleTimeout, b.IdleTimeout(string(session.ChannelPhone))),
	}
	if n := phone.Normalize(call.From); phone.IsE164(n) {
		s.Caller.CallerID = n
	}
	if call.Mode == ModeVoicemail {
		s.State.Call.Mode = session.CallVoicemail
	}
	if call.Mode == ModeClosed {
		s.Append(session.RoleAgent, closedGreeting(b), now)
		agent.Record(s, agent.Event{Kind: transcript.EventAfterHours, Detail: "the after-hours greeting was played"}, now)
	} else {
		text, asks := LegGreeting(b, call.Mode, "")
		greet(s, text, asks, now)
	}
	err := c.Store.Create(ctx, s)
	if errors.Is(err, session.ErrExists) {
		return nil // a retried webhook: the session is already open
	}
	if err != nil {
		return fmt.Errorf("start call: %w", err)
	}
	return nil
}

// greet records the first leg's greeting (LegGreeting) as the agent's
// turn, at the time Twilio is told to say it; the engine then does not
// record it again when the leg opens.
func greet(s *session.Session, text, asks string, now time.Time) {
	if text == "" {
		return
	}
	s.Append(session.RoleAgent, text, now)
	s.State.Engine.Greeted = true
	if asks != "" {
		// The greeting asks for a field ("What's your name?"): the caller's
		// next words answer it.
		s.State.Intake.Asked(asks)
	}
}

// get reads the call's session.
func (c *SessionCalls) get(ctx context.Context, biz tenant.ID, callSID string) (*session.Session, error) {
	s, err := c.Store.Get(ctx, biz, callSID)
	if errors.Is(err, session.ErrNotFound) {
		return nil, fmt.Errorf("call %s: %w", callSID, ErrUnknownCall)
	}
	if err != nil {
		return nil, err
	}
	if s.Channel != session.ChannelPhone || s.CallSID != callSID {
		return nil, fmt.Errorf("call %s: session is not this call's: %w", callSID, ErrUnknownCall)
	}
	return s, nil
}

// Resume records the unanswered transfer in State.Call.ResumeStaff and as
// a transfer_not_answered event (detail: staffKey). The next leg's
// greeting is recorded by the engine when the leg opens (its first frame).
func (c *SessionCalls) Resume(ctx context.Context, biz tenant.ID, callSID, staffKey string) error {
	return c.updateActive(ctx, biz, callSID, "resume call", func(s *session.Session, now time.Time) {
		s.State.Call.ResumeStaff = staffKey
		agent.Record(s, agent.Event{Kind: transcript.EventTransferNotAnswered, Detail: staffKey}, now)
		// The previous relay leg is over; the leg this TwiML starts is the
		// only handshake ws-connect may bind next (issue 13).
		s.ConnectionID = ""
	})
}

// updateActive applies change to the call's session, stamping UpdatedAt,
// unless the session is no longer active (ErrCallEnded). what names the
// action in errors.
func (c *SessionCalls) updateActive(ctx context.Context, biz tenant.ID, callSID, what string, change func(s *session.Session, now time.Time)) error {
	s, err := c.get(ctx, biz, callSID)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	now := c.now()
	_, err = session.Update(ctx, c.Store, s, func(s *session.Session) error {
		if !s.Active(now) {
			return ErrCallEnded
		}
		change(s, now)
		s.UpdatedAt = now
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, callSID, err)
	}
	return nil
}

// End marks the session ended with reason, recording events with it,
// unless it has ended already.
func (c *SessionCalls) End(ctx context.Context, biz tenant.ID, callSID, reason string, events ...agent.Event) error {
	s, err := c.get(ctx, biz, callSID)
	if err != nil {
		return fmt.Errorf("end call: %w", err)
	}
	if s.Status == session.StatusEnded {
		return nil
	}
	now := c.now()
	_, err = session.Update(ctx, c.Store, s, func(s *session.Session) error {
		if s.Status == session.StatusEnded {
			return errAlreadyEnded
		}
		for _, ev := range events {
			agent.Record(s, ev, now)
		}
		s.Status, s.EndReason, s.EndedAt, s.UpdatedAt = session.StatusEnded, reason, now, now
		return nil
	})
	if err != nil && !errors.Is(err, errAlreadyEnded) {
		return fmt.Errorf("end call %s: %w", callSID, err)
	}
	return nil
}

// Pressed records a key the caller pressed at a webhook's prompt (the
// after-hours greeting's #) as a caller turn, and the event it starts.
func (c *SessionCalls) Pressed(ctx context.Context, biz tenant.ID, callSID, digit string, ev agent.Event) error {
	return c.updateActive(ctx, biz, callSID, "key press on call", func(s *session.Session, now time.Time) {
		s.Append(session.RoleCaller, digit, now)
		agent.Record(s, ev, now)
	})
}

var errAlreadyEnded = errors.New("already ended")
