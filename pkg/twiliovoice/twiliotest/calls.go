// Package twiliotest holds fakes for testing code around Twilio: Calls, an
// in-memory twiliovoice.Calls, and Messages, an http.Handler speaking the
// wire format of Twilio's Messages API, to be driven by the real twilio-go
// client (twiliovoice.TwilioSMS).
package twiliotest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// Call is what Calls knows of one call.
type Call struct {
	Business tenant.ID
	twiliovoice.Call
	Resumed   []string // staff keys, in order
	Ended     bool
	EndReason string
	// Events are the events recorded by End and Pressed, in order;
	// Pressed the keys.
	Events  []agent.Event
	Pressed []string
}

type callKey struct {
	biz tenant.ID
	sid string
}

// Calls is an in-memory twiliovoice.Calls with the same semantics as
// twiliovoice.SessionCalls: Start is idempotent per (business, CallSid),
// Resume and End fail with ErrUnknownCall for a call never started, Resume
// fails with ErrCallEnded after End, End of an ended call is a no-op.
// Setting Err makes every method fail with it.
type Calls struct {
	mu    sync.Mutex
	calls map[callKey]*Call
	order []callKey
	// Err, when set, is returned by every method (a store outage).
	Err error
	// Counts of method calls, including no-ops.
	Starts, Resumes, Ends, Presses int
}

var _ twiliovoice.Calls = (*Calls)(nil)

// NewCalls returns an empty fake.
func NewCalls() *Calls { return &Calls{calls: map[callKey]*Call{}} }

// Start records the call unless it is known already.
func (c *Calls) Start(_ context.Context, b *business.Business, call twiliovoice.Call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Starts++
	if c.Err != nil {
		return c.Err
	}
	k := callKey{b.ID, call.SID}
	if _, ok := c.calls[k]; ok {
		return nil
	}
	c.calls[k] = &Call{Business: b.ID, Call: call}
	c.order = append(c.order, k)
	return nil
}

// Resume records an unanswered transfer.
func (c *Calls) Resume(_ context.Context, biz tenant.ID, callSID, staffKey string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Resumes++
	if c.Err != nil {
		return c.Err
	}
	call, ok := c.calls[callKey{biz, callSID}]
	switch {
	case !ok:
		return fmt.Errorf("resume %s: %w", callSID, twiliovoice.ErrUnknownCall)
	case call.Ended:
		return fmt.Errorf("resume %s: %w", callSID, twiliovoice.ErrCallEnded)
	}
	call.Resumed = append(call.Resumed, staffKey)
	return nil
}

// End marks the call ended, once.
func (c *Calls) End(_ context.Context, biz tenant.ID, callSID, reason string, events ...agent.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Ends++
	if c.Err != nil {
		return c.Err
	}
	call, ok := c.calls[callKey{biz, callSID}]
	if !ok {
		return fmt.Errorf("end %s: %w", callSID, twiliovoice.ErrUnknownCall)
	}
	if !call.Ended {
		call.Ended, call.EndReason = true, reason
		call.Events = append(call.Events, events...)
	}
	return nil
}

// Pressed records a key press and its event.
func (c *Calls) Pressed(_ context.Context, biz tenant.ID, callSID, digit string, ev agent.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Presses++
	if c.Err != nil {
		return c.Err
	}
	call, ok := c.calls[callKey{biz, callSID}]
	switch {
	case !ok:
		return fmt.Errorf("key press %s: %w", callSID, twiliovoice.ErrUnknownCall)
	case call.Ended:
		return fmt.Errorf("key press %s: %w", callSID, twiliovoice.ErrCallEnded)
	}
	call.Pressed = append(call.Pressed, digit)
	call.Events = append(call.Events, ev)
	return nil
}

// Get returns a copy of a call.
func (c *Calls) Get(biz tenant.ID, callSID string) (Call, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call, ok := c.calls[callKey{biz, callSID}]
	if !ok {
		return Call{}, false
	}
	return call.clone(), true
}

// All returns copies of every call, in the order they started.
func (c *Calls) All() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Call, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, c.calls[k].clone())
	}
	return out
}

func (c *Call) clone() Call {
	cp := *c
	cp.Resumed, cp.Events, cp.Pressed = slices.Clone(c.Resumed), slices.Clone(c.Events), slices.Clone(c.Pressed)
	return cp
}
