package email

import (
	"fmt"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/transcript"
)

// ICS renders the conversation's booking as an iCalendar (RFC 5545) event,
// attached to the summary so the business can add it to its calendar. Times
// are UTC; every caller-supplied value is escaped.
func ICS(b *business.Business, t transcript.Transcript) []byte {
	if t.Booking == nil {
		return nil
	}
	minutes := b.Calendar.SlotMinutes
	if minutes <= 0 {
		minutes = business.DefaultSlotMinutes
	}
	start := t.Booking.Start.UTC()
	end := start.Add(time.Duration(minutes) * time.Minute)
	summary := t.Booking.Service
	if summary == "" {
		summary = "Appointment"
	}
	if t.Caller.Name != "" {
		summary += " with " + t.Caller.Name
	}
	var desc []string
	for _, kv := range [][2]string{{"Caller", t.Caller.Name}, {"Phone", t.CallbackPhone}, {"Email", t.Caller.Email}, {"Reason", t.Caller.Reason}} {
		if kv[1] != "" {
			desc = append(desc, kv[0]+": "+kv[1])
		}
	}
	const stamp = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//AHCA//After-Hours Call Assistant//EN",
		"METHOD:PUBLISH",
		"BEGIN:VEVENT",
		"UID:" + icsText(t.SessionID) + "@ahca",
		"DTSTAMP:" + t.EndedAt.UTC().Format(stamp),
		"DTSTART:" + start.Format(stamp),
		"DTEND:" + end.Format(stamp),
		"SUMMARY:" + icsText(summary),
		"DESCRIPTION:" + icsText(strings.Join(desc, "\n")),
		"ORGANIZER;CN=" + icsParam(b.Name) + ":mailto:" + icsText(b.Email.FromEmail),
		"END:VEVENT",
		"END:VCALENDAR",
	}
	var out strings.Builder
	for _, l := range lines {
		out.WriteString(fold(l))
		out.WriteString("\r\n")
	}
	return []byte(out.String())
}

// icsText escapes a TEXT value (RFC 5545 §3.3.11) and drops control characters.
func icsText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	s = r.Replace(s)
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, s)
}

// icsParam quotes a parameter value; quotes are not allowed inside.
func icsParam(s string) string {
	return `"` + strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(s) + `"`
}

// fold splits content lines longer than 75 octets (RFC 5545 §3.1).
func fold(l string) string {
	if len(l) <= 75 {
		return l
	}
	var b strings.Builder
	for len(l) > 75 {
		cut := 75
		for cut > 0 && (l[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		fmt.Fprintf(&b, "%s\r\n ", l[:cut])
		l = l[cut:]
	}
	b.WriteString(l)
	return b.String()
}
