package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/speech"
)

// NameScheduleAppointment is the booking tool's name.
const NameScheduleAppointment = "schedule_appointment"

// maxAlternatives is how many other slots are offered at most.
const maxAlternatives = 3

// BookingTool is schedule_appointment on store: without confirm it reads the
// caller's day and time (speech.ParseWhen, booking.Settle), checks availability and proposes
// the slot, or the nearest free ones (the next day with a free slot within
// 14 days when that day is full or closed), for the model to read back; with
// confirm it re-checks availability and books with the store's conditional
// write, proposing the next free slots when the slot was taken meanwhile.
// Booking requires the caller's name, and email when the business requires
// one. Enabled when the business has appointmentBooking on and a builtin
// calendar (Google and Microsoft calendars are not implemented yet).
func BookingTool(store booking.Store) Def {
	return Def{
		Name: NameScheduleAppointment,
		Description: "Book an appointment for the caller. First call it without confirm, with the day and time as the caller said " +
			"them (\"tomorrow at 2 pm\", \"next Tuesday\", \"the 16th at two thirty\"): it checks availability and returns the slot " +
			"to read back, or the nearest free slots, or a question to ask when the day or time is unclear. Read the slot back " +
			"and ask the caller to confirm; when they say yes, call it again with confirm=true and date_time set to the slot's " +
			"start exactly as returned. The caller's name (and email when required) must be saved with update_user_info first.",
		Parameters: objectSchema([]string{"date_time"},
			`"date_time": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The day and time as the caller said them, e.g. \"next Tuesday at 2 pm\"; when confirming, the start returned by the previous call."}`,
			`"confirm": {"type": "boolean", "description": "true only after the caller confirmed the slot you read back."}`,
			`"service": {"type": "string", "maxLength": 200, "description": "What the appointment is for, in a few words, when the caller said."}`),
		Enabled: func(b *business.Business) bool {
			return b.Features.AppointmentBooking && booking.Supported(b)
		},
		Run: withArgs(func(ctx context.Context, env Env, a scheduleArgs) (Outcome, error) {
			return runSchedule(ctx, store, env, a)
		}),
	}
}

type slotJSON struct {
	Start   string `json:"start"`
	Display string `json:"display"`
}

type scheduleResult struct {
	// Status is available, unavailable, question, booked or taken.
	Status       string     `json:"status"`
	Slot         *slotJSON  `json:"slot,omitempty"`
	Requested    string     `json:"requested,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Alternatives []slotJSON `json:"alternatives,omitempty"`
	Question     string     `json:"question,omitempty"`
	Note         string     `json:"note"`
}

func toJSON(s booking.Slot) slotJSON {
	return slotJSON{Start: s.Start.Format(time.RFC3339), Display: s.Display()}
}

type scheduleArgs struct {
	DateTime string `json:"date_time"`
	Confirm  bool   `json:"confirm"`
	Service  string `json:"service"`
}

func runSchedule(ctx context.Context, store booking.Store, env Env, a scheduleArgs) (Outcome, error) {
	b, s := env.Business, env.Session
	if !booking.Supported(b) {
		return Outcome{}, Invalidf("appointments cannot be booked here (calendar %q): take the caller's details and say the team will call back to schedule", b.Calendar.Provider)
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	service := clip(oneLine(a.Service), 200)

	if a.Confirm {
		var missing []string
		if s.Caller.Name == "" {
			missing = append(missing, business.FieldName)
		}
		if s.Caller.Email == "" && slices.Contains(b.Intake.Required, business.FieldEmail) {
			missing = append(missing, business.FieldEmail)
		}
		if len(missing) > 0 {
			return Outcome{}, Invalidf("cannot book yet: missing the caller's %s. Ask for %s, save %s with update_user_info, then confirm again",
				listAnd(missing), plural(len(missing), "it", "them"), plural(len(missing), "it", "them"))
		}
	}

	w, err := booking.ParseFor(b, a.DateTime, now)
	var q *speech.QuestionError
	if errors.As(err, &q) {
		return Result(scheduleResult{Status: "question", Question: q.Question,
			Note: "Ask the caller this question, then call schedule_appointment again with their answer."}), nil
	}
	if err != nil {
		return Outcome{}, err
	}

	if a.Confirm && w.HasTime && s.State.Booking.Booked() && s.State.Booking.Start.Equal(w.Time()) {
		// Confirmed twice: it is this conversation's own booking.
		if slot, ok := booking.Find(b, w.Time()); ok {
			out := booked(&s.State.Booking, slot, service, "Already booked in this conversation; nothing more to do.")
			out.Event = nil
			return out, nil
		}
	}

	takenOn := booking.StoreTakenOn(ctx, store, b.ID)
	asked, why, err := booking.Requested(b, now, w, takenOn)
	if err != nil {
		return Outcome{}, err
	}
	var slot *booking.Slot
	if why == booking.Free {
		slot = &asked
	}
	reason := why.Reason(b, w.Date)

	if slot != nil && a.Confirm {
		err := store.Book(ctx, b.ID, *slot, booking.Booking{
			SessionID: s.ID, Name: s.Caller.Name, Phone: s.Caller.Phone, Email: s.Caller.Email,
			Service: service, CreatedAt: now,
		})
		switch {
		case err == nil:
			return booked(&s.State.Booking, *slot, service, ""), nil
		case errors.Is(err, booking.ErrSlotTaken):
			slot, reason = nil, "that time was just booked by someone else"
		default:
			return Outcome{}, err
		}
	}

	if slot != nil {
		s.State.Booking.Proposed = slot.Start
		sj := toJSON(*slot)
		return Result(scheduleResult{Status: "available", Slot: &sj,
			Note: fmt.Sprintf("Not booked yet. Read it back (%q) and ask the caller to confirm. If they say yes, call schedule_appointment with date_time %q and confirm=true.", sj.Display, sj.Start)}), nil
	}

	alts, err := booking.Nearest(b, now, w, takenOn, maxAlternatives)
	if err != nil {
		return Outcome{}, err
	}
	status := "unavailable"
	if a.Confirm {
		status = "taken"
	}
	res := scheduleResult{Status: status, Requested: w.String(), Reason: reason}
	for _, x := range alts {
		res.Alternatives = append(res.Alternatives, toJSON(x))
	}
	if len(alts) == 0 {
		res.Note = fmt.Sprintf("Nothing is free in the next %d days. Tell the caller and offer to take their details so the team can call back.", booking.SearchDays)
	} else {
		res.Note = "Nothing was booked. Tell the caller briefly why and offer these times; when they pick one, read it back and ask them to confirm before booking it."
	}
	return Result(res), nil
}

func booked(bk *session.Booking, slot booking.Slot, service, note string) Outcome {
	bk.Start = slot.Start
	if service != "" {
		bk.Service = service
	}
	bk.Proposed = time.Time{}
	sj := toJSON(slot)
	if note == "" {
		note = "Booked. Tell the caller it is booked for " + sj.Display + "."
	}
	out := Result(scheduleResult{Status: "booked", Slot: &sj, Note: note})
	out.Event = &agent.Event{Kind: agent.EventAppointmentBooked, Detail: sj.Display}
	return out
}
