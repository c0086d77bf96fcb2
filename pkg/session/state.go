package session

import (
	"maps"
	"slices"
	"time"
)

// State is what the conversation remembers between turns besides the
// caller's details and the turns: one struct per concern. The session owns
// it so that every package reads and writes the same typed fields; the
// agents, the tools, the phone webhooks and the transcript never agree on
// string keys by convention.
type State struct {
	// Intake is the scripted agent's progress through the intake.
	Intake Intake `json:"intake,omitzero" dynamodbav:"intake,omitempty"`
	// Booking is an appointment proposed or booked (by either agent).
	Booking Booking `json:"booking,omitzero" dynamodbav:"booking,omitempty"`
	// Call is the phone call's mode, legs and transfers.
	Call Call `json:"call,omitzero" dynamodbav:"call,omitempty"`
	// Voicemail is the message taken by collect_voicemail, nil until then.
	Voicemail *Voicemail `json:"voicemail,omitempty" dynamodbav:"voicemail,omitempty"`
	// Engine is the turn engine's own bookkeeping; agents never change it.
	Engine Engine `json:"engine,omitzero" dynamodbav:"engine,omitempty"`
	// Usage counts what the conversation has cost against the business's
	// limits; it is written in the turn's one conditional write (a model
	// turn's claim), so the counters are atomic with the session.
	Usage Usage `json:"usage,omitzero" dynamodbav:"usage,omitempty"`
}

// Usage is a conversation's counters against business.Limits.
type Usage struct {
	// Prompts counts caller utterances admitted to a turn.
	Prompts int `json:"prompts,omitempty" dynamodbav:"prompts,omitempty"`
	// MinuteStart starts the current one-minute window; MinutePrompts
	// counts the utterances admitted in it.
	MinuteStart   time.Time `json:"minuteStart,omitzero" dynamodbav:"minuteStart,omitempty"`
	MinutePrompts int       `json:"minutePrompts,omitempty" dynamodbav:"minutePrompts,omitempty"`
	// TurnUntil: a model turn claimed the conversation until then; a frame
	// arriving meanwhile is refused, never a parallel model request.
	TurnUntil time.Time `json:"turnUntil,omitzero" dynamodbav:"turnUntil,omitempty"`
	// TurnID names the claiming turn, so only it releases the claim.
	TurnID string `json:"turnId,omitempty" dynamodbav:"turnId,omitempty"`
	// Bookings and SMS count what the conversation triggered (caller
	// copies are counted by the email pipeline, per business).
	Bookings int `json:"bookings,omitempty" dynamodbav:"bookings,omitempty"`
	SMS      int `json:"sms,omitempty" dynamodbav:"sms,omitempty"`
	// ModelTokens counts the model tokens (in and out) the conversation used.
	ModelTokens int64 `json:"modelTokens,omitempty" dynamodbav:"modelTokens,omitempty"`
	// Scripted, when set, says why the scripted agent answers this whole
	// conversation (the business's daily model budget was spent).
	Scripted string `json:"scripted,omitempty" dynamodbav:"scripted,omitempty"`
}

// Step is where the scripted agent is in the intake.
type Step string

// Steps of the intake. The zero Step means the scripted agent has not run
// yet (the AI agent had the conversation so far, or nothing was said).
const (
	StepCollect Step = "collect" // gathering the required fields
	StepBooking Step = "booking" // offering or booking an appointment
	StepConfirm Step = "confirm" // read everything back, awaiting a yes
	StepFix     Step = "fix"     // asked what to change
	StepDone    Step = "done"    // closed
)

// AskOpen is Intake.Ask after an open question ("how can I help?"); the
// other values are field names (business.FieldName, ...).
const AskOpen = "open"

// Intake is the scripted agent's progress. Caller fields are business
// field names ("name", "phone", "email", "reason").
type Intake struct {
	Step Step `json:"step,omitempty" dynamodbav:"step,omitempty"`
	// Ask is what the last question asked for, in StepCollect: AskOpen or
	// a field.
	Ask string `json:"ask,omitempty" dynamodbav:"ask,omitempty"`
	// Turns counts the caller utterances the scripted agent handled.
	Turns int `json:"turns,omitempty" dynamodbav:"turns,omitempty"`
	// Tries counts failed answers to one question: a field, "confirm",
	// "fix" or "booking". Three failures move on.
	Tries map[string]int `json:"tries,omitempty" dynamodbav:"tries,omitempty"`
	// Heard keeps the last invalid phone digits or email of a field, for
	// the fallback after three failures.
	Heard map[string]string `json:"heard,omitempty" dynamodbav:"heard,omitempty"`
	// Unvalidated fields hold what the caller said, not a validated value:
	// the team should double-check them.
	Unvalidated []string `json:"unvalidated,omitempty" dynamodbav:"unvalidated,omitempty"`
	// Skipped fields were declined by the caller, or could not be had.
	Skipped []string `json:"skipped,omitempty" dynamodbav:"skipped,omitempty"`
	// Message is set when the caller asked to leave a message: MessageAny,
	// or whom it is for ("for Jordan"); the reason then holds the message.
	Message string `json:"message,omitempty" dynamodbav:"message,omitempty"`
	// Questions the agent could not answer, when the reason was taken.
	Questions []string `json:"questions,omitempty" dynamodbav:"questions,omitempty"`
	// Emergency: the caller said it is urgent (told about # once).
	Emergency bool `json:"emergency,omitempty" dynamodbav:"emergency,omitempty"`
	// Outcome is how the intake closed (see the intake package).
	Outcome string `json:"outcome,omitempty" dynamodbav:"outcome,omitempty"`
}

// MessageAny is Intake.Message for a message to no one in particular.
const MessageAny = "1"

// Tried returns the failed answers to a question so far.
func (i *Intake) Tried(what string) int { return i.Tries[what] }

// AddTry counts one more failed answer and returns the count.
func (i *Intake) AddTry(what string) int {
	if i.Tries == nil {
		i.Tries = map[string]int{}
	}
	i.Tries[what]++
	return i.Tries[what]
}

// SetTries sets the count of failed answers (0 forgets them).
func (i *Intake) SetTries(what string, n int) {
	if n == 0 {
		delete(i.Tries, what)
		return
	}
	if i.Tries == nil {
		i.Tries = map[string]int{}
	}
	i.Tries[what] = n
}

// HeardFor returns what was last heard for a field.
func (i *Intake) HeardFor(field string) string { return i.Heard[field] }

// SetHeard remembers what was heard for a field ("" forgets it).
func (i *Intake) SetHeard(field, v string) {
	if v == "" {
		delete(i.Heard, field)
		return
	}
	if i.Heard == nil {
		i.Heard = map[string]string{}
	}
	i.Heard[field] = v
}

// IsSkipped reports whether the caller declined a field.
func (i *Intake) IsSkipped(field string) bool { return slices.Contains(i.Skipped, field) }

// IsUnvalidated reports whether a field holds an unvalidated value.
func (i *Intake) IsUnvalidated(field string) bool { return slices.Contains(i.Unvalidated, field) }

// Skip marks a field declined.
func (i *Intake) Skip(field string) {
	if !i.IsSkipped(field) {
		i.Skipped = append(i.Skipped, field)
	}
}

// MarkUnvalidated marks a field as holding what the caller said.
func (i *Intake) MarkUnvalidated(field string) {
	if !i.IsUnvalidated(field) {
		i.Unvalidated = append(i.Unvalidated, field)
	}
}

// Asked records that the conversation's last words asked the caller for a
// field (a phone leg's greeting "... What's your name?"): the caller's next
// words answer that question, not "how can I help?".
func (i *Intake) Asked(field string) {
	i.Step, i.Ask = StepCollect, field
	i.SetTries(field, 0)
}

// FieldSet forgets what the intake knew about a field that now has a
// value given by the caller: declined, unvalidated, heard.
func (i *Intake) FieldSet(field string) {
	i.Skipped = without(i.Skipped, field)
	i.Unvalidated = without(i.Unvalidated, field)
	i.SetHeard(field, "")
}

// without returns fields without field; nil when nothing is left.
func without(fields []string, field string) []string {
	fields = slices.DeleteFunc(fields, func(f string) bool { return f == field })
	if len(fields) == 0 {
		return nil
	}
	return fields
}

// Booking is an appointment proposed to or booked for the caller. Both
// agents use it, so either sees the other's booking.
type Booking struct {
	// Stage is the scripted agent's booking question, in StepBooking.
	Stage BookingStage `json:"stage,omitempty" dynamodbav:"stage,omitempty"`
	// Want is whether the caller wants to book: WantYes, WantNo or unsaid.
	Want string `json:"want,omitempty" dynamodbav:"want,omitempty"`
	// When is a day and time said before the details were collected.
	When string `json:"when,omitempty" dynamodbav:"when,omitempty"`
	// Proposed is the slot read back, awaiting a yes.
	Proposed time.Time `json:"proposed,omitzero" dynamodbav:"proposed,omitempty"`
	// Start is the booked slot's start, in the business's zone.
	Start time.Time `json:"start,omitzero" dynamodbav:"start,omitempty"`
	// Service is what was booked ("demo"), when known.
	Service string `json:"service,omitempty" dynamodbav:"service,omitempty"`
}

// Booked reports whether an appointment was booked.
func (b Booking) Booked() bool { return !b.Start.IsZero() }

// BookingStage is the scripted agent's pending booking question.
type BookingStage string

// Booking stages.
const (
	BookOffer   BookingStage = "offer"   // asked whether to book
	BookWhen    BookingStage = "when"    // asked for a day and time
	BookConfirm BookingStage = "confirm" // read a slot back, awaiting a yes
)

// Booking.Want values.
const (
	WantYes = "yes"
	WantNo  = "no"
)

// Call is the phone call's state, written by the phone webhooks and the
// call tools.
type Call struct {
	// Mode is CallVoicemail for an after-hours call in voicemail mode, ""
	// for a normal conversation.
	Mode string `json:"mode,omitempty" dynamodbav:"mode,omitempty"`
	// ResumeStaff is the staff key (or ResumeEmergency) of the last
	// transfer that was not answered; the agent picks up from there.
	ResumeStaff string `json:"resumeStaff,omitempty" dynamodbav:"resumeStaff,omitempty"`
	// TransferStaff is the staff key route_call transferred to.
	TransferStaff string `json:"transferStaff,omitempty" dynamodbav:"transferStaff,omitempty"`
}

// CallVoicemail is Call.Mode for an after-hours call in voicemail mode.
const CallVoicemail = "voicemail"

// ResumeEmergency is Call.ResumeStaff after the emergency line did not
// answer; '#' cannot start a staff key.
const ResumeEmergency = "#emergency"

// Voicemail is a message taken for the business.
type Voicemail struct {
	Name  string `json:"name,omitempty" dynamodbav:"name,omitempty"`
	Phone string `json:"phone,omitempty" dynamodbav:"phone,omitempty"` // E.164
	// PhoneSource is "caller" (the caller gave it) or "caller_id".
	PhoneSource string `json:"phoneSource,omitempty" dynamodbav:"phoneSource,omitempty"`
	Reason      string `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	// For is the staff key the message is for, "" for the business.
	For string    `json:"for,omitempty" dynamodbav:"for,omitempty"`
	At  time.Time `json:"at,omitzero" dynamodbav:"at,omitempty"`
	// Notified is how many texts were sent.
	Notified int `json:"notified,omitempty" dynamodbav:"notified,omitempty"`
	// Sent is a digest of the message texted, so a repeated call sends
	// nothing twice.
	Sent string `json:"sent,omitempty" dynamodbav:"sent,omitempty"`
}

// Engine is the turn engine's bookkeeping.
type Engine struct {
	// Greeted: the greeting was recorded.
	Greeted bool `json:"greeted,omitempty" dynamodbav:"greeted,omitempty"`
	// Leg is the ConversationRelay leg (its sessionId) last set up.
	Leg string `json:"leg,omitempty" dynamodbav:"leg,omitempty"`
	// Interrupt is a pending interrupt mark: an interrupt frame (a
	// parallel invocation) sets it, the turn that saves next consumes it
	// (sets it nil). Stores keep it as its own small item beside the
	// session (Store.Interrupt), so an interrupt never writes the session.
	Interrupt *Interrupt `json:"interrupt,omitempty" dynamodbav:"-"`
	// MarkDone is the time of the last interrupt mark consumed: the mark's
	// item stays (the next interrupt overwrites it) and reads no longer
	// show it as pending.
	MarkDone time.Time `json:"markDone,omitzero" dynamodbav:"markDone,omitempty"`
}

// Interrupt is when the caller talked over a reply, and what they heard.
type Interrupt struct {
	At    time.Time `json:"at" dynamodbav:"at"`
	Heard string    `json:"heard,omitempty" dynamodbav:"heard,omitempty"`
}

// Clone returns a deep copy.
func (st State) Clone() State {
	c := st
	c.Intake.Tries = maps.Clone(st.Intake.Tries)
	c.Intake.Heard = maps.Clone(st.Intake.Heard)
	c.Intake.Unvalidated = slices.Clone(st.Intake.Unvalidated)
	c.Intake.Skipped = slices.Clone(st.Intake.Skipped)
	c.Intake.Questions = slices.Clone(st.Intake.Questions)
	if st.Voicemail != nil {
		v := *st.Voicemail
		c.Voicemail = &v
	}
	if st.Engine.Interrupt != nil {
		i := *st.Engine.Interrupt
		c.Engine.Interrupt = &i
	}
	return c
}
