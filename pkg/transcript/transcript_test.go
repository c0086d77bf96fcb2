package transcript_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/transcript"
)

var t0 = time.Date(2026, 12, 2, 10, 58, 0, 0, time.UTC)

// ended builds an ended phone session from "agent: …", "caller: …" and
// "tool <kind>: …" lines.
func ended(reason string, lines ...string) *session.Session {
	s := &session.Session{BusinessID: "b", ID: "CA1", Channel: session.ChannelPhone, Status: session.StatusEnded, EndReason: reason, CreatedAt: t0}
	for i, l := range lines {
		who, text, _ := strings.Cut(l, ": ")
		at := t0.Add(time.Duration(i) * time.Second)
		if kind, ok := strings.CutPrefix(who, "tool "); ok {
			agent.Record(s, agent.Event{Kind: agent.Kind(kind), Detail: text}, at)
			continue
		}
		s.Append(who, text, at)
	}
	return s
}

func TestFromSession(t *testing.T) {
	sorry := "agent: I'm sorry, I couldn't reach our on-call crew. What's your name?"
	tests := []struct {
		name  string
		s     *session.Session
		check func(t *testing.T, tr transcript.Transcript)
	}{
		{"a greeting recorded twice is shown once", ended(transcript.EndCallerHungUp,
			"agent: Hi. How can I help?", "caller: #", "tool emergency_transfer: caller pressed #",
			"tool "+transcript.EventTransferNotAnswered+": "+session.ResumeEmergency, sorry, sorry),
			func(t *testing.T, tr transcript.Transcript) {
				if n := len(tr.Turns); n != 5 {
					t.Errorf("%d turns, want 5: %+v", n, tr.Turns)
				}
				if em := tr.Emergency; em == nil || !em.Pressed || em.Result != transcript.TransferNotAnswered {
					t.Errorf("emergency %+v", em)
				}
				if tr.LastQuestion != strings.TrimPrefix(sorry, "agent: ") {
					t.Errorf("last question %q", tr.LastQuestion)
				}
				if got := tr.Outcome(); !strings.Contains(got, "hung up while being asked") {
					t.Errorf("outcome %q", got)
				}
			}},
		{"the same words after the caller spoke are kept", ended(transcript.EndCompleted,
			"agent: Could you repeat that?", "caller: mumble", "agent: Could you repeat that?", "caller: Dana"),
			func(t *testing.T, tr transcript.Transcript) {
				if len(tr.Turns) != 4 || tr.LastQuestion != "" || tr.Status != transcript.StatusCompleted {
					t.Errorf("turns %d, last question %q, status %q", len(tr.Turns), tr.LastQuestion, tr.Status)
				}
			}},
		{"staff transfer answered", ended(transcript.EndTransferred,
			"agent: How can I help?", "caller: a refill", "tool call_transfer: pharmacy (Jordan): refills"),
			func(t *testing.T, tr transcript.Transcript) {
				if tr.Transfer == nil || tr.Transfer.Staff != "pharmacy" || tr.Transfer.Name != "Jordan" || tr.Transfer.Result != transcript.TransferAnswered {
					t.Errorf("transfer %+v", tr.Transfer)
				}
				if got := tr.Outcome(); got != "the call was transferred to Jordan, who answered" {
					t.Errorf("outcome %q", got)
				}
			}},
		{"emergency described, answered later question", ended(transcript.EndCallerHungUp,
			"agent: How can I help?", "caller: a pipe burst", "tool emergency: offered_transfer", "agent: Press pound now. What's your name?", "caller: Sam"),
			func(t *testing.T, tr transcript.Transcript) {
				if em := tr.Emergency; em == nil || em.Pressed || em.Offer != "offered_transfer" {
					t.Errorf("emergency %+v", em)
				}
				if tr.LastQuestion != "" {
					t.Errorf("last question %q after the caller answered", tr.LastQuestion)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, transcript.FromSession(tt.s, t0)) })
	}
}
