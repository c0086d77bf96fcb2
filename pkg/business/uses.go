package business

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ahca/ahca/pkg/secret"
)

// Features that fail when what they need cannot be had in a deployed stage,
// as `ahca configs validate --stage` names them.
const (
	FeatureEmergencyTransfer = "emergency transfer"
	FeatureStaffRouting      = "staff routing"
	FeatureEmailSending      = "email sending"
	FeatureSMS               = "SMS (voicemail texts)"
	FeatureBooking           = "appointment booking"
)

// The functions (functions/<name>) that resolve a business's settings.
const (
	FunctionTwilioVoice  = "twilio-voice"
	FunctionWsMessage    = "ws-message"
	FunctionEmailSummary = "email-summary"
)

// Use kinds.
const (
	// UseSecret: Value is resolved (a reference, or a literal) by Function.
	UseSecret = "secret"
	// UseSender: Function sends email as Value through SES.
	UseSender = "ses-sender"
	// UseSMS: Function sends texts with the stage's Twilio settings.
	UseSMS = "sms-settings"
)

// Use is one thing an enabled feature of a business needs from the stage it
// runs in: a value a function resolves, an SES sender identity, or the
// stage's SMS settings. Path is the JSON path in File (the normalized,
// current-shape path).
type Use struct {
	File     string // config.json relative to the tree, businesses/<id>/config.json
	Path     string
	Kind     string
	Value    secret.Value
	Feature  string
	Function string
	// Switch is the config setting that turns Feature on, as operators
	// write it: "emergencyCallHandling" (a features.* key) or "sms.enabled".
	Switch string
}

// switches names, for each feature, the config setting that enables it.
var switches = map[string]string{
	FeatureEmergencyTransfer: "emergencyCallHandling",
	FeatureStaffRouting:      "callForwarding",
	FeatureEmailSending:      "emailSummary",
	FeatureBooking:           "appointmentBooking",
}

// Uses lists what b's enabled features need at run time, by feature, in a
// stable order. Disabled features need nothing.
func (b *Business) Uses() []Use {
	file := businessDir + "/" + string(b.ID) + "/" + ConfigFile
	var out []Use
	add := func(kind, path string, v secret.Value, feature, fn string) {
		if kind == UseSecret && v == "" {
			return
		}
		sw := switches[feature]
		if feature == FeatureSMS {
			sw = "voicemailHandling"
			if strings.HasPrefix(path, "$.sms") {
				sw = "sms.enabled"
			}
		}
		out = append(out, Use{File: file, Path: path, Kind: kind, Value: v, Feature: feature, Function: fn, Switch: sw})
	}
	f := b.Features
	if f.EmergencyCallHandling && b.Company.Emergency != nil {
		add(UseSecret, "$.companyInfo.emergencyContact.phone", b.Company.Emergency.Phone, FeatureEmergencyTransfer, FunctionTwilioVoice)
	}
	staff := append([]Staff(nil), b.CallRouting.Staff...)
	sort.Slice(staff, func(i, j int) bool { return staff[i].Key < staff[j].Key })
	if f.CallForwarding {
		for _, st := range staff {
			add(UseSecret, "$.callRouting.staff."+st.Key+".phone", st.Phone, FeatureStaffRouting, FunctionTwilioVoice)
		}
	}
	// collect_voicemail texts the staff member the message is for (with
	// voicemail handling) and the admin numbers (with sms.enabled).
	texts := false
	if f.VoicemailHandling {
		for _, st := range staff {
			add(UseSecret, "$.callRouting.staff."+st.Key+".phone", st.Phone, FeatureSMS, FunctionWsMessage)
			texts = texts || st.Phone != ""
		}
	}
	if b.SMS.Enabled {
		for i, n := range b.SMS.AdminNumbers {
			add(UseSecret, fmt.Sprintf("$.sms.adminNumbers[%d]", i), n, FeatureSMS, FunctionWsMessage)
			texts = true
		}
	}
	if texts {
		add(UseSMS, "$.sms", "", FeatureSMS, FunctionWsMessage)
	}
	if e := b.Email; f.EmailSummary && e.Provider != EmailDisabled {
		if e.Provider == EmailSES && e.FromEmail != "" {
			add(UseSender, "$.email.fromEmail", secret.Value(e.FromEmail), FeatureEmailSending, FunctionEmailSummary)
		}
		for _, s := range []struct {
			field string
			v     secret.Value
		}{{"apiKey", e.APIKey}, {"tenantId", e.TenantID}, {"clientId", e.ClientID}, {"clientSecret", e.ClientSecret}, {"senderEmail", e.SenderEmail}} {
			add(UseSecret, "$.email."+s.field, s.v, FeatureEmailSending, FunctionEmailSummary)
		}
	}
	if f.AppointmentBooking {
		if g := b.Calendar.Google; b.Calendar.Provider == CalendarGoogle && g != nil {
			for _, s := range []struct {
				field string
				v     secret.Value
			}{{"serviceAccountEmail", g.ServiceAccountEmail}, {"privateKey", g.PrivateKey}, {"calendarId", g.CalendarID}, {"projectId", g.ProjectID}} {
				add(UseSecret, "$.calendar.google."+s.field, s.v, FeatureBooking, FunctionWsMessage)
			}
		}
		if m := b.Calendar.Microsoft; b.Calendar.Provider == CalendarMicrosoft && m != nil {
			for _, s := range []struct {
				field string
				v     secret.Value
			}{{"tenantId", m.TenantID}, {"clientId", m.ClientID}, {"clientSecret", m.ClientSecret}, {"userId", m.UserID}, {"calendarId", m.CalendarID}} {
				add(UseSecret, "$.calendar.microsoft."+s.field, s.v, FeatureBooking, FunctionWsMessage)
			}
		}
	}
	return out
}
