package aiagent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tools"
)

// phoneOnly are the tools that act on a phone call (a transfer, texts to
// staff); a web chat is never offered them and never runs them.
var phoneOnly = map[string]bool{tools.NameRouteCall: true, tools.NameCollectVoicemail: true}

// forChannel drops the tools the session's channel may not use.
func forChannel(offered []llm.Tool, ch session.Channel) []llm.Tool {
	if ch == session.ChannelPhone {
		return offered
	}
	out := offered[:0:0]
	for _, t := range offered {
		if !phoneOnly[t.Name] {
			out = append(out, t)
		}
	}
	return out
}

// guard holds one turn's checks on the model's tool calls: what the server
// knows, not what the model says, decides whether a call may run.
type guard struct {
	b        *business.Business
	lim      business.Limits
	counters session.Counters
	calls    int       // tool calls run this turn
	proposed time.Time // the slot read back before this turn began
	vmSent   string    // the voicemail text sent before the call being run
	reserved int64     // texts reserved on the hourly count for that call
	log      *slog.Logger
}

func newGuard(b *business.Business, s *session.Session, counters session.Counters, log *slog.Logger) *guard {
	return &guard{b: b, lim: b.Limits.OrDefault(), counters: counters, proposed: s.State.Booking.Proposed, log: log}
}

// refuse returns why call may not run (the tool result the model reads
// instead), or "" when it may.
func (g *guard) refuse(ctx context.Context, s *session.Session, call llm.ToolCall, now time.Time) string {
	g.calls++
	if g.calls > g.lim.ToolCallsPerTurn {
		return fmt.Sprintf("not run: at most %d tool calls per caller turn. Answer the caller now.", g.lim.ToolCallsPerTurn)
	}
	if phoneOnly[call.Name] && s.Channel != session.ChannelPhone {
		return call.Name + " is not available in a web chat."
	}
	switch call.Name {
	case tools.NameScheduleAppointment:
		return g.booking(s, call, now)
	case tools.NameCollectVoicemail:
		u := s.State.Usage
		if u.SMS >= g.lim.SMSPerConversation {
			return "the message was already passed on in this conversation; do not take another. Thank the caller and say goodbye."
		}
		g.vmSent = ""
		if s.State.Voicemail != nil {
			g.vmSent = s.State.Voicemail.Sent
		}
		g.reserved = 0
		if n := maxTexts(g.b); g.counters != nil && g.lim.SMSPerBusinessPerHour >= 0 && n > 0 {
			// Reserve the most texts this voicemail can send (one per
			// number); after gives back what it did not send.
			c, err := g.counters.Add(ctx, g.b.ID, session.HourWindow(now), map[string]int64{session.CountSMS: n})
			if err != nil {
				break
			}
			if c[session.CountSMS] > int64(g.lim.SMSPerBusinessPerHour) {
				g.release(ctx, now, n)
				g.log.WarnContext(ctx, "limit reached", "limit", "smsPerBusinessPerHour", "value", g.lim.SMSPerBusinessPerHour)
				return "messages cannot be texted right now; tell the caller the team will see their details and call back, then say goodbye."
			}
			g.reserved = n
		}
	}
	return ""
}

// maxTexts is the most texts one collect_voicemail can send for b: one to
// the staff member it is for, one to each admin number.
func maxTexts(b *business.Business) int64 {
	var n int64
	for _, st := range b.CallRouting.Staff {
		if st.Phone != "" {
			n = 1
			break
		}
	}
	if b.SMS.Enabled {
		n += int64(len(b.SMS.AdminNumbers))
	}
	return n
}

// release gives n reserved texts back to the business's hourly count.
func (g *guard) release(ctx context.Context, now time.Time, n int64) {
	if n <= 0 {
		return
	}
	if _, err := g.counters.Add(ctx, g.b.ID, session.HourWindow(now), map[string]int64{session.CountSMS: -n}); err != nil {
		g.log.WarnContext(ctx, "usage counters: could not give back reserved texts", "texts", n, "err", err)
	}
}

// booking admits a confirmed schedule_appointment only for the slot that was
// read back in an earlier turn, once a name and a contact are known, and
// within bookingsPerConversation. An unconfirmed call (a look-up) runs.
func (g *guard) booking(s *session.Session, call llm.ToolCall, now time.Time) string {
	var a struct {
		DateTime string `json:"date_time"`
		Confirm  bool   `json:"confirm"`
	}
	if json.Unmarshal([]byte(call.Arguments), &a) != nil || !a.Confirm {
		return ""
	}
	if s.State.Usage.Bookings >= g.lim.BookingsPerConversation {
		if s.State.Booking.Booked() && g.sameSlot(a.DateTime, s.State.Booking.Start, now) {
			return "" // the tool recognises its own booking and books nothing
		}
		return fmt.Sprintf("not booked: this conversation already booked %d appointment(s), the most allowed. Offer to take a note for the team instead.", s.State.Usage.Bookings)
	}
	if s.Caller.Name == "" || s.Caller.Phone == "" && s.Caller.Email == "" {
		return "not booked yet: first collect the caller's name and a phone number or email and save them with update_user_info."
	}
	if g.proposed.IsZero() || !g.sameSlot(a.DateTime, g.proposed, now) {
		return "not booked: a slot is booked only after you read it back and the caller confirms it in their next reply. Call schedule_appointment without confirm, read the slot back, and wait for the caller's yes."
	}
	return ""
}

// sameSlot reports whether the model's date_time names the slot starting at
// want (RFC 3339 as the tool returns it, or words as the caller said them).
func (g *guard) sameSlot(dateTime string, want, now time.Time) bool {
	if t, err := time.Parse(time.RFC3339, dateTime); err == nil {
		return t.Equal(want)
	}
	w, err := booking.ParseFor(g.b, dateTime, now)
	return err == nil && w.HasTime && w.Time().Equal(want)
}

// after records what a call that ran triggered: a booking, and the texts a
// voicemail sent (each one counts, per conversation and per business).
func (g *guard) after(ctx context.Context, s *session.Session, call llm.ToolCall, o tools.Outcome, now time.Time) {
	if o.Event != nil && o.Event.Kind == agent.EventAppointmentBooked {
		s.State.Usage.Bookings++
	}
	if call.Name != tools.NameCollectVoicemail {
		return
	}
	var texts int
	if vm := s.State.Voicemail; vm != nil && vm.Sent != g.vmSent {
		texts = vm.Notified // a new message: Notified is what it sent
	}
	s.State.Usage.SMS += texts
	if g.reserved > 0 {
		g.release(ctx, now, g.reserved-int64(texts))
		g.reserved = 0
	}
}
