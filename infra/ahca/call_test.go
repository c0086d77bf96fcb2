package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/llm/llmtest"
)

// tuesdayMorning is inside every configured business's hours.
func tuesdayMorning() time.Time {
	loc, _ := time.LoadLocation("America/Los_Angeles")
	return time.Date(2026, 12, 1, 10, 0, 0, 0, loc)
}

func simulate(t *testing.T, stack *devStack, to, dial string, lines ...string) (*callSim, string) {
	t.Helper()
	var out bytes.Buffer
	sim := &callSim{base: stack.URL, token: stack.TwilioToken, to: to, from: "+15415550100", dial: dial, out: &out,
		lines: bufio.NewScanner(strings.NewReader(strings.Join(lines, "\n")))}
	if err := sim.run(context.Background()); err != nil {
		t.Fatalf("call: %v\n%s", err, out.String())
	}
	return sim, out.String()
}

func waitForEmails(t *testing.T, o *email.Outbox, n int) []email.OutboxEntry {
	t.Helper()
	var entries []email.OutboxEntry
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if entries, _ = o.List(); len(entries) >= n {
			break
		}
	}
	return entries
}

// A phone lead through the local stack with the Twilio simulator: the
// scripted agent takes the intake, the caller presses # and is dialled
// through to the on-call number; the call's end produces one email.
func TestCallLeadCaptureAndEmergency(t *testing.T) {
	t.Setenv("SUPERIOR_FENCING_ON_CALL_PHONE", "+15035550111")
	stack := startTestStack(t, devOptions{now: tuesdayMorning})
	_, out := simulate(t, stack, "+15035550142", "completed", "My fence blew down", "Jamie Rivera", "#")
	for _, want := range []string{
		"agent: Got it", "caller: #", `relay ends: {"reason":"emergency"}`,
		`callerId="+15415550100"`, ">+15035550111</Dial>", "twilio hangs up",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("call transcript lacks %q:\n%s", want, out)
		}
	}
	entries := waitForEmails(t, stack.Outbox, 1)
	if len(entries) != 1 || !strings.Contains(entries[0].Subject, "Jamie Rivera") {
		t.Fatalf("emails = %+v, want one for Jamie Rivera", entries)
	}
}

// After hours, with emergency handling and no voicemail, the greeting
// offers # and the simulator's key press reaches the on-call line through
// the Gather action; the missed call leaves a record.
func TestCallAfterHoursEmergency(t *testing.T) {
	t.Setenv("SUPERIOR_FENCING_ON_CALL_PHONE", "+15035550111")
	dir := withConfig(t, "superior-fencing", func(cfg map[string]any) {
		cfg["features"].(map[string]any)["onlyAnswerDuringBusinessHours"] = true
		// Open only on Mondays: the test's Tuesday morning is after hours.
		cfg["operatingHours"] = map[string]any{"timezone": "America/Los_Angeles",
			"schedule": map[string]any{"monday": []any{map[string]any{"start": "08:00", "end": "17:00"}}}}
	})
	stack := startTestStack(t, devOptions{ConfigsDir: dir, now: tuesdayMorning})
	_, out := simulate(t, stack, "+15035550142", "completed", "#")
	for _, want := range []string{"caller presses #", ">+15035550111</Dial>", "twilio hangs up"} {
		if !strings.Contains(out, want) {
			t.Errorf("after-hours call lacks %q:\n%s", want, out)
		}
	}
}

// Staff routing by intent with the AI agent: a transfer that is answered,
// and one that is not, which returns the caller to the agent with the
// first leg's context, takes a voicemail and texts the staff member.
func TestCallStaffTransferAndVoicemail(t *testing.T) {
	t.Setenv("MAPLE_STREET_VET_PHARMACY_PHONE", "+15415550191")
	fake := llmtest.NewServer(t)
	fake.Handle(func(r llmtest.Recorded) llmtest.Response {
		last := r.LastMessage()
		switch {
		case len(r.Tools) == 0:
			return llmtest.Text("The caller asked about a prescription refill.") // the summary email
		case last.Role == "tool" && strings.Contains(last.Content, "error"):
			return llmtest.Text("Sorry, something went wrong: " + last.Content)
		case last.Role == "tool":
			return llmtest.Text("Okay, I'm on it.")
		case strings.Contains(last.Content, "refill"):
			return llmtest.Calls(llmtest.Call{Name: "route_call", Arguments: `{"intent":"prescriptions","reason":"refill for my dog"}`})
		case strings.Contains(last.Content, "message"):
			a, _ := json.Marshal(map[string]string{"name": "Priya Shah", "phone": "541 555 0199", "reason": "Refill for Biscuit", "intended_recipient": "pharmacy"})
			return llmtest.Calls(llmtest.Call{Name: "collect_voicemail", Arguments: string(a)})
		}
		return llmtest.Text("How can I help?")
	})
	stack := startTestStack(t, devOptions{now: tuesdayMorning, llm: fakeModel(t, fake)})

	_, out := simulate(t, stack, "+15415550123", "completed", "I need a refill for my dog")
	if !strings.Contains(out, `"reason":"transfer"`) || !strings.Contains(out, ">+15415550191</Dial>") || !strings.Contains(out, "twilio hangs up") {
		t.Fatalf("answered transfer:\n%s", out)
	}

	sim, out := simulate(t, stack, "+15415550123", "no-answer", "I need a refill for my dog", "Please take a message for Jordan")
	if !strings.Contains(out, "dial-action?staff=pharmacy") || !strings.Contains(out, `name="resumed" value="pharmacy"`) {
		t.Fatalf("unanswered transfer did not return to the agent:\n%s", out)
	}
	resumed := false
	for _, h := range sim.heard {
		resumed = resumed || strings.Contains(h, "Jordan")
	}
	if !resumed || !strings.Contains(out, `"reason":"voicemail"`) {
		t.Fatalf("no voicemail after the unanswered transfer:\n%s", out)
	}
	sent := stack.SMS.Sent()
	if len(sent) == 0 || sent[0].To != "+15415550191" || !strings.Contains(sent[0].Body, "Priya Shah") {
		t.Errorf("texts = %+v, want one to the pharmacy about Priya Shah", sent)
	}
	// The model saw the first leg: the caller's request is in the resumed leg's history.
	last := fake.Requests()
	found := false
	for _, r := range last {
		for _, m := range r.Messages {
			found = found || (m.Role == "user" && strings.Contains(m.Content, "I need a refill for my dog") && strings.Contains(r.LastUser(), "message"))
		}
	}
	if !found {
		t.Error("the resumed leg's model request lacks the first leg's context")
	}
}

// Forged webhooks and handshakes are refused and store nothing.
func TestCallHostile(t *testing.T) {
	stack := startTestStack(t, devOptions{now: tuesdayMorning})
	var out bytes.Buffer
	forged := &callSim{base: stack.URL, token: "not-the-token", to: "+15035550142", from: "+15415550100", out: &out, lines: bufio.NewScanner(strings.NewReader("hi"))}
	if err := forged.run(context.Background()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("forged webhook: %v\n%s", err, out.String())
	}
	// A handshake signed with the wrong token for a call that never started.
	if _, err := (&callSim{token: "wrong", out: &out, lines: bufio.NewScanner(strings.NewReader(""))}).relay(context.Background(),
		strings.Replace(stack.URL, "http", "ws", 1)+"/ws?businessId=superior-fencing&callSid=CAforged&channel=phone", ""); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("forged handshake: %v", err)
	}
	if entries, _ := stack.Outbox.List(); len(entries) != 0 {
		t.Errorf("a refused call produced emails: %v", entries)
	}
}
