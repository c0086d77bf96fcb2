package intake

// Knowledge answers and appointment booking, the two features a business
// turns on in its config (features.ragEnabled, features.appointmentBooking)
// and the agent uses only when it was built with NewWith and the matching
// dependency.

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/speech"
	"github.com/ahca/ahca/pkg/tenant"
)

// Knowledge searches a business's knowledge base (a *knowledge.Searcher).
// The agent stays a pure function of its inputs only when Search is
// deterministic for the same query, as the lexical (BM25) search is.
type Knowledge interface {
	Search(ctx context.Context, q string, k int) ([]knowledge.Result, error)
}

// BookingOwner may be implemented by a booking.Store that can tell who
// booked a slot: the agent then treats booking.ErrSlotTaken for a slot this
// session already booked as success, so re-running a turn never books twice
// nor reports the caller's own slot as taken.
type BookingOwner interface {
	// BookedBy returns the session id of slot's booking, and whether the
	// slot is booked.
	BookedBy(ctx context.Context, biz tenant.ID, slot booking.Slot) (sessionID string, ok bool, err error)
}

// Options are the agent's optional dependencies.
type Options struct {
	// Knowledge answers questions the company info does not cover, when the
	// business has ragEnabled. nil: such questions are noted for the team.
	Knowledge Knowledge
	// MinScore is the lowest search score used as an answer; 0 means
	// DefaultMinScore, which suits the lexical (BM25) search. An embedding
	// search (cosine similarity) needs a lower one, such as 0.3.
	MinScore float64
	// Bookings is where appointments are booked, when the business has
	// appointmentBooking and a calendar booking.Supported handles. nil: no
	// booking.
	Bookings booking.Store
}

// DefaultMinScore is the lowest BM25 score the agent answers with.
const DefaultMinScore = 1.0

// NewWith builds the agent for one business with optional dependencies.
// The features are used only when the business enables them.
func NewWith(b *business.Business, opts Options) *Agent {
	a := New(b)
	if b.Features.RAG && opts.Knowledge != nil {
		a.kb = opts.Knowledge
		a.minScore = opts.MinScore
		if a.minScore <= 0 {
			a.minScore = DefaultMinScore
		}
	}
	if b.Features.AppointmentBooking && booking.Supported(b) && opts.Bookings != nil {
		a.store = opts.Bookings
		a.mine = &ownBookings{m: map[string]ownBooking{}}
	}
	return a
}

// ownBookings remembers the slots this agent booked, by session, so a turn
// re-run in this process (the engine re-runs Respond on a re-read session
// after a concurrent write) finds its own booking instead of a taken slot.
type ownBookings struct {
	mu sync.Mutex
	m  map[string]ownBooking // slot start (UTC, RFC 3339) → booking
}

type ownBooking struct {
	session string
	end     time.Time
}

const maxOwnBookings = 4096

func (o *ownBookings) add(slot booking.Slot, session string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.m) >= maxOwnBookings {
		for k, v := range o.m {
			if v.end.Before(now) || len(o.m) >= maxOwnBookings {
				delete(o.m, k)
			}
		}
	}
	o.m[slot.Start.UTC().Format(time.RFC3339)] = ownBooking{session: session, end: slot.End}
}

func (o *ownBookings) owner(slot booking.Slot) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[slot.Start.UTC().Format(time.RFC3339)].session
}

// ---------------------------------------------------------------------------
// knowledge

// knowledgeAnswer answers q from the knowledge base when the company info
// does not cover it (or it asks about one service), and reports whether it
// did.
func (t *turn) knowledgeAnswer(q question) bool {
	a := t.a
	if a.kb == nil {
		return false
	}
	covered := len(q.topics) > 0
	for _, tp := range q.topics {
		if _, ok := a.answer(tp, t.s, t.now); !ok {
			covered = false
		}
	}
	if covered && !(q.specific && slices.Equal(q.topics, []topic{topicServices})) {
		return false
	}
	rs, _ := a.kb.Search(t.ctx, q.text, 1) // a fallback error still returns results
	if len(rs) == 0 || rs[0].Score < a.minScore {
		return false
	}
	p := passage(rs[0].Chunk.Text, 300)
	if p == "" {
		return false
	}
	t.pre = append(t.pre, "Here's what I found: "+p)
	id := rs[0].Chunk.SectionID
	if id == "" {
		id = rs[0].Chunk.Heading
	}
	t.event(agent.EventKnowledge, id)
	return true
}

// sentenceEnd is the end of a sentence: . ! or ? followed by a space and
// not inside a number ("$0.45").
var sentenceEnd = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[.!?]["')\]]*\s+`) })

// passage returns the first one or two sentences of text, at most limit
// bytes (cut at a word when one sentence is longer).
func passage(text string, limit int) string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return ""
	}
	var out string
	rest := text
	for n := 0; n < 2 && rest != ""; n++ {
		s := rest
		if loc := sentenceEnd().FindStringIndex(rest); loc != nil {
			s, rest = strings.TrimSpace(rest[:loc[1]]), rest[loc[1]:]
		} else {
			rest = ""
		}
		if out != "" && len(out)+1+len(s) > limit {
			break
		}
		if out != "" {
			out += " "
		}
		out += s
	}
	if len(out) > limit {
		cut := strings.LastIndexByte(out[:limit], ' ')
		if cut <= 0 {
			cut = limit
		}
		out = strings.TrimRight(out[:cut], " ,;:") + "..."
	}
	return out
}

// ---------------------------------------------------------------------------
// booking

// bookIntentRe is a request to book: "book a demo", "set up an
// appointment", "schedule a consultation".
var bookIntentRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(book|booking|schedule|scheduling|set up|setup|arrange|make|get|see|have|want|need|like)\b[a-z' ]{0,25}?\b(demo|appointment|meeting|consultation|visit)s?\b|\bappointment\b`)
})

// bookNotRe are requests about an existing booking, which the team handles.
var bookNotRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(cancel|cancelling|canceling|reschedule|rescheduling|move|change|missed)\b`)
})

var bookNounRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(demo|appointment|meeting|consultation|visit)\b`) })

// wantsBooking reports whether text asks to book (whether or not this
// agent books: without a calendar the wish goes to the team).
func wantsBooking(text string) bool {
	n := norm(text)
	return bookIntentRe().MatchString(n) && !bookNotRe().MatchString(n)
}

// canBook reports whether this agent books appointments.
func (a *Agent) canBook() bool { return a.store != nil }

// bookingIntent reads a request to book from the utterance (leftover: the
// text minus the caller's details and questions), and remembers it with any
// day and time said. It reports whether there was one.
func (t *turn) bookingIntent(leftover string) bool {
	if !t.a.canBook() || t.bk.Booked() {
		return false
	}
	if !wantsBooking(leftover) {
		return false
	}
	n := norm(leftover)
	t.bk.Want = session.WantYes
	if m := bookNounRe().FindString(n); m != "" && m != "appointment" {
		t.bk.Service = m
	} else if t.bk.Service == "" {
		t.bk.Service = t.a.bookingNoun()
	}
	if saysWhen(t.a.b, leftover, t.now) {
		t.bk.When = leftover
	}
	return true
}

// saysWhen reports whether text names a day or a time.
func saysWhen(b *business.Business, text string, now time.Time) bool {
	_, err := booking.ParseFor(b, text, now)
	var q *speech.QuestionError
	return err == nil || errors.As(err, &q) && !nothingSaid(q)
}

// nothingSaid reports whether the parser's question says the text named no
// day and no time (rather than an unclear one). booking has no sentinel for
// it, so the question's wording is matched.
func nothingSaid(q *speech.QuestionError) bool {
	return strings.HasPrefix(q.Question, "I didn't catch a day or time")
}

// bookingNoun is what the business books: "demo" when it offers demos,
// else "appointment".
func (a *Agent) bookingNoun() string {
	for _, s := range a.b.Company.Services {
		if strings.Contains(strings.ToLower(s), "demo") {
			return "demo"
		}
	}
	return "appointment"
}

func (t *turn) noun() string {
	if s := t.bk.Service; s != "" {
		return s
	}
	return t.a.bookingNoun()
}

// bookingDue reports whether, with the details collected, the agent should
// offer or continue a booking.
func (t *turn) bookingDue() bool {
	if !t.a.canBook() || t.bk.Booked() || t.bk.Want == session.WantNo {
		return false
	}
	c := t.s.Caller
	if c.Name == "" || (c.Email == "" && slices.Contains(t.a.b.Intake.Required, fieldEmail)) {
		return false // the booking needs who it is for
	}
	return true
}

// startBooking enters the booking step: proposes a slot for the day and
// time already said, or asks for one, or offers to book.
func (t *turn) startBooking() {
	t.in.Step = StepBooking
	t.in.Ask = ""
	t.in.SetTries("booking", 0)
	if when := t.bk.When; when != "" {
		t.bk.When = ""
		if t.parseWhen(when) {
			return
		}
	}
	if t.bk.Want == session.WantYes {
		t.bk.Stage = session.BookWhen
		t.main = "What day and time would work best for your " + t.noun() + "?"
		return
	}
	t.bk.Stage = session.BookOffer
	t.main = "Would you like me to book a " + t.noun() + " for you? If so, what day and time work best?"
}

// parseWhen proposes a slot for a day and time, or asks the clarifying
// question; false when text names neither.
func (t *turn) parseWhen(text string) bool {
	w, err := booking.ParseFor(t.a.b, text, t.now)
	var q *speech.QuestionError
	if errors.As(err, &q) && !nothingSaid(q) {
		t.bk.Stage = session.BookWhen
		t.main = q.Question
		return true
	}
	if err != nil {
		return false
	}
	t.propose(w)
	return true
}

// booking handles an answer in the booking step.
func (t *turn) booking(u utter) {
	// "what about Friday at 2?" is an answer, not a question to note.
	if len(u.questions) > 0 && !slices.ContainsFunc(u.questions, func(q question) bool { return len(q.topics) > 0 }) &&
		saysWhen(t.a.b, u.text, t.now) && t.parseWhen(u.text) {
		return
	}
	t.answerQuestions(u)
	all := norm(u.rest)
	if strings.TrimSpace(u.rest) != "" && t.parseWhen(u.rest) {
		return
	}
	yes, no := yesNo(u.rest)
	neg := no || negativeRe().MatchString(all)
	state := t.bk.Stage
	switch {
	case state == session.BookConfirm && yes && !neg:
		t.bookProposed()
	case state == session.BookConfirm && neg:
		t.bk.Proposed = time.Time{}
		t.bk.Stage = session.BookWhen
		t.main = "No problem. What day and time would work better?"
	case state == session.BookOffer && yes && !neg:
		t.bk.Want = session.WantYes
		t.bk.Stage = session.BookWhen
		t.main = "Great. What day and time work best for you?"
	case hangUpRe().MatchString(all):
		t.bk.Want = session.WantNo
		t.endBookingStep()
		t.close(OutcomeCallerEnded)
	case neg || goodbyeRe().MatchString(all): // "no thanks", "not right now"
		t.declineBooking("No problem.")
	case len(u.questions) > 0 || u.emergency:
		t.main = "Now, " + lowerFirst(t.bookingQuestion())
	default:
		if t.addTry("booking") >= maxTries {
			t.declineBooking("Let's leave the scheduling to the team; they'll reach out to find a time.")
			return
		}
		t.main = "Sorry, I didn't catch that. " + t.bookingQuestion()
	}
}

// bookingQuestion is the pending question of the booking step.
func (t *turn) bookingQuestion() string {
	switch t.bk.Stage {
	case session.BookConfirm:
		if start := t.bk.Proposed; !start.IsZero() {
			return "Shall I book your " + t.noun() + " for " + booking.Display(start.In(booking.Location(t.a.b))) + "?"
		}
	case session.BookOffer:
		return "Would you like me to book a " + t.noun() + "? You can tell me a day and time, like tomorrow at 10 AM."
	}
	return "What day and time would work for your " + t.noun() + "? For example, tomorrow at 10 AM."
}

// declineBooking leaves the booking flow and moves on (the read-back).
func (t *turn) declineBooking(ack string) {
	t.bk.Want = session.WantNo
	t.endBookingStep()
	if ack != "" {
		t.ack = append(t.ack, ack)
	}
	t.advance()
}

func (t *turn) endBookingStep() {
	t.bk.Stage = ""
	t.bk.Proposed = time.Time{}
	t.bk.When = ""
	t.in.SetTries("booking", 0)
	t.in.Step = StepCollect
}

// calendarDown gives up on booking when the store fails.
func (t *turn) calendarDown() {
	t.declineBooking("I'm having trouble reaching the calendar right now, so the team will reach out to schedule with you.")
}

// propose reads back the slot asked for when it is free, else the nearest
// free one (on that day, or the next day with one within 14 days).
func (t *turn) propose(w speech.When) {
	b := t.a.b
	takenOn := booking.StoreTakenOn(t.ctx, t.a.store, b.ID)
	var lead string
	if w.HasTime {
		slot, why, err := booking.Requested(b, t.now, w, takenOn)
		switch {
		case err != nil:
			t.calendarDown()
			return
		case why == booking.Free:
			t.offerSlot(slot, "I have "+slot.Display()+" available.")
			return
		case why == booking.ClosedThatDay:
			lead = "We don't book " + t.noun() + "s on " + w.Date.Weekday().String() + "s."
		case why == booking.Passed:
			lead = "That time has already passed."
		case why == booking.NotASlot:
			lead = "That isn't one of our " + t.noun() + " times."
		case why == booking.Taken:
			lead = "Sorry, " + booking.Display(slot.Start) + " is already booked."
		}
	}
	free, err := booking.Nearest(b, t.now, w, takenOn, 1)
	if err != nil {
		t.calendarDown()
		return
	}
	if len(free) == 0 {
		t.declineBooking(strings.TrimSpace(lead + " I don't see any open times in the next two weeks, so the team will reach out to schedule with you."))
		return
	}
	next := "The closest open time is "
	if d := free[0].Start; !w.HasTime || d.YearDay() != w.Date.YearDay() || d.Year() != w.Date.Year() {
		next = "The earliest open time is "
	}
	t.offerSlot(free[0], strings.TrimSpace(lead+" "+next+free[0].Display()+"."))
}

// offerSlot reads a slot back and asks to book it.
func (t *turn) offerSlot(slot booking.Slot, lead string) {
	t.in.Step = StepBooking
	t.bk.Stage = session.BookConfirm
	t.bk.Proposed = slot.Start
	t.in.SetTries("booking", 0)
	t.main = lead + " Shall I book your " + t.noun() + " for " + slot.Display() + "?"
}

// bookProposed books the slot read back: the store's conditional write
// re-checks availability.
func (t *turn) bookProposed() {
	b := t.a.b
	slot, ok := booking.Find(b, t.bk.Proposed)
	if t.bk.Proposed.IsZero() || !ok || !slot.Start.After(t.now) {
		t.bk.Stage = session.BookWhen
		t.bk.Proposed = time.Time{}
		t.main = "Sorry, I lost track of that time. What day and time would work for you?"
		return
	}
	c := t.s.Caller
	err := t.a.book(t.ctx, slot, booking.Booking{SessionID: t.s.ID, Name: c.Name, Phone: c.Phone, Email: c.Email,
		Service: t.bk.Service, CreatedAt: t.now}, t.now)
	switch {
	case errors.Is(err, booking.ErrSlotTaken):
		w := speech.When{Date: booking.Day(slot.Start, booking.Location(b)), DateSaid: true, HasTime: true,
			Hour: slot.Start.Hour(), Minute: slot.Start.Minute(), Meridiem: true}
		t.propose(w)
		if t.in.Step == StepBooking {
			t.main = "Sorry, that time was just booked by someone else. " + strings.TrimPrefix(t.main, "Sorry, "+slot.Display()+" is already booked. ")
		}
		return
	case err != nil:
		t.calendarDown()
		return
	}
	t.bk.Start = slot.Start
	if t.bk.Service == "" {
		t.bk.Service = t.noun()
	}
	t.endBookingStep()
	t.event(agent.EventAppointmentBooked, slot.Display())
	t.ack = append(t.ack, "You're all set: your "+t.noun()+" is booked for "+slot.Display()+".")
	t.advance()
}

// book books slot, treating the slot as booked by this session when the
// store (BookingOwner) or this agent's memory says so: re-running the
// turn books once.
func (a *Agent) book(ctx context.Context, slot booking.Slot, bk booking.Booking, now time.Time) error {
	err := a.store.Book(ctx, a.b.ID, slot, bk)
	if err == nil {
		if bk.SessionID != "" {
			a.mine.add(slot, bk.SessionID, now)
		}
		return nil
	}
	if !errors.Is(err, booking.ErrSlotTaken) || bk.SessionID == "" {
		return err
	}
	if o, ok := a.store.(BookingOwner); ok {
		if id, found, oerr := o.BookedBy(ctx, a.b.ID, slot); oerr == nil && found && id == bk.SessionID {
			return nil
		}
	}
	if a.mine.owner(slot) == bk.SessionID {
		return nil
	}
	return err
}

// askedToBook starts the booking flow when the caller asks to book at the
// read-back (or after "what should I change?").
func (t *turn) askedToBook(u utter) bool {
	if !t.a.canBook() {
		return false
	}
	fd := t.extract(u, "", true)
	if fd.name != nil || fd.phone != nil || fd.email != nil || !t.bookingDue() || !t.bookingIntent(fd.leftover) {
		return false
	}
	t.answerQuestions(u)
	t.startBooking()
	return true
}
