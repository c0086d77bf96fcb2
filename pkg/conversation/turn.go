package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// turn is one frame's work for one session.
type turn struct {
	e     *Engine
	p     Poster
	b     *business.Business
	s     *session.Session // as read; may be stale
	agent Agent
	// usesModel: the agent asks the model, so a prompt first claims the
	// conversation (no parallel model requests).
	usesModel bool
}

var errEnded = errors.New("session ended")

func (t *turn) setup(ctx context.Context, f *protocol.Inbound) error {
	if t.s.Channel == session.ChannelPhone {
		return t.phoneSetup(ctx, f)
	}
	var greeting string
	if !t.s.State.Engine.Greeted {
		saved, err := session.Update(ctx, t.e.Store, t.s, func(s *session.Session) error {
			if s.State.Engine.Greeted {
				return errNothingToDo // a duplicate setup raced us
			}
			reply := t.agent.Greet(s)
			s.State.Engine.Greeted = true
			s.Append(session.RoleAgent, reply.Text, t.e.now().UTC())
			s.UpdatedAt = t.e.now().UTC()
			greeting = reply.Text
			return nil
		})
		if err != nil && !errors.Is(err, errNothingToDo) {
			return fmt.Errorf("setup: %w", err)
		}
		if saved != nil {
			t.s = saved
		}
	}
	// A web connection is a web session for good: the setup's callSid, from
	// and to are caller-supplied and change nothing.
	ready := protocol.SessionReady{Type: protocol.TypeSessionReady, BusinessID: string(t.b.ID), BusinessName: t.b.Name, AgentName: t.b.Agent.Name, SessionID: t.s.ID}
	if err := t.post(ctx, protocol.Encode(ready)); err != nil {
		return err
	}
	if greeting != "" {
		return t.say(ctx, greeting)
	}
	return nil
}

// phoneSetup starts a ConversationRelay leg. Twilio has already spoken the
// leg's welcome greeting, so it is recorded as the agent's words, not said.
func (t *turn) phoneSetup(ctx context.Context, f *protocol.Inbound) error {
	if f.CallSID != t.s.CallSID {
		return t.refuse(ctx, protocol.CodeBadFrame, "setup callSid does not match this call")
	}
	saved, err := session.Update(ctx, t.e.Store, t.s, func(s *session.Session) error {
		if !t.openLeg(s) {
			return errNothingToDo // a duplicate setup, or a frame of this leg got here first
		}
		s.UpdatedAt = t.e.now().UTC()
		return nil
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		return fmt.Errorf("phone setup: %w", err)
	}
	if saved != nil {
		t.s = saved
	}
	return nil
}

// openLeg records the start of the phone leg on s's connection, once: the
// welcome greeting Twilio spoke goes into the transcript as the agent's
// words, and a question it ended with ("What's your name?") is what the
// caller's next words answer. API Gateway may run a leg's first prompt or
// key press before its setup, so whichever frame comes first opens the
// leg, and the greeting stays before the caller's words. It reports
// whether it changed s.
func (t *turn) openLeg(s *session.Session) bool {
	eng := &s.State.Engine
	if s.Channel != session.ChannelPhone || eng.Leg == s.ConnectionID {
		return false
	}
	eng.Leg = s.ConnectionID
	mode := twiliovoice.ModeConversation
	if s.State.Call.Mode == session.CallVoicemail {
		mode = twiliovoice.ModeVoicemail
	}
	greeting, asked := twiliovoice.LegGreeting(t.b, mode, s.State.Call.ResumeStaff)
	if !eng.Greeted || s.State.Call.ResumeStaff != "" {
		s.Append(session.RoleAgent, greeting, t.e.now().UTC())
		if asked != "" {
			// The leg opened with a question: the caller's next words
			// answer it, whichever agent hears them.
			s.State.Intake.Asked(asked)
		}
	}
	eng.Greeted = true
	return true
}

// dtmf handles a key press. With emergency handling on, # transfers a phone
// caller to the emergency contact: say so, then end the relay with handoff
// data (the Connect action dials). Other digits reach the agent as text.
func (t *turn) dtmf(ctx context.Context, digit string) error {
	if digit != "#" || t.s.Channel != session.ChannelPhone || !t.b.Features.EmergencyCallHandling {
		return t.prompt(ctx, digit)
	}
	now := t.e.now().UTC()
	const say = "Connecting you to our on-call team now. Please stay on the line."
	saved, err := session.Update(ctx, t.e.Store, t.s, func(s *session.Session) error {
		if !s.Active(now) {
			return errEnded
		}
		consumeInterrupt(s, now, nil)
		t.openLeg(s)
		s.Append(session.RoleCaller, "#", now)
		agent.Record(s, agent.Event{Kind: agent.EventEmergencyTransfer, Detail: "caller pressed # for the emergency line"}, now)
		s.Append(session.RoleAgent, say, now)
		s.UpdatedAt = now
		return nil
	})
	if errors.Is(err, errEnded) {
		return t.refuse(ctx, protocol.CodeSessionEnded, "this conversation has ended")
	}
	if err != nil {
		return fmt.Errorf("dtmf: %w", err)
	}
	t.s = saved
	if err := t.say(ctx, say); err != nil {
		return err
	}
	return t.post(ctx, protocol.Encode(protocol.End{Type: protocol.TypeEnd, HandoffData: agent.Handoff{Reason: agent.HandoffEmergency}.JSON()}))
}

// prompt answers one utterance with the agent: words it streams are posted
// as phrases as they form, and everything is saved with one conditional
// write before the turn is closed, so the caller's next utterance sees it.
// A reply that was not streamed (the scripted agent) is said after the save.
func (t *turn) prompt(ctx context.Context, text string) error {
	e := t.e
	now := e.now().UTC()
	if !t.s.Active(now) {
		return t.refuse(ctx, protocol.CodeSessionEnded, "this conversation has ended; start a new one")
	}
	lim := t.b.Limits.OrDefault()
	if t.s.State.Usage.TurnUntil.After(now) {
		// The read may lag the save that released the claim (DynamoDB reads
		// it from an index): confirm with a consistent read before refusing.
		fresh, err := e.Store.Get(ctx, t.s.BusinessID, t.s.ID)
		if err == nil {
			t.s = fresh
		}
		if t.s.State.Usage.TurnUntil.After(now) {
			return t.limited(ctx, CodeBusy, "turnInProgress", "still answering your last message; send this again when the reply is done")
		}
	}
	if le := admit(t.s.State.Usage, lim, now); le != nil {
		return t.limited(ctx, CodeRateLimited, le.limit, le.msg)
	}
	// A model turn first claims the conversation in the store, counting the
	// utterance: a frame arriving while it runs is refused, never a second
	// model request. (A scripted turn is cheap; it counts in its one save.)
	var turnID string
	released := false // the turn's save cleared its claim
	if t.usesModel {
		turnID = e.newID()
		claimed, err := session.Update(ctx, e.Store, t.s, func(s *session.Session) error {
			if !s.Active(now) {
				return errEnded
			}
			if s.State.Usage.TurnUntil.After(now) {
				return errBusy
			}
			if le := admit(s.State.Usage, lim, now); le != nil {
				return le
			}
			countPrompt(&s.State.Usage, now)
			s.State.Usage.TurnUntil, s.State.Usage.TurnID = now.Add(e.turnTimeout()+claimSlack), turnID
			return nil
		})
		var le *limitError
		switch {
		case errors.Is(err, errEnded):
			return t.refuse(ctx, protocol.CodeSessionEnded, "this conversation has ended; start a new one")
		case errors.Is(err, errBusy):
			return t.limited(ctx, CodeBusy, "turnInProgress", "still answering your last message; send this again when the reply is done")
		case errors.As(err, &le):
			return t.limited(ctx, CodeRateLimited, le.limit, le.msg)
		case err != nil:
			t.refuse(ctx, protocol.CodeInternal, "temporary problem; please say that again")
			return fmt.Errorf("prompt: claim: %w", err)
		}
		t.s = claimed
		defer func() {
			if !released {
				t.release(context.WithoutCancel(ctx), turnID)
			}
		}()
	}
	usageBefore := t.s.State.Usage
	var tokens int64
	defer func() {
		// After the reply was sent: the business's daily model budget.
		e.spendTokens(context.WithoutCancel(ctx), t.b, now, tokens)
	}()
	ctx, cancel := context.WithTimeout(ctx, e.turnTimeout())
	defer cancel()

	work := t.s.Clone() // this turn's view; the store is written once, at the end
	defer func() { tokens = work.State.Usage.ModelTokens - usageBefore.ModelTokens }()
	t.openLeg(work)
	work.Append(session.RoleCaller, text, now)
	callerBefore, stateBefore := work.Caller, work.State.Clone()
	// The first interrupt check waits one poll interval: a reply that is
	// out by then costs no extra read.
	out := &streamOut{ctx: ctx, t: t, turnStart: now, lastPoll: e.now(), coalesce: relay.Coalescer{Now: e.Now}, shown: callerBefore}
	reply, err := t.agent.Turn(ctx, work, text, now, out)
	if err != nil && !errors.Is(err, agent.ErrInterrupted) {
		if out.streamed() {
			_ = out.finish(ctx)
		} else {
			t.refuse(ctx, protocol.CodeInternal, "temporary problem; please say that again")
		}
		return fmt.Errorf("prompt: %w", err)
	}
	streamed := out.streamed()
	if streamed && reply.Text != "" {
		// The backup agent finishes a streamed turn after what was said.
		out.CallerChanged(work.Caller)
		if err := out.Text(" " + reply.Text); err != nil && !errors.Is(err, agent.ErrInterrupted) {
			return fmt.Errorf("prompt: %w", err)
		}
	}
	if out.err != nil {
		return out.err
	}
	saved, err := session.Update(ctx, e.Store, t.s, func(s *session.Session) error {
		if !s.Active(now) {
			return errEnded // ended meanwhile (hang-up); what was said is moot
		}
		spoken := reply.Text
		if streamed {
			s.SeenInterrupt(out.mark) // the mark a stale read may not show
			consumeInterrupt(s, now, &out.stored)
			spoken = out.stored.String()
		} else {
			consumeInterrupt(s, now, nil)
		}
		t.openLeg(s)
		s.Append(session.RoleCaller, text, now)
		for _, ev := range reply.Events {
			agent.Record(s, ev, now)
		}
		at := s.Append(session.RoleAgent, spoken, e.now().UTC())
		at.Interrupted = out.interrupted
		mergeCaller(&s.Caller, callerBefore, work.Caller)
		mergeState(&s.State, stateBefore, work.State)
		u, w := &s.State.Usage, work.State.Usage
		if turnID == "" {
			countPrompt(u, now)
		} else if u.TurnID == turnID {
			u.TurnUntil, u.TurnID = time.Time{}, ""
		}
		u.ModelTokens += w.ModelTokens - usageBefore.ModelTokens
		u.Bookings += w.Bookings - usageBefore.Bookings
		u.SMS += w.SMS - usageBefore.SMS
		s.UpdatedAt = e.now().UTC()
		if reply.Done && !out.interrupted && !reply.Handoff.Transfer() {
			e.end(s, EndCompleted)
		}
		return nil
	})
	if streamed {
		if ferr := out.finish(ctx); ferr != nil && err == nil {
			err = ferr
		}
	}
	switch {
	case errors.Is(err, errEnded) && streamed:
		return nil
	case errors.Is(err, errEnded):
		return t.refuse(ctx, protocol.CodeSessionEnded, "this conversation has ended; start a new one")
	case err != nil:
		// Never leave "got it" standing for something not stored: the
		// caller is told, even after a streamed reply.
		t.refuse(ctx, protocol.CodeInternal, "temporary problem; that was not saved, please say it again")
		return fmt.Errorf("prompt: %w", err)
	}
	t.s = saved
	released = true
	// The panel updates before the reply is said.
	if saved.Caller != out.shown {
		if err := t.showCaller(ctx, saved.Caller); err != nil {
			return err
		}
	}
	for _, ev := range reply.Events {
		if err := t.announceBooking(ctx, saved, ev); err != nil {
			return err
		}
	}
	if !streamed {
		if err := t.say(ctx, reply.Text); err != nil {
			return err
		}
	}
	switch {
	case reply.Handoff.Transfer() && !out.interrupted:
		// The call continues with a person; the session stays open so a
		// failed dial can return the caller to the agent.
		return t.finishConversation(ctx, saved, reply.Handoff)
	case saved.Status == session.StatusEnded:
		return t.finishConversation(ctx, saved, reply.Handoff)
	}
	return nil
}

// showCaller sends the caller's details to a web client (user_info_updated);
// web-only frames never go to Twilio, which would reject an unknown type.
func (t *turn) showCaller(ctx context.Context, c session.Caller) error {
	if t.s.Channel != session.ChannelWeb {
		return nil
	}
	return t.post(ctx, protocol.Encode(protocol.UserInfoUpdated{Type: protocol.TypeUserInfoUpdated, UserInfo: protocol.UserInfo{Name: c.Name, Phone: c.Phone, Email: c.Email, Reason: c.Reason}}))
}

// announceBooking tells the web client about a booking the agent just made.
func (t *turn) announceBooking(ctx context.Context, s *session.Session, ev agent.Event) error {
	if ev.Kind != agent.EventAppointmentBooked || s.Channel != session.ChannelWeb {
		return nil
	}
	loc := booking.Location(t.b)
	return t.post(ctx, protocol.Encode(protocol.AppointmentCreated{Type: protocol.TypeAppointment, Appointment: protocol.Appointment{
		Start: s.State.Booking.Start.In(loc).Format(time.RFC3339), TimeZone: loc.String(), When: ev.Detail, Service: s.State.Booking.Service,
	}}))
}

// finishConversation tells the client the conversation is over (or, on the
// phone, hands the call over: handoff is the agent's, nil for a plain end);
// a web connection is then closed (Twilio closes its own after `end` and
// POSTs the handoff data to the Connect action).
func (t *turn) finishConversation(ctx context.Context, s *session.Session, handoff *agent.Handoff) error {
	if handoff == nil {
		handoff = &agent.Handoff{Reason: s.EndReason}
	}
	if err := t.post(ctx, protocol.Encode(protocol.End{Type: protocol.TypeEnd, HandoffData: handoff.JSON()})); err != nil {
		return err
	}
	if s.Channel == session.ChannelWeb {
		return t.p.Close(ctx, s.ConnectionID)
	}
	return nil
}

// interrupt marks the session: the caller talked over the reply being
// spoken. The turn that saves next truncates that reply to what was heard
// (a streaming turn also stops posting when it sees the mark). The mark is
// a small record of its own: an interrupt never rewrites the session.
func (t *turn) interrupt(ctx context.Context, heard string) error {
	err := t.e.Store.Interrupt(ctx, t.s, session.Interrupt{At: t.e.now().UTC(), Heard: heard})
	if err != nil {
		return fmt.Errorf("interrupt: %w", err)
	}
	return nil
}

// say posts a reply as phrases; the last one closes the turn.
func (t *turn) say(ctx context.Context, text string) error {
	phrases := relay.Phrases(text)
	if len(phrases) == 0 {
		phrases = []string{""}
	}
	for i, ph := range phrases {
		if err := t.post(ctx, protocol.Encode(protocol.Text{Type: protocol.TypeText, Token: ph, Last: i == len(phrases)-1})); err != nil {
			return err
		}
	}
	return nil
}

// limited refuses a prompt for a limit: an error frame on the web, a polite
// line on a call (Twilio speaks only text frames). Logged with the business.
func (t *turn) limited(ctx context.Context, code, limit, msg string) error {
	t.e.log().InfoContext(ctx, "prompt refused by a limit", "code", code, "limit", limit)
	if t.s.Channel == session.ChannelPhone {
		if code == CodeBusy {
			return t.say(ctx, "One moment, please.")
		}
		return t.say(ctx, "I'm sorry, I can't take any more right now. Please call back in a little while.")
	}
	return t.refuse(ctx, code, msg)
}

// release gives up a model turn's claim that no save cleared (the turn
// failed before saving), so the next utterance is not refused as busy.
func (t *turn) release(ctx context.Context, turnID string) {
	_, err := session.Update(ctx, t.e.Store, t.s, func(s *session.Session) error {
		if s.State.Usage.TurnID != turnID {
			return errNothingToDo
		}
		s.State.Usage.TurnUntil, s.State.Usage.TurnID = time.Time{}, ""
		return nil
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		t.e.log().WarnContext(ctx, "could not release the turn's claim; it lapses by itself", "err", err)
	}
}

func (t *turn) refuse(ctx context.Context, code, msg string) error {
	return t.post(ctx, protocol.Encode(protocol.ErrorFrame{Type: protocol.TypeError, Code: code, Message: msg}))
}

// post sends a frame; a gone connection ends the session cleanly.
func (t *turn) post(ctx context.Context, frame []byte) error {
	err := t.p.Post(ctx, t.s.ConnectionID, frame)
	if errors.Is(err, relay.ErrGone) {
		if cerr := t.e.Close(ctx, t.s.ConnectionID, EndGone); cerr != nil {
			return cerr
		}
		return nil
	}
	return err
}
