package business

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
)

// Shape names which of the two config formats a business's file uses. Both
// load into the same Business; the shape is reported for operators only.
type Shape string

const (
	ShapeBrief    Shape = "brief"    // the product brief's: phone, features.appointmentBooking, ...
	ShapeOriginal Shape = "original" // the original Node service's: phoneNumber, ...Enabled, database, ...
)

// Business is the normalized configuration of one tenant: everything the
// agent, the phone front door and the summary email need to serve it.
type Business struct {
	ID          tenant.ID `json:"businessId"`
	Name        string    `json:"businessName"`
	Shape       Shape     `json:"shape"`
	Phone       string    `json:"phone,omitempty"`   // the business's own number (E.164)
	Numbers     []string  `json:"numbers,omitempty"` // Twilio numbers routed to it by businesses.json
	Description string    `json:"description,omitempty"`
	// Timezone is the IANA zone all of the business's times are in.
	Timezone string `json:"timezone"`

	Features       Features        `json:"features"`
	OperatingHours *OperatingHours `json:"operatingHours,omitempty"`
	Calendar       Calendar        `json:"calendar"`
	Email          Email           `json:"email"`
	SMS            SMS             `json:"sms"`
	Company        Company         `json:"companyInfo"`
	CallRouting    CallRouting     `json:"callRouting"`
	Agent          Agent           `json:"agent"`
	Prompts        Prompts         `json:"prompts"`
	Intake         Intake          `json:"intake"`
	Web            Web             `json:"web"`
	Session        SessionPolicy   `json:"session"`
	LLM            LLM             `json:"llm"`
	Voice          Voice           `json:"voice"`
	// Limits bound what a conversation and the business can cost (limits.go).
	Limits Limits `json:"limits"`

	// Unused holds, by file and JSON path, every field no code of ours reads,
	// so nothing in an operator's file is dropped.
	Unused map[string]json.RawMessage `json:"unused,omitempty"`

	loc *time.Location
}

// Location returns the business's time zone.
func (b *Business) Location() *time.Location {
	if b.loc == nil {
		return time.UTC
	}
	return b.loc
}

// Features are the switches that choose tools and behaviour per business.
// Code asks these, never the business id.
type Features struct {
	RAG                           bool `json:"ragEnabled"`
	AppointmentBooking            bool `json:"appointmentBooking"`
	EmergencyCallHandling         bool `json:"emergencyCallHandling"`
	BasicInfoCollection           bool `json:"basicInfoCollection"`
	CallForwarding                bool `json:"callForwarding"`
	VoicemailHandling             bool `json:"voicemailHandling"`
	AfterHoursGreeting            bool `json:"afterHoursGreeting"`
	OnlyAnswerDuringBusinessHours bool `json:"onlyAnswerDuringBusinessHours"`
	EmailSummary                  bool `json:"emailSummary"`
}

// Clock is a time of day in minutes after midnight (0..1440).
type Clock int

func (c Clock) String() string {
	return time.Date(0, 1, 1, int(c)/60, int(c)%60, 0, 0, time.UTC).Format("15:04")
}

// MarshalText renders HH:MM (24:00 for end of day).
func (c Clock) MarshalText() ([]byte, error) {
	if c == 24*60 {
		return []byte("24:00"), nil
	}
	return []byte(c.String()), nil
}

// Interval is an opening period within one day, [Start, End).
type Interval struct {
	Start Clock `json:"start"`
	End   Clock `json:"end"`
}

// OperatingHours is when the business answers calls itself. A weekday with
// no intervals is closed.
type OperatingHours struct {
	Timezone string                      `json:"timezone"`
	Schedule map[time.Weekday][]Interval `json:"schedule"`
}

// OpenAt reports whether t falls inside the business's operating hours,
// evaluated in loc (the business's zone), so DST changes are handled by the
// time package rather than by offsets stored in config.
func (h *OperatingHours) OpenAt(t time.Time, loc *time.Location) bool {
	if h == nil {
		return true
	}
	lt := t.In(loc)
	m := Clock(lt.Hour()*60 + lt.Minute())
	for _, iv := range h.Schedule[lt.Weekday()] {
		if m >= iv.Start && m < iv.End {
			return true
		}
	}
	return false
}

// Calendar providers.
const (
	CalendarBuiltin   = "builtin" // our own calendar in DynamoDB (default)
	CalendarGoogle    = "google"
	CalendarMicrosoft = "microsoft"
	CalendarDisabled  = "disabled"
)

// Calendar is where appointments are booked.
type Calendar struct {
	Provider      string             `json:"provider"`
	Timezone      string             `json:"timezone,omitempty"`
	BusinessHours *BookingHours      `json:"businessHours,omitempty"`
	SlotMinutes   int                `json:"slotMinutes"`
	Google        *GoogleCalendar    `json:"google,omitempty"`
	Microsoft     *MicrosoftCalendar `json:"microsoft,omitempty"`
}

// BookingHours are the hours in which appointments may be booked.
type BookingHours struct {
	Start Clock          `json:"start"`
	End   Clock          `json:"end"`
	Days  []time.Weekday `json:"daysOfWeek"`
}

// GoogleCalendar holds service-account credentials.
type GoogleCalendar struct {
	ServiceAccountEmail secret.Value `json:"serviceAccountEmail"`
	PrivateKey          secret.Value `json:"privateKey"`
	CalendarID          secret.Value `json:"calendarId"`
	ProjectID           secret.Value `json:"projectId,omitempty"`
}

// MicrosoftCalendar holds Microsoft Graph client credentials.
type MicrosoftCalendar struct {
	TenantID     secret.Value `json:"tenantId"`
	ClientID     secret.Value `json:"clientId"`
	ClientSecret secret.Value `json:"clientSecret"`
	UserID       secret.Value `json:"userId"` // mailbox whose calendar is used
	CalendarID   secret.Value `json:"calendarId,omitempty"`
}

// Email providers.
const (
	EmailSES                    = "ses"
	EmailMailchimpTransactional = "mailchimp-transactional"
	EmailMailchimpMarketing     = "mailchimp-marketing"
	EmailMicrosoftGraph         = "microsoft-graph"
	EmailResend                 = "resend"
	EmailDisabled               = "disabled"
)

// Email is how the summary email is sent and to whom.
type Email struct {
	Provider   string   `json:"provider"`
	FromEmail  string   `json:"fromEmail,omitempty"`
	FromName   string   `json:"fromName,omitempty"`
	ReplyTo    string   `json:"replyTo,omitempty"`
	Recipients []string `json:"notificationRecipients,omitempty"`
	// CallerCopy sends a copy to the caller when they gave an address.
	CallerCopy bool `json:"sendCallerCopy"`
	// MissedCallNotice: a call that ended before the caller said anything
	// sends a short "missed call from …" notice (default true); false
	// sends nothing. A web chat where nothing was typed never sends email.
	MissedCallNotice bool `json:"missedCallNotice"`

	APIKey       secret.Value `json:"apiKey,omitempty"`       // mailchimp, resend
	AudienceID   string       `json:"audienceId,omitempty"`   // mailchimp-marketing
	ServerPrefix string       `json:"serverPrefix,omitempty"` // mailchimp-marketing data centre, e.g. us21
	// Microsoft Graph (original shape).
	TenantID     secret.Value `json:"tenantId,omitempty"`
	ClientID     secret.Value `json:"clientId,omitempty"`
	ClientSecret secret.Value `json:"clientSecret,omitempty"`
	SenderEmail  secret.Value `json:"senderEmail,omitempty"`
}

// SMS is the optional text-message notification setting.
type SMS struct {
	Enabled      bool           `json:"enabled"`
	AdminNumbers []secret.Value `json:"adminNumbers,omitempty"`
}

// Company is what the agent may tell callers about the business.
type Company struct {
	Name      string            `json:"name"`
	Phone     secret.Value      `json:"phone,omitempty"`
	Email     string            `json:"email,omitempty"`
	Website   string            `json:"website,omitempty"`
	Address   string            `json:"address,omitempty"`
	Services  []string          `json:"services,omitempty"`
	Hours     map[string]string `json:"hours,omitempty"`
	Emergency *Emergency        `json:"emergencyContact,omitempty"`
	// Facts are the other companyInfo fields (eligibility, tagline, ...),
	// kept verbatim and given to the agent as facts about the business.
	Facts map[string]json.RawMessage `json:"facts,omitempty"`
}

// Emergency is where a caller who presses # is transferred.
type Emergency struct {
	Available    bool         `json:"available"`
	Phone        secret.Value `json:"phone"`
	Instructions string       `json:"instructions,omitempty"`
}

// CallRouting is staff transfer by intent.
type CallRouting struct {
	Enabled          bool    `json:"enabled"`
	Staff            []Staff `json:"staff,omitempty"`
	CallTimeout      int     `json:"callTimeout"` // seconds
	VoicemailMessage string  `json:"voicemailMessage,omitempty"`
}

// Staff is one person calls can be transferred to.
type Staff struct {
	Key     string       `json:"key"`
	Name    string       `json:"name"`
	Role    string       `json:"role,omitempty"`
	Phone   secret.Value `json:"phone"`
	Handles []string     `json:"handles"`
}

// Agent is the AI receptionist's persona.
type Agent struct {
	Name               string `json:"name"`
	Personality        string `json:"personality,omitempty"`
	Role               string `json:"role,omitempty"`
	PrimaryFunction    string `json:"primaryFunction,omitempty"`
	Greeting           string `json:"greeting"`
	AfterHoursGreeting string `json:"afterHoursGreeting,omitempty"`
	// WebGreeting is the web chat's first message (promptConfig.webGreeting,
	// default built from the business); see Business.WebGreeting.
	WebGreeting string `json:"webGreeting"`
	Voice       string `json:"voice,omitempty"`
}

// Prompts is the business's AI behaviour from prompt_rules.json.
type Prompts struct {
	Source             string   `json:"source"` // the file it came from
	System             string   `json:"system"`
	UserInfoCollection *RuleSet `json:"userInfoCollection,omitempty"`
	ExtractUserInfo    *RuleSet `json:"extractUserInfo,omitempty"`
	Summary            *RuleSet `json:"summary,omitempty"`
	// Sections are the other named prompt sections, kept verbatim.
	Sections map[string]json.RawMessage `json:"sections,omitempty"`
}

// RuleSet is a prompt with rules, as prompt_rules.json writes them.
type RuleSet struct {
	SystemPrompt string   `json:"systemPrompt,omitempty"`
	Rules        []string `json:"rules,omitempty"`
	Closing      string   `json:"closing,omitempty"`
	OutputFormat string   `json:"outputFormat,omitempty"`
}

// Caller fields an intake can collect.
const (
	FieldName   = "name"
	FieldPhone  = "phone"
	FieldEmail  = "email"
	FieldReason = "reason"
)

// Intake is what the agent must collect before it may end a conversation.
type Intake struct {
	Required []string `json:"requiredFields"`
	// UrgencyKeywords are the words and phrases that make what a caller or
	// visitor says urgent (Business.IsUrgent); nil means
	// DefaultUrgencyKeywords, empty means none.
	UrgencyKeywords []string `json:"urgencyKeywords"`
}

// SessionPolicy is when a quiet conversation counts as over.
type SessionPolicy struct {
	// IdleTimeout ends a web chat with no activity for this long (the
	// sweeper); zero: session.DefaultWebIdleTimeout.
	IdleTimeout time.Duration `json:"idleTimeout,omitempty"`
	// PhoneIdleTimeout is the backstop for a call whose status callback
	// never came; zero: session.DefaultPhoneIdleTimeout.
	PhoneIdleTimeout time.Duration `json:"phoneIdleTimeout,omitempty"`
}

// IdleTimeout is the idle timeout of the business's conversations on a
// channel ("web", "phone"); zero means the channel's default.
func (b *Business) IdleTimeout(channel string) time.Duration {
	if channel == "phone" {
		return b.Session.PhoneIdleTimeout
	}
	return b.Session.IdleTimeout
}

// Web is the policy for browser connections.
type Web struct {
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
	Widget         Widget   `json:"widget"`
}

// Widget positions.
const (
	WidgetBottomRight = "bottom-right"
	WidgetBottomLeft  = "bottom-left"
)

// Widget is how the embeddable chat (widget.js) looks on the business's own
// site. Parsing fills every default, so a widget reads these as they are.
type Widget struct {
	Position     string `json:"position"`     // WidgetBottomRight (default) or WidgetBottomLeft
	LauncherText string `json:"launcherText"` // default "Chat with <agent name>"
	AccentColor  string `json:"accentColor"`  // #rgb or #rrggbb, default DefaultAccentColor
	// AccentTextColor is black or white, whichever reads better on
	// AccentColor (derived, not configured).
	AccentTextColor string `json:"accentTextColor"`
	OpenOnLoad      bool   `json:"openOnLoad"`
}

// LLM chooses the model per business.
type LLM struct {
	Model       string   `json:"model,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
}

// Voice holds Twilio ConversationRelay voice settings.
type Voice struct {
	Language              string `json:"language,omitempty"`
	TTSProvider           string `json:"ttsProvider,omitempty"`
	Voice                 string `json:"voice,omitempty"`
	TranscriptionProvider string `json:"transcriptionProvider,omitempty"`
	SpeechModel           string `json:"speechModel,omitempty"`
}

// SharedNumber is a Twilio number that businesses.json marks as shared; calls
// to it go to the primary business.
type SharedNumber struct {
	Primary   tenant.ID `json:"primary"`
	Secondary tenant.ID `json:"secondary,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// MarshalJSON writes the schedule with day names, as config files do.
func (h OperatingHours) MarshalJSON() ([]byte, error) {
	days := map[string][]Interval{}
	for d, ivs := range h.Schedule {
		days[strings.ToLower(d.String())] = ivs
	}
	return json.Marshal(struct {
		Timezone string                `json:"timezone,omitempty"`
		Schedule map[string][]Interval `json:"schedule"`
	}{h.Timezone, days})
}

// Derived facts: what callers, the model, texts and emails are told about
// the business, computed here once.

// DisplayName is the name callers know the business by: companyInfo.name,
// else the business's name.
func (b *Business) DisplayName() string {
	if b.Company.Name != "" {
		return b.Company.Name
	}
	return b.Name
}

// AgentName is the agent's name, "the assistant" when it has none.
func (b *Business) AgentName() string {
	if b.Agent.Name != "" {
		return b.Agent.Name
	}
	return "the assistant"
}

// CallerPhone is the business's number for callers, in display form
// ("(503) 555-0142" for a NANP number): companyInfo.phone unless it is a
// secret reference, else the business's own number; "" when neither.
func (b *Business) CallerPhone() string {
	for _, p := range []string{literal(b.Company.Phone), b.Phone} {
		if p == "" {
			continue
		}
		if n, err := phone.ValidateNANP(p); err == nil {
			return n.Display
		}
		return p
	}
	return ""
}

// literal returns v unless it is a reference to a secret.
func literal(v secret.Value) string {
	if v.IsRef() {
		return ""
	}
	return string(v)
}

// weekFromMonday is the days of the week as businesses list them.
var weekFromMonday = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// DayLines renders the hours one line per day, Monday first: "Monday: 8:00
// AM to 12:00 PM, 1:00 PM to 6:00 PM", "Sunday: closed".
func (h *OperatingHours) DayLines() []string {
	out := make([]string, 0, 7)
	for _, d := range weekFromMonday {
		ivs := h.Schedule[d]
		if len(ivs) == 0 {
			out = append(out, d.String()+": closed")
			continue
		}
		parts := make([]string, len(ivs))
		for k, iv := range ivs {
			parts[k] = iv.Start.Written() + " to " + iv.End.Written()
		}
		out = append(out, d.String()+": "+strings.Join(parts, ", "))
	}
	return out
}

// Spoken renders the hours as people say them, grouping days with the same
// hours: "Monday to Thursday, 8 AM to 6 PM; Friday, 8 AM to 5 PM; closed
// Saturday and Sunday".
func (h *OperatingHours) Spoken() string {
	days := weekFromMonday
	var parts, closed []string
	for i := 0; i < len(days); {
		ivs := h.Schedule[days[i]]
		j := i + 1
		for j < len(days) && slices.Equal(h.Schedule[days[j]], ivs) {
			j++
		}
		name := days[i].String()
		if j-i > 1 {
			name += " to " + days[j-1].String()
		}
		if len(ivs) == 0 {
			closed = append(closed, name)
		} else {
			ranges := make([]string, len(ivs))
			for k, iv := range ivs {
				ranges[k] = iv.Start.Spoken() + " to " + iv.End.Spoken()
			}
			parts = append(parts, name+", "+strings.Join(ranges, " and "))
		}
		i = j
	}
	if len(closed) > 0 {
		parts = append(parts, "closed "+ListWords(closed, "and"))
	}
	return strings.Join(parts, "; ")
}

// Written renders a time of day as a clock shows it: "8:00 AM", "12:00
// PM", "midnight" for the end of a day.
func (c Clock) Written() string {
	if c >= 24*60 {
		return "midnight"
	}
	return time.Date(2000, 1, 1, int(c)/60, int(c)%60, 0, 0, time.UTC).Format("3:04 PM")
}

// Spoken renders a time of day the way people say it: "8 AM", "12:30 PM",
// "noon", "midnight".
func (c Clock) Spoken() string {
	m := int(c)
	switch m {
	case 0, 24 * 60:
		return "midnight"
	case 12 * 60:
		return "noon"
	}
	h, min := m/60, m%60
	suffix := "AM"
	if h >= 12 {
		suffix = "PM"
	}
	h %= 12
	if h == 0 {
		h = 12
	}
	if min == 0 {
		return fmt.Sprintf("%d %s", h, suffix)
	}
	return fmt.Sprintf("%d:%02d %s", h, min, suffix)
}

// ListWords joins items as people say them: "a", "a and b", "a, b, and c".
func ListWords(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " " + conj + " " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + ", " + conj + " " + items[len(items)-1]
}
