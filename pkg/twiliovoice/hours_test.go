package twiliovoice_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/twiliovoice"
)

func hhmm(h, m int) business.Clock { return business.Clock(h*60 + m) }

// gated is a business answering only in hours, in zone tz.
func gated(tz string, schedule map[time.Weekday][]business.Interval) *business.Business {
	return &business.Business{
		ID:             "gated",
		Features:       business.Features{OnlyAnswerDuringBusinessHours: true},
		OperatingHours: &business.OperatingHours{Timezone: tz, Schedule: schedule},
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAnswersAt(t *testing.T) {
	maple := configs(t).Business
	mapleB, err := maple("maple-street-vet")
	if err != nil {
		t.Fatal(err)
	}
	// Early Sunday hours straddle the spring-forward gap (02:00 → 03:00 on
	// 2025-03-09) and the fall-back repeat (01:00-02:00 twice on 2025-11-02).
	sundayNight := gated("America/Los_Angeles", map[time.Weekday][]business.Interval{time.Sunday: {{Start: hhmm(1, 0), End: hhmm(4, 0)}}})
	fallBack := gated("America/Los_Angeles", map[time.Weekday][]business.Interval{time.Sunday: {{Start: hhmm(1, 0), End: hhmm(2, 0)}}})
	// Open across midnight Saturday → Sunday, as two intervals.
	lateShift := gated("America/Los_Angeles", map[time.Weekday][]business.Interval{
		time.Saturday: {{Start: hhmm(20, 0), End: business.Clock(24 * 60)}},
		time.Sunday:   {{Start: hhmm(0, 0), End: hhmm(1, 0)}},
	})
	tokyo := gated("Asia/Tokyo", map[time.Weekday][]business.Interval{time.Monday: {{Start: hhmm(9, 0), End: hhmm(17, 0)}}})
	kolkata := gated("Asia/Kolkata", map[time.Weekday][]business.Interval{time.Monday: {{Start: hhmm(9, 0), End: hhmm(17, 30)}}})
	ungated := gated("America/Los_Angeles", nil)
	ungated.Features.OnlyAnswerDuringBusinessHours = false
	noHours := &business.Business{ID: "nohours", Features: business.Features{OnlyAnswerDuringBusinessHours: true}}

	tests := []struct {
		name string
		b    *business.Business
		at   string // UTC
		want bool
	}{
		// Maple Street Vet (America/Los_Angeles, PST = UTC-8 until 2025-03-09).
		{"maple Tue 07:59 PST", mapleB, "2025-03-04T15:59:00Z", false},
		{"maple Tue 08:00 PST opens", mapleB, "2025-03-04T16:00:00Z", true},
		{"maple Tue 17:59 PST", mapleB, "2025-03-05T01:59:00Z", true},
		{"maple Tue 18:00 PST closes", mapleB, "2025-03-05T02:00:00Z", false},
		{"maple Mon 12:30 PST lunch", mapleB, "2025-03-03T20:30:00Z", false},
		{"maple Mon 13:00 PST after lunch", mapleB, "2025-03-03T21:00:00Z", true},
		{"maple Fri 16:59 PST", mapleB, "2025-03-08T00:59:00Z", true},
		{"maple Fri 17:00 PST closes early", mapleB, "2025-03-08T01:00:00Z", false},
		{"maple Sat 12:59 PST", mapleB, "2025-03-08T20:59:00Z", true},
		{"maple Sat 13:00 PST", mapleB, "2025-03-08T21:00:00Z", false},
		{"maple Sun is not in the schedule: closed", mapleB, "2025-03-02T20:00:00Z", false},
		{"maple Sat 23:59 PST", mapleB, "2025-03-09T07:59:00Z", false},
		// The Monday after spring forward opens at 08:00 PDT = 15:00 UTC; a
		// fixed UTC-8 would still think it 07:00.
		{"maple Mon after DST 07:59 PDT", mapleB, "2025-03-10T14:59:00Z", false},
		{"maple Mon after DST 08:00 PDT", mapleB, "2025-03-10T15:00:00Z", true},
		{"maple Mon before DST 07:00 PST", mapleB, "2025-03-03T15:00:00Z", false},
		{"maple Mon before DST 08:00 PST", mapleB, "2025-03-03T16:00:00Z", true},
		// Spring forward, Sunday 2025-03-09: 01:59:59 PST is followed by 03:00 PDT.
		{"spring forward 00:59 PST", sundayNight, "2025-03-09T08:59:00Z", false},
		{"spring forward 01:30 PST", sundayNight, "2025-03-09T09:30:00Z", true},
		{"spring forward 03:30 PDT (an hour after 01:30)", sundayNight, "2025-03-09T10:30:00Z", true},
		{"spring forward 04:00 PDT closes", sundayNight, "2025-03-09T11:00:00Z", false},
		// Fall back, Sunday 2025-11-02: 01:00-02:00 happens twice.
		{"fall back 00:59 PDT", fallBack, "2025-11-02T07:59:00Z", false},
		{"fall back first 01:30 (PDT)", fallBack, "2025-11-02T08:30:00Z", true},
		{"fall back second 01:30 (PST)", fallBack, "2025-11-02T09:30:00Z", true},
		{"fall back 02:00 PST closes", fallBack, "2025-11-02T10:00:00Z", false},
		// Day boundaries.
		{"Sat 19:59", lateShift, "2025-03-09T03:59:00Z", false},
		{"Sat 23:59 open to midnight", lateShift, "2025-03-09T07:59:00Z", true},
		{"Sun 00:00 the next day's interval", lateShift, "2025-01-12T08:00:00Z", true},
		{"Sun 00:59", lateShift, "2025-01-12T08:59:00Z", true},
		{"Sun 01:00 closes", lateShift, "2025-01-12T09:00:00Z", false},
		{"Fri 23:59 is another day", lateShift, "2025-01-11T07:59:00Z", false},
		// Hours in a zone far from UTC: Monday in Tokyo is Sunday in UTC.
		{"Tokyo Mon 09:30 JST = Sun 00:30 UTC", tokyo, "2025-03-03T00:30:00Z", true},
		{"Tokyo Sun 17:30 JST", tokyo, "2025-03-02T08:30:00Z", false},
		{"Tokyo Mon 17:00 JST closes", tokyo, "2025-03-03T08:00:00Z", false},
		{"Kolkata Mon 17:29 IST (UTC+5:30)", kolkata, "2025-03-03T11:59:00Z", true},
		{"Kolkata Mon 17:30 IST closes", kolkata, "2025-03-03T12:00:00Z", false},
		{"Kolkata Mon 08:59 IST", kolkata, "2025-03-03T03:29:00Z", false},
		// Not gated.
		{"onlyAnswerDuringBusinessHours off", ungated, "2025-03-09T10:30:00Z", true},
		{"gated without hours answers", noHours, "2025-03-09T10:30:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twiliovoice.AnswersAt(tt.b, utc(tt.at)); got != tt.want {
				t.Errorf("AnswersAt(%s) = %v; want %v", utc(tt.at).In(time.FixedZone("", 0)), got, tt.want)
			}
		})
	}
}

// TestHoursGate: the voice webhook asks the clock at every call.
func TestHoursGate(t *testing.T) {
	tests := []struct {
		at        string
		voicemail bool // voicemail mode rather than the agent
	}{
		{"2025-03-10T15:00:00Z", false}, // Mon 08:00 PDT
		{"2025-03-10T14:59:00Z", true},  // Mon 07:59 PDT
		{"2025-03-09T21:00:00Z", true},  // Sunday
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			e := newEnv(t, configs(t), utc(tt.at))
			rec := e.post(t, twiliovoice.PathVoice, voiceParams(mapleNumber))
			if rec.Code != http.StatusOK {
				t.Fatal(rec.Code)
			}
			doc := parseTwiML(t, rec.Body.String())
			mode := ""
			for _, p := range doc.Connect.Relay.Params {
				if p.Name == "mode" {
					mode = p.Value
				}
			}
			c, _ := e.calls.Get("maple-street-vet", callSID)
			if (mode == "voicemail") != tt.voicemail || (c.Mode == twiliovoice.ModeVoicemail) != tt.voicemail {
				t.Errorf("mode param %q, call mode %q; want voicemail=%v", mode, c.Mode, tt.voicemail)
			}
		})
	}
}
