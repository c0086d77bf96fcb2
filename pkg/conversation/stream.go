package conversation

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/session"
)

// streamOut is the agent.Output of a turn: it posts streamed words as
// phrases (relay.Coalescer), checks for interrupts, shows the caller's
// details on the web as they change, and keeps what the transcript records. Everything
// goes out under the turn's context, so posts and interrupt reads keep its
// deadline and its log attributes.
type streamOut struct {
	ctx         context.Context
	t           *turn
	turnStart   time.Time
	coalesce    relay.Coalescer
	stored      strings.Builder // what the transcript keeps
	posted      int
	lastPoll    time.Time
	interrupted bool
	mark        *session.Interrupt // the mark that interrupted this turn
	shown       session.Caller     // the caller details the client has
	err         error              // a failed post of caller details
}

var _ agent.Output = (*streamOut)(nil)

// streamed reports whether the agent spoke through the stream.
func (o *streamOut) streamed() bool { return o.stored.Len() > 0 }

// Text implements agent.Output.
func (o *streamOut) Text(delta string) error {
	if o.interrupted {
		return agent.ErrInterrupted
	}
	o.stored.WriteString(delta)
	for _, p := range o.coalesce.Add(delta) {
		if err := o.post(p, false); err != nil {
			return err
		}
	}
	return nil
}

// CallerChanged implements agent.Output: web clients get user_info_updated
// at once; Twilio never gets web-only frames.
func (o *streamOut) CallerChanged(c session.Caller) {
	if c == o.shown || o.err != nil {
		return
	}
	if err := o.t.showCaller(o.ctx, c); err != nil {
		o.err = err
		return
	}
	o.shown = c
}

func (o *streamOut) post(phrase string, last bool) error {
	if o.posted > 0 && !last && o.checkInterrupt() {
		return agent.ErrInterrupted
	}
	if err := o.t.post(o.ctx, protocol.Encode(protocol.Text{Type: protocol.TypeText, Token: phrase, Last: last})); err != nil {
		return err
	}
	o.posted++
	return nil
}

// checkInterrupt looks for an interrupt mark, at most every InterruptPoll,
// and only once a phrase is out (short replies cost no extra read).
func (o *streamOut) checkInterrupt() bool {
	e := o.t.e
	poll := e.InterruptPoll
	if poll <= 0 {
		poll = DefaultInterruptPoll
	}
	now := e.now()
	if now.Sub(o.lastPoll) < poll {
		return false
	}
	o.lastPoll = now
	mark, err := e.Store.LastInterrupt(o.ctx, o.t.s.BusinessID, o.t.s.ID)
	if err != nil || mark == nil || mark.At.Before(o.turnStart) {
		return false
	}
	o.interrupted, o.mark = true, mark
	return true
}

// finish flushes the last phrase with last:true; every streamed turn is
// closed, even a failed or interrupted one.
func (o *streamOut) finish(ctx context.Context) error {
	rest := o.coalesce.Flush()
	if o.interrupted {
		rest = ""
	}
	return o.t.post(ctx, protocol.Encode(protocol.Text{Type: protocol.TypeText, Token: rest, Last: true}))
}

// mergeCaller applies the fields this turn changed onto the stored caller,
// so a concurrent turn's changes to other fields survive.
func mergeCaller(dst *session.Caller, before, after session.Caller) {
	set := func(d *string, b, a string) {
		if a != b {
			*d = a
		}
	}
	set(&dst.Name, before.Name, after.Name)
	set(&dst.Phone, before.Phone, after.Phone)
	set(&dst.Email, before.Email, after.Email)
	set(&dst.Reason, before.Reason, after.Reason)
}

// mergeState applies the parts of the state this turn changed onto the
// stored state, so a concurrent change to another part (the call's resume
// staff, an interrupt mark) survives; the engine's own part is not touched.
func mergeState(dst *session.State, before, after session.State) {
	if !reflect.DeepEqual(before.Intake, after.Intake) {
		dst.Intake = after.Intake
	}
	if before.Booking != after.Booking {
		dst.Booking = after.Booking
	}
	if before.Call != after.Call {
		dst.Call = after.Call
	}
	if !reflect.DeepEqual(before.Voicemail, after.Voicemail) {
		dst.Voicemail = after.Voicemail
	}
}

// consumeInterrupt applies a pending interrupt mark. A mark set after this
// turn started interrupted this turn's streamed reply (current); an older
// one interrupted the last stored agent turn.
func consumeInterrupt(s *session.Session, turnStart time.Time, current *strings.Builder) {
	mark := s.TakeInterrupt()
	if mark == nil {
		return
	}
	if current != nil && !mark.At.Before(turnStart) {
		if mark.Heard != "" && len(mark.Heard) < current.Len() {
			current.Reset()
			current.WriteString(mark.Heard)
		}
		return
	}
	s.Interrupted(mark.Heard)
}
