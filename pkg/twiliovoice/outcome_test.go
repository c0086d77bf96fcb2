package twiliovoice_test

import (
	"context"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

// TestRecordedOutcomes: webhook sequences over the real session layer
// leave a session whose transcript says what happened on the call, for
// the summary email: the greeting Twilio said first, the after-hours
// missed call, the emergency transfer's result, a caller who hung up.
func TestRecordedOutcomes(t *testing.T) {
	type hook struct {
		path string
		kv   []string
	}
	connect := func(handoff string, kv ...string) hook {
		return hook{twiliovoice.PathConnectAction, append([]string{"HandoffData", handoff, "CallStatus", "in-progress"}, kv...)}
	}
	dial := func(query, status string) hook {
		return hook{twiliovoice.PathDialAction + query, []string{"DialCallStatus", status}}
	}
	status := hook{twiliovoice.PathStatus, []string{"CallStatus", "completed"}}
	tests := []struct {
		name    string
		patches [][3]string
		now     time.Time
		biz     tenant.ID
		number  string
		hooks   []hook
		check   func(t *testing.T, tr transcript.Transcript)
	}{
		{"open: the greeting is the first turn", nil, sundayAfternoon, "superior-fencing", superiorNumber,
			[]hook{status},
			func(t *testing.T, tr transcript.Transcript) {
				if len(tr.Turns) != 1 || tr.Turns[0].Role != session.RoleAgent || tr.Turns[0].At.IsZero() {
					t.Errorf("turns %+v; want the welcome greeting", tr.Turns)
				}
				if tr.AfterHours || tr.Emergency != nil {
					t.Errorf("after hours %v, emergency %+v", tr.AfterHours, tr.Emergency)
				}
			}},
		{"after hours without #: a missed call", [][3]string{withoutVoicemail}, sundayAfternoon, "maple-street-vet", mapleNumber,
			nil,
			func(t *testing.T, tr transcript.Transcript) {
				if !tr.AfterHours || tr.EndReason != transcript.EndAfterHours || tr.Status != transcript.StatusEnded {
					t.Errorf("after hours %v, end %q, status %q", tr.AfterHours, tr.EndReason, tr.Status)
				}
				if tr.CallbackPhone != callerNumber || !tr.PhoneFromCallerID {
					t.Errorf("callback %q (caller id %v)", tr.CallbackPhone, tr.PhoneFromCallerID)
				}
			}},
		{"after hours, # not answered", superiorClosed, sundayAfternoon, "superior-fencing", superiorNumber,
			[]hook{{twiliovoice.PathGatherAction, []string{"Digits", "#"}}, dial("?emergency=1", "no-answer"), connect("", "CallStatus", "completed")},
			func(t *testing.T, tr transcript.Transcript) {
				em := tr.Emergency
				if em == nil || !em.Pressed || em.Result != transcript.TransferNotAnswered {
					t.Fatalf("emergency %+v; want # pressed, not answered", em)
				}
				if !tr.AfterHours || tr.EndReason != transcript.EndCallerHungUp {
					t.Errorf("after hours %v, end %q", tr.AfterHours, tr.EndReason)
				}
				// No leg opened after it (the engine records its greeting).
				if last := tr.Turns[len(tr.Turns)-1]; last.Tool != transcript.EventTransferNotAnswered {
					t.Errorf("last turn %+v", last)
				}
			}},
		{"# answered", nil, sundayAfternoon, "superior-fencing", superiorNumber,
			[]hook{connect(`{"reason":"emergency"}`), dial("?emergency=1", "completed")},
			func(t *testing.T, tr transcript.Transcript) {
				// The engine records the # press; here only the webhooks ran.
				if tr.EndReason != transcript.EndEmergencyTransferred {
					t.Errorf("end %q", tr.EndReason)
				}
			}},
		{"# with no on-call number", [][3]string{{"businesses/superior-fencing/config.json", "ssm:/ahca/{stage}/superior-fencing/on-call-phone", "ssm:/ahca/{stage}/superior-fencing/unset-phone"}}, sundayAfternoon, "superior-fencing", superiorNumber,
			[]hook{connect(`{"reason":"emergency"}`)},
			func(t *testing.T, tr transcript.Transcript) {
				em := tr.Emergency
				if em == nil || em.Result != transcript.TransferUnavailable || em.Detail != "the on-call number is not set (its reference did not resolve)" {
					t.Errorf("emergency %+v", em)
				}
				if tr.EndReason != transcript.EndEmergencyUnavailable {
					t.Errorf("end %q", tr.EndReason)
				}
			}},
		{"the caller hangs up: not completed", nil, tuesdayAfternoon, "maple-street-vet", mapleNumber,
			[]hook{connect("", "CallStatus", "completed"), status},
			func(t *testing.T, tr transcript.Transcript) {
				if tr.Status != transcript.StatusEnded || tr.EndReason != transcript.EndCallerHungUp {
					t.Errorf("status %q, end %q", tr.Status, tr.EndReason)
				}
			}},
		{"staff transfer answered", nil, tuesdayAfternoon, "maple-street-vet", mapleNumber,
			[]hook{dial("?staff=pharmacy", "completed")},
			func(t *testing.T, tr transcript.Transcript) {
				if tr.EndReason != transcript.EndTransferred {
					t.Errorf("end %q", tr.EndReason)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, configs(t, tt.patches...), tt.now)
			store := session.NewMemoryStore()
			e.h.Calls = &twiliovoice.SessionCalls{Store: store, Now: func() time.Time { return tt.now }}
			e.post(t, twiliovoice.PathVoice, voiceParams(tt.number))
			for _, h := range tt.hooks {
				if rec := e.post(t, h.path, merge(voiceParams(tt.number), h.kv...)); rec.Code >= 300 {
					t.Fatalf("%s: %d %s", h.path, rec.Code, rec.Body)
				}
			}
			s, err := store.Get(context.Background(), tt.biz, callSID)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, transcript.FromSession(s, tt.now))
		})
	}
}
