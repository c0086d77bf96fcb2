package business

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
)

// Defaults for fields a config may leave out.
const (
	DefaultSlotMinutes = 30
	DefaultCallTimeout = 30
)

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// parseConfig reads businesses/<dirID>/config.json into a Business.
// Cross-file checks (numbers, prompts) happen in Build.
func parseConfig(f *file, root *node, dirID string) *Business {
	c := f.root(root)
	c.str("$schema") // editor hint, not a setting
	b := &Business{Shape: ShapeOriginal, Unused: f.unused}

	id, idNode, idPath := c.strAt("businessId")
	switch {
	case idNode == nil:
		f.problem(nil, idPath, "missing: want the business id, equal to the directory name %q", dirID)
	case id != dirID:
		f.problem(idNode, idPath, "is %q but the directory is %q: want them equal", id, dirID)
	}
	b.ID = tenant.ID(dirID)

	b.Name = c.str("businessName", "name")
	if b.Name == "" {
		f.problem(nil, "$.businessName", "missing: want the business's name")
	}
	if c.has("phone") || c.has("features") && c.obj("features").has("appointmentBooking", "emailSummary") {
		b.Shape = ShapeBrief
	}
	if p, n, path := c.strAt("phone", "phoneNumber"); n != nil {
		b.Phone = checkPhone(f, n, path, p)
	} else {
		f.problem(nil, "$.phone", "missing: want the business's phone number in E.164 (phone or phoneNumber)")
	}
	b.Description = c.str("description")

	tz, tzNode, tzPath := c.strAt("timezone")
	b.Timezone = checkZone(f, tzNode, tzPath, tz)

	b.Features = parseFeatures(c.obj("features"), c.has("features"))
	b.OperatingHours = parseOperatingHours(c.obj("operatingHours"))
	b.Calendar = parseCalendar(c.obj("calendar"))
	b.Email = parseEmail(c.obj("email"))
	b.SMS = parseSMS(c.obj("sms"))
	b.Company = parseCompany(c.obj("companyInfo"))
	b.CallRouting = parseCallRouting(c.obj("callRouting"))
	b.Agent = parseAgent(c.obj("promptConfig"), c.obj("agent"))
	b.Intake = parseIntake(c.obj("intake"))
	b.Web = parseWeb(c.obj("web"))
	b.Session = parseSession(c.obj("session"))
	b.LLM = parseLLM(c.obj("llm"))
	b.Voice = parseVoice(c.obj("voice"))
	b.Limits = parseLimits(c.obj("limits"))
	c.done()

	// The business's zone: ours, else the operating hours', else the calendar's.
	for _, z := range []string{b.Timezone, zoneOf(b.OperatingHours), b.Calendar.Timezone} {
		if z != "" {
			b.Timezone = z
			break
		}
	}
	if b.Timezone == "" {
		b.Timezone = "UTC"
		f.warn(nil, "$.timezone", "no timezone (timezone, operatingHours.timezone or calendar.timezone): times in emails and prompts will be UTC")
	}
	b.loc, _ = time.LoadLocation(b.Timezone)
	if b.Company.Name == "" {
		b.Company.Name = b.Name
	}
	if b.Agent.Greeting == "" {
		name := b.Agent.Name
		if name == "" {
			name = "the virtual assistant"
		}
		b.Agent.Greeting = fmt.Sprintf("Hi, you've reached %s. This is %s. How can I help you today?", b.Name, name)
	}
	if b.Agent.WebGreeting == "" {
		b.Agent.WebGreeting = defaultWebGreeting(b)
	}
	if b.Web.Widget.LauncherText == "" {
		b.Web.Widget.LauncherText = "Chat with us"
		if b.Agent.Name != "" {
			b.Web.Widget.LauncherText = "Chat with " + b.Agent.Name
		}
	}
	checkFeatures(f, b)
	return b
}

func zoneOf(h *OperatingHours) string {
	if h == nil {
		return ""
	}
	return h.Timezone
}

func checkPhone(f *file, n *node, path, s string) string {
	p, err := phone.ParseE164(s)
	if err != nil {
		f.problem(n, path, "%v", err)
		return s
	}
	return p
}

// checkPhoneValue accepts a literal E.164 number or a reference resolved at use.
func checkPhoneValue(f *file, n *node, path, s string) secret.Value {
	if checkRef(f, n, path, s) {
		return secret.Value(s)
	}
	return secret.Value(checkPhone(f, n, path, s))
}

// checkRef reports whether s is (or tries to be) a secret reference, whose
// value is only known at use. Malformed references are reported once, by
// checkSecrets, which sees every string in the file.
func checkRef(_ *file, _ *node, _, s string) bool {
	_, isRef, err := secret.ParseRef(s)
	return isRef || err != nil
}

func checkZone(f *file, n *node, path, tz string) string {
	if tz == "" {
		return ""
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		f.problem(n, path, "unknown time zone %q: want an IANA name such as America/Los_Angeles", tz)
		return ""
	}
	return tz
}

func checkEmail(f *file, n *node, path, s string) string {
	if s == "" || checkRef(f, n, path, s) {
		return s
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		f.problem(n, path, "%q is not an email address: want name@example.com", s)
	}
	return s
}

func parseClock(f *file, n *node, path, s string, allow24 bool) (Clock, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		f.problem(n, path, "%q is not a time: want HH:MM in 24-hour form, e.g. 08:30", s)
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && (m != 0 || !allow24)) {
		f.problem(n, path, "%q is not a time: want HH:MM in 24-hour form, e.g. 08:30", s)
		return 0, false
	}
	return Clock(h*60 + m), true
}

func parseFeatures(c *cursor, present bool) Features {
	var ft Features
	ft.RAG, _ = c.boolean("ragEnabled", "rag")
	ft.AppointmentBooking, _ = c.boolean("appointmentBooking", "appointmentBookingEnabled")
	ft.EmergencyCallHandling, _ = c.boolean("emergencyCallHandling")
	var set bool
	if ft.BasicInfoCollection, set = c.boolean("basicInfoCollection"); !set {
		ft.BasicInfoCollection = true // every business wants the lead
	}
	ft.CallForwarding, _ = c.boolean("callForwarding", "staffRouting")
	ft.VoicemailHandling, _ = c.boolean("voicemailHandling", "voicemail")
	ft.AfterHoursGreeting, _ = c.boolean("afterHoursGreeting")
	ft.OnlyAnswerDuringBusinessHours, _ = c.boolean("onlyAnswerDuringBusinessHours")
	if ft.EmailSummary, set = c.boolean("emailSummary"); !set {
		ft.EmailSummary = true // the email is why a business pays
	}
	c.done()
	return ft
}

func parseOperatingHours(c *cursor) *OperatingHours {
	if c.n == nil && c.f.vocab == nil {
		return nil
	}
	h := &OperatingHours{Schedule: map[time.Weekday][]Interval{}}
	tz, n, path := c.strAt("timezone")
	h.Timezone = checkZone(c.f, n, path, tz)
	sc := c.obj("schedule")
	for name, day := range weekdays {
		sc.items(name, func(_ int, v *node, path string, iv *cursor) {
			if v != nil && v.kind != kindObject {
				c.f.problem(v, path, "got %s, want {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}", v.describe())
				return
			}
			s, sn, sp := iv.strAt("start")
			e, en, ep := iv.strAt("end")
			iv.done()
			if c.f.vocab != nil {
				return
			}
			if sn == nil || en == nil {
				c.f.problem(v, path, "want both start and end as HH:MM")
				return
			}
			start, ok1 := parseClock(c.f, sn, sp, s, false)
			end, ok2 := parseClock(c.f, en, ep, e, true)
			if ok1 && ok2 && end <= start {
				c.f.problem(en, ep, "end %s is not after start %s", e, s)
				return
			}
			if ok1 && ok2 {
				h.Schedule[day] = append(h.Schedule[day], Interval{Start: start, End: end})
			}
		})
	}
	sc.done()
	c.done()
	return h
}

func parseCalendar(c *cursor) Calendar {
	cal := Calendar{Provider: CalendarBuiltin, SlotMinutes: DefaultSlotMinutes}
	if p, ok := c.enum("provider", "calendar provider", CalendarBuiltin, CalendarGoogle, CalendarMicrosoft, CalendarDisabled); ok {
		cal.Provider = p
	}
	tz, n, path := c.strAt("timezone")
	cal.Timezone = checkZone(c.f, n, path, tz)
	if m, n, path, ok := c.integer("slotMinutes"); ok {
		if m < 5 || m > 480 {
			c.f.problem(n, path, "slot of %d minutes: want 5 to 480", m)
		} else {
			cal.SlotMinutes = m
		}
	}
	bh := c.obj("businessHours")
	if bh.n != nil || c.f.vocab != nil {
		hours := &BookingHours{}
		s, sn, sp := bh.strAt("start")
		e, en, ep := bh.strAt("end")
		if v, path := bh.typed(kindArray, "an array of weekday numbers 0 (Sunday) to 6 (Saturday)", "daysOfWeek"); v != nil {
			for i, it := range v.items {
				d, err := it.num.Int64()
				if it.kind != kindNumber || err != nil || d < 0 || d > 6 {
					c.f.problem(it, fmt.Sprintf("%s[%d]", path, i), "got %s, want a weekday number 0 (Sunday) to 6 (Saturday)", it.describe())
					continue
				}
				hours.Days = append(hours.Days, time.Weekday(d))
			}
		}
		bh.done()
		if bh.n != nil {
			var ok1, ok2 bool
			if sn == nil || en == nil {
				c.f.problem(bh.n, bh.path, "want start and end as HH:MM")
			} else {
				hours.Start, ok1 = parseClock(c.f, sn, sp, s, false)
				hours.End, ok2 = parseClock(c.f, en, ep, e, true)
				if ok1 && ok2 && hours.End <= hours.Start {
					c.f.problem(en, ep, "end %s is not after start %s", e, s)
				}
			}
			cal.BusinessHours = hours
		}
	}
	if g := c.obj("google"); g.n != nil || c.f.vocab != nil {
		cal.Google = &GoogleCalendar{
			ServiceAccountEmail: refOrLiteral(g, "serviceAccountEmail"),
			PrivateKey:          refOrLiteral(g, "privateKey"),
			CalendarID:          refOrLiteral(g, "calendarId"),
			ProjectID:           refOrLiteral(g, "projectId"),
		}
		g.done()
	}
	if m := c.obj("microsoft"); m.n != nil || c.f.vocab != nil {
		cal.Microsoft = &MicrosoftCalendar{
			TenantID:     refOrLiteral(m, "tenantId"),
			ClientID:     refOrLiteral(m, "clientId"),
			ClientSecret: refOrLiteral(m, "clientSecret"),
			UserID:       refOrLiteral(m, "userId", "userEmail"),
			CalendarID:   refOrLiteral(m, "calendarId"),
		}
		m.done()
	}
	c.done()
	return cal
}

// refOrLiteral reads a string that may be a secret reference.
func refOrLiteral(c *cursor, keys ...string) secret.Value {
	s, n, path := c.strAt(keys...)
	if n != nil {
		checkRef(c.f, n, path, s)
	}
	return secret.Value(s)
}

func parseEmail(c *cursor) Email {
	e := Email{Provider: EmailSES}
	if p, n, path := c.strAt("provider"); n != nil {
		switch p {
		case EmailSES, EmailMailchimpTransactional, EmailMailchimpMarketing, EmailMicrosoftGraph, EmailResend, EmailDisabled:
			e.Provider = p
		case "mailchimp", "mandrill":
			// The original's "mailchimp": per-conversation mail is what
			// Mailchimp Transactional (Mandrill) is for.
			e.Provider = EmailMailchimpTransactional
		default:
			c.f.problem(n, path, "unknown email provider %q: want one of ses, mailchimp-transactional (or mailchimp), mailchimp-marketing, microsoft-graph, resend, disabled", p)
		}
	}
	s, n, path := c.strAt("fromEmail")
	e.FromEmail = checkEmail(c.f, n, path, s)
	e.FromName = c.str("fromName")
	s, n, path = c.strAt("replyTo")
	e.ReplyTo = checkEmail(c.f, n, path, s)
	rs, nodes, path := c.strs("notificationRecipients", "recipients")
	for i, r := range rs {
		e.Recipients = append(e.Recipients, checkEmail(c.f, nodes[i], fmt.Sprintf("%s[%d]", path, i), r))
	}
	e.CallerCopy, _ = c.boolean("sendCallerCopy")
	e.MissedCallNotice = true
	if v, set := c.boolean("missedCallNotice"); set {
		e.MissedCallNotice = v
	}
	e.APIKey = refOrLiteral(c, "apiKey")
	e.AudienceID = c.str("audienceId", "listId")
	e.ServerPrefix = c.str("serverPrefix")
	e.TenantID = refOrLiteral(c, "tenantId")
	e.ClientID = refOrLiteral(c, "clientId")
	e.ClientSecret = refOrLiteral(c, "clientSecret")
	e.SenderEmail = refOrLiteral(c, "senderEmail")
	c.done()
	return e
}

func parseSMS(c *cursor) SMS {
	var s SMS
	s.Enabled, _ = c.boolean("enabled")
	nums, nodes, path := c.strs("adminNumbers")
	for i, n := range nums {
		s.AdminNumbers = append(s.AdminNumbers, checkPhoneValue(c.f, nodes[i], fmt.Sprintf("%s[%d]", path, i), n))
	}
	c.done()
	return s
}

func parseCompany(c *cursor) Company {
	co := Company{Name: c.str("name")}
	if p, n, path := c.strAt("phone"); n != nil {
		co.Phone = checkPhoneValue(c.f, n, path, p)
	}
	s, n, path := c.strAt("email")
	co.Email = checkEmail(c.f, n, path, s)
	co.Website = c.str("website")
	co.Address = c.str("address")
	co.Services, _, _ = c.strs("services")
	hc := c.obj("hours")
	if hc.n != nil {
		co.Hours = map[string]string{}
		for _, m := range hc.n.members {
			if m.val.kind != kindString {
				c.f.problem(m.val, hc.child(m.key), "got %s, want a string such as \"9:00 AM - 5:00 PM\"", m.val.describe())
				continue
			}
			co.Hours[m.key] = m.val.str
		}
	}
	if e := c.obj("emergencyContact"); e.n != nil || c.f.vocab != nil {
		em := &Emergency{}
		var set bool
		if em.Available, set = e.boolean("available"); !set {
			em.Available = true
		}
		if p, n, path := e.strAt("phone"); n != nil {
			em.Phone = checkPhoneValue(c.f, n, path, p)
		}
		em.Instructions = e.str("instructions")
		e.done()
		co.Emergency = em
	}
	co.Facts = c.rest()
	return co
}

func parseCallRouting(c *cursor) CallRouting {
	r := CallRouting{CallTimeout: DefaultCallTimeout}
	r.Enabled, _ = c.boolean("enabled")
	c.each("staff", func(key string, v *node, path string, s *cursor) {
		if v != nil && v.kind != kindObject {
			c.f.problem(v, path, "got %s, want a staff member {name, role, phone, handles}", v.describe())
			return
		}
		st := Staff{Key: key, Name: s.str("name"), Role: s.str("role")}
		if p, n, pp := s.strAt("phone"); n != nil {
			st.Phone = checkPhoneValue(c.f, n, pp, p)
		} else if v != nil {
			c.f.problem(v, path+".phone", "missing: want the number calls are transferred to")
		}
		st.Handles, _, _ = s.strs("handles")
		s.done()
		if v != nil {
			if st.Name == "" {
				st.Name = key
			}
			r.Staff = append(r.Staff, st)
		}
	})
	if t, n, path, ok := c.integer("callTimeout"); ok {
		if t < 5 || t > 600 {
			c.f.problem(n, path, "timeout of %d seconds: want 5 to 600", t)
		} else {
			r.CallTimeout = t
		}
	}
	r.VoicemailMessage = c.str("voicemailMessage")
	c.done()
	return r
}

func parseAgent(pc, legacy *cursor) Agent {
	a := Agent{
		Name:               pc.str("agentName"),
		Personality:        pc.str("agentPersonality"),
		Greeting:           pc.str("greeting"),
		AfterHoursGreeting: pc.str("afterHoursGreeting"),
		Voice:              pc.str("agentVoice"),
		Role:               pc.str("agentType"),
	}
	wg, n, path := pc.strAt("webGreeting")
	if n != nil && keypadRe().MatchString(wg) {
		pc.f.warn(n, path, "mentions a key to press or dial, but a web visitor has no keypad: say what to type instead")
	}
	a.WebGreeting = wg
	pc.done()
	// The original's separate "agent" object fills what promptConfig leaves out.
	if n := legacy.str("name"); a.Name == "" {
		a.Name = n
	}
	if p := legacy.str("personality"); a.Personality == "" {
		a.Personality = p
	}
	if r := legacy.str("role"); r != "" {
		a.Role = r
	}
	a.PrimaryFunction = legacy.str("primaryFunction")
	legacy.done()
	return a
}

var knownFields = map[string]bool{FieldName: true, FieldPhone: true, FieldEmail: true, FieldReason: true}

func parseIntake(c *cursor) Intake {
	var in Intake
	fields, nodes, path := c.strs("requiredFields")
	for i, fl := range fields {
		if !knownFields[fl] {
			c.f.problem(nodes[i], fmt.Sprintf("%s[%d]", path, i), "unknown field %q: want name, phone, email or reason", fl)
			continue
		}
		in.Required = append(in.Required, fl)
	}
	if nodes == nil && !c.has("requiredFields") {
		in.Required = nil // filled from features in checkFeatures
	} else if in.Required == nil {
		in.Required = []string{}
	}
	words, nodes, path := c.strs("urgencyKeywords")
	for i, w := range words {
		if len(wordsOf(w)) == 0 {
			c.f.problem(nodes[i], fmt.Sprintf("%s[%d]", path, i), "%q has no words: want a word or phrase such as \"burst pipe\"", w)
			continue
		}
		in.UrgencyKeywords = append(in.UrgencyKeywords, w)
	}
	if nodes == nil && !c.has("urgencyKeywords") {
		in.UrgencyKeywords = DefaultUrgencyKeywords
	} else if in.UrgencyKeywords == nil {
		in.UrgencyKeywords = []string{} // an empty list: nothing is urgent
	}
	c.done()
	return in
}

func parseWeb(c *cursor) Web {
	var w Web
	origins, nodes, path := c.strs("allowedOrigins")
	for i, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			c.f.problem(nodes[i], fmt.Sprintf("%s[%d]", path, i), "%q is not an origin: want scheme://host[:port], e.g. https://www.example.com", o)
			continue
		}
		w.AllowedOrigins = append(w.AllowedOrigins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	w.Widget = parseWidget(c.obj("widget"))
	c.done()
	return w
}

// parseWidget reads web.widget; the launcher text's default needs the agent's
// name and is filled by parseConfig.
func parseWidget(c *cursor) Widget {
	w := Widget{Position: WidgetBottomRight, AccentColor: DefaultAccentColor}
	if p, ok := c.enum("position", "position", WidgetBottomRight, WidgetBottomLeft); ok {
		w.Position = p
	}
	w.LauncherText = c.str("launcherText")
	if col, n, path := c.strAt("accentColor"); n != nil {
		if hexColorRe().MatchString(col) {
			w.AccentColor = strings.ToLower(col)
		} else {
			c.f.problem(n, path, "%q is not a color: want a CSS hex color #rgb or #rrggbb, e.g. #2563eb", col)
		}
	}
	w.AccentTextColor = textColorOn(w.AccentColor)
	w.OpenOnLoad, _ = c.boolean("openOnLoad")
	c.done()
	return w
}

// Bounds of session idle timeouts: long enough for a visitor to read and
// type, short enough that a lead is not held back for hours.
var (
	idleBounds      = [2]time.Duration{time.Minute, 2 * time.Hour}
	phoneIdleBounds = [2]time.Duration{5 * time.Minute, 4 * time.Hour}
)

func parseSession(c *cursor) SessionPolicy {
	var p SessionPolicy
	dur := func(key string, bounds [2]time.Duration) time.Duration {
		v, n, path := c.strAt(key)
		if n == nil {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < bounds[0] || d > bounds[1] {
			c.f.problem(n, path, "%q: want a duration from %v to %v, e.g. \"10m\"", v, bounds[0], bounds[1])
			return 0
		}
		return d
	}
	p.IdleTimeout = dur("idleTimeout", idleBounds)
	p.PhoneIdleTimeout = dur("phoneIdleTimeout", phoneIdleBounds)
	c.done()
	return p
}

func parseLLM(c *cursor) LLM {
	l := LLM{Model: c.str("model")}
	if t, n, path, ok := c.number("temperature"); ok {
		if t < 0 || t > 2 {
			c.f.problem(n, path, "temperature %v: want 0 to 2", t)
		} else {
			l.Temperature = &t
		}
	}
	c.done()
	return l
}

func parseVoice(c *cursor) Voice {
	v := Voice{
		Language:              c.str("language"),
		TTSProvider:           c.str("ttsProvider"),
		Voice:                 c.str("voice"),
		TranscriptionProvider: c.str("transcriptionProvider"),
		SpeechModel:           c.str("speechModel"),
	}
	c.done()
	return v
}

// parsePrompts reads a prompt_rules.json.
func parsePrompts(f *file, root *node) Prompts {
	c := f.root(root)
	p := Prompts{Source: f.name}
	c.str("$schema")
	rs := c.obj("realtimeSystem")
	p.System = rs.str("full")
	rs.done()
	p.UserInfoCollection = parseRuleSet(c.obj("userInfoCollection"))
	p.ExtractUserInfo = parseRuleSet(c.obj("extractUserInfo"))
	p.Summary = parseRuleSet(c.obj("summary"))
	// Other sections belong to the original's multi-prompt pipeline; keep
	// them for later features, and say they are not used today.
	if c.n != nil {
		p.Sections = map[string]json.RawMessage{}
		for _, m := range c.n.members {
			if !c.used[m.key] {
				p.Sections[m.key] = m.val.raw()
			}
		}
	}
	c.done()
	return p
}

func parseRuleSet(c *cursor) *RuleSet {
	if c.n == nil && c.f.vocab == nil {
		return nil
	}
	r := &RuleSet{SystemPrompt: c.str("systemPrompt"), Closing: c.str("closing"), OutputFormat: c.str("outputFormat")}
	r.Rules, _, _ = c.strs("rules")
	c.done()
	return r
}
