package twiliovoice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
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
// only as Caller.CallerID. A session that already exists is left alone.
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
	}
	if n := phone.Normalize(call.From); phone.IsE164(n) {
		s.Caller.CallerID = n
	}
	if call.Mode == ModeVoicemail {
		s.State.Call.Mode = session.CallVoicemail
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

// Resume records the unanswered transfer in State.Call.ResumeStaff.
func (c *SessionCalls) Resume(ctx context.Context, biz tenant.ID, callSID, staffKey string) error {
	s, err := c.get(ctx, biz, callSID)
	if err != nil {
		return fmt.Errorf("resume call: %w", err)
	}
	now := c.now()
	_, err = session.Update(ctx, c.Store, s, func(s *session.Session) error {
		if !s.Active(now) {
			return ErrCallEnded
		}
		s.State.Call.ResumeStaff = staffKey
		// The previous relay leg is over; the leg this TwiML starts is the
		// only handshake ws-connect may bind next (issue 13).
		s.ConnectionID = ""
		s.UpdatedAt = now
		return nil
	})
	if err != nil {
		return fmt.Errorf("resume call %s: %w", callSID, err)
	}
	return nil
}

// End marks the session ended with reason, unless it has ended already.
func (c *SessionCalls) End(ctx context.Context, biz tenant.ID, callSID, reason string) error {
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
		s.Status, s.EndReason, s.EndedAt, s.UpdatedAt = session.StatusEnded, reason, now, now
		return nil
	})
	if err != nil && !errors.Is(err, errAlreadyEnded) {
		return fmt.Errorf("end call %s: %w", callSID, err)
	}
	return nil
}

var errAlreadyEnded = errors.New("already ended")
