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
	in := &st.Intake
	bk := &st.Booking
	var vm Voicemail
	haveVM := false
	timeOf := func(v string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, v)
		return t
	}
	for k, v := range flow {
		if v == "" {
			continue
		}
		switch k {
		case "step":
			in.Step = Step(v)
		case "ask":
			in.Ask = v
		case "turns":
			in.Turns, _ = strconv.Atoi(v)
		case "message":
			in.Message = v
		case "questions":
			in.Questions = strings.Split(v, "\n")
		case "emergency":
			in.Emergency = true
		case "outcome":
			in.Outcome = v
		case "booking.state":
			bk.Stage = BookingStage(v)
		case "booking.want":
			bk.Want = map[string]string{"1": WantYes, "no": WantNo}[v]
		case "booking.when":
			bk.When = v
		case "booking.proposed":
			bk.Proposed = timeOf(v)
		case "booking.start":
			bk.Start = timeOf(v)
		case "booking.service":
			bk.Service = v
		case "call.mode":
			st.Call.Mode = v
		case "resume.staff":
			st.Call.ResumeStaff = v
		case "transfer.staff":
			st.Call.TransferStaff = v
		case "voicemail.name":
			vm.Name, haveVM = v, true
		case "voicemail.phone":
			vm.Phone, haveVM = v, true
		case "voicemail.phone_source":
			vm.PhoneSource, haveVM = v, true
		case "voicemail.reason":
			vm.Reason, haveVM = v, true
		case "voicemail.recipient":
			vm.For, haveVM = v, true
		case "voicemail.at":
			vm.At, haveVM = timeOf(v), true
		case "voicemail.notified":
			vm.Notified, _ = strconv.Atoi(v)
		case "voicemail.sent":
			vm.Sent = v
		case "engine.greeted":
			st.Engine.Greeted = true
		case "engine.leg":
			st.Engine.Leg = v
		case "engine.interrupt.at":
			if st.Engine.Interrupt == nil {
				st.Engine.Interrupt = &Interrupt{}
			}
			st.Engine.Interrupt.At = timeOf(v)
		case "engine.interrupt.heard":
			if st.Engine.Interrupt == nil {
				st.Engine.Interrupt = &Interrupt{}
			}
			st.Engine.Interrupt.Heard = v
		default:
			prefix, field, ok := strings.Cut(k, ".")
			if !ok {
				continue
			}
			switch prefix {
			case "tries":
				if n, err := strconv.Atoi(v); err == nil {
					in.SetTries(field, n)
				}
			case "heard":
				in.SetHeard(field, v)
			case "unvalidated":
				in.MarkUnvalidated(field)
			case "skipped":
				in.Skip(field)
			}
		}
	}
	switch in.Step {
	case "", StepCollect, StepBooking, StepConfirm, StepFix, StepDone:
	default:
		in.Step, in.Ask = "", "" // unknown: the scripted agent resumes
	}
	slices.Sort(in.Unvalidated)
	slices.Sort(in.Skipped)
	if haveVM {
		st.Voicemail = &vm
	}
	if st.Engine.Interrupt != nil && st.Engine.Interrupt.At.IsZero() {
		st.Engine.Interrupt = nil
	}
	return st
}
