package business

import (
	"fmt"
	"strings"

	"github.com/ahca/ahca/pkg/secret"
)

// checkFeatures enforces what each enabled feature needs from the rest of the
// config, so a business is never onboarded with a switch that cannot work.
func checkFeatures(f *file, b *Business) {
	ft := b.Features
	if ft.EmergencyCallHandling && (b.Company.Emergency == nil || b.Company.Emergency.Phone == "") {
		f.problem(nil, "$.companyInfo.emergencyContact.phone", "missing: features.emergencyCallHandling is on, so want the number emergency calls are transferred to")
	}
	if ft.OnlyAnswerDuringBusinessHours {
		if b.OperatingHours == nil {
			f.problem(nil, "$.operatingHours", "missing: features.onlyAnswerDuringBusinessHours is on, so want operatingHours {timezone, schedule}")
		} else if b.OperatingHours.Timezone == "" && b.Timezone == "UTC" {
			f.problem(nil, "$.operatingHours.timezone", "missing: features.onlyAnswerDuringBusinessHours is on, so want the IANA time zone the hours are in")
		}
	}
	if ft.AfterHoursGreeting && b.Agent.AfterHoursGreeting == "" {
		f.problem(nil, "$.promptConfig.afterHoursGreeting", "missing: features.afterHoursGreeting is on, so want the text callers hear after hours")
	}
	if ft.CallForwarding {
		if len(b.CallRouting.Staff) == 0 {
			f.problem(nil, "$.callRouting.staff", "missing: features.callForwarding is on, so want at least one staff member {name, phone, handles}")
		}
		for _, st := range b.CallRouting.Staff {
			if len(st.Handles) == 0 {
				f.problem(nil, "$.callRouting.staff."+st.Key+".handles", "missing: want the intents this staff member handles, e.g. [\"billing\"]")
			}
		}
	}
	if ft.AppointmentBooking {
		switch b.Calendar.Provider {
		case CalendarDisabled:
			f.problem(nil, "$.calendar.provider", "is disabled but features.appointmentBooking is on: want builtin, google or microsoft")
		case CalendarGoogle:
			g := b.Calendar.Google
			if g == nil || g.ServiceAccountEmail == "" || g.PrivateKey == "" || g.CalendarID == "" {
				f.problem(nil, "$.calendar.google", "incomplete: calendar.provider is google, so want serviceAccountEmail, privateKey and calendarId")
			}
		case CalendarMicrosoft:
			m := b.Calendar.Microsoft
			if m == nil || m.TenantID == "" || m.ClientID == "" || m.ClientSecret == "" || m.UserID == "" {
				f.problem(nil, "$.calendar.microsoft", "incomplete: calendar.provider is microsoft, so want tenantId, clientId, clientSecret and userId")
			}
		}
		if b.Calendar.BusinessHours == nil {
			f.problem(nil, "$.calendar.businessHours", "missing: features.appointmentBooking is on, so want {start, end, daysOfWeek}")
		}
	}
	checkEmailProvider(f, b)
	if b.Intake.Required == nil {
		b.Intake.Required = []string{}
		if ft.BasicInfoCollection {
			b.Intake.Required = []string{FieldName, FieldPhone, FieldReason}
		}
	}
}

func checkEmailProvider(f *file, b *Business) {
	e := b.Email
	if !b.Features.EmailSummary || e.Provider == EmailDisabled {
		return
	}
	if len(e.Recipients) == 0 {
		f.warn(nil, "$.email.notificationRecipients", "no recipients: no summary email will be sent for this business")
	}
	need := func(v any, field string) {
		if v == "" || v == secret.Value("") {
			f.problem(nil, "$.email."+field, "missing: email.provider is %s, so want %s", e.Provider, field)
		}
	}
	switch e.Provider {
	case EmailSES:
		need(e.FromEmail, "fromEmail")
	case EmailMailchimpTransactional, EmailResend:
		need(e.FromEmail, "fromEmail")
		need(e.APIKey, "apiKey")
	case EmailMailchimpMarketing:
		need(e.FromEmail, "fromEmail")
		need(e.APIKey, "apiKey")
		need(e.AudienceID, "audienceId")
		if e.CallerCopy {
			f.warn(nil, "$.email.sendCallerCopy", "mailchimp-marketing sends campaigns to subscribed members only, so callers get no copy: use ses or mailchimp-transactional for caller copies")
		}
	case EmailMicrosoftGraph:
		need(e.TenantID, "tenantId")
		need(e.ClientID, "clientId")
		need(e.ClientSecret, "clientSecret")
		if e.SenderEmail == "" && e.FromEmail == "" {
			f.problem(nil, "$.email.senderEmail", "missing: email.provider is microsoft-graph, so want senderEmail (the mailbox that sends)")
		}
	}
}

// checkSecrets walks a whole file, ignored fields included, and rejects a
// plain-text value in any field whose name says it holds a secret, and any
// malformed reference; it warns about placeholders left in. Secrets live in the environment, SSM or Secrets
// Manager; a config file is copied around too freely to hold one.
func checkSecrets(f *file, n *node, path string) {
	switch n.kind {
	case kindObject:
		for _, m := range n.members {
			p := path + "." + m.key
			if m.val.kind == kindString && secret.IsSecretField(m.key) && m.val.str != "" {
				if _, isRef, err := secret.ParseRef(m.val.str); err == nil && !isRef {
					f.problem(m.val, p, "plain-text secret: want a reference such as ${ENV_NAME}, ssm:/path or secretsmanager:name")
				}
			}
			checkSecrets(f, m.val, p)
		}
	case kindArray:
		for i, it := range n.items {
			checkSecrets(f, it, fmt.Sprintf("%s[%d]", path, i))
		}
	case kindString:
		if _, _, err := secret.ParseRef(n.str); err != nil {
			f.problem(n, path, "%v", err)
		}
		if strings.Contains(n.str, Placeholder) {
			f.warn(n, path, "%s%s", placeholderMsg, n.str)
		}
	}
}

// Placeholder marks, in a value, text an operator must replace (`ahca
// configs new` writes it); validation warns about every value holding it.
const Placeholder = "TODO"

const placeholderMsg = "placeholder still to fill in: "

// Placeholder returns the value of a warning about a placeholder left in,
// and whether p is one.
func (p Problem) Placeholder() (string, bool) { return strings.CutPrefix(p.Msg, placeholderMsg) }
