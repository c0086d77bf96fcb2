package email

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// biz returns a business of the project's configs/.
func biz(t testing.TB, id string) *business.Business { return businesstest.Get(t, tenant.ID(id)) }

// mustRender renders t for b with the default options, failing tb on an
// error.
func mustRender(tb testing.TB, b *business.Business, t transcript.Transcript, summary string) Message {
	tb.Helper()
	m, err := Render(b, t, summary, RenderOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// optedIn returns a copy of b whose callers get a copy of what was noted.
func optedIn(b *business.Business) *business.Business {
	c := *b
	c.Email.CallerCopy = true
	return &c
}

// at is a wall-clock time in zone.
func at(zone string, year int, month time.Month, day, hour, min, sec int) time.Time {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	return time.Date(year, month, day, hour, min, sec, 0, loc)
}

// conversation builds turns from (offset seconds, role, tool, text) rows.
type row struct {
	sec        int
	role, tool string
	text       string
}

func turns(start time.Time, rows ...row) []transcript.Turn {
	var out []transcript.Turn
	for _, r := range rows {
		out = append(out, transcript.Turn{At: start.Add(time.Duration(r.sec) * time.Second).UTC(), Role: r.role, Tool: r.tool, Text: r.text})
	}
	return out
}

func fencingWeb() transcript.Transcript {
	start := at("America/Los_Angeles", 2026, time.November, 28, 18, 40, 3)
	return transcript.Transcript{
		BusinessID: "superior-fencing", SessionID: "sess-web-0001", Channel: session.ChannelWeb,
		Status: transcript.StatusCompleted, EndReason: "completed",
		StartedAt: start.UTC(), EndedAt: start.Add(4*time.Minute + 12*time.Second).UTC(),
		Caller:        session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Email: "jamie.rivera@example.com", Reason: "fence repair — a section blew down in last night's storm"},
		CallbackPhone: "+15035550142",
		Turns: turns(start,
			row{0, "agent", "", "Thanks for reaching Superior Fence and Construction, this is Riley. How can I help?"},
			row{21, "caller", "", "Hi, a section of my fence blew down in last night's storm and I need it fixed."},
			row{24, "tool", "user_info_updated", "reason=fence repair"},
			row{25, "agent", "", "I'm sorry to hear that. Can I get your name?"},
			row{40, "caller", "", "Jamie Rivera."},
			row{52, "agent", "", "Thanks, Jamie. What's the best number to reach you?"},
			row{70, "caller", "", "503 555 0142"},
			row{71, "tool", "phone_validated", "(503) 555-0142"},
			row{90, "agent", "", "Got it. And an email address?"},
			row{120, "caller", "", "jamie.rivera@example.com"},
			row{150, "tool", "question_noted", "Can you match the existing cedar pickets?"},
			row{240, "agent", "", "Perfect. Someone from the office will call you tomorrow morning. Goodbye!"},
			row{251, "tool", "end_conversation", "completed"},
		),
	}
}

func sherpaPhone() transcript.Transcript {
	start := at("America/Denver", 2026, time.March, 9, 9, 5, 0)
	return transcript.Transcript{
		BusinessID: "sherpaprompt", SessionID: "sess-phone-0002", Channel: session.ChannelPhone, CallSID: "CA0123456789abcdef0123456789abcdef",
		Status: transcript.StatusCompleted, EndReason: "completed",
		StartedAt: start.UTC(), EndedAt: start.Add(2*time.Minute + 5*time.Second).UTC(),
		Caller:        session.Caller{Name: "Priya Natarajan", Phone: "+17205550123", Email: "Priya.N@Example.org", Reason: "demo of the scheduling assistant for a 12-person clinic"},
		CallbackPhone: "+17205550123",
		Turns: turns(start,
			row{0, "agent", "", "Hi, I'm Scout from SherpaPrompt. What brings you here today?"},
			row{8, "caller", "", "I'd like a demo of the scheduling assistant for our clinic, we're twelve people."},
			row{30, "agent", "", "Happy to set that up. What's your name and email?"},
			row{45, "caller", "", "Priya Natarajan, priya dot n at example dot org"},
			row{60, "agent", "", "Thanks Priya — and a phone number?"},
			row{75, "caller", "", "720 555 0123"},
			row{76, "tool", "phone_validated", "(720) 555-0123"},
			row{125, "agent", "", "All set, the team will email you to book the demo."},
		),
	}
}

func abandonedCallerID() transcript.Transcript {
	start := at("America/Los_Angeles", 2026, time.July, 4, 22, 15, 30)
	t := transcript.Transcript{
		BusinessID: "maple-street-vet", SessionID: "sess-phone-0003", Channel: session.ChannelPhone, CallSID: "CAffffeeeeddddccccbbbbaaaa99998888",
		Status: transcript.StatusAbandoned, EndReason: "expired",
		StartedAt: start.UTC(), EndedAt: start.Add(38 * time.Second).UTC(),
		Caller:        session.Caller{Reason: "my dog ate chocolate"},
		CallbackPhone: "+15035550199", PhoneFromCallerID: true,
		Turns: turns(start,
			row{0, "agent", "", "Thank you for calling Maple Street Veterinary Clinic, this is Hazel. How can I help you and your pet today?"},
			row{12, "caller", "", "My dog ate chocolate, is that bad?"},
			row{13, "tool", "emergency", "offered_transfer"},
		),
	}
	t.Turns[0].Interrupted = true
	return t
}

const hostileName = "<script>alert('x')</script> \"Jamie\"\r\nBcc: victim@example.com"

func hostile() transcript.Transcript {
	start := at("America/Los_Angeles", 2026, time.January, 2, 3, 4, 5)
	return transcript.Transcript{
		BusinessID: "superior-fencing", SessionID: "sess-evil\r\nX-Injected: 1", Channel: session.ChannelWeb,
		Status: transcript.StatusEnded, EndReason: "disconnect",
		StartedAt: start.UTC(), EndedAt: start.Add(61 * time.Second).UTC(),
		Caller: session.Caller{
			Name:   hostileName,
			Phone:  "+1503555\r\n0100<b>",
			Email:  "evil@example.com\r\nBcc: victim@example.com",
			Reason: "\"'><img src=x onerror=alert(1)>\r\nSubject: you are hacked\x00\x1b[31m \u202eevil",
		},
		CallbackPhone: "+1503555\r\n0100<b>",
		Turns: turns(start,
			row{0, "agent", "", "Hello <b>there</b>"},
			row{5, "caller", "", "<SCRIPT src=//evil.example/x.js></SCRIPT>\r\nline two"},
			row{9, "tool", "<script>bad_tool</script>", "</li><script>alert(2)</script>"},
		),
	}
}

// dump writes a message in a reviewable form for the golden files.
func dump(m Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %q <%s>\n", m.FromName, m.FromEmail)
	fmt.Fprintf(&b, "To: %s\n", strings.Join(m.To, ", "))
	if len(m.Cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\n", strings.Join(m.Cc, ", "))
	}
	fmt.Fprintf(&b, "Reply-To: %s\n", m.ReplyTo)
	fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, m.Headers[k])
	}
	fmt.Fprintf(&b, "Idempotency-Key: %s\n", m.IdempotencyKey)
	if m.Lead != nil {
		fmt.Fprintf(&b, "Lead: %+v\n", *m.Lead)
	}
	fmt.Fprintf(&b, "\n===== text =====\n%s\n===== html =====\n%s", m.Text, m.HTML)
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/email -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run with -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

// checkSafe asserts what must hold for every rendered message.
func checkSafe(t *testing.T, m Message) {
	t.Helper()
	for name, v := range map[string]string{"subject": m.Subject, "from name": m.FromName, "from": m.FromEmail, "reply-to": m.ReplyTo, "idempotency key": m.IdempotencyKey} {
		if strings.ContainsAny(v, "\r\n\x00") {
			t.Errorf("%s contains CR/LF/NUL: %q", name, v)
		}
	}
	if n := len([]rune(m.Subject)); n > MaxSubject {
		t.Errorf("subject is %d characters, max %d: %q", n, MaxSubject, m.Subject)
	}
	for k, v := range m.Headers {
		if strings.ContainsAny(k+v, "\r\n") {
			t.Errorf("header %q: %q contains CR/LF", k, v)
		}
	}
	for _, a := range append(slices.Clone(m.To), m.Cc...) {
		if strings.ContainsAny(a, "\r\n") {
			t.Errorf("address %q contains CR/LF", a)
		}
	}
	if strings.Contains(strings.ToLower(m.HTML), "<script") {
		t.Errorf("HTML contains a raw <script")
	}
	if strings.ContainsAny(m.Text, "\r\x00\x1b") || strings.ContainsAny(m.HTML, "\r\x00\x1b") {
		t.Errorf("body contains CR or control characters")
	}
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name, biz string
		tr        transcript.Transcript
		summary   string
	}{
		{"superior-fencing-web-completed", "superior-fencing", fencingWeb(),
			"Jamie Rivera needs a storm-damaged fence section repaired.\n\nThey asked whether the existing cedar pickets can be matched. Call back tomorrow morning."},
		{"sherpaprompt-phone-email", "sherpaprompt", sherpaPhone(),
			"Priya Natarajan wants a demo of the scheduling assistant for a 12-person clinic. Follow up by email to book."},
		{"maple-street-vet-abandoned-caller-id", "maple-street-vet", abandonedCallerID(), ""},
		{"hostile-caller", "superior-fencing", hostile(), "Summary with <script>alert(3)</script> & \"quotes\"\r\nand a CR."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustRender(t, biz(t, tc.biz), tc.tr, tc.summary)
			checkSafe(t, m)
			golden(t, tc.name, dump(m))
		})
	}
}

func TestRenderFields(t *testing.T) {
	b := biz(t, "superior-fencing")
	m := mustRender(t, b, fencingWeb(), "Summary.")
	want := "New lead: Jamie Rivera — fence repair — a section blew down in last night's storm (Superior Fence & Construction)"
	if m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	if !slices.Equal(m.To, b.Email.Recipients) || m.FromEmail != b.Email.FromEmail || m.FromName != b.Email.FromName {
		t.Errorf("addresses: to %v from %q <%s>", m.To, m.FromName, m.FromEmail)
	}
	if m.ReplyTo != "jamie.rivera@example.com" {
		t.Errorf("reply-to = %q, want the caller's address (no email.replyTo configured)", m.ReplyTo)
	}
	if m.Headers[HeaderSession] != "sess-web-0001" || m.IdempotencyKey != "ahca-superior-fencing-sess-web-0001" {
		t.Errorf("headers %v key %q", m.Headers, m.IdempotencyKey)
	}
	if m.Lead == nil || m.Lead.Email != "jamie.rivera@example.com" || m.Lead.Phone != "+15035550142" {
		t.Errorf("lead = %+v", m.Lead)
	}
	for _, s := range []string{"Sat, Nov 28, 2026 at 6:40 PM PST", "Sat, Nov 28, 2026 at 6:44 PM PST", "4 min 12 s", "6:40:03 PM", "Phone number validated", "Question for you"} {
		if !strings.Contains(m.HTML, s) || !strings.Contains(m.Text, s) {
			t.Errorf("%q missing from HTML or text", s)
		}
	}
	if strings.Contains(m.HTML, "user_info_updated") || strings.Contains(m.HTML, "reason=fence repair") {
		t.Error("noise event user_info_updated is shown")
	}

	// A configured replyTo wins over the caller's address.
	b2 := *b
	b2.Email.ReplyTo = "office@superior-fence.example"
	m = mustRender(t, &b2, fencingWeb(), "")
	if m.ReplyTo != "office@superior-fence.example" {
		t.Errorf("reply-to = %q, want the configured one", m.ReplyTo)
	}
	// FromName defaults to the business name.
	b2.Email.FromName = ""
	m = mustRender(t, &b2, fencingWeb(), "")
	if m.FromName != "Superior Fence & Construction" {
		t.Errorf("from name = %q", m.FromName)
	}
}

func TestRenderHostile(t *testing.T) {
	m := mustRender(t, biz(t, "superior-fencing"), hostile(), "<script>x</script>")
	checkSafe(t, m)
	if m.ReplyTo != "" {
		t.Errorf("reply-to = %q: an invalid caller address must not be used", m.ReplyTo)
	}
	if m.Lead != nil {
		t.Errorf("lead = %+v for an invalid address", m.Lead)
	}
	if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "onerror=alert") && !strings.Contains(m.HTML, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the reason's markup reached the HTML unescaped")
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;Jamie&#34; Bcc: victim@example.com") {
		t.Error("the hostile name is not shown escaped on one line")
	}
	if strings.Contains(m.Subject, "\u202e") || strings.Contains(m.Text, "\u202e") || strings.Contains(m.HTML, "\u202e") {
		t.Error("bidi override survived")
	}
	if strings.Contains(m.Text, "\nSubject:") || strings.Contains(m.Text, "\nBcc:") {
		t.Error("a caller value started a line of its own in the text body")
	}
	if got := m.Headers[HeaderSession]; got != "sess-evil X-Injected: 1" {
		t.Errorf("session header = %q", got)
	}
}

func TestRenderSubjectLength(t *testing.T) {
	tr := fencingWeb()
	tr.Caller.Reason = strings.Repeat("very long reason ", 30)
	m := mustRender(t, biz(t, "superior-fencing"), tr, "")
	checkSafe(t, m)
	if !strings.HasPrefix(m.Subject, "New lead: Jamie Rivera — very long reason") || !strings.HasSuffix(m.Subject, "… (Superior Fence & Construction)") {
		t.Errorf("subject = %q", m.Subject)
	}

	tr.Caller.Name = strings.Repeat("Bartholomew ", 20)
	b := *biz(t, "superior-fencing")
	b.Company.Name = strings.Repeat("Enormous Business Name ", 10)
	m = mustRender(t, &b, tr, "")
	checkSafe(t, m)

	tr = abandonedCallerID()
	m = mustRender(t, biz(t, "maple-street-vet"), tr, "")
	if want := "Abandoned call: (503) 555-0199 — my dog ate chocolate (Maple Street Veterinary Clinic)"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
}

func TestRenderErrors(t *testing.T) {
	b := biz(t, "superior-fencing")
	other := fencingWeb()
	other.BusinessID = "sherpaprompt"
	noRecipients := *b
	noRecipients.Email.Recipients = nil
	noFrom := *b
	noFrom.Email.FromEmail = ""
	noSession := fencingWeb()
	noSession.SessionID = ""
	for name, tc := range map[string]struct {
		b    *business.Business
		tr   transcript.Transcript
		opts RenderOptions
	}{
		"other tenant":   {b, other, RenderOptions{}},
		"no recipients":  {&noRecipients, fencingWeb(), RenderOptions{}},
		"no from":        {&noFrom, fencingWeb(), RenderOptions{}},
		"no session":     {b, noSession, RenderOptions{}},
		"nil business":   {nil, fencingWeb(), RenderOptions{}},
		"bad colour":     {b, fencingWeb(), RenderOptions{AccentColor: "red;background:url(x)"}},
		"broken overlay": {b, fencingWeb(), RenderOptions{Templates: fstest.MapFS{"default.html.tmpl": {Data: []byte("{{.Nope")}, "default.text.tmpl": {Data: []byte("x")}}}},
		"missing field":  {b, fencingWeb(), RenderOptions{Templates: fstest.MapFS{"default.html.tmpl": {Data: []byte("{{.Nope}}")}, "default.text.tmpl": {Data: []byte("x")}}}},
		"no templates":   {b, fencingWeb(), RenderOptions{Templates: fstest.MapFS{}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Render(tc.b, tc.tr, "", tc.opts)
			if err == nil || !IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent error", err)
			}
		})
	}
}

func TestRenderOverride(t *testing.T) {
	fsys := fstest.MapFS{
		"default.html.tmpl":          {Data: []byte("default {{.BusinessName}}")},
		"default.text.tmpl":          {Data: []byte("default text")},
		"superior-fencing.html.tmpl": {Data: []byte(`<p style="color:{{css .Accent}}">own {{.Caller.Name}}</p>`)},
	}
	tr := fencingWeb()
	tr.Caller.Name = "<b>Jamie</b>"
	m, err := Render(biz(t, "superior-fencing"), tr, "", RenderOptions{Templates: fsys, AccentColor: "#AA0000"})
	if err != nil {
		t.Fatal(err)
	}
	if m.HTML != `<p style="color:#aa0000">own &lt;b&gt;Jamie&lt;/b&gt;</p>` || m.Text != "default text" {
		t.Errorf("html %q text %q", m.HTML, m.Text)
	}
	m, err = Render(biz(t, "sherpaprompt"), sherpaPhone(), "", RenderOptions{Templates: fsys})
	if err != nil || m.HTML != "default SherpaPrompt" {
		t.Errorf("fallback: %q, %v", m.HTML, err)
	}
}

// Every embedded template renders for every configured business, with
// every kind of transcript: a per-business override added later is covered.
func TestEmbeddedTemplatesAllBusinesses(t *testing.T) {
	for _, id := range businesstest.Set(t).IDs() {
		b := biz(t, string(id))
		for _, tr := range []transcript.Transcript{fencingWeb(), sherpaPhone(), abandonedCallerID(), hostile(), {SessionID: "empty"}} {
			tr.BusinessID = b.ID
			tr.Caller.Email = "someone@example.com"
			if len(b.Email.Recipients) > 0 && b.Email.FromEmail != "" {
				m, err := Render(b, tr, "", RenderOptions{})
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				checkSafe(t, m)
			}
			bb := *b
			bb.Email.CallerCopy = true
			bb.Email.FromEmail = "x@example.com"
			m, ok := RenderCallerCopy(&bb, tr)
			if !ok || m.HTML == "" {
				t.Fatalf("%s: caller copy: ok=%v html=%d bytes (template failure falls back to text only)", id, ok, len(m.HTML))
			}
			checkSafe(t, m)
		}
	}
}

func TestRenderCallerCopy(t *testing.T) {
	b := optedIn(biz(t, "sherpaprompt"))
	m, ok := RenderCallerCopy(b, sherpaPhone())
	if !ok {
		t.Fatal("the business opts in and the caller gave an email: want a copy")
	}
	checkSafe(t, m)
	if !slices.Equal(m.To, []string{"priya.n@example.org"}) || m.IdempotencyKey != "ahca-sherpaprompt-sess-phone-0002-caller" {
		t.Errorf("to %v key %q", m.To, m.IdempotencyKey)
	}
	if m.Subject != "Your conversation with SherpaPrompt" || m.FromEmail != b.Email.FromEmail {
		t.Errorf("subject %q from %q", m.Subject, m.FromEmail)
	}
	if m.Lead != nil {
		t.Error("the caller copy carries a lead")
	}
	// Nothing internal reaches the caller.
	for _, s := range []string{"Summary", "Transcript", "Phone number validated", "Scout from SherpaPrompt. What brings", "CA0123456789"} {
		if strings.Contains(m.HTML, s) || strings.Contains(m.Text, s) {
			t.Errorf("caller copy contains %q", s)
		}
	}
	golden(t, "sherpaprompt-caller-copy", dump(m))

	if _, ok := RenderCallerCopy(biz(t, "superior-fencing"), fencingWeb()); ok {
		t.Error("superior-fencing has not opted in")
	}
	tr := sherpaPhone()
	tr.Caller.Email = ""
	if _, ok := RenderCallerCopy(b, tr); ok {
		t.Error("no caller email: want no copy")
	}
	tr.Caller.Email = "evil@example.com\r\nBcc: x@example.com"
	if _, ok := RenderCallerCopy(b, tr); ok {
		t.Error("invalid caller email: want no copy")
	}
	tr = sherpaPhone()
	tr.BusinessID = "superior-fencing"
	if _, ok := RenderCallerCopy(b, tr); ok {
		t.Error("transcript of another business: want no copy")
	}
	// A broken template degrades to plain text rather than losing the copy.
	if txt := plainCallerCopy(newCallerView(b, sherpaPhone(), NeutralAccent)); !strings.Contains(txt, "priya.n@example.org") {
		t.Errorf("plain copy: %q", txt)
	}
}

func TestAccentColor(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"superior-fencing", "sherpaprompt", "maple-street-vet", "a", "b", "zzzz-yyyy-xxxx"} {
		c := AccentColor(id)
		if !regexp.MustCompile(`^#[0-9a-f]{6}$`).MatchString(c) {
			t.Fatalf("%s: %q", id, c)
		}
		if c != AccentColor(id) {
			t.Fatal("not stable")
		}
		var r, g, b uint8
		fmt.Sscanf(c, "#%02x%02x%02x", &r, &g, &b)
		if contrastWithWhite(r, g, b) < 4.5 {
			t.Errorf("%s: %s has contrast %.2f with white", id, c, contrastWithWhite(r, g, b))
		}
		if other, dup := seen[c]; dup {
			t.Logf("%s and %s share %s", id, other, c)
		}
		seen[c] = id
	}
	if AccentColor("") != NeutralAccent {
		t.Error("empty id")
	}
	// Every hue is readable.
	for h := 0.0; h < 360; h++ {
		ok := false
		for l := 0.34; l > 0.1; l -= 0.02 {
			if r, g, b := hslToRGB(h, 0.55, l); contrastWithWhite(r, g, b) >= 4.5 {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatalf("hue %v never reaches 4.5:1", h)
		}
	}
}

func TestSanitizers(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nBcc: b":           "a Bcc: b",
		"  x\t\ty \x00z\x7f ":   "x y z",
		"\u202eevil\u2028line":  "evil line",
		"ok — fine":             "ok — fine",
		"\r\n":                  "",
		"caf\xe9":               "caf",
		"tab\u00a0nbsp\u3000id": "tab nbsp id",
	} {
		if got := headerValue(in); got != want {
			t.Errorf("headerValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := textBlock("a\r\nb\rc\n\n\n\nd \x1b[0m\n\n"); got != "a\nb\nc\n\nd [0m" {
		t.Errorf("textBlock = %q", got)
	}
	if got := truncate("abcdef", 4); got != "abc…" {
		t.Errorf("truncate = %q", got)
	}
	m := sanitizeMessage(Message{Subject: "a\r\nb", Headers: map[string]string{"X-A\r\nB: c": "d\re"}, To: []string{"x@y.z\r\n", ""}})
	if m.Subject != "a b" || m.Headers["X-ABc"] != "d e" || len(m.To) != 1 || m.To[0] != "x@y.z" {
		t.Errorf("sanitizeMessage = %+v", m)
	}
}

func TestIsPermanent(t *testing.T) {
	base := fmt.Errorf("boom")
	if IsPermanent(nil) || IsPermanent(base) || IsPermanent(context.Canceled) {
		t.Error("transient reported permanent")
	}
	p := permanent(base)
	if !IsPermanent(p) || !IsPermanent(fmt.Errorf("wrapped: %w", p)) || p.Error() != "boom" {
		t.Error("permanent not reported")
	}
	if !strings.Contains(fmt.Sprint(p), "boom") || !errors.Is(p, base) {
		t.Error("cause lost")
	}
	if !IsPermanent(ErrUnsupported) || !IsPermanent(ErrDisabled) || !IsPermanent(fmt.Errorf("x: %w", ErrUnsupported)) {
		t.Error("sentinels are permanent")
	}
	if permanent(nil) != nil {
		t.Error("permanent(nil)")
	}
}
