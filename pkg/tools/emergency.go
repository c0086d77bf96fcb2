package tools

import (
	"strings"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
)

// Urgent reports whether a caller's or visitor's words are urgent: the
// business's urgency keywords (Business.IsUrgent), or "#" typed or said on
// its own (the emergency key of the phone greeting). Both agents ask it on
// both channels, so "a pipe burst" is urgent on the phone and on the web.
func Urgent(b *business.Business, text string) bool {
	t := strings.ToLower(strings.Trim(strings.TrimSpace(text), ".!?"))
	return t == "#" || t == "pound" || b.IsUrgent(text)
}

// EmergencyNumber is the on-call number a web visitor may be shown: the
// emergency contact's number when the config writes it out (a reference,
// ${…} or ssm:, is a private number and is never shown), "" otherwise.
func EmergencyNumber(b *business.Business) string {
	e := b.Company.Emergency
	if e == nil || !e.Available || e.Phone == "" || e.Phone.IsRef() {
		return ""
	}
	if n, err := phone.ValidateNANP(string(e.Phone)); err == nil {
		return n.Display
	}
	return ""
}

// Emergency event details (agent.EventEmergency).
const (
	EmergencyOfferedTransfer = "offered_transfer" // phone: told to press # for the on-call line
	EmergencyShowedNumber    = "showed_number"    // web: shown the on-call number
	EmergencyOfferedCallback = "offered_callback" // web: offered an urgent call back
	EmergencyNoted           = "noted"            // marked urgent for the team
)

// EmergencyOffer is what an agent says, once, when the words in s are
// urgent, and the event recording it. A phone caller of a business with
// emergency handling is told to press # (unless the on-call line just did
// not answer); a web visitor is never told to press a key: they are shown
// the on-call number when the business publishes one, else offered an
// urgent call back.
func EmergencyOffer(b *business.Business, s *session.Session) (string, agent.Event) {
	ev := func(d string) agent.Event { return agent.Event{Kind: agent.EventEmergency, Detail: d} }
	ch := s.Channel
	onCall := b.Features.EmergencyCallHandling && b.Company.Emergency != nil && s.State.Call.ResumeStaff != session.ResumeEmergency
	switch {
	case ch == session.ChannelWeb && EmergencyNumber(b) != "":
		return "If this can't wait, please call our on-call line at " + EmergencyNumber(b) + ".", ev(EmergencyShowedNumber)
	case ch == session.ChannelWeb:
		return "I'll mark this as urgent. If you leave a phone number, the team will call you back as soon as they can.", ev(EmergencyOfferedCallback)
	case onCall:
		return "If this can't wait, press the pound key now to reach our on-call team.", ev(EmergencyOfferedTransfer)
	}
	return "I'll mark this as urgent for the team.", ev(EmergencyNoted)
}
