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
	return c.update(&c.Resumes, "resume", biz, callSID, false, func(call *Call) {
		call.Resumed = append(call.Resumed, staffKey)
	})
}

// End marks the call ended, once.
func (c *Calls) End(_ context.Context, biz tenant.ID, callSID, reason string, events ...agent.Event) error {
	return c.update(&c.Ends, "end", biz, callSID, true, func(call *Call) {
		if !call.Ended {
			call.Ended, call.EndReason = true, reason
			call.Events = append(call.Events, events...)
		}
	})
}

// Pressed records a key press and its event.
func (c *Calls) Pressed(_ context.Context, biz tenant.ID, callSID, digit string, ev agent.Event) error {
	return c.update(&c.Presses, "key press", biz, callSID, false, func(call *Call) {
		call.Pressed = append(call.Pressed, digit)
		call.Events = append(call.Events, ev)
	})
}

// update counts a method call in count and, under c.mu, applies change to
// the call it acts on, or returns why not: Err, a call never started, or
// (unless endedOK) a call that has ended.
func (c *Calls) update(count *int, what string, biz tenant.ID, callSID string, endedOK bool, change func(*Call)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	*count++
	if c.Err != nil {
		return c.Err
	}
	call, ok := c.calls[callKey{biz, callSID}]
	switch {
	case !ok:
		return fmt.Errorf("%s %s: %w", what, callSID, twiliovoice.ErrUnknownCall)
	case call.Ended && !endedOK:
		return fmt.Errorf("%s %s: %w", what, callSID, twiliovoice.ErrCallEnded)
	}
	change(call)
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
