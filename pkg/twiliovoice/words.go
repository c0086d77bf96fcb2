package twiliovoice

import (
	"fmt"
	"strings"

	"github.com/ahca/ahca/pkg/business"
)

// What callers hear from the webhooks (the agent speaks everything else).

// UnknownNumberText is said on a call to a number no business is routed to.
const UnknownNumberText = "Thank you for calling. This number isn't set up to take calls right now, so we can't help you on this line. Please check the number and try again. Goodbye."

const technicalProblemText = "We're sorry, we're having a technical problem and can't take your call right now. Please call back in a few minutes. Goodbye."

const transferUnavailableText = "I'm sorry, I can't transfer your call right now. Please call back later. Goodbye."

const emergencyUnavailableText = "I'm sorry, I can't reach our emergency line right now. If anyone is in danger, hang up and dial 9 1 1. Goodbye."

// DefaultVoicemailMessage is what the agent says when a transfer was not
// answered and callRouting.voicemailMessage is not set.
const DefaultVoicemailMessage = "It looks like {staffName} isn't available right now. I can take a message and make sure they get it. What's your name?"

// emergencyName stands for the emergency contact in the wording.
const emergencyName = "our on-call crew"

// afterHoursText is the business's after-hours greeting, or our default.
func afterHoursText(b *business.Business) string {
	if s := strings.TrimSpace(b.Agent.AfterHoursGreeting); s != "" {
		return s
	}
	return fmt.Sprintf("Thank you for calling %s. We're closed right now. Please call back during our business hours. Goodbye.", b.DisplayName())
}

// emergencyOffer tells an after-hours caller how to reach the on-call line.
const emergencyOffer = "If this is an emergency, press pound now to reach " + emergencyName + "."

// closedGreeting is the after-hours greeting of a call without voicemail,
// offering # when the business has an on-call number (after the business's
// own after-hours greeting; in ours, before the goodbye).
func closedGreeting(b *business.Business) string {
	if !emergencyOffered(b) {
		return afterHoursText(b)
	}
	if s := strings.TrimSpace(b.Agent.AfterHoursGreeting); s != "" {
		return s + " " + emergencyOffer
	}
	return fmt.Sprintf("Thank you for calling %s. We're closed right now. %s Otherwise, please call back during our business hours. Goodbye.", b.DisplayName(), emergencyOffer)
}

// voicemailGreeting opens an after-hours call in voicemail mode; the #
// offer comes before the question, so the caller's answer is the name.
func voicemailGreeting(b *business.Business) string {
	offer := ""
	if emergencyOffered(b) {
		offer = emergencyOffer + " "
	}
	return fmt.Sprintf("Thank you for calling %s. We're closed right now, but I can take a message and someone will call you back. %sWhat's your name?", b.DisplayName(), offer)
}

// transferFailedText returns the caller to the agent after staffName did
// not answer: callRouting.voicemailMessage with {staffName} filled in.
func transferFailedText(b *business.Business, staffName string) string {
	msg := strings.TrimSpace(b.CallRouting.VoicemailMessage)
	if msg == "" {
		msg = DefaultVoicemailMessage
	}
	return strings.ReplaceAll(msg, "{staffName}", staffName)
}

func emergencyFailedText() string {
	return "I'm sorry, I couldn't reach " + emergencyName + ". Let me take your details so they can call you back as soon as possible. What's your name?"
}

func goodbyeText(b *business.Business) string {
	return fmt.Sprintf("Thank you for calling %s. Goodbye.", b.DisplayName())
}

// LegGreeting is WelcomeGreeting and the caller field its last question
// asks for ("" when it asks for none): after a failed transfer and in
// voicemail mode the leg opens with "What's your name?", and the caller's
// answer is the name.
func LegGreeting(b *business.Business, mode Mode, resumeStaff string) (text, asks string) {
	text = WelcomeGreeting(b, mode, resumeStaff)
	if resumeStaff == "" && mode != ModeVoicemail {
		return text, "" // the business's own greeting asks how to help
	}
	last := strings.TrimSpace(text)
	if i := strings.LastIndexAny(strings.TrimRight(last, "?.! "), ".!?"); i >= 0 {
		last = last[i+1:]
	}
	if strings.HasSuffix(last, "?") && strings.Contains(strings.ToLower(last), "your name") {
		return text, business.FieldName
	}
	return text, ""
}

// WelcomeGreeting is what Twilio says as a ConversationRelay leg opens
// (its welcomeGreeting): the business's greeting; in voicemail mode, the
// after-hours invitation to leave a message; after a transfer to
// resumeStaff (a staff key or ResumeEmergency) was not answered,
// callRouting.voicemailMessage with the staff member's name. The engine
// records it as the agent's first words of the leg (from State.Call) and
// must not say it again.
func WelcomeGreeting(b *business.Business, mode Mode, resumeStaff string) string {
	switch {
	case resumeStaff == ResumeEmergency:
		return emergencyFailedText()
	case resumeStaff != "":
		name := resumeStaff
		if st, ok := staffByKey(b, resumeStaff); ok {
			name = st.Name
		}
		return transferFailedText(b, name)
	case mode == ModeVoicemail:
		return voicemailGreeting(b)
	}
	return b.Fill(b.Agent.Greeting) // Twilio speaks it: no {agentName} left unfilled
}
