package agent

import (
	"time"

	"github.com/ahca/ahca/pkg/session"
)

// Event is something an agent or a tool did that belongs in the transcript
// as a session.RoleTool turn: Kind goes to Turn.Tool, Detail to Turn.Text.
type Event struct {
	Kind   Kind
	Detail string
}

// Kind names an event. The kinds are the same whichever agent handled the
// turn, so a transcript (and the email and prompt made from it) reads alike.
type Kind string

// Event kinds, with what Detail holds.
const (
	EventPhoneValidated    Kind = "phone_validated"    // the number in display form
	EventPhoneInvalid      Kind = "phone_invalid"      // what is wrong
	EventPhoneUnvalidated  Kind = "phone_unvalidated"  // the digits kept
	EventEmailInvalid      Kind = "email_invalid"      // what was heard
	EventEmailUnvalidated  Kind = "email_unvalidated"  // what was kept
	EventInfoUpdated       Kind = "user_info_updated"  // field=value; ...
	EventCompanyInfo       Kind = "company_info"       // the topic answered
	EventQuestionNoted     Kind = "question_noted"     // the question
	EventEmergency         Kind = "emergency"          // offered_transfer | noted
	EventEmergencyTransfer Kind = "emergency_transfer" // the caller pressed #
	EventEnd               Kind = "end_conversation"   // the outcome or reason
	EventKnowledge         Kind = "knowledge_answer"   // the section answered from
	EventKnowledgeSearch   Kind = "knowledge_search"   // the query and the sections found
	EventAppointmentBooked Kind = "appointment_booked" // the slot as read back
	EventCallTransfer      Kind = "call_transfer"      // staff key (name): intent
	EventVoicemail         Kind = "voicemail"          // for whom, how many texts were sent
)

// Record appends the event to s's turns as a tool turn.
func Record(s *session.Session, ev Event, at time.Time) {
	t := s.Append(session.RoleTool, ev.Detail, at)
	t.Tool = string(ev.Kind)
}
