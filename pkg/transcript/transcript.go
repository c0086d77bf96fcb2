// Package transcript is the durable record of a finished conversation: who
// called which business, when, over which channel, what they said and what
// was collected. It is built from the session when the session ends (or
// expires abandoned) and is what the summary email is made from.
package transcript

import (
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/agent"
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

	// What happened, read from the session's events and state when it
	// was built, so the email and the summary say it the same way.

	// Emergency is set when the caller described an emergency or pressed
	// # for the on-call line.
	Emergency *Emergency `json:"emergency,omitempty" dynamodbav:"emergency,omitempty"`
	// Transfer is the last transfer to a staff member, if any.
	Transfer *Transfer `json:"transfer,omitempty" dynamodbav:"transfer,omitempty"`
	// Voicemail is the message taken, if any.
	Voicemail *Voicemail `json:"voicemail,omitempty" dynamodbav:"voicemail,omitempty"`
	// AfterHours: the call came in while the business was closed.
	AfterHours bool `json:"afterHours,omitempty" dynamodbav:"afterHours,omitempty"`
	// LastQuestion is the agent's question the caller never answered, when
	// the caller left (hung up, closed the chat) in the middle of it.
	LastQuestion string `json:"lastQuestion,omitempty" dynamodbav:"lastQuestion,omitempty"`
}

// Events the phone webhooks record in a call's session as tool turns,
// besides pkg/agent's kinds. They are read back by FromSession.
const (
	EventAfterHours           = "after_hours"           // the after-hours greeting was played
	EventTransferNotAnswered  = "transfer_not_answered" // the staff key or session.ResumeEmergency
	EventEmergencyUnavailable = "emergency_unavailable" // why the on-call line could not be dialled
)

// End reasons the phone webhooks set (session.EndReason), besides
// "completed", the agent's handoff reasons and "call_<CallStatus>".
const (
	EndCompleted            = agent.HandoffCompleted
	EndTransferred          = "transferred"           // a staff transfer was answered
	EndEmergencyTransferred = "emergency_transferred" // the on-call line answered
	EndEmergencyUnavailable = "emergency_unavailable" // # pressed, but the on-call line could not be dialled
	EndTransferUnavailable  = "transfer_unavailable"  // the staff member could not be dialled
	EndVoicemail            = agent.HandoffVoicemail  // a message was taken
	EndCallerHungUp         = "caller_hung_up"        // the relay ended without the agent closing it
	EndAfterHours           = "after_hours"           // closed: the after-hours greeting, then hang-up
	EndRestarted            = "restarted"             // the visitor chose "Start over" (pkg/conversation)
)

// TransferResult is what became of a transfer.
type TransferResult string

// Transfer results; "" means unknown (the call ended during the transfer).
const (
	TransferAnswered    TransferResult = "answered"
	TransferNotAnswered TransferResult = "not_answered"
	TransferUnavailable TransferResult = "unavailable" // no number to dial (Detail says why)
)

// Emergency is an emergency the caller raised.
type Emergency struct {
	At time.Time `json:"at" dynamodbav:"at"`
	// Pressed: the caller pressed # to reach the on-call line. Otherwise
	// the agent only noted the urgency.
	Pressed bool `json:"pressed,omitempty" dynamodbav:"pressed,omitempty"`
	// Offer is what the agent offered (the emergency event's detail:
	// offered_transfer, showed_number, offered_callback, noted).
	Offer string `json:"offer,omitempty" dynamodbav:"offer,omitempty"`
	// Result is what became of the on-call transfer when Pressed.
	Result TransferResult `json:"result,omitempty" dynamodbav:"result,omitempty"`
	// Detail: why the line could not be dialled.
	Detail string `json:"detail,omitempty" dynamodbav:"detail,omitempty"`
}

// Transfer is a transfer to a staff member.
type Transfer struct {
	At     time.Time      `json:"at" dynamodbav:"at"`
	Staff  string         `json:"staff" dynamodbav:"staff"` // callRouting.staff key
	Name   string         `json:"name,omitempty" dynamodbav:"name,omitempty"`
	Result TransferResult `json:"result,omitempty" dynamodbav:"result,omitempty"`
	Detail string         `json:"detail,omitempty" dynamodbav:"detail,omitempty"`
}

// Voicemail is a message taken for the business.
type Voicemail struct {
	// For is the staff key the message is for, "" for the business; ForName
	// their name as the agent said it.
	For      string `json:"for,omitempty" dynamodbav:"for,omitempty"`
	ForName  string `json:"forName,omitempty" dynamodbav:"forName,omitempty"`
	Notified int    `json:"notified,omitempty" dynamodbav:"notified,omitempty"`
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
	case s.EndReason == EndCompleted:
		t.Status = StatusCompleted
	default:
		t.Status = StatusEnded
	}
	if t.CallbackPhone == "" && s.Caller.CallerID != "" {
		t.CallbackPhone, t.PhoneFromCallerID = s.Caller.CallerID, true
	}
	lastAgent := "" // the agent's last words since the caller last spoke
	for _, tu := range s.Turns {
		switch tu.Role {
		case session.RoleCaller:
			lastAgent = ""
		case session.RoleAgent:
			if tu.Text == lastAgent && tu.Text != "" {
				// A leg's greeting recorded twice: by the phone webhook
				// that had Twilio say it and by the leg's setup.
				continue
			}
			lastAgent = tu.Text
		}
		t.Turns = append(t.Turns, Turn{At: tu.At, Role: tu.Role, Text: tu.Text, Tool: tu.Tool, Interrupted: tu.Interrupted})
	}
	if bk := s.State.Booking; bk.Booked() {
		t.Booking = &Booking{Start: bk.Start, Service: bk.Service}
	}
	t.readEvents(s)
	if t.Status != StatusCompleted && callerLeft(t.EndReason) {
		t.LastQuestion = unanswered(t.Turns)
	}
	return t
}

// readEvents fills Emergency, Transfer, Voicemail and AfterHours from the
// session's tool turns (in order: a later result settles the last open
// transfer), its end reason and its state.
func (t *Transcript) readEvents(s *session.Session) {
	var open *TransferResult // the result of the transfer last started
	var openDetail *string
	start := func(r *TransferResult, d *string) { open, openDetail = r, d }
	settle := func(r TransferResult, d string) {
		if open != nil && *open == "" {
			*open, *openDetail = r, d
		}
	}
	for _, tu := range s.Turns {
		if tu.Role != session.RoleTool {
			continue
		}
		switch tu.Tool {
		case string(agent.EventEmergency): // offered_transfer | noted
			em := t.emergency(tu.At)
			if em.Offer == "" {
				em.Offer = tu.Text
			}
		case string(agent.EventEmergencyTransfer): // # pressed
			em := t.emergency(tu.At)
			em.Pressed, em.At, em.Result, em.Detail = true, tu.At, "", ""
			start(&em.Result, &em.Detail)
		case string(agent.EventCallTransfer): // "key (Name): intent"
			key, name := staffOf(tu.Text)
			t.Transfer = &Transfer{At: tu.At, Staff: key, Name: name}
			start(&t.Transfer.Result, &t.Transfer.Detail)
		case EventTransferNotAnswered:
			settle(TransferNotAnswered, "")
		case EventEmergencyUnavailable:
			em := t.emergency(tu.At)
			em.Pressed = true
			if em.Result == "" {
				em.Result, em.Detail = TransferUnavailable, tu.Text
			}
		case EventAfterHours:
			t.AfterHours = true
		case string(agent.EventVoicemail): // "message for <name>; n text(s) sent"
			name, _, _ := strings.Cut(strings.TrimPrefix(tu.Text, "message for "), ";")
			t.Voicemail = &Voicemail{ForName: strings.TrimSpace(name)}
		}
	}
	switch t.EndReason {
	case EndTransferred:
		if t.Transfer != nil {
			open = &t.Transfer.Result
		}
		settle(TransferAnswered, "")
	case EndEmergencyTransferred:
		if t.Emergency != nil {
			open = &t.Emergency.Result
		}
		settle(TransferAnswered, "")
	case EndTransferUnavailable:
		settle(TransferUnavailable, "")
	}
	// Sessions recorded before the webhooks noted unanswered transfers.
	if em := t.Emergency; em != nil && em.Pressed && em.Result == "" && s.State.Call.ResumeStaff == session.ResumeEmergency {
		em.Result = TransferNotAnswered
	}
	if s.State.Intake.Emergency {
		t.emergency(s.CreatedAt)
	}
	if vm := s.State.Voicemail; vm != nil {
		if t.Voicemail == nil {
			t.Voicemail = &Voicemail{}
		}
		t.Voicemail.For, t.Voicemail.Notified = vm.For, vm.Notified
	}
}

// emergency returns t.Emergency, creating it at at.
func (t *Transcript) emergency(at time.Time) *Emergency {
	if t.Emergency == nil {
		t.Emergency = &Emergency{At: at}
	}
	return t.Emergency
}

// staffOf reads "key (Name): intent", the call_transfer event's detail.
func staffOf(detail string) (key, name string) {
	head, _, _ := strings.Cut(detail, ":")
	key, rest, ok := strings.Cut(head, " (")
	if ok {
		name = strings.TrimSuffix(strings.TrimSpace(rest), ")")
	}
	return strings.TrimSpace(key), name
}

// callerLeft reports whether an end reason means the caller went away
// without the agent closing the conversation.
func callerLeft(reason string) bool {
	switch reason {
	case EndCompleted, EndTransferred, EndEmergencyTransferred, EndEmergencyUnavailable,
		EndTransferUnavailable, EndVoicemail, EndAfterHours, EndRestarted, agent.HandoffEmergency, agent.HandoffTransfer:
		return false
	}
	return true
}

// unanswered returns the question the agent last asked when the caller
// said nothing after it: the last sentence of the last agent turn, when it
// is a question and no caller turn follows.
func unanswered(turns []Turn) string {
	for i := len(turns) - 1; i >= 0; i-- {
		switch tu := turns[i]; tu.Role {
		case session.RoleCaller:
			return ""
		case session.RoleAgent:
			text := strings.TrimSpace(tu.Text)
			if !strings.HasSuffix(text, "?") {
				return ""
			}
			// The last sentence, unless it is too short to say much alone
			// ("Is that right?").
			body := strings.TrimSuffix(text, "?")
			if j := strings.LastIndexAny(body, ".!?"); j >= 0 && len(text)-j > 30 {
				text = strings.TrimSpace(text[j+1:])
			}
			return text
		}
	}
	return ""
}

// Duration is how long the conversation lasted.
func (t Transcript) Duration() time.Duration { return t.EndedAt.Sub(t.StartedAt) }

// Outcome says how the emergency went, as a clause: "the caller pressed #
// for the on-call line, and nobody answered".
func (e *Emergency) Outcome(ch session.Channel) string {
	who := party(ch)
	if !e.Pressed {
		switch e.Offer {
		case "offered_transfer":
			return who + " described an emergency and was told to press # for the on-call line, but did not"
		case "showed_number":
			return who + " described an emergency and was shown the on-call number"
		case "offered_callback":
			return who + " described an emergency and was offered an urgent call back"
		}
		return who + " described an emergency; it was marked urgent"
	}
	switch e.Result {
	case TransferNotAnswered:
		return who + " pressed # for the on-call line, and nobody answered"
	case TransferAnswered:
		return who + " pressed # and was put through to the on-call line"
	case TransferUnavailable:
		why := e.Detail
		if why == "" {
			why = "no on-call number"
		}
		return who + " pressed # for the on-call line, but it could not be dialled: " + why
	}
	return who + " pressed # for the on-call line; the call ended before the transfer's result was known"
}

// Outcome says how the conversation ended, as a clause: "the caller hung
// up while being asked: “What's your name?”", "a message was taken for
// Jordan". The email's status line and the summary's input are made of it.
func (t Transcript) Outcome() string {
	who := party(t.Channel)
	staff := "the staff member"
	if tr := t.Transfer; tr != nil {
		staff = firstOf(tr.Name, tr.Staff, staff)
	}
	switch {
	case t.Status == StatusAbandoned:
		return "the conversation stopped before it was finished, and the session expired"
	case t.LeftMessage():
		s := "a message was taken"
		if vm := t.Voicemail; vm != nil {
			s += " for " + firstOf(vm.ForName, vm.For, "the team")
			if vm.Notified > 0 {
				s += " and texted to them"
			}
		}
		return s
	case t.EndReason == EndCompleted:
		return "the assistant collected what it needed and closed the conversation"
	case t.EndReason == EndTransferred:
		return "the call was transferred to " + staff + ", who answered"
	case t.EndReason == EndEmergencyTransferred:
		return "the call was transferred to the on-call line, which answered"
	case t.EndReason == EndEmergencyUnavailable && t.Emergency != nil:
		return t.Emergency.Outcome(t.Channel) + "; the call ended"
	case t.EndReason == EndTransferUnavailable:
		return "the transfer to " + staff + " could not be dialled; the call ended"
	case t.EndReason == EndRestarted:
		return who + " started the conversation over"
	case t.EndReason == EndAfterHours || t.AfterHours && t.Emergency == nil:
		return who + " called after hours and heard the after-hours greeting"
	case t.EndReason == "relay_failed":
		return "the call was cut off by a technical problem"
	}
	left := " hung up"
	if t.Channel != session.ChannelPhone {
		left = " left the chat"
	}
	if q := t.LastQuestion; q != "" {
		return who + left + " while being asked: “" + q + "”"
	}
	return who + left + " before the assistant closed the conversation"
}

// LeftMessage reports whether the conversation closed with a message
// taken for the business (the engine ends it "completed", the Connect
// action "voicemail").
func (t Transcript) LeftMessage() bool {
	return t.Voicemail != nil && (t.EndReason == EndVoicemail || t.EndReason == EndCompleted)
}

// party is who was on the other end: "the caller" or "the visitor".
func party(ch session.Channel) string {
	if ch == session.ChannelWeb {
		return "the visitor"
	}
	return "the caller"
}

func firstOf(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
