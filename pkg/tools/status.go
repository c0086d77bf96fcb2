package tools

import (
	"slices"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
)

// Fields holds one string per caller field, in the order name, phone,
// email, reason; empty ones are left out of its JSON.
type Fields struct {
	Name   string `json:"name,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Get returns the value of a field by name (business.FieldName, ...).
func (f Fields) Get(field string) string {
	switch field {
	case business.FieldName:
		return f.Name
	case business.FieldPhone:
		return f.Phone
	case business.FieldEmail:
		return f.Email
	case business.FieldReason:
		return f.Reason
	}
	return ""
}

func (f *Fields) set(field, v string) {
	switch field {
	case business.FieldName:
		f.Name = v
	case business.FieldPhone:
		f.Phone = v
	case business.FieldEmail:
		f.Email = v
	case business.FieldReason:
		f.Reason = v
	}
}

func (f Fields) empty() bool { return f == Fields{} }

// allFields is every caller field, in order.
var allFields = []string{business.FieldName, business.FieldPhone, business.FieldEmail, business.FieldReason}

// Collection is what a business requires from a caller and what the
// session holds. Caller.CallerID (the number Twilio reported) is never part
// of it.
type Collection struct {
	// Required is b.Intake.Required: what must be collected before the
	// conversation may end.
	Required []string `json:"required"`
	// Collected holds every field with a value, required or not; a phone
	// number in display form, "(503) 555-0142".
	Collected Fields `json:"collected"`
	// PhoneForSpeech is the collected number digit by digit, for reading
	// back on the phone.
	PhoneForSpeech string `json:"phone_for_speech,omitempty"`
	// Missing is the required fields with no value that the caller has not
	// declined, in Required's order.
	Missing []string `json:"missing"`
	// Declined is required fields the caller declined to give (recorded by
	// the scripted agent in session.Intake.Skipped); they do not block the
	// end of the conversation.
	Declined []string `json:"declined,omitempty"`
	// Unverified is fields holding what the caller said rather than a
	// validated value (session.Intake.Unvalidated).
	Unverified []string `json:"unverified,omitempty"`
	// Complete reports that nothing is missing.
	Complete bool `json:"complete"`
}

// Status returns the collection status of s for its business b.
func Status(b *business.Business, s *session.Session) Collection {
	c := Collection{Required: slices.Clone(b.Intake.Required), Missing: []string{}}
	if c.Required == nil {
		c.Required = []string{}
	}
	have := CallerFields(s.Caller)
	for _, f := range allFields {
		v := have.Get(f)
		if v == "" {
			continue
		}
		if f == business.FieldPhone {
			if n, err := phone.ValidateNANP(v); err == nil {
				v = n.Display
				c.PhoneForSpeech = n.ForSpeech
			}
		}
		c.Collected.set(f, v)
		if s.State.Intake.IsUnvalidated(f) {
			c.Unverified = append(c.Unverified, f)
		}
	}
	for _, f := range c.Required {
		switch {
		case have.Get(f) != "":
		case s.State.Intake.IsSkipped(f):
			c.Declined = append(c.Declined, f)
		default:
			c.Missing = append(c.Missing, f)
		}
	}
	c.Complete = len(c.Missing) == 0
	return c
}

// Next is the missing field to ask for next: the reason first (a greeting
// asks for it), then Required's order; "" when nothing is missing.
func (c Collection) Next() string {
	if slices.Contains(c.Missing, business.FieldReason) {
		return business.FieldReason
	}
	if len(c.Missing) > 0 {
		return c.Missing[0]
	}
	return ""
}

// CallerFields copies the collectable fields of c; CallerID is not one.
func CallerFields(c session.Caller) Fields {
	return Fields{Name: c.Name, Phone: c.Phone, Email: c.Email, Reason: c.Reason}
}

// collects reports whether b collects caller details at all.
func collects(b *business.Business) bool {
	return b.Features.BasicInfoCollection || len(b.Intake.Required) > 0
}
