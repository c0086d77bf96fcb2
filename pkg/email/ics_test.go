package email

import (
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/transcript"
)

func TestICSAttachment(t *testing.T) {
	b := biz(t, "sherpaprompt")
	start := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	tr := transcript.Transcript{
		BusinessID: "sherpaprompt", SessionID: "sess-1", Channel: session.ChannelWeb, Status: transcript.StatusCompleted,
		StartedAt: start.Add(-time.Hour), EndedAt: start.Add(-50 * time.Minute),
		Caller:  session.Caller{Name: "Sam; Lee, \"the\nboss\"", Email: "sam@example.com", Reason: "Demo"},
		Booking: &transcript.Booking{Start: start, Service: "Product demo"},
	}
	m := mustRender(t, b, tr, "")
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "appointment.ics" || !strings.HasPrefix(m.Attachments[0].ContentType, "text/calendar") {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	ics := string(m.Attachments[0].Data)
	for _, want := range []string{"BEGIN:VEVENT\r\n", "DTSTART:20261201T170000Z\r\n", "DTEND:20261201T173000Z\r\n", "UID:sess-1@ahca\r\n", `SUMMARY:Product demo with Sam\; Lee\, "the\nboss"`} {
		if !strings.Contains(ics, want) {
			t.Errorf("ics lacks %q:\n%s", want, ics)
		}
	}
	for _, line := range strings.Split(ics, "\r\n") {
		if len(line) > 75 {
			t.Errorf("unfolded line of %d octets: %q", len(line), line)
		}
	}
	tr.Booking = nil
	if m := mustRender(t, b, tr, ""); len(m.Attachments) != 0 {
		t.Error("attachment without a booking")
	}
}
