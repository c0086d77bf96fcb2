package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/prompt"
	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tools"
)

// Defaults of the LLM turn.
const (
	DefaultTurnTimeout   = 20 * time.Second // well under API Gateway's 29 s integration timeout
	DefaultMaxToolRounds = 4
	DefaultInterruptPoll = 300 * time.Millisecond
)

var errInterrupted = errors.New("caller interrupted")

// llmTurn answers one utterance with the model: stream phrases to the
// caller as they form, run tool calls (the loop may repeat), fall back to the
// scripted agent if the model fails, then save everything with one
// conditional write.
func (t *turn) llmTurn(ctx context.Context, text string) error {
	e := t.e
	start := e.now().UTC()
	timeout := e.TurnTimeout
	if timeout <= 0 {
		timeout = DefaultTurnTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	work := t.s.Clone() // this turn's view; the store is written once, at the end
	work.Append(session.RoleCaller, text, start)
	callerBefore, stateBefore := work.Caller, work.State.Clone()
	reg := e.tools()
	offered := reg.For(t.b)
	popts := e.PromptOptions
	popts.Tools = offered
	msgs := prompt.Build(t.b, work, start, popts)

	// The first interrupt check waits one poll interval: a reply that is
	// out by then costs no extra read.
	out := &streamOut{t: t, turnStart: start, lastPoll: e.now(), coalesce: relay.Coalescer{Now: e.Now}}
	// The web panel shows what a tool (or the fallback) stored as soon as it
	// is stored; Twilio never gets web-only frames.
	shown := callerBefore
	showCaller := func() error {
		c := work.Caller
		if c == shown || work.Channel != session.ChannelWeb {
			return nil
		}
		shown = c
		return t.post(ctx, protocol.Encode(protocol.UserInfoUpdated{Type: protocol.TypeUserInfoUpdated, UserInfo: protocol.UserInfo{Name: c.Name, Phone: c.Phone, Email: c.Email, Reason: c.Reason}}))
	}
	var events []tools.Event
	end := false
	handoff := "" // a tool's handoff data (transfer, voicemail) for the end frame
	rounds := e.MaxToolRounds
	if rounds <= 0 {
		rounds = DefaultMaxToolRounds
	}
	var llmErr error
	for round := 0; ; round++ {
		req := llm.Request{Model: t.b.LLM.Model, Temperature: t.b.LLM.Temperature, Messages: msgs, Tools: offered}
		if round == rounds-1 {
			req.Tools = nil // last round: words, not more tool calls
		}
		res, err := e.LLM.Stream(ctx, req, out.text)
		if err != nil {
			llmErr = err
			break
		}
		if len(res.ToolCalls) == 0 {
			break
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: res.Text, ToolCalls: res.ToolCalls})
		for _, call := range res.ToolCalls {
			o := reg.Execute(ctx, tools.Env{Business: t.b, Session: work, Now: start}, call)
			if o.Err != nil {
				e.log().ErrorContext(ctx, "tool failed", "tool", call.Name, "err", o.Err)
			}
			msgs = append(msgs, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Content: o.Content})
			if o.Event != nil {
				events = append(events, *o.Event)
			}
			end = end || o.End
			if o.Handoff != "" {
				handoff = o.Handoff
			}
		}
		if err := showCaller(); err != nil {
			return err
		}
	}

	interrupted := errors.Is(llmErr, errInterrupted)
	if llmErr != nil && !interrupted {
		// The caller is answered and the lead captured whatever the model does.
		e.log().WarnContext(ctx, "llm failed; scripted agent continues the turn", "err", llmErr, "posted", out.posted > 0)
		reply := t.agent.RespondContext(ctx, work, text, start)
		for _, ev := range reply.Events {
			events = append(events, tools.Event{Kind: ev.Kind, Detail: ev.Detail})
		}
		end = end || reply.Done
		if err := showCaller(); err != nil {
			return err
		}
		if out.said.Len() > 0 {
			out.text(" ")
		}
		if err := out.text(reply.Text); err != nil && !errors.Is(err, errInterrupted) {
			return err
		}
	}
	// Save before closing the turn: once the caller sees last:true they may
	// speak again, and that turn must read this one.
	saved, err := session.Update(ctx, e.Store, t.s, func(s *session.Session) error {
		if !s.Active(start) {
			return errEnded // ended meanwhile (hang-up); what was said is moot
		}
		consumeInterrupt(s, start, &out.stored)
		s.Append(session.RoleCaller, text, start)
		for _, ev := range events {
			tt := s.Append(session.RoleTool, ev.Detail, start)
			tt.Tool = ev.Kind
		}
		at := s.Append(session.RoleAgent, out.stored.String(), e.now().UTC())
		at.Interrupted = out.interrupted
		mergeCaller(&s.Caller, callerBefore, work.Caller)
		mergeState(&s.State, stateBefore, work.State)
		s.UpdatedAt = e.now().UTC()
		if end && !out.interrupted && !isTransfer(handoff) {
			e.end(s, EndCompleted)
		}
		return nil
	})
	if ferr := out.finish(ctx); ferr != nil && err == nil {
		err = ferr
	}
	if errors.Is(err, errEnded) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("llm turn: %w", err)
	}
	t.s = saved
	for _, ev := range events {
		if err := t.announceBooking(ctx, saved, ev.Kind, ev.Detail); err != nil {
			return err
		}
	}
	switch {
	case isTransfer(handoff) && !out.interrupted:
		// The call continues with a person; the session stays open so a
		// failed dial can return the caller to the agent.
		return t.finishConversation(ctx, saved, handoff)
	case saved.Status == session.StatusEnded:
		return t.finishConversation(ctx, saved, handoff)
	}
	return nil
}

// isTransfer reports whether handoff data hands the call to a person.
func isTransfer(handoff string) bool {
	var h struct {
		Reason string `json:"reason"`
	}
	return handoff != "" && json.Unmarshal([]byte(handoff), &h) == nil && h.Reason == "transfer"
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
// turn started interrupted this turn's reply (current); an older one
// interrupted the last stored agent turn.
func consumeInterrupt(s *session.Session, turnStart time.Time, current *strings.Builder) {
	mark := s.State.Engine.Interrupt
	if mark == nil {
		return
	}
	s.State.Engine.Interrupt = nil
	heard, when := mark.Heard, mark.At
	if current != nil && !when.Before(turnStart) {
		if heard != "" && len(heard) < current.Len() {
			current.Reset()
			current.WriteString(heard)
		}
		return
	}
	for i := len(s.Turns) - 1; i >= 0; i-- {
		if s.Turns[i].Role == session.RoleAgent {
			s.Turns[i].Interrupted = true
			if heard != "" && len(heard) < len(s.Turns[i].Text) {
				s.Turns[i].Text = heard
			}
			return
		}
	}
}

// streamOut posts model text as phrases and keeps what was said.
type streamOut struct {
	t           *turn
	turnStart   time.Time
	coalesce    relay.Coalescer
	said        strings.Builder // everything posted
	stored      strings.Builder // what the transcript keeps
	posted      int
	lastPoll    time.Time
	interrupted bool
}

// text is the model's onText callback.
func (o *streamOut) text(delta string) error {
	if o.interrupted {
		return errInterrupted
	}
	o.stored.WriteString(delta)
	for _, p := range o.coalesce.Add(delta) {
		if err := o.post(context.Background(), p, false); err != nil {
			return err
		}
	}
	return nil
}

func (o *streamOut) post(ctx context.Context, phrase string, last bool) error {
	if o.posted > 0 && !last && o.checkInterrupt(ctx) {
		return errInterrupted
	}
	if err := o.t.post(ctx, protocol.Encode(protocol.Text{Type: protocol.TypeText, Token: phrase, Last: last})); err != nil {
		return err
	}
	o.said.WriteString(phrase)
	o.posted++
	return nil
}

// checkInterrupt looks for an interrupt mark, at most every InterruptPoll,
// and only once a phrase is out (short replies cost no extra read).
func (o *streamOut) checkInterrupt(ctx context.Context) bool {
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
	s, err := e.Store.Get(ctx, o.t.s.BusinessID, o.t.s.ID)
	if err != nil {
		return false
	}
	mark := s.State.Engine.Interrupt
	if mark == nil || mark.At.Before(o.turnStart) {
		return false
	}
	o.interrupted = true
	return true
}

// finish flushes the last phrase with last:true; every turn is closed, even
// a failed or interrupted one.
func (o *streamOut) finish(ctx context.Context) error {
	rest := o.coalesce.Flush()
	if o.interrupted {
		rest = ""
	}
	return o.t.post(ctx, protocol.Encode(protocol.Text{Type: protocol.TypeText, Token: rest, Last: true}))
}

// tools returns the engine's registry, building the default one once.
func (e *Engine) tools() *tools.Registry {
	e.toolsOnce.Do(func() {
		if e.Tools == nil {
			e.Tools = tools.Default()
		}
	})
	return e.Tools
}

// handoffJSON renders handoff data for an end frame.
func handoffJSON(reason string) string {
	b, _ := json.Marshal(map[string]string{"reason": reason})
	return string(b)
}
