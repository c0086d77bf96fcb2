package email

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"math"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/contact"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/transcript"
)

// Templates are embedded from templates/. A business can have its own by
// file name: templates/<businessId>.<kind>.tmpl, falling back to
// templates/default.<kind>.tmpl, where kind is
//
//	html          the business's summary, HTML (html/template)
//	text          the business's summary, plain text (text/template)
//	caller.html   the caller's copy, HTML
//	caller.text   the caller's copy, plain text
//
// so templates/superior-fencing.html.tmpl would replace the HTML summary of
// superior-fencing only. None exist yet. An override receives the same data
// as the default (see summaryView and callerView) and is covered by the same
// tests, which render every embedded template for every configured business.
//
//go:embed templates/*.tmpl
var embedded embed.FS

// MaxSubject is the longest subject Render produces, in characters.
const MaxSubject = 120

// RenderOptions adjusts rendering. The zero value is the normal case.
type RenderOptions struct {
	// AccentColor overrides the business's accent colour, as "#rrggbb". There
	// is no config field for it yet; by default it is derived from the
	// business id (see [AccentColor]). An invalid value is an error.
	AccentColor string
	// Templates replaces the embedded template tree (files named as above,
	// at its root). nil means the embedded templates.
	Templates fs.FS
}

// Render builds the email a business receives about one finished
// conversation:
//
//   - To: the business's notificationRecipients (none is an error).
//   - From: email.fromEmail, display name email.fromName, else the business
//     name.
//   - Reply-To: email.replyTo; else the caller's email address when it is a
//     valid one, so that replying reaches the caller directly; else none.
//   - Subject: "New lead: Jamie Rivera — fence repair (Superior Fence &
//     Construction)"; "EMERGENCY: …" when the caller raised one, with the
//     on-call transfer's result ("· on-call did not answer"); "Abandoned
//     call: …", "Voicemail: … · for Jordan"; "· booked Tue Dec 8, 10:00 AM"
//     and "· transferred to Jordan" when so. The reason is shortened to
//     keep the subject within [MaxSubject] characters; CR, LF and control
//     characters are removed.
//   - Body: business name and agent name in the business's accent colour;
//     for an emergency, a banner saying what happened (the transfer
//     answered, not answered, not possible and why) and whom to call back;
//     the caller's name, callback phone (flagged "from caller ID" when it
//     was not given but taken from the call), email, reason and the
//     appointment booked; the summary (when summary is empty, a short
//     factual one built from the collected fields); the outcome as it was
//     (completed, caller hung up while being asked …, transferred to …,
//     voicemail for …), channel, start and end in the business's time zone
//     ("Sat, Nov 28, 2026 at 6:40 PM PST") and duration; the events worth a
//     human's eye, in words (no internal ids); the full transcript with
//     times, key presses shown as such.
//     HTML is produced by html/template, so every value is escaped; the text
//     version is stripped of control characters.
//   - Header X-AHCA-Session: the session id.
//   - IdempotencyKey: "ahca-<business>-<session>".
//   - Lead: the caller, when they gave a valid email address.
//
// Errors (a transcript of another business, no recipients, no from
// address, a broken template) are permanent.
func Render(b *business.Business, t transcript.Transcript, summary string, opts RenderOptions) (Message, error) {
	if err := checkInputs(b, t); err != nil {
		return Message{}, err
	}
	if len(b.Email.Recipients) == 0 {
		return Message{}, permanent(fmt.Errorf("email: business %s has no email.notificationRecipients", b.ID))
	}
	accent, err := accentFor(b, opts)
	if err != nil {
		return Message{}, err
	}
	v := newSummaryView(b, t, summary, accent)

	var html, text bytes.Buffer
	ht, tt, err := loadPair(opts.Templates, string(b.ID), "html", "text")
	if err != nil {
		return Message{}, err
	}
	if err := ht.Execute(&html, v); err != nil {
		return Message{}, permanent(fmt.Errorf("email: render HTML for %s: %w", b.ID, err))
	}
	if err := tt.Execute(&text, v); err != nil {
		return Message{}, permanent(fmt.Errorf("email: render text for %s: %w", b.ID, err))
	}

	m := Message{
		FromEmail:      headerValue(b.Email.FromEmail),
		FromName:       fromName(b),
		ReplyTo:        headerValue(b.Email.ReplyTo),
		To:             cleanAddrs(b.Email.Recipients),
		Subject:        subject(t, v),
		HTML:           html.String(),
		Text:           text.String(),
		Headers:        map[string]string{HeaderSession: headerValue(t.SessionID)},
		IdempotencyKey: idempotencyKey(b, t, ""),
	}
	if m.ReplyTo == "" && v.Caller.EmailValid {
		m.ReplyTo = v.Caller.Email
	}
	if t.Booking != nil {
		m.Attachments = append(m.Attachments, Attachment{Filename: "appointment.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ICS(b, t)})
	}
	if v.Caller.EmailValid {
		m.Lead = &Lead{Email: v.Caller.Email, Name: v.Caller.Name, Phone: v.Caller.PhoneE164}
	}
	return m, nil
}

// RenderCallerCopy builds the short "here is what we noted" email to the
// caller, a separate message from the business's summary so that the
// internal summary, transcript and tool events are never shown to the
// caller. It returns false when the business has not opted in
// (email.sendCallerCopy), the caller gave no valid email address, or the
// inputs are unusable (no fromEmail, a transcript of another business).
//
// The copy goes To the caller, From the business's sender; Reply-To is
// email.replyTo, else companyInfo.email when valid (so a reply reaches the
// business), else none. It carries the caller's name, callback number,
// email and reason, the date in the business's time zone and how to reach
// the business. IdempotencyKey is "ahca-<business>-<session>-caller".
//
// It cannot fail: should a template fail (the embedded ones are tested for
// every business), a plain-text copy built without templates is returned.
func RenderCallerCopy(b *business.Business, t transcript.Transcript) (Message, bool) {
	if b == nil || !b.Email.CallerCopy || checkInputs(b, t) != nil || b.Email.FromEmail == "" {
		return Message{}, false
	}
	v := newCallerView(b, t, AccentColor(string(b.ID)))
	if !v.Caller.EmailValid {
		return Message{}, false
	}
	m := Message{
		FromEmail:      headerValue(b.Email.FromEmail),
		FromName:       fromName(b),
		ReplyTo:        headerValue(b.Email.ReplyTo),
		To:             []string{v.Caller.Email},
		Subject:        truncate(headerValue("Your conversation with "+v.BusinessName), MaxSubject),
		Headers:        map[string]string{HeaderSession: headerValue(t.SessionID)},
		IdempotencyKey: idempotencyKey(b, t, "-caller"),
	}
	if m.ReplyTo == "" {
		if e := strings.ToLower(strings.TrimSpace(b.Company.Email)); contact.ValidEmail(e) {
			m.ReplyTo = e
		}
	}
	var html, text bytes.Buffer
	ht, tt, err := loadPair(nil, string(b.ID), "caller.html", "caller.text")
	if err == nil {
		err = ht.Execute(&html, v)
	}
	if err == nil {
		err = tt.Execute(&text, v)
	}
	if err != nil {
		m.HTML, m.Text = "", plainCallerCopy(v)
		return m, true
	}
	m.HTML, m.Text = html.String(), text.String()
	return m, true
}

func checkInputs(b *business.Business, t transcript.Transcript) error {
	switch {
	case b == nil:
		return permanent(errors.New("email: no business"))
	case t.BusinessID != b.ID:
		// A transcript must never be mailed to another tenant.
		return permanent(fmt.Errorf("email: transcript of business %q rendered for business %q", t.BusinessID, b.ID))
	case t.SessionID == "":
		return permanent(errors.New("email: transcript has no session id"))
	case b.Email.FromEmail == "":
		return permanent(fmt.Errorf("email: business %s has no email.fromEmail", b.ID))
	}
	return nil
}

func fromName(b *business.Business) string {
	if n := headerValue(b.Email.FromName); n != "" {
		return n
	}
	return headerValue(b.Name)
}

// idempotencyKey is "ahca-<business>-<session><suffix>", with every
// character outside [A-Za-z0-9._-] replaced by "_" so that the key is a safe
// token for any provider (and a file name for the outbox).
func idempotencyKey(b *business.Business, t transcript.Transcript, suffix string) string {
	return "ahca-" + token(string(b.ID)) + "-" + token(t.SessionID) + suffix
}

func token(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, s)
}

// subject builds the summary's subject within MaxSubject characters:
// what kind of conversation ("EMERGENCY", "Voicemail", "New lead"), who,
// why (shortened first), and what the owner must know at a glance (the
// on-call transfer's result, a booking, a transfer).
func subject(t transcript.Transcript, v *summaryView) string {
	prefix := "New lead: "
	switch {
	case t.Emergency != nil:
		prefix = "EMERGENCY: "
	case t.Status == transcript.StatusAbandoned:
		prefix = "Abandoned " + map[bool]string{true: "call", false: "chat"}[t.Channel == session.ChannelPhone] + ": "
	case v.Voicemail != "":
		prefix = "Voicemail: "
	}
	who := v.Caller.Name
	if who == "" {
		who = v.Caller.Phone
	}
	if who == "" {
		who = "unknown caller"
	}
	who = truncate(who, 40)
	var tags []string
	if em := t.Emergency; em != nil && em.Pressed {
		tags = append(tags, map[transcript.TransferResult]string{
			transcript.TransferNotAnswered: "on-call did not answer",
			transcript.TransferAnswered:    "transferred to on-call",
			transcript.TransferUnavailable: "on-call not reachable",
		}[em.Result])
	}
	if v.Booking != nil {
		tags = append(tags, "booked "+v.Booking.Short)
	}
	if v.Voicemail != "" {
		tags = append(tags, "for "+v.Voicemail)
	}
	if v.TransferredTo != "" {
		tags = append(tags, "transferred to "+v.TransferredTo)
	}
	tail := ""
	for _, tag := range tags {
		if tag != "" {
			tail += " · " + truncate(tag, 40)
		}
	}
	tail += " (" + v.BusinessName + ")"
	reason := headerValue(v.Caller.Reason)
	budget := MaxSubject - len([]rune(prefix+who+tail)) - len([]rune(" — "))
	s := prefix + who
	if reason != "" && budget >= 12 {
		s += " — " + truncate(reason, min(budget, 60))
	}
	return truncate(headerValue(s+tail), MaxSubject)
}

// Template loading: embedded templates are parsed once and cached.

var (
	cacheMu sync.Mutex
	cache   = map[string]any{} // name → *htmltemplate.Template | *texttemplate.Template
)

// loadPair returns the HTML and text templates of kind htmlKind/textKind for
// business id, from fsys (nil: embedded).
func loadPair(fsys fs.FS, id, htmlKind, textKind string) (*htmltemplate.Template, *texttemplate.Template, error) {
	h, err := load(fsys, id, htmlKind, true)
	if err != nil {
		return nil, nil, err
	}
	t, err := load(fsys, id, textKind, false)
	if err != nil {
		return nil, nil, err
	}
	return h.(*htmltemplate.Template), t.(*texttemplate.Template), nil
}

// load returns the parsed template of kind for business id (see pick).
func load(fsys fs.FS, id, kind string, html bool) (any, error) {
	name, err := pick(fsys, id, kind)
	if err != nil {
		return nil, err
	}
	return parse(fsys, name, html)
}

// pick returns "<id>.<kind>.tmpl" if it exists, else "default.<kind>.tmpl".
func pick(fsys fs.FS, id, kind string) (string, error) {
	root := templateRoot(fsys)
	own := id + "." + kind + ".tmpl"
	if fs.ValidPath(own) && !strings.Contains(id, "/") {
		if _, err := fs.Stat(root, own); err == nil {
			return own, nil
		}
	}
	def := "default." + kind + ".tmpl"
	if _, err := fs.Stat(root, def); err != nil {
		return "", permanent(fmt.Errorf("email: no template %s: %w", def, err))
	}
	return def, nil
}

func templateRoot(fsys fs.FS) fs.FS {
	if fsys != nil {
		return fsys
	}
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

func parse(fsys fs.FS, name string, html bool) (any, error) {
	if fsys == nil {
		cacheMu.Lock()
		defer cacheMu.Unlock()
		if t, ok := cache[name]; ok {
			return t, nil
		}
	}
	src, err := fs.ReadFile(templateRoot(fsys), name)
	if err != nil {
		return nil, permanent(fmt.Errorf("email: read template %s: %w", name, err))
	}
	var t any
	if html {
		t, err = htmltemplate.New(name).Option("missingkey=error").Funcs(htmlFuncs).Parse(string(src))
	} else {
		t, err = texttemplate.New(name).Option("missingkey=error").Funcs(textFuncs).Parse(string(src))
	}
	if err != nil {
		return nil, permanent(fmt.Errorf("email: parse template %s: %w", name, err))
	}
	if fsys == nil {
		cache[name] = t
	}
	return t, nil
}

var htmlFuncs = htmltemplate.FuncMap{
	// css marks a colour produced by accentFor (validated #rrggbb) as safe
	// CSS; any other value is replaced by the neutral default.
	"css": func(s string) htmltemplate.CSS {
		if hexColor().MatchString(s) {
			return htmltemplate.CSS(s)
		}
		return htmltemplate.CSS(NeutralAccent)
	},
	// tel builds a tel: link from an E.164 number ("" for anything else);
	// html/template would otherwise refuse the scheme.
	"tel": func(e164 string) htmltemplate.URL {
		if phone.IsE164(e164) {
			return htmltemplate.URL("tel:" + e164)
		}
		return ""
	},
}

var textFuncs = texttemplate.FuncMap{
	// indent prefixes every line but the first of s with n spaces.
	"indent": func(n int, s string) string {
		return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
	},
}

// Brand colour.

// NeutralAccent is the colour used when no valid accent is available.
const NeutralAccent = "#334155"

var hexColor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#[0-9a-fA-F]{6}$`) })

func accentFor(b *business.Business, opts RenderOptions) (string, error) {
	if opts.AccentColor != "" {
		if !hexColor().MatchString(opts.AccentColor) {
			return "", permanent(fmt.Errorf("email: accent colour %q: want #rrggbb", opts.AccentColor))
		}
		return strings.ToLower(opts.AccentColor), nil
	}
	return AccentColor(string(b.ID)), nil
}

// AccentColor derives a business's accent colour from its id: the hue is an
// FNV-1a hash of the id, saturation is 55%, and the lightness starts at 34%
// and is lowered until white text on the colour has a WCAG contrast ratio
// of at least 4.5:1. It is stable (same id, same colour, across deploys),
// distinct between businesses in practice, and always readable. An empty id
// gives [NeutralAccent].
func AccentColor(id string) string {
	if id == "" {
		return NeutralAccent
	}
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	hue := float64(h % 360)
	for l := 0.34; l > 0.1; l -= 0.02 {
		r, g, bl := hslToRGB(hue, 0.55, l)
		if contrastWithWhite(r, g, bl) >= 4.5 {
			return fmt.Sprintf("#%02x%02x%02x", r, g, bl)
		}
	}
	return NeutralAccent
}

func hslToRGB(h, s, l float64) (uint8, uint8, uint8) {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	to := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return to(r), to(g), to(b)
}

func contrastWithWhite(r, g, b uint8) float64 {
	lin := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	lum := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	return 1.05 / (lum + 0.05)
}

// Views: everything a template sees, already made safe (single-line values
// through headerValue, multi-line ones through textBlock).

type callerInfo struct {
	Name              string
	Phone             string // display form
	PhoneE164         string // for tel: links; "" when not a valid number
	PhoneFromCallerID bool
	Email             string
	EmailValid        bool // Email is a well-formed address (mailto: links, Reply-To)
	Reason            string
}

type eventView struct {
	Time, Label, Detail string
}

// alertView is the banner at the top of an emergency's email.
type alertView struct {
	Title, Text string
	What        string // Text without the call to action
}

// bookingView is an appointment booked in the conversation.
type bookingView struct {
	When    string // "Tue, Dec 8, 2026 at 10:00 AM PST"
	Short   string // "Tue Dec 8, 10:00 AM"
	Service string
}

type turnView struct {
	Time, Speaker, Text string
	Agent, Interrupted  bool
}

type summaryView struct {
	BusinessID, BusinessName, AgentName string
	Accent                              string
	Heading                             string // "New lead", "Abandoned call", ...
	Status, StatusLabel, StatusNote     string
	Channel                             string // "Phone call" | "Web chat"
	Started, Ended, Duration, TimeZone  string
	SessionID, CallSID                  string
	Caller                              callerInfo
	// Alert is the emergency banner; nil without an emergency.
	Alert *alertView
	// Booking is the appointment booked (its .ics is attached).
	Booking *bookingView
	// Voicemail names whom a message was left for; TransferredTo whom
	// an answered transfer went to.
	Voicemail, TransferredTo string
	Summary                  []string // paragraphs
	SummaryIsFallback        bool
	Events                   []eventView
	Turns                    []turnView
	ReplyToCaller            bool
}

type callerView struct {
	BusinessName, AgentName, Accent string
	Date                            string
	Channel                         string // "call" | "chat"
	Caller                          callerInfo
	CompanyPhone, CompanyPhoneE164  string
	CompanyWebsite                  string // as configured
	CompanyWebsiteURL               string // with https:// when configured without a scheme
}

// bareSite is a website configured without a scheme ("example.com/contact").
var bareSite = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}(?:/[^\s]*)?$`)
})

func businessName(b *business.Business) string {
	if n := headerValue(b.DisplayName()); n != "" {
		return n
	}
	return headerValue(string(b.ID))
}

func agentName(b *business.Business) string {
	if n := headerValue(b.AgentName()); n != "" {
		return n
	}
	return "the assistant" // a name of control characters only
}

func newCaller(t transcript.Transcript) callerInfo {
	c := callerInfo{
		Name:              truncate(headerValue(t.Caller.Name), 200),
		PhoneFromCallerID: t.PhoneFromCallerID,
		Reason:            truncate(headerValue(t.Caller.Reason), 500),
	}
	if p := headerValue(t.CallbackPhone); p != "" {
		c.Phone = truncate(p, 40)
		if n, err := phone.ValidateNANP(p); err == nil {
			c.Phone, c.PhoneE164 = n.Display, n.E164
		} else if e := phone.Normalize(p); phone.IsE164(e) {
			c.Phone, c.PhoneE164 = e, e
		}
	}
	if e := headerValue(t.Caller.Email); e != "" {
		c.Email = truncate(e, 254)
		if l := strings.ToLower(e); contact.ValidEmail(l) {
			c.Email, c.EmailValid = l, true
		}
	}
	return c
}

const (
	dateLayout = "Mon, Jan 2, 2006 at 3:04 PM MST"
	timeLayout = "3:04:05 PM"
)

func newSummaryView(b *business.Business, t transcript.Transcript, summary, accent string) *summaryView {
	loc := b.Location()
	v := &summaryView{
		BusinessID:   headerValue(string(b.ID)),
		BusinessName: businessName(b),
		AgentName:    agentName(b),
		Accent:       accent,
		Status:       string(t.Status),
		Channel:      "Web chat",
		SessionID:    headerValue(t.SessionID),
		CallSID:      headerValue(t.CallSID),
		Caller:       newCaller(t),
		TimeZone:     loc.String(),
	}
	kind := "chat"
	if t.Channel == session.ChannelPhone {
		v.Channel, kind = "Phone call", "call"
	}
	v.Heading, v.StatusLabel = "New lead", statusLabel(b, t)
	v.StatusNote = sentence(t.Outcome())
	if t.Status == transcript.StatusAbandoned {
		v.Heading = "Abandoned " + kind
	}
	if vm := t.Voicemail; vm != nil && t.LeftMessage() {
		v.Heading, v.Voicemail = "Voicemail", headerValue(staffName(b, vm.For, vm.ForName))
	}
	if tr := t.Transfer; tr != nil && tr.Result == transcript.TransferAnswered {
		v.TransferredTo = headerValue(staffName(b, tr.Staff, tr.Name))
	}
	if em := t.Emergency; em != nil {
		v.Heading = "Emergency"
		v.Alert = emergencyAlert(em, t.Channel, loc, v.Caller)
	}
	if bk := t.Booking; bk != nil && !bk.Start.IsZero() {
		start := bk.Start.In(loc)
		v.Booking = &bookingView{When: start.Format(dateLayout), Short: start.Format("Mon Jan 2, 3:04 PM"), Service: truncate(headerValue(bk.Service), 80)}
	}
	if !t.StartedAt.IsZero() {
		v.Started = t.StartedAt.In(loc).Format(dateLayout)
	}
	if !t.EndedAt.IsZero() {
		v.Ended = t.EndedAt.In(loc).Format(dateLayout)
	}
	if !t.StartedAt.IsZero() && !t.EndedAt.IsZero() {
		v.Duration = formatDuration(t.Duration())
	}
	if s := textBlock(summary); s != "" {
		v.Summary = strings.Split(s, "\n\n")
	} else {
		v.Summary, v.SummaryIsFallback = []string{fallbackSummary(v, kind)}, true
	}
	for _, tu := range t.Turns {
		at := ""
		if !tu.At.IsZero() {
			at = tu.At.In(loc).Format(timeLayout)
		}
		switch tu.Role {
		case session.RoleTool:
			if label, detail, ok := eventLabel(b, tu.Tool, tu.Text); ok {
				v.Events = append(v.Events, eventView{Time: at, Label: label, Detail: truncate(headerValue(detail), 300)})
			}
		case session.RoleAgent, session.RoleCaller:
			tv := turnView{Time: at, Text: textBlock(tu.Text), Agent: tu.Role == session.RoleAgent, Interrupted: tu.Interrupted}
			if tv.Agent {
				tv.Speaker = v.AgentName
			} else {
				tv.Speaker = "Caller"
			}
			if tv.Text == "" {
				tv.Text = "…"
			}
			if !tv.Agent && isKey(tv.Text) {
				tv.Text = "(pressed " + tv.Text + ")"
			}
			v.Turns = append(v.Turns, tv)
		}
	}
	v.ReplyToCaller = b.Email.ReplyTo == "" && v.Caller.EmailValid
	return v
}

func newCallerView(b *business.Business, t transcript.Transcript, accent string) *callerView {
	v := &callerView{
		BusinessName: businessName(b),
		AgentName:    agentName(b),
		Accent:       accent,
		Channel:      "chat",
		Caller:       newCaller(t),
	}
	if t.Channel == session.ChannelPhone {
		v.Channel = "call"
	}
	when := t.StartedAt
	if when.IsZero() {
		when = t.EndedAt
	}
	if !when.IsZero() {
		v.Date = when.In(b.Location()).Format(dateLayout)
	}
	if p := headerValue(string(b.Company.Phone)); p != "" && !b.Company.Phone.IsRef() {
		v.CompanyPhone = p
		if n, err := phone.ValidateNANP(p); err == nil {
			v.CompanyPhone, v.CompanyPhoneE164 = n.Display, n.E164
		}
	}
	if w := headerValue(b.Company.Website); strings.HasPrefix(w, "https://") || strings.HasPrefix(w, "http://") {
		v.CompanyWebsite, v.CompanyWebsiteURL = w, w
	} else if bareSite().MatchString(w) {
		v.CompanyWebsite, v.CompanyWebsiteURL = w, "https://"+w
	}
	return v
}

// fallbackSummary is the non-AI summary: the collected facts in one sentence.
func fallbackSummary(v *summaryView, kind string) string {
	who := v.Caller.Name
	if who == "" {
		who = "A caller"
	}
	s := who + " reached " + v.BusinessName + " by " + map[string]string{"call": "phone", "chat": "web chat"}[kind]
	if r := headerValue(v.Caller.Reason); r != "" {
		s += " about: " + truncate(r, 300)
	}
	s = sentence(s)
	if v.Alert != nil {
		s += " " + v.Alert.What
	}
	if v.Booking != nil {
		s += " Appointment booked for " + v.Booking.When + "."
	}
	if v.Caller.Phone != "" {
		s += " Callback number: " + v.Caller.Phone
		if v.Caller.PhoneFromCallerID {
			s += " (from caller ID)"
		}
		s += "."
	}
	return s + " No AI summary was available; the transcript is below."
}

// sentence capitalizes a clause and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	s = string(r)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "”") {
		s += "."
	}
	return s
}

// statusLabel is the outcome in a few words: "Completed", "Caller hung
// up", "Transferred to Jordan", "Voicemail for the team".
func statusLabel(b *business.Business, t transcript.Transcript) string {
	if t.Status == transcript.StatusAbandoned {
		return "Abandoned"
	}
	if t.AfterHours && t.Emergency == nil {
		return "Missed (after hours)"
	}
	if vm := t.Voicemail; vm != nil && t.LeftMessage() {
		return "Voicemail for " + staffName(b, vm.For, vm.ForName)
	}
	switch t.EndReason {
	case transcript.EndCompleted:
		return "Completed"
	case transcript.EndTransferred:
		if tr := t.Transfer; tr != nil {
			return "Transferred to " + staffName(b, tr.Staff, tr.Name)
		}
		return "Transferred"
	case transcript.EndEmergencyTransferred:
		return "Transferred to the on-call line"
	case transcript.EndEmergencyUnavailable:
		return "On-call line not reachable"
	case transcript.EndTransferUnavailable:
		return "Transfer failed"
	case transcript.EndVoicemail:
		return "Voicemail"
	case transcript.EndRestarted:
		return "Started over"
	}
	if t.Channel == session.ChannelPhone {
		return "Caller hung up"
	}
	return "Visitor left"
}

// staffName is the name of callRouting.staff key, else the name recorded,
// else the key; "the team" for no one in particular.
func staffName(b *business.Business, key, recorded string) string {
	for _, st := range b.CallRouting.Staff {
		if st.Key == key && key != "" && strings.TrimSpace(st.Name) != "" {
			return strings.TrimSpace(st.Name)
		}
	}
	for _, s := range []string{recorded, key} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return "the team"
}

// emergencyAlert is the banner of an emergency: what happened, and what to
// do when nobody has spoken to the caller yet.
func emergencyAlert(em *transcript.Emergency, ch session.Channel, loc *time.Location, c callerInfo) *alertView {
	a := &alertView{Text: sentence(em.Outcome(ch))}
	switch {
	case !em.Pressed:
		a.Title = "Emergency: the caller described an emergency"
		if ch != session.ChannelPhone {
			a.Title = "Emergency: the visitor described an emergency"
		}
	case em.Result == transcript.TransferAnswered:
		a.Title = "Emergency: transferred to the on-call line"
	case em.Result == transcript.TransferNotAnswered:
		a.Title = "Emergency: the on-call transfer was not answered"
	case em.Result == transcript.TransferUnavailable:
		a.Title = "Emergency: the on-call line could not be dialled"
	default:
		a.Title = "Emergency: the caller pressed # for the on-call line"
	}
	if em.Pressed && !em.At.IsZero() {
		a.Text = strings.TrimSuffix(a.Text, ".") + " (at " + em.At.In(loc).Format("3:04 PM") + ")."
	}
	a.What = a.Text
	if em.Result != transcript.TransferAnswered {
		if c.Phone != "" {
			a.Text += " Call them back as soon as possible: " + c.Phone + "."
		} else {
			a.Text += " They left no number to call back."
		}
	}
	return a
}

// isKey reports whether a caller's turn is a key press ("#", "5").
func isKey(s string) bool {
	return len(s) == 1 && strings.Contains("0123456789#*", s)
}

// plainEvents label the events whose detail the email shows as it is.
var plainEvents = map[agent.Kind]string{
	agent.EventPhoneValidated:            "Phone number validated",
	agent.EventPhoneInvalid:              "Phone number rejected",
	agent.EventPhoneUnvalidated:          "Phone number kept unvalidated",
	agent.EventEmailInvalid:              "Email address rejected",
	agent.EventEmailUnvalidated:          "Email address kept unvalidated",
	agent.EventQuestionNoted:             "Question for you",
	agent.EventAppointmentBooked:         "Appointment booked",
	agent.EventVoicemail:                 "Message taken",
	transcript.EventEmergencyUnavailable: "On-call line not dialled",
	transcript.EventAfterHours:           "After hours",
}

// codedEvents label the events whose detail is a code, and say the codes
// in words (another code is made readable).
var codedEvents = map[agent.Kind]struct {
	label string
	words map[string]string
}{
	agent.EventEmergency: {"Emergency", map[string]string{
		"offered_transfer": "told to press # for the on-call line",
		"showed_number":    "shown the on-call number",
		"offered_callback": "offered an urgent call back",
		"noted":            "marked urgent",
	}},
	agent.EventEnd: {"Conversation closed", map[string]string{
		"confirmed":    "the caller confirmed the details",
		"message":      "a message was taken",
		"unconfirmed":  "closed without a clear yes from the caller",
		"caller_ended": "the caller said goodbye",
		"turn_limit":   "closed after many turns with what was collected",
		"completed":    "the details were collected",
	}},
}

// eventLabel names a tool event and says its detail for the email, or
// reports false for events that add nothing for a human (the collected
// fields are shown anyway). No internal id or event name is shown as is:
// an unknown event is shown with its name made readable.
func eventLabel(b *business.Business, kind, detail string) (label, text string, ok bool) {
	if label, ok := plainEvents[agent.Kind(kind)]; ok {
		return label, detail, true
	}
	if e, ok := codedEvents[agent.Kind(kind)]; ok {
		return e.label, cmp.Or(e.words[detail], readable(detail)), true
	}
	switch agent.Kind(kind) {
	case agent.EventInfoUpdated, agent.EventCompanyInfo:
		return "", "", false
	case agent.EventEmergencyTransfer:
		return "Emergency transfer", "the caller pressed # for the on-call line", true
	case agent.EventKnowledge:
		return "Answered from your information", section(detail), true
	case agent.EventKnowledgeSearch:
		q, found, _ := strings.Cut(detail, " → ")
		var secs []string
		for _, id := range strings.Split(found, ", ") {
			secs = append(secs, section(id))
		}
		return "Looked up", "“" + strings.TrimSpace(q) + "” → " + strings.Join(secs, ", "), true
	case agent.EventCallTransfer:
		key, rest, _ := strings.Cut(detail, " (")
		name, intent, _ := strings.Cut(rest, "):")
		text := "to " + staffName(b, key, name)
		if intent = strings.TrimSpace(intent); intent != "" && intent != "default" {
			text += " (" + intent + ")"
		}
		return "Transfer", text, true
	case transcript.EventTransferNotAnswered:
		if detail == session.ResumeEmergency {
			return "On-call transfer not answered", "nobody answered the on-call line", true
		}
		return "Transfer not answered", staffName(b, detail, "") + " did not answer", true
	}
	k := readable(kind)
	if k == "" {
		return "Tool event", detail, true
	}
	r := []rune(k)
	r[0] = unicode.ToUpper(r[0])
	return truncate(string(r), 60), detail, true
}

// readable turns an internal name into words: "starter_plan" → "starter plan".
func readable(s string) string {
	return headerValue(strings.NewReplacer("_", " ", "-", " ").Replace(s))
}

// section names a knowledge section id ("pricing#starter_plan") in words:
// "pricing: starter plan".
func section(id string) string {
	file, anchor, ok := strings.Cut(strings.TrimSpace(id), "#")
	if !ok {
		return readable(file)
	}
	file = strings.TrimSuffix(file, ".md")
	if file == "" {
		return readable(anchor)
	}
	return readable(file) + ": " + readable(anchor)
}

func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %d s", m, s)
	default:
		return fmt.Sprintf("%d s", s)
	}
}

// plainCallerCopy is the caller's copy without templates (the fallback).
func plainCallerCopy(v *callerView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Thank you for contacting %s.\n\nHere is what we noted:\n", v.BusinessName)
	for _, kv := range [][2]string{{"Name", v.Caller.Name}, {"Callback number", v.Caller.Phone}, {"Email", v.Caller.Email}, {"Reason", v.Caller.Reason}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "  %s: %s\n", kv[0], strings.ReplaceAll(kv[1], "\n", " "))
		}
	}
	fmt.Fprintf(&b, "\nSomeone from %s will get back to you.\n", v.BusinessName)
	return b.String()
}
