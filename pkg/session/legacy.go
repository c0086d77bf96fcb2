package session

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// legacyFlowAttr is the attribute the previous version stored its state in:
// a map of strings ("step", "booking.start", "engine.leg", ...). Sessions
// live at most 3 hours, so such items exist only around a deploy; reads
// convert them to State (stateFromFlow) and the next save writes the typed
// form and drops the map.
const legacyFlowAttr = "flow"

// stateFromFlow converts the previous version's flow map. Keys it does not
// know, and values it cannot read, are dropped: the agents then carry on
// from the caller's details (the scripted agent resumes at the next missing
// field), which is the same as a turn that lost its state, never a crash.
func stateFromFlow(flow map[string]string) State {
	var st State
	in, bk := &st.Intake, &st.Booking
	var vm Voicemail
	var interrupt Interrupt
	texts := map[string]*string{
		"ask": &in.Ask, "message": &in.Message, "outcome": &in.Outcome,
		"booking.when": &bk.When, "booking.service": &bk.Service,
		"call.mode": &st.Call.Mode, "resume.staff": &st.Call.ResumeStaff, "transfer.staff": &st.Call.TransferStaff,
		"voicemail.name": &vm.Name, "voicemail.phone": &vm.Phone, "voicemail.phone_source": &vm.PhoneSource,
		"voicemail.reason": &vm.Reason, "voicemail.recipient": &vm.For, "voicemail.sent": &vm.Sent,
		"engine.leg": &st.Engine.Leg, "engine.interrupt.heard": &interrupt.Heard,
	}
	times := map[string]*time.Time{
		"booking.proposed": &bk.Proposed, "booking.start": &bk.Start, "voicemail.at": &vm.At, "engine.interrupt.at": &interrupt.At,
	}
	numbers := map[string]*int{"turns": &in.Turns, "voicemail.notified": &vm.Notified}
	for k, v := range flow {
		if v == "" {
			continue
		}
		prefix, field, _ := strings.Cut(k, ".")
		switch {
		case texts[k] != nil:
			*texts[k] = v
		case times[k] != nil:
			*times[k], _ = time.Parse(time.RFC3339Nano, v)
		case numbers[k] != nil:
			*numbers[k], _ = strconv.Atoi(v)
		case k == "step":
			in.Step = Step(v)
		case k == "questions":
			in.Questions = strings.Split(v, "\n")
		case k == "emergency":
			in.Emergency = true
		case k == "booking.state":
			bk.Stage = BookingStage(v)
		case k == "booking.want":
			bk.Want = map[string]string{"1": WantYes, "no": WantNo}[v]
		case k == "engine.greeted":
			st.Engine.Greeted = true
		case prefix == "tries":
			if n, err := strconv.Atoi(v); err == nil {
				in.SetTries(field, n)
			}
		case prefix == "heard":
			in.SetHeard(field, v)
		case prefix == "unvalidated":
			in.MarkUnvalidated(field)
		case prefix == "skipped":
			in.Skip(field)
		}
	}
	switch in.Step {
	case "", StepCollect, StepBooking, StepConfirm, StepFix, StepDone:
	default:
		in.Step, in.Ask = "", "" // unknown: the scripted agent resumes
	}
	slices.Sort(in.Unvalidated)
	slices.Sort(in.Skipped)
	if vm != (Voicemail{}) {
		st.Voicemail = &vm
	}
	if !interrupt.At.IsZero() {
		st.Engine.Interrupt = &interrupt
	}
	return st
}
