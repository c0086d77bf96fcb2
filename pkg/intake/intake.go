// Package intake is the scripted intake agent: a deterministic receptionist
// driven only by a business's config, with no language model. It is the
// local default when no OpenAI key is set and the fallback when the model
// fails, so a lead is never lost because a model is unavailable.
//
// The agent greets with the business's greeting, takes the first free answer
// as the reason for the call, then asks for the remaining required fields
// (business.Intake.Required) one per turn, validates phone numbers with NANP
// rules and email addresses by shape, reads everything back, applies
// corrections, and closes. Company questions (hours, address, phone,
// website, email, services) are answered from companyInfo at any point,
// after which the pending question is repeated.
//
// # Knowledge answers and booking
//
// Built with NewWith, the agent also uses the business's optional
// features. With features.ragEnabled and Options.Knowledge, a question the
// company info does not cover is searched in the business's knowledge base
// and answered with the first sentences of the best passage ("Here's what
// I found: ..."); below Options.MinScore it is noted for the team as
// before. With features.appointmentBooking, a calendar booking.Supported
// handles and Options.Bookings, the agent books appointments: when the
// caller asks to book, or once the required details are collected, it asks
// for a day and time (speech.ParseWhen, booking.Settle; asking back when it
// is ambiguous),
// reads back the slot asked for or the nearest free one (within 14 days),
// books it on "yes" with the store's conditional write (proposing another
// when it was just taken), records it in session.State.Booking (as the
// schedule_appointment tool does) with an appointment_booked event, then
// reads the details back as usual.
//
// # Calls, emergencies and the web
//
// With features.callForwarding, "talk to someone in billing" hands a phone
// call to the staff member whose handles, key or name the words mention
// (else whoever handles "default"), with the same handoff and event as the
// route_call tool; on the web, after hours, or to someone who just did not
// answer, the agent takes a message for them instead. After an unanswered
// transfer (State.Call.ResumeStaff) what the caller says is a message for
// that person, saved as the call's voicemail when voicemailHandling is on.
// Words the business counts as urgent (tools.Urgent), or "#" alone, get
// tools.EmergencyOffer once: # on the phone, the on-call number or an
// urgent call back on the web. The web chat opens with the web greeting.
//
// # State
//
// The agent keeps no state of its own: everything lives in
// session.Session.Caller and session.Session.State (Intake, and Booking
// shared with the schedule_appointment tool), so Respond is a pure
// function of (business, session, text, now) and the engine may re-run it
// on a re-read session after a concurrent write. With a Knowledge it stays
// pure as long as the search is deterministic for the same query (the
// lexical BM25 search is; an embedding search is when the embedding model
// is). Booking reads the store (which slots are taken) and writes it: a
// re-run of the turn that booked a slot finds the slot taken, and treats it
// as this session's own booking when the store implements BookingOwner or
// when this Agent booked it (it remembers its bookings in memory; another
// process re-running the turn would propose the next free slot instead).
//
// Caller.Phone holds E.164 ("+15035550142") once validated; with
// unvalidated.phone it holds the digits heard.
package intake

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/speech"
	"github.com/ahca/ahca/pkg/tools"
)

const (
	fieldName   = business.FieldName
	fieldPhone  = business.FieldPhone
	fieldEmail  = business.FieldEmail
	fieldReason = business.FieldReason
)

// Steps (session.Intake.Step).
const (
	StepCollect = session.StepCollect
	StepBooking = session.StepBooking
	StepConfirm = session.StepConfirm
	StepFix     = session.StepFix
	StepDone    = session.StepDone
)

// AskOpen is session.Intake.Ask after the greeting's open question.
const AskOpen = session.AskOpen

// Outcomes, in session.Intake.Outcome and the end_conversation event.
const (
	OutcomeConfirmed   = "confirmed"    // the caller confirmed the read-back
	OutcomeMessage     = "message"      // nothing required: a message was taken
	OutcomeUnconfirmed = "unconfirmed"  // closed without a clear yes
	OutcomeCallerEnded = "caller_ended" // the caller said goodbye first
	OutcomeTurnLimit   = "turn_limit"   // too many turns: closed with what we had
)

const (
	maxTries = 3  // failed answers before the agent moves on
	maxTurns = 30 // caller turns before the agent closes with what it has
)

// Agent is the scripted intake agent of one business. It holds only the
// business's config; it is safe for concurrent use.
type Agent struct {
	b *business.Business
	// messageOnly: nothing is required, so the agent takes a message and
	// closes without a read-back.
	messageOnly bool

	// Optional features (NewWith): nil when off.
	kb       Knowledge
	minScore float64
	store    booking.Store
	mine     *ownBookings // slots this agent booked, for idempotent re-runs
}

// New builds the agent for one business, with no knowledge answers and no
// booking (NewWith with no Options).
func New(b *business.Business) *Agent {
	return &Agent{b: b, messageOnly: len(b.Intake.Required) == 0}
}

// Greet returns the opening line (the business's greeting) and initializes
// the agent's part of s.State.
func (a *Agent) Greet(s *session.Session) agent.Reply {
	s.State.Intake = session.Intake{Step: StepCollect, Ask: AskOpen}
	bk := &s.State.Booking
	bk.Stage, bk.Want, bk.When, bk.Proposed = "", "", "", time.Time{}
	return agent.Reply{Text: agent.Greeting(a.b, s.Channel)}
}

// Respond handles one caller utterance: it updates s.Caller and s.State and
// returns what to say. It is a pure function of (business, s before the
// call, text, now); it never touches s.Turns. It is Turn with
// context.Background().
func (a *Agent) Respond(s *session.Session, text string, now time.Time) agent.Reply {
	return a.respond(context.Background(), s, text, now)
}

// Turn implements agent.Agent: Respond with a context for the knowledge
// search and the booking store (see the package documentation on purity).
// The whole reply is in Reply.Text (nothing is streamed), and it never
// fails: the scripted agent is what a failing model falls back to.
func (a *Agent) Turn(ctx context.Context, s *session.Session, text string, now time.Time, _ agent.Output) (agent.Reply, error) {
	return a.respond(ctx, s, text, now), nil
}

func (a *Agent) respond(ctx context.Context, s *session.Session, text string, now time.Time) agent.Reply {
	if ctx == nil {
		ctx = context.Background()
	}
	t := &turn{ctx: ctx, a: a, s: s, in: &s.State.Intake, bk: &s.State.Booking, now: now, got: map[string]bool{}}
	t.run(sanitize(text))
	r := agent.Reply{Text: t.text(), Done: t.done, Events: t.events, Handoff: t.handoff}
	if len(t.updates) > 0 {
		r.Events = append(r.Events, agent.Event{Kind: agent.EventInfoUpdated, Detail: strings.Join(t.updates, "; ")})
	}
	return r
}

// maxInput bounds the text one turn parses: a minute of speech is about
// 1,000 characters; anything beyond 4,000 is cut (at a rune boundary).
const maxInput = 4000

// sanitize makes transcribed or typed text safe to parse and to repeat:
// valid UTF-8, no control characters, plain quotes, bounded length.
func sanitize(text string) string {
	text = strings.ToValidUTF8(text, "")
	if len(text) > maxInput {
		cut := maxInput
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	text = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, text)
	return quoteFixer.Replace(text)
}

// turn is the work of one Respond call.
type turn struct {
	ctx context.Context
	a   *Agent
	s   *session.Session
	in  *session.Intake  // s.State.Intake
	bk  *session.Booking // s.State.Booking
	now time.Time

	got       map[string]bool // fields given this turn
	updates   []string        // field=value changes, for the event
	noted     bool            // a question was noted for the team this turn
	bookAsked bool            // the caller asked to book this turn
	ackFields bool            // acknowledge the fields given (collect step)
	asked     string          // what the collect step was asking for
	pre       []string        // answers and notices, said first
	ack       []string        // acknowledgements of what was given
	main      string          // the question, read-back or closing
	readback  bool            // main is the read-back
	done      bool
	handoff   *agent.Handoff // the call goes on to a person or is hung up
	addedWish bool           // a wish (to book) given while asked for a detail
	addedWhen bool           // a day and time for the booking given while asked for a detail
	events    []agent.Event
}

func (t *turn) text() string {
	var parts []string
	parts = append(parts, t.pre...)
	if t.ackFields && !t.done {
		parts = append(parts, t.fieldAcks()...)
	}
	parts = append(parts, t.ack...)
	if t.main != "" {
		parts = append(parts, t.main)
	}
	return strings.Join(parts, " ")
}

// fieldAcks acknowledges what the caller just gave: "Thanks, Jamie.", "I
// have your number as (503) 555-0142." (not when the read-back follows).
func (t *turn) fieldAcks() []string {
	var out []string
	c := t.s.Caller
	if t.got[fieldName] {
		out = append(out, "Thanks, "+firstName(c.Name)+".")
	}
	if t.got[fieldReason] && !t.noted && (t.asked == AskOpen || t.asked == fieldReason) {
		switch {
		case t.in.Message != "":
			out = append(out, "Got it.")
		case t.bookAsked:
			out = append(out, "I can help you book a "+t.noun()+".")
		case t.got[fieldName]:
			out = append(out, "I'll pass that along to the team.")
		default:
			out = append(out, "Got it, I'll pass that along to the team.")
		}
	}
	switch {
	case t.addedWish && t.bookAsked:
		out = append(out, "I can help you book a "+t.noun()+".")
	case t.addedWish:
		out = append(out, "Got it, I'll let the team know.")
	case t.addedWhen:
		out = append(out, "Noted, I'll check that time for your "+t.noun()+".")
	}
	if !t.readback {
		if t.got[fieldPhone] {
			out = append(out, "I have your number as "+t.phoneForReadBack()+".")
		}
		if t.got[fieldEmail] {
			out = append(out, "I have your email as "+c.Email+".")
		}
	}
	return out
}

func (t *turn) event(kind agent.Kind, detail string) {
	t.events = append(t.events, agent.Event{Kind: kind, Detail: detail})
}

func (t *turn) tries(what string) int {
	return t.in.Tried(what)
}

func (t *turn) addTry(what string) int {
	return t.in.AddTry(what)
}

// utter is a parsed caller utterance.
type utter struct {
	text      string
	rest      string // text with the questions blanked out (same offsets)
	questions []question
	emergency bool
}

func (t *turn) run(text string) {
	if t.in.Step == "" {
		t.resume()
	}
	t.returned()
	t.in.Turns++
	turns := t.in.Turns
	if t.in.Step == StepDone {
		t.main = "Thanks again for " + t.contacting("") + ". Goodbye!"
		t.done = true
		return
	}
	u := utter{text: strings.TrimSpace(text)}
	u.questions = findQuestions(u.text)
	spans := make([]span, len(u.questions))
	for i, q := range u.questions {
		spans[i] = q.span
	}
	u.rest = blank(u.text, spans...)
	u.emergency = tools.Urgent(t.a.b, u.text)
	if u.emergency {
		t.emergency()
	}
	if turns > maxTurns {
		t.ack = append(t.ack, "I want to make sure nothing gets lost, so I'll pass along what I have.")
		t.close(OutcomeTurnLimit)
		return
	}
	if t.in.Step != StepBooking && t.route(u) {
		return
	}
	switch t.in.Step {
	case StepConfirm:
		t.confirm(u)
	case StepFix:
		t.fix(u)
	case StepBooking:
		t.booking(u)
	default:
		t.collect(u)
	}
}

// resume sets up the flow for a session the agent did not greet (the
// engine fell back to it mid-conversation): the next missing field is what
// the caller is probably answering.
func (t *turn) resume() {
	t.in.Step = StepCollect
	c := t.s.Caller
	if c.Reason == "" && c.Name == "" && c.Phone == "" && c.Email == "" {
		t.in.Ask = AskOpen
		return
	}
	t.in.Ask = t.nextMissing()
}

// found is what one utterance gave.
type found struct {
	name       *speech.NameHit
	phone      *speech.PhoneHit
	email      *speech.EmailMatch
	sameNumber bool
	leftover   string // the text minus the name, number, email and questions
}

// extract reads the caller's details from the utterance. ask is what the
// agent asked for ("" when confirming); correcting is set in the
// confirmation steps, where "it's Sam" is a correction.
func (t *turn) extract(u utter, ask string, correcting bool) found {
	var fd found
	rest := u.rest
	var cut []span
	// An incomplete address ("dana at acme") counts only when an email is
	// expected; otherwise "Jamie at the office" would be one.
	// Nor is "Tuesday at 10am" one, even when an email is expected.
	if e, ok := speech.FindEmail(rest); ok && (e.Valid || (ask == fieldEmail || correcting || emailWord().MatchString(norm(rest))) && !saysWhen(t.a.b, rest, t.now)) {
		fd.email = &e
		cut = append(cut, e.Span)
		rest = blank(rest, e.Span)
	}
	if p, ok := speech.FindPhone(rest, ask == fieldPhone); ok {
		fd.phone = &p
		cut = append(cut, p.Span)
		rest = blank(rest, p.Span)
	}
	if n, ok := speech.FindName(rest, speech.NameMode{Asked: ask == fieldName, Correct: correcting}); ok {
		fd.name = &n
		cut = append(cut, n.Span)
	}
	if ask == fieldPhone && fd.phone == nil {
		fd.sameNumber = sameNumRe().MatchString(norm(u.rest))
	}
	fd.leftover = leftover(u.rest, cut...)
	return fd
}

// set stores a caller field and records the change.
func (t *turn) set(field, value string) {
	c := &t.s.Caller
	var old *string
	switch field {
	case fieldName:
		old = &c.Name
	case fieldPhone:
		old = &c.Phone
	case fieldEmail:
		old = &c.Email
	case fieldReason:
		old = &c.Reason
	default:
		return
	}
	t.got[field] = true
	t.in.FieldSet(field)
	if *old != value {
		*old = value
		t.updates = append(t.updates, field+"="+value)
	}
}

func (t *turn) value(field string) string { return tools.CallerFields(t.s.Caller).Get(field) }

// applyName stores a name, or part of one ("my last name is Rivera").
func (t *turn) applyName(n *speech.NameHit) {
	name := n.Name
	cur := strings.Fields(t.s.Caller.Name)
	switch {
	case n.Part == "last" && len(cur) == 1:
		name = cur[0] + " " + name
	case n.Part == "last" && len(cur) > 1:
		name = strings.Join(append(cur[:len(cur)-1:len(cur)-1], name), " ")
	case n.Part == "first" && len(cur) > 1:
		name = strings.Join(append([]string{name}, cur[1:]...), " ")
	}
	t.set(fieldName, name)
}

// applyPhone stores a valid number; it reports false for an invalid one.
func (t *turn) applyPhone(p *speech.PhoneHit) bool {
	if p.Err != nil {
		t.event(agent.EventPhoneInvalid, p.Err.Error())
		return false
	}
	t.set(fieldPhone, p.Number.E164)
	t.event(agent.EventPhoneValidated, p.Number.Display)
	return true
}

func (t *turn) applyEmail(e *speech.EmailMatch) bool {
	if !e.Valid {
		t.event(agent.EventEmailInvalid, e.Email)
		return false
	}
	t.set(fieldEmail, e.Email)
	return true
}

// applyDetails stores the name, number and email found, and reports which
// were given.
func (t *turn) applyDetails(fd found) {
	if fd.name != nil {
		t.applyName(fd.name)
	}
	if fd.phone != nil {
		t.applyPhone(fd.phone)
	}
	if fd.email != nil {
		t.applyEmail(fd.email)
	}
}

// collect handles an answer while the agent is gathering fields.
func (t *turn) collect(u utter) {
	ask := t.in.Ask
	fd := t.extract(u, ask, false)
	all := norm(u.rest)
	if fd.name == nil && fd.phone == nil && fd.email == nil && len(u.questions) == 0 {
		if hangUpRe().MatchString(all) || ((ask == AskOpen || ask == fieldReason) && goodbyeRe().MatchString(all)) {
			t.close(OutcomeCallerEnded)
			return
		}
		if ask == AskOpen && t.s.Caller.Reason == "" && !meaningful(fd.leftover) && all != "" && t.in.Turns != 1 {
			if _, no := yesNo(all); no {
				t.close(OutcomeCallerEnded) // "anything else?" "no"
				return
			}
		}
	}
	t.applyDetails(fd)
	t.bookAsked = t.bookingIntent(fd.leftover)
	if !t.bookAsked && t.a.canBook() && t.bk.Want == session.WantYes && !t.got[ask] && ask != AskOpen && ask != fieldReason &&
		saysWhen(t.a.b, fd.leftover, t.now) {
		// "Tuesday at 10 works" while asked for the email: kept for the
		// booking, which follows the details.
		t.bk.When = fd.leftover
		t.addedWhen = true
	}

	t.ackFields = true
	t.asked = ask

	// The reason.
	lo := fd.leftover
	r := cleanReason(lo)
	switch {
	case ask == AskOpen || ask == fieldReason:
		switch {
		case questionAnnounceRe().MatchString(norm(lo)):
			if len(u.questions) == 0 && len(t.got) == 0 {
				t.ack = append(t.ack, "Of course, go ahead.")
				return // wait for the question; the pending question stays
			}
		case ask == AskOpen && greetingRe().MatchString(all) && len(t.got) == 0 && len(u.questions) == 0:
			t.ack = append(t.ack, "Hi there!")
			t.main = "How can I help you today?"
			return
		case messageRe().MatchString(norm(lo)) && len(wordsOf(r)) <= 8 && !strings.Contains(strings.ToLower(r), " about "):
			// "I'd like to leave a message for Jordan": ask for the message.
			t.in.Message = "1"
			if m := messageFor().FindStringSubmatch(r); m != nil {
				t.in.Message = strings.TrimSpace(m[1])
			}
			t.ack = append(t.ack, "Of course.")
		case r != "" && meaningful(r):
			if to := t.in.Message; to != "" && to != "1" && t.s.Caller.Reason == "" {
				r = upperFirst(to) + ": " + r
			}
			t.set(fieldReason, r)
		}
	case t.s.Caller.Reason == "" && (t.got[ask] || ask == "") && len(wordsOf(r)) >= 3 && meaningful(r):
		// Volunteered with another answer: "Jamie, and I need a gate fixed".
		t.set(fieldReason, r)
	case r != "" && (reasonLeadRe().MatchString(norm(trimLeadingFillers(lo))) || t.bookAsked || wantsBooking(lo)):
		// More about the call while asked for something else: "it's about
		// Max's surgery follow-up", or a wish ("I'd like to book a demo next
		// Tuesday", acknowledged as such, the question then asked again).
		// Added to what the caller said before.
		t.addedWish = !t.got[ask] && (t.bookAsked || wantsBooking(lo))
		if cur := t.s.Caller.Reason; cur == "" {
			t.set(fieldReason, r)
		} else if !strings.Contains(cur, r) {
			if !t.addedWish {
				t.ack = append(t.ack, "Got it, I'll add that.")
			}
			sep := ". "
			if strings.ContainsAny(cur[len(cur)-1:], ".?!") {
				sep = " "
			}
			t.set(fieldReason, cur+sep+upperFirst(strings.TrimRight(trimLeadingFillers(lo), " .,;")))
		}
	}
	t.answerQuestions(u)

	answered := t.got[ask] || ask == "" || (ask == AskOpen && len(t.got) > 0)
	progress := len(t.got) > 0 || len(u.questions) > 0 || u.emergency || t.in.Message != "" && ask == AskOpen || t.addedWish || t.addedWhen
	if !answered {
		tryKey := ask
		if ask == AskOpen {
			tryKey = fieldReason
		}
		refused := refuseRe().MatchString(all) && ask != AskOpen
		switch {
		case refused:
			t.skip(ask)
			t.ack = append(t.ack, "No problem.")
			answered = true
		case ask == fieldPhone && fd.phone != nil && fd.phone.Err != nil:
			if fd.phone.Digits != "" {
				t.in.SetHeard(fieldPhone, fd.phone.Digits)
			}
			if t.addTry(fieldPhone) >= maxTries {
				t.giveUp(fieldPhone)
				answered = true
			} else {
				t.main = "Hmm, " + fd.phone.Err.Error() + ". " + t.question(fieldPhone, true)
				return
			}
		case ask == fieldPhone && fd.sameNumber:
			if n, err := phone.ValidateNANP(t.s.Caller.CallerID); err == nil && t.s.Caller.CallerID != "" {
				t.set(fieldPhone, n.E164)
				t.event(agent.EventPhoneValidated, n.Display)
				answered = true
			} else {
				t.ack = append(t.ack, "I can't see the number you're contacting us from.")
				if t.addTry(fieldPhone) >= maxTries {
					t.giveUp(fieldPhone)
					answered = true
				}
			}
		case ask == fieldEmail && fd.email != nil && !fd.email.Valid:
			t.in.SetHeard(fieldEmail, fd.email.Email)
			if t.addTry(fieldEmail) >= maxTries {
				t.giveUp(fieldEmail)
				answered = true
			} else {
				t.main = "Hmm, " + fd.email.Email + " doesn't look like a complete email address. " + t.question(fieldEmail, true)
				return
			}
		case !progress:
			if raw := strings.ToLower(strings.TrimSpace(u.rest)); ask == fieldEmail && (strings.Contains(raw, "@") || strings.Contains(" "+raw+" ", " at ")) {
				t.in.SetHeard(fieldEmail, raw) // an address we could not read; kept as heard
			}
			if t.addTry(tryKey) >= maxTries {
				t.giveUp(tryKey)
				answered = true
			} else {
				t.main = t.question(ask, true)
				if !strings.HasPrefix(t.main, "Sorry") {
					t.main = "Sorry, I didn't catch that. " + t.main
				}
				return
			}
		}
	}
	if answered {
		t.advance()
		return
	}
	if ask == AskOpen && t.in.Message != "" {
		t.in.Ask = fieldReason
		t.main = t.question(fieldReason, false)
		return
	}
	t.main = t.question(ask, false)
}

// answerQuestions answers the caller's company questions and notes the
// ones it cannot answer. In the collect step an unanswerable question (or a
// yes/no question about one service) becomes the reason if there is none.
func (t *turn) answerQuestions(u utter) {
	for _, q := range u.questions {
		if t.knowledgeAnswer(q) {
			if t.in.Step == StepCollect && t.s.Caller.Reason == "" {
				t.set(fieldReason, cleanReason(q.text))
				t.noted = true
			}
			continue
		}
		known := len(q.topics) > 0
		said := false
		for _, tp := range q.topics {
			txt, ok := t.a.answer(tp, t.s, t.now)
			if ok {
				t.event(agent.EventCompanyInfo, string(tp))
			} else {
				known = false
			}
			if txt != "" {
				t.pre = append(t.pre, txt)
				said = true
			}
		}
		if known && !q.specific {
			continue
		}
		if !known {
			if !said {
				t.pre = append(t.pre, "I can't answer that, but I'll note it for the team.")
			}
			t.event(agent.EventQuestionNoted, q.text)
			t.noted = true
		}
		if t.in.Step == StepCollect && t.s.Caller.Reason == "" {
			t.set(fieldReason, cleanReason(q.text))
			t.noted = true
			continue
		}
		if !known {
			t.in.Questions = append(t.in.Questions, q.text)
		}
	}
}

// trimLeadingFillers drops "um, so, well" from the start of s.
func trimLeadingFillers(s string) string {
	for {
		s = strings.TrimLeft(s, " ,.;:-")
		i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '.' })
		if i < 0 || !leadingFillers[strings.ToLower(s[:i])] {
			return s
		}
		s = s[i:]
	}
}

// skip records that the caller declined a field.
func (t *turn) skip(field string) {
	if field == AskOpen {
		field = fieldReason
	}
	t.in.Skip(field)
	t.in.SetHeard(field, "")
}

// giveUp moves on after three failed answers, keeping what was heard so
// the lead is never lost.
func (t *turn) giveUp(field string) {
	if field == AskOpen {
		field = fieldReason
	}
	heard := t.in.HeardFor(field)
	t.in.SetHeard(field, "")
	if cur := t.value(field); cur != "" {
		// Fixing a field that had a value: keep it.
		t.ack = append(t.ack, "Okay, I'll leave that as it was.")
		return
	}
	switch {
	case field == fieldPhone && heard != "":
		t.s.Caller.Phone = heard
		t.updates = append(t.updates, fieldPhone+"="+heard)
		t.in.MarkUnvalidated(fieldPhone)
		t.event(agent.EventPhoneUnvalidated, heard)
		t.ack = append(t.ack, "I'll note the number as "+spaced(heard)+", and the team will double-check it.")
		return
	case field == fieldPhone && t.s.Caller.CallerID != "":
		t.ack = append(t.ack, "That's okay. The team can use the number you're calling from.")
	case field == fieldEmail && heard != "":
		t.s.Caller.Email = heard
		t.updates = append(t.updates, fieldEmail+"="+heard)
		t.in.MarkUnvalidated(fieldEmail)
		t.event(agent.EventEmailUnvalidated, heard)
		t.ack = append(t.ack, "I'll note the email as "+heard+", and the team will double-check it.")
		return
	default:
		t.ack = append(t.ack, "That's okay, let's move on.")
	}
	t.in.Skip(field)
}

// spaced separates digits for speech: "503555014" → "5 0 3 5 5 5 0 1 4".
func spaced(digits string) string {
	return strings.Join(strings.Split(digits, ""), " ")
}

// nextMissing is the next required field with no value that the caller
// has not declined (tools.Status, the collection status both agents use);
// when nothing is required, the reason (the message).
func (t *turn) nextMissing() string {
	next := ""
	switch {
	case !t.a.messageOnly:
		next = tools.Status(t.a.b, t.s).Next()
	case t.s.Caller.Reason == "" && !t.in.IsSkipped(fieldReason):
		next = fieldReason
	}
	if next != fieldReason && t.urgentCallback() {
		return fieldPhone // the urgent call back needs a number before anything else
	}
	return next
}

// advance asks for the next missing field, or reads everything back, or
// (when nothing is required) closes.
func (t *turn) advance() {
	if next := t.nextMissing(); next != "" {
		t.in.Ask = next
		t.main = t.question(next, false)
		return
	}
	if t.a.messageOnly {
		t.close(OutcomeMessage)
		return
	}
	if t.bookingDue() {
		t.startBooking()
		return
	}
	c := t.s.Caller
	if c.Name == "" && c.Phone == "" && c.Email == "" && c.Reason == "" {
		t.close(OutcomeUnconfirmed)
		return
	}
	t.in.Step = StepConfirm
	t.in.Ask = ""
	t.main = t.readBack("Let me make sure I have everything:")
}

// question phrases the question for a field. retry rephrases it after an
// answer the agent could not use.
func (t *turn) question(field string, retry bool) string {
	level := 0
	if retry {
		key := field
		if field == AskOpen {
			key = fieldReason
		}
		level = max(t.tries(key), 1)
	}
	web := t.s.Channel == session.ChannelWeb
	first := firstName(t.s.Caller.Name)
	switch field {
	case AskOpen:
		if level == 0 && t.in.Emergency && t.s.Caller.Reason == "" {
			return "Please tell me briefly what's happening."
		}
		if level == 0 {
			return "Is there anything else I can help you with, or a message you'd like me to pass on to the team?"
		}
		return "Sorry, I didn't catch that. How can I help you today?"
	case fieldReason:
		if to := t.in.Message; to != "" {
			if level == 0 && to != "1" {
				return "What message would you like me to pass on?"
			}
			if level == 0 {
				return "What message would you like me to pass on to the team?"
			}
			return "Sorry, I didn't catch that. What would you like me to tell the team?"
		}
		if level == 0 {
			if first != "" && !t.got[fieldName] { // not right after "Thanks, Jamie."
				return "How can we help you today, " + first + "?"
			}
			return "How can we help you today?"
		}
		return "Sorry, I didn't catch that. Could you tell me briefly what you're calling about?"
	case fieldName, fieldPhone, fieldEmail:
		q := fieldQuestions[field][min(level, 2)]
		if web {
			return q[1]
		}
		return q[0]
	}
	return "How can I help you today?"
}

// fieldQuestions asks for the name, phone and email: by level (the first
// time, after one answer the agent could not use, after more), on the phone
// and on the web.
var fieldQuestions = map[string][3][2]string{
	fieldName: {
		{"May I have your name, please?", "May I have your name, please?"},
		{"Sorry, I didn't catch your name. Could you say it again?", "Sorry, I didn't catch your name. Could you type it again?"},
		{"Could you spell your name for me, letter by letter?", "Could you type your first and last name for me?"},
	},
	fieldPhone: {
		{"What's the best phone number for the team to reach you?", "What's the best phone number for the team to reach you?"},
		{"Could you say the number again, starting with the area code?", "Could you type the full number, with the area code?"},
		{"Let's try once more: please say all ten digits, one at a time, starting with the area code.", "Let's try once more: please type all ten digits, area code first."},
	},
	fieldEmail: {
		{"What's the best email address to reach you? Feel free to spell it out.", "What's the best email address to reach you?"},
		{"Could you spell it for me, like j o h n at example dot com?", "Could you type it again, like name@example.com?"},
		{"Could you spell it for me, like j o h n at example dot com?", "Could you type it again, like name@example.com?"},
	},
}

// fixQuestion asks for the corrected value of a field.
func (t *turn) fixQuestion(field string) string {
	web := t.s.Channel == session.ChannelWeb
	switch field {
	case fieldName:
		if web {
			return "What's the correct name?"
		}
		return "What's the correct name? Spelling it out helps."
	case fieldPhone:
		return "What's the correct number?"
	case fieldEmail:
		if web {
			return "What's the correct email address?"
		}
		return "What's the correct email address? Spelling it out helps."
	}
	return "What should I put down as the reason for your call?"
}

// readBack reads the collected fields back and asks for confirmation.
func (t *turn) readBack(lead string) string {
	c := t.s.Caller
	var parts []string
	if c.Name != "" {
		parts = append(parts, "your name is "+c.Name)
	}
	if c.Phone != "" {
		parts = append(parts, "your number is "+t.phoneForReadBack())
	}
	if c.Email != "" {
		parts = append(parts, "your email is "+c.Email)
	}
	if c.Reason != "" {
		r := lowerFirst(strings.TrimRight(c.Reason, ".!? "))
		to := t.in.Message
		switch {
		case to != "" && to != "1" && strings.HasPrefix(c.Reason, upperFirst(to)+": "):
			parts = append(parts, "your message "+to+" is: "+lowerFirst(strings.TrimRight(c.Reason[len(to)+2:], ".!? ")))
		case to != "":
			parts = append(parts, "your message is: "+r)
		case strings.HasSuffix(c.Reason, "?"):
			parts = append(parts, "I've noted your question: "+r)
		default:
			parts = append(parts, "I've noted: "+r)
		}
	}
	t.readback = true
	return lead + " " + business.ListWords(parts, "and") + ". Is that right?"
}

func (t *turn) phoneForReadBack() string {
	p := t.s.Caller.Phone
	if t.in.IsUnvalidated(fieldPhone) {
		return spaced(speech.DigitsOnly(p))
	}
	if n, err := phone.ValidateNANP(p); err == nil {
		return n.Display
	}
	return p
}

// provided reports whether the turn gave any field, and whether every
// field given equals what was already stored (a repeat, not a correction).
func (t *turn) provided(before session.Caller) (gave, same bool) {
	same = true
	for f := range t.got {
		gave = true
		var old string
		switch f {
		case fieldName:
			old = before.Name
		case fieldPhone:
			old = before.Phone
		case fieldEmail:
			old = before.Email
		case fieldReason:
			old = before.Reason
		}
		if old != t.value(f) {
			same = false
		}
	}
	return gave, same
}

// reasonCorrections open a corrected reason at the read-back.
var reasonCorrections = []string{"the reason", "reason is", "it's about", "it is about", "i'm calling about",
	"i am calling about", "i'm calling because", "i am calling because", "calling about", "the message", "my message",
	"i said", "it's regarding", "regarding", "i need", "i want", "i'd like"}

// correction reads details and a corrected reason given at the read-back
// or after "what should I change?". It reports whether it handled the turn.
func (t *turn) correction(u utter) bool {
	before := t.s.Caller
	fd := t.extract(u, "", true)
	t.applyDetails(fd)
	lo := strings.TrimSpace(fd.leftover)
	for _, w := range []string{"no", "nope", "actually", "sorry", "wait", "well", "um", "uh", "oh", "and", "also"} {
		lo = strings.TrimSpace(strings.TrimLeft(trimWord(lo, w), " ,.;"))
	}
	for _, p := range reasonCorrections {
		if hasWordPrefix(strings.ToLower(lo), p) {
			// "the reason is wrong" or "the reason" alone name the field;
			// "the reason is a new gate" corrects it.
			if r := cleanReason(lo); r != "" && meaningful(lo[len(p):]) && !negativeRe().MatchString(norm(lo)) && mentionedField(r) == "" {
				t.set(fieldReason, r)
			}
			break
		}
	}
	t.answerQuestions(u)
	gave, same := t.provided(before)
	switch {
	case gave && same && len(t.got) == 1 && !t.got[fieldReason]:
		// The same value again: ask for it afresh rather than loop.
		for f := range t.got {
			t.fixField(f, "I still have that as "+t.display(f)+".")
		}
		return true
	case gave:
		t.in.SetTries("confirm", 0)
		t.in.SetTries("fix", 0)
		t.in.Step = StepConfirm
		t.ack = append(t.ack, "Thanks, I've updated that.")
		t.main = t.readBack("Here's what I have now:")
		return true
	case fd.phone != nil && fd.phone.Err != nil:
		t.in.Step = StepCollect
		t.in.Ask = fieldPhone
		t.in.SetTries(fieldPhone, 1)
		if fd.phone.Digits != "" {
			t.in.SetHeard(fieldPhone, fd.phone.Digits)
		}
		t.main = "Hmm, " + fd.phone.Err.Error() + ". What's the correct number?"
		return true
	case fd.email != nil && !fd.email.Valid:
		t.in.Step = StepCollect
		t.in.Ask = fieldEmail
		t.in.SetTries(fieldEmail, 1)
		t.in.SetHeard(fieldEmail, fd.email.Email)
		t.main = "Hmm, " + fd.email.Email + " doesn't look like a complete email address. " + t.fixQuestion(fieldEmail)
		return true
	}
	return false
}

func trimWord(s, w string) string {
	if hasWordPrefix(strings.ToLower(s), w) {
		return s[len(w):]
	}
	return s
}

// display renders a field's value as the agent says it.
func (t *turn) display(field string) string {
	if field == fieldPhone {
		return t.phoneForReadBack()
	}
	return t.value(field)
}

// fixField goes back to asking for one field.
func (t *turn) fixField(field, lead string) {
	t.in.Step = StepCollect
	t.in.Ask = field
	t.in.SetTries(field, 0)
	if lead == "" {
		lead = "Sorry about that."
	}
	t.main = lead + " " + t.fixQuestion(field)
}

// verdict is the caller's answer at the read-back or to "what should I
// change?": its normalized words, and whether it says yes, no or something
// negative ("wrong").
type verdict struct {
	all          string
	yes, no, neg bool
}

// verdictOf reads u at the read-back, or reports false when it asked to
// book or corrected a value, which askedToBook or correction handled.
func (t *turn) verdictOf(u utter) (v verdict, ok bool) {
	if t.askedToBook(u) || t.correction(u) {
		return v, false
	}
	v.all = norm(u.rest)
	v.yes, v.no = yesNo(u.rest)
	v.neg = negativeRe().MatchString(v.all)
	return v, true
}

// outOfTries counts one more unclear answer at step what and, at maxTries,
// closes the intake unconfirmed and reports true.
func (t *turn) outOfTries(what string) bool {
	if t.addTry(what) < maxTries {
		return false
	}
	t.close(OutcomeUnconfirmed)
	return true
}

// confirm handles the answer to the read-back.
func (t *turn) confirm(u utter) {
	v, ok := t.verdictOf(u)
	if !ok {
		return
	}
	field := mentionedField(u.rest)
	switch {
	case v.yes && !v.neg:
		t.close(OutcomeConfirmed)
	case field != "":
		t.fixField(field, "")
	case v.no || v.neg:
		t.in.Step = StepFix
		t.main = "Sorry about that. What should I change: " + t.fieldList() + "?"
	case goodbyeRe().MatchString(v.all) || hangUpRe().MatchString(v.all):
		t.close(OutcomeUnconfirmed)
	case len(u.questions) > 0 || u.emergency:
		t.main = "Now, is everything I read back correct?"
	default:
		if t.outOfTries("confirm") {
			return
		}
		reply := "say"
		if t.s.Channel == session.ChannelWeb {
			reply = "reply"
		}
		t.main = "Sorry, I didn't catch that. Is everything I read back correct? You can " + reply + " yes, or tell me what to change."
	}
}

// fix handles the answer to "what should I change?".
func (t *turn) fix(u utter) {
	v, ok := t.verdictOf(u)
	if !ok {
		return
	}
	if field := mentionedField(u.rest); field != "" {
		t.fixField(field, "Okay.")
		return
	}
	switch {
	case v.yes && !v.neg || goodbyeRe().MatchString(v.all) || fineRe().MatchString(v.all):
		t.close(OutcomeConfirmed)
	case hangUpRe().MatchString(v.all):
		t.close(OutcomeUnconfirmed)
	case len(u.questions) > 0 || u.emergency:
		t.main = "Now, what should I change: " + t.fieldList() + "?"
	default:
		if t.outOfTries("fix") {
			return
		}
		t.main = "Sorry, which part should I change: " + t.fieldList() + "?"
	}
}

// fieldList names the collected fields: "your name, your number, or the
// reason for your call".
func (t *turn) fieldList() string {
	var parts []string
	c := t.s.Caller
	if c.Name != "" {
		parts = append(parts, "your name")
	}
	if c.Phone != "" {
		parts = append(parts, "your number")
	}
	if c.Email != "" {
		parts = append(parts, "your email")
	}
	if c.Reason != "" {
		if t.in.Message != "" {
			parts = append(parts, "your message")
		} else {
			parts = append(parts, "the reason for your call")
		}
	}
	return business.ListWords(parts, "or")
}

// emergency tells the caller once what to do when it can't wait
// (tools.EmergencyOffer: # on the phone; on the web the on-call number, or
// an urgent call back, whose number is then asked for first).
func (t *turn) emergency() {
	if t.in.Emergency {
		return
	}
	t.in.Emergency = true
	say, ev := tools.EmergencyOffer(t.a.b, t.s)
	t.pre = append(t.pre, say)
	t.events = append(t.events, ev)
}

// urgentCallback reports whether the visitor was offered an urgent call
// back and has given no number yet.
func (t *turn) urgentCallback() bool {
	return t.in.Emergency && t.s.Channel == session.ChannelWeb && tools.EmergencyNumber(t.a.b) == "" &&
		t.s.Caller.Phone == "" && !t.in.IsSkipped(fieldPhone)
}

// close ends the conversation: thanks, who follows up, goodbye.
func (t *turn) close(outcome string) {
	if t.s.Caller.Reason != "" {
		t.voicemail()
	}
	t.in.Step = StepDone
	t.in.Outcome = outcome
	t.in.Ask = ""
	t.done = true
	t.event(agent.EventEnd, outcome)
	c := t.s.Caller
	company := t.a.b.DisplayName()
	bye := t.goodbye()
	if outcome == OutcomeCallerEnded && c.Name == "" && c.Phone == "" && c.Email == "" && c.Reason == "" {
		t.main = "No problem. Thanks for " + t.contacting(company) + ". " + bye
		return
	}
	thanks := "Thank you!"
	if first := firstName(c.Name); first != "" {
		thanks = "Thank you, " + first + "!"
	}
	what := "this"
	if t.in.Message != "" || outcome == OutcomeMessage {
		what = "your message"
	}
	if c.Phone == "" && c.Email == "" && c.CallerID == "" {
		t.main = thanks + " I've passed " + what + " along to the team at " + company + ". " + bye
		return
	}
	when := " soon"
	switch oh := t.a.b.OperatingHours; {
	case t.in.Emergency:
		when = " as soon as possible"
	case oh != nil && !t.now.IsZero() && !oh.OpenAt(t.now, t.a.b.Location()):
		when = " during business hours"
	}
	how := ""
	if c.Phone == "" && c.Email != "" {
		how = " by email"
	}
	t.main = thanks + " I've passed " + what + " along, and the team at " + company + " will follow up with you" + how + when + ". " + bye
}

// contacting is what the caller did, for a thank-you: "calling Acme", or
// on the web "reaching out to Acme" (company may be "").
func (t *turn) contacting(company string) string {
	verb, to := "calling", " "
	if t.s.Channel == session.ChannelWeb {
		verb, to = "reaching out", " to "
	}
	if company == "" {
		return verb
	}
	return verb + to + company
}

// goodbye wishes the caller well for the time of day at the business.
func (t *turn) goodbye() string {
	if t.now.IsZero() {
		return "Goodbye!"
	}
	switch h := t.now.In(t.a.b.Location()).Hour(); {
	case h >= 5 && h < 17:
		return "Have a great day!"
	case h >= 17 && h < 22:
		return "Have a good evening!"
	}
	return "Have a good night!"
}
