package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/transcript"
)

// An after-hours call that hung up, recorded as the phone webhook records
// it (the greeting and an after_hours event, nothing said), is a missed
// call: the short notice, no summary model, its record saying after hours.
func TestAfterHoursMissedCall(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	h.p.RenderMissedCall = func(b *business.Business, r *delivery.Record) (msg, error) {
		return msg{Kind: delivery.EmailBusiness, Business: b.ID, Session: r.SessionID, To: b.Email.Recipients, Subject: "Missed call from " + r.CallbackPhone}, nil
	}
	now := time.Now().UTC()
	closed := &session.Session{BusinessID: "acme-plumbing", ID: "s-closed", Channel: session.ChannelPhone, CallSID: "CA2", Status: session.StatusEnded,
		EndReason: transcript.EndAfterHours, Caller: session.Caller{CallerID: "+15035550143"}, CreatedAt: now, UpdatedAt: now, EndedAt: now}
	closed.Append(session.RoleAgent, "Thank you for calling Acme. We're closed right now. Goodbye.", now)
	agent.Record(closed, agent.Event{Kind: transcript.EventAfterHours, Detail: "the after-hours greeting was played"}, now)
	if err := h.p.Deliver(context.Background(), closed); err != nil {
		t.Fatal(err)
	}
	sent := h.sent("acme-plumbing", delivery.EmailBusiness)
	if len(sent) != 1 || sent[0].Subject != "Missed call from +15035550143" {
		t.Fatalf("after-hours call sent %+v, want one missed-call notice", sent)
	}
	wantCount(t, "summaries", int(h.summaries.n.Load()), 0)
	rec, err := h.store.Transcript(context.Background(), "acme-plumbing", delivery.TranscriptKey(transcript.FromSession(closed, now)))
	if err != nil || !rec.AfterHours || !strings.HasPrefix(rec.Summary, "Missed call after hours") {
		t.Errorf("after-hours record %+v, %v", rec, err)
	}
}
