package twiliovoice_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

func TestSessionCalls(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 4, 22, 0, 0, 0, time.UTC)
	sf := &business.Business{ID: "superior-fencing"}
	maple := &business.Business{ID: "maple-street-vet"}
	type step struct {
		op      string // start, resume, end, press
		biz     *business.Business
		call    twiliovoice.Call
		staff   string
		reason  string
		wantErr error
	}
	start := func(b *business.Business, c twiliovoice.Call) step { return step{op: "start", biz: b, call: c} }
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, s *session.Session)
	}{
		{"start opens a phone session keyed by the CallSid", []step{start(sf, twiliovoice.Call{SID: callSID, From: callerNumber})},
			func(t *testing.T, s *session.Session) {
				want := session.Session{
					BusinessID: "superior-fencing", ID: callSID, Channel: session.ChannelPhone, CallSID: callSID,
					Status: session.StatusActive, Caller: session.Caller{CallerID: callerNumber}, Version: 1,
					CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(3 * time.Hour),
				}
				if s.BusinessID != want.BusinessID || s.ID != want.ID || s.Channel != want.Channel || s.CallSID != want.CallSID ||
					s.Status != want.Status || s.Caller != want.Caller || s.Version != want.Version || !s.CreatedAt.Equal(now) ||
					!s.ExpiresAt.Equal(want.ExpiresAt) || s.ConnectionID != "" || !reflect.DeepEqual(s.State, session.State{}) {
					t.Errorf("session %+v;\nwant %+v", *s, want)
				}
			}},
		{"a retried webhook changes nothing", []step{
			start(sf, twiliovoice.Call{SID: callSID, From: callerNumber}),
			start(sf, twiliovoice.Call{SID: callSID, From: "+15415550000", Mode: twiliovoice.ModeVoicemail}),
		}, func(t *testing.T, s *session.Session) {
			if s.Version != 1 || s.Caller.CallerID != callerNumber || s.State.Call.Mode != "" {
				t.Errorf("the retry changed the session: %+v", *s)
			}
		}},
		{"voicemail mode is recorded", []step{start(maple, twiliovoice.Call{SID: callSID, From: callerNumber, Mode: twiliovoice.ModeVoicemail})},
			func(t *testing.T, s *session.Session) {
				if s.State.Call.Mode != session.CallVoicemail {
					t.Errorf("call %+v", s.State.Call)
				}
			}},
		{"a withheld caller id is not kept", []step{start(sf, twiliovoice.Call{SID: callSID, From: "anonymous"})},
			func(t *testing.T, s *session.Session) {
				if s.Caller.CallerID != "" {
					t.Errorf("caller id %q", s.Caller.CallerID)
				}
			}},
		{"resume records the staff member", []step{
			start(maple, twiliovoice.Call{SID: callSID, From: callerNumber}),
			{op: "resume", biz: maple, staff: "pharmacy"},
			{op: "resume", biz: maple, staff: "frontdesk"},
		}, func(t *testing.T, s *session.Session) {
			if s.State.Call.ResumeStaff != "frontdesk" || s.Status != session.StatusActive || s.Version != 3 {
				t.Errorf("session %+v", *s)
			}
		}},
		{"end ends once, with the first reason", []step{
			start(maple, twiliovoice.Call{SID: callSID, From: callerNumber}),
			{op: "end", biz: maple, reason: "voicemail"},
			{op: "end", biz: maple, reason: "call_completed"},
		}, func(t *testing.T, s *session.Session) {
			if s.Status != session.StatusEnded || s.EndReason != "voicemail" || !s.EndedAt.Equal(now) || s.Version != 2 {
				t.Errorf("session %+v", *s)
			}
		}},
		{"resume after the end", []step{
			start(maple, twiliovoice.Call{SID: callSID, From: callerNumber}),
			{op: "end", biz: maple, reason: "call_completed"},
			{op: "resume", biz: maple, staff: "pharmacy", wantErr: twiliovoice.ErrCallEnded},
		}, nil},
		{"a key press is a caller turn and its event", []step{
			start(sf, twiliovoice.Call{SID: callSID, From: callerNumber}),
			{op: "press", biz: sf},
		}, func(t *testing.T, s *session.Session) {
			last := s.Turns[len(s.Turns)-1]
			if s.Version != 2 || len(s.Turns) < 2 || s.Turns[len(s.Turns)-2].Role != session.RoleCaller || s.Turns[len(s.Turns)-2].Text != "#" ||
				last.Role != session.RoleTool || last.Tool != string(agent.EventEmergencyTransfer) {
				t.Errorf("session %+v", *s)
			}
		}},
		{"a key press after the end", []step{
			start(sf, twiliovoice.Call{SID: callSID, From: callerNumber}),
			{op: "end", biz: sf, reason: "call_completed"},
			{op: "press", biz: sf, wantErr: twiliovoice.ErrCallEnded},
		}, nil},
		{"unknown call", []step{
			{op: "resume", biz: maple, staff: "pharmacy", wantErr: twiliovoice.ErrUnknownCall},
			{op: "press", biz: maple, wantErr: twiliovoice.ErrUnknownCall},
			{op: "end", biz: maple, reason: "call_completed", wantErr: twiliovoice.ErrUnknownCall},
		}, nil},
		{"another business cannot touch the call", []step{
			start(sf, twiliovoice.Call{SID: callSID, From: callerNumber}),
			{op: "end", biz: maple, reason: "call_completed", wantErr: twiliovoice.ErrUnknownCall},
			{op: "resume", biz: maple, staff: "pharmacy", wantErr: twiliovoice.ErrUnknownCall},
		}, func(t *testing.T, s *session.Session) {
			if s.Status != session.StatusActive || s.Version != 1 {
				t.Errorf("session %+v", *s)
			}
		}},
		{"empty CallSid", []step{{op: "start", biz: sf, call: twiliovoice.Call{From: callerNumber}, wantErr: errAny}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := session.NewMemoryStore()
			c := &twiliovoice.SessionCalls{Store: store, Now: func() time.Time { return now }}
			var last tenant.ID
			for i, st := range tt.steps {
				var err error
				switch st.op {
				case "start":
					err = c.Start(ctx, st.biz, st.call)
					if err == nil {
						last = st.biz.ID
					}
				case "resume":
					err = c.Resume(ctx, st.biz.ID, callSID, st.staff)
				case "end":
					err = c.End(ctx, st.biz.ID, callSID, st.reason)
				case "press":
					err = c.Pressed(ctx, st.biz.ID, callSID, "#", agent.Event{Kind: agent.EventEmergencyTransfer})
				}
				switch {
				case st.wantErr == errAny && err == nil:
					t.Errorf("step %d (%s): no error", i, st.op)
				case st.wantErr != nil && st.wantErr != errAny && !errors.Is(err, st.wantErr):
					t.Errorf("step %d (%s): error %v; want %v", i, st.op, err, st.wantErr)
				case st.wantErr == nil && err != nil:
					t.Errorf("step %d (%s): %v", i, st.op, err)
				}
			}
			if tt.check == nil {
				return
			}
			s, err := store.Get(ctx, last, callSID)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

var errAny = errors.New("any error")

// TestSessionCallsWithHandler: the handler over the real session layer; a
// replayed webhook stores one session.
func TestSessionCallsWithHandler(t *testing.T) {
	e := newEnv(t, configs(t), tuesdayAfternoon)
	store := session.NewMemoryStore()
	e.h.Calls = &twiliovoice.SessionCalls{Store: store, Now: func() time.Time { return tuesdayAfternoon }}
	for range 3 {
		e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber))
	}
	s, err := store.Get(context.Background(), "maple-street-vet", callSID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.Channel != session.ChannelPhone {
		t.Errorf("session %+v", *s)
	}
	e.post(t, twiliovoice.PathDialAction+"?staff=pharmacy", merge(voiceParams(mapleNumber), "DialCallStatus", "busy"))
	e.post(t, twiliovoice.PathStatus, merge(voiceParams(mapleNumber), "CallStatus", "completed"))
	s, _ = store.Get(context.Background(), "maple-street-vet", callSID)
	if s.State.Call.ResumeStaff != "pharmacy" || s.Status != session.StatusEnded || s.EndReason != "call_completed" {
		t.Errorf("session %+v", *s)
	}
	if _, err := store.Get(context.Background(), "superior-fencing", callSID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("another business has the call: %v", err)
	}
}
