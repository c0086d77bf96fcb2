package intake

// Staff routing and the return after an unanswered transfer: what the AI
// agent does with route_call, the scripted agent does from the same
// callRouting, so a transfer can be tried with no model.

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tools"
)

// routeRe is the caller asking for a person: "talk to someone in
// billing", "can I speak with Jordan", "I need to talk to the front desk",
// "put me through to pharmacy" (not "my neighbor wants to talk to you").
var routeRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(please )?(talk|speak|chat) (to|with)\b` +
		`|\b(can|could|may) i (please |just |also )?(talk|speak|chat) (to|with)\b` +
		`|\bi('d| would)? (like|want|need|wanna|have) to (talk|speak|chat) (to|with)\b` +
		`|\blet me (talk|speak) (to|with)\b` +
		`|\b(someone|somebody|anyone|anybody|a person|a human) i (can|could) (talk|speak) (to|with)\b` +
		`|\b(transfer|connect|put) me\b|\b(real|live) person\b|\boperator\b`)
})

// route handles a request for a person, when the business routes calls
// (tools.CanRoute): on a phone call it hands the call to the staff member
// the words name (else to whoever handles "default"), as route_call does;
// on the web, after hours, or to someone who just did not answer, it takes
// a message for them instead (while collecting; at the read-back the
// details are taken already). It reports whether it handled the turn.
func (t *turn) route(u utter) bool {
	b := t.a.b
	n := norm(u.text) // "can I talk to billing?" is a question, and a request
	loc := routeRe().FindStringIndex(n)
	if !tools.CanRoute(b) || loc == nil || topicPatternMatch(topicAgent, n) {
		return false
	}
	st, matched, ok := tools.StaffIn(b, n[loc[1]:])
	if !ok {
		st, matched, ok = tools.MatchStaff(b, "", true)
	}
	if !ok {
		return false
	}
	err := tools.CheckTransfer(t.s, st)
	if err == nil {
		say, h, ev := tools.BeginTransfer(t.s, st, matched)
		t.main, t.handoff, t.done = say, h, true
		t.events = append(t.events, ev)
		return true
	}
	if t.in.Step != StepCollect {
		return false // at the read-back the details are taken already
	}
	switch {
	case errors.Is(err, tools.ErrTransferWeb):
		t.pre = append(t.pre, "I can't transfer a chat, but I'll make sure "+st.Name+" gets your message.")
	case errors.Is(err, tools.ErrTransferClosed):
		t.pre = append(t.pre, "Nobody can take a call right now, but I'll make sure "+st.Name+" gets your message.")
	default:
		t.pre = append(t.pre, st.Name+" isn't available right now, but I'll make sure they get your message.")
	}
	t.in.Message = "for " + st.Name
	fd := t.extract(u, "", false)
	fd.name = nil // "talk to Jordan" names who the message is for
	t.applyDetails(fd)
	t.ackFields = true
	if t.s.Caller.Reason == "" && !t.in.IsSkipped(fieldReason) {
		t.in.Ask = fieldReason
		t.main = t.question(fieldReason, false)
		return true
	}
	t.advance()
	return true
}

// topicPatternMatch reports whether the normalized text asks about tp.
func topicPatternMatch(tp topic, n string) bool {
	for _, p := range topicPatterns() {
		if p.topic == tp && p.re.MatchString(n) {
			return true
		}
	}
	return false
}

// returned picks the conversation up after a transfer that was not
// answered (State.Call.ResumeStaff, set by the dial action): the leg's
// greeting offered to take a message, so what the caller says now is a
// message for that staff member; after the on-call line, the call is
// already urgent and # is not offered again.
func (t *turn) returned() {
	switch rs := t.s.State.Call.ResumeStaff; {
	case rs == "":
	case rs == session.ResumeEmergency:
		t.in.Emergency = true
	case t.in.Message == "":
		name := rs
		if st, ok := tools.StaffByKey(t.a.b, rs); ok {
			name = st.Name
		}
		t.in.Message = "for " + name
	}
}

// voicemail saves the message taken on a call that nobody could take,
// after an unanswered transfer or in after-hours voicemail mode, as the
// call's voicemail (as collect_voicemail does; the scripted agent sends no
// texts), for the staff member who did not answer or whom the message
// names, and hands the call on to be hung up.
func (t *turn) voicemail() {
	s, b := t.s, t.a.b
	rs := s.State.Call.ResumeStaff
	unanswered := rs != "" && rs != session.ResumeEmergency
	if s.Channel != session.ChannelPhone || !b.Features.VoicemailHandling || !unanswered && s.State.Call.Mode != session.CallVoicemail {
		return
	}
	var st business.Staff
	found := false
	if unanswered {
		st, found = tools.StaffByKey(b, rs)
	} else if to, ok := strings.CutPrefix(t.in.Message, "for "); ok {
		st, _, found = tools.MatchStaff(b, to, false)
	}
	c := s.Caller
	vm := &session.Voicemail{Name: c.Name, Phone: c.Phone, PhoneSource: "caller", Reason: c.Reason, For: st.Key, At: t.now.UTC().Truncate(time.Second)}
	if vm.Phone == "" && c.CallerID != "" {
		vm.Phone, vm.PhoneSource = c.CallerID, "caller_id"
	}
	s.State.Voicemail = vm
	forWhom := "the team"
	if found {
		forWhom = st.Name
	}
	t.event(agent.EventVoicemail, "message for "+forWhom+"; 0 text(s) sent")
	t.handoff = &agent.Handoff{Reason: agent.HandoffVoicemail}
}
