package tools

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/contact"
	"github.com/ahca/ahca/pkg/speech"
)

// Tool names.
const (
	NameUpdateUserInfo      = "update_user_info"
	NameValidatePhoneNumber = "validate_phone_number"
	NameGetCollectionStatus = "get_collection_status"
	NameGetCompanyInfo      = "get_company_info"
	NameEndConversation     = "end_conversation"
)

// ---------------------------------------------------------------------------
// validate_phone_number

// ValidatePhoneNumber is validate_phone_number: NANP validation of a number
// the caller gave, written or spoken ("five oh three ..."). It only
// validates; update_user_info stores. Enabled when the business collects
// basic info or requires a phone number.
func ValidatePhoneNumber() Def {
	return Def{
		Name: NameValidatePhoneNumber,
		Description: "Check a phone number the caller gave before saving or reading it back. US and Canadian numbers only: " +
			"10 digits, or 11 starting with 1; the area code and the next three digits cannot start with 0 or 1; letters are rejected. " +
			"Pass the digits as heard, written or spoken (\"503 555 0142\", \"five oh three, five five five, oh one four two\"). " +
			"Returns cleaned_phone, phone_for_speech (read this back, one digit at a time) and display, or valid=false with a reason " +
			"you can say to the caller. It does not save the number: save it with update_user_info.",
		Parameters: objectSchema([]string{"phone_number"},
			`"phone_number": {"type": "string", "minLength": 1, "maxLength": 64, "description": "The number exactly as the caller gave it, digits or spoken words, without any other words."}`),
		Enabled: func(b *business.Business) bool {
			return b.Features.BasicInfoCollection || slices.Contains(b.Intake.Required, business.FieldPhone)
		},
		Run: withArgs(runValidatePhone),
	}
}

type phoneResult struct {
	Valid          bool   `json:"valid"`
	CleanedPhone   string `json:"cleaned_phone,omitempty"`
	PhoneForSpeech string `json:"phone_for_speech,omitempty"`
	Display        string `json:"display,omitempty"`
	E164           string `json:"e164,omitempty"`
	Reason         string `json:"reason,omitempty"`
	DigitsHeard    string `json:"digits_heard,omitempty"`
	Note           string `json:"note,omitempty"`
}

type phoneArgs struct {
	PhoneNumber string `json:"phone_number"`
}

func runValidatePhone(_ context.Context, _ Env, a phoneArgs) (Outcome, error) {
	n, err := speech.CheckPhone(a.PhoneNumber)
	if err != nil {
		res := phoneResult{Reason: err.Error(), DigitsHeard: speech.DigitsOnly(speech.DigitsFromSpeech(a.PhoneNumber)),
			Note: "Tell the caller in plain words and ask for the number again."}
		out := Result(res)
		out.Event = &agent.Event{Kind: agent.EventPhoneInvalid, Detail: err.Error()}
		return out, nil
	}
	out := Result(phoneResult{Valid: true, CleanedPhone: n.Cleaned, PhoneForSpeech: n.ForSpeech, Display: n.Display, E164: n.E164,
		Note: "Validated, not saved: read it back and save it with update_user_info."})
	out.Event = &agent.Event{Kind: agent.EventPhoneValidated, Detail: n.Display}
	return out, nil
}

// ---------------------------------------------------------------------------
// update_user_info

// UpdateUserInfo is update_user_info: it saves what the caller told about
// themselves into Session.Caller. A value given overwrites the stored one
// (corrections); a phone number is validated and stored in E.164, an email
// address is normalized (contact.NormalizeEmail) and a name tidied
// (contact.NormalizeName). A value that fails is not stored and the result
// says why, while the other values of the call are stored. It never touches
// Caller.CallerID. Enabled when the business collects caller details
// (basicInfoCollection or any required field).
func UpdateUserInfo() Def {
	return Def{
		Name: NameUpdateUserInfo,
		Description: "Save details the caller gave about themselves, as soon as you hear them. Give only the fields you learned or " +
			"that the caller corrected; a value overwrites the saved one. The phone number is validated (US/Canada) and the email " +
			"normalized: spelled or spoken forms such as \"j o h n at gmail dot com\" are accepted. Never guess or invent a value, " +
			"and never use the number the caller is calling from unless they say it. The result lists what was saved, what was " +
			"not and why, and which required details are still missing.",
		Parameters: objectSchema(nil,
			`"name": {"type": "string", "maxLength": 100, "description": "The caller's name as they said or spelled it, e.g. \"Jamie Rivera\" or \"J A M I E\"."}`,
			`"phone": {"type": "string", "maxLength": 64, "description": "A callback number the caller said, digits or spoken words."}`,
			`"email": {"type": "string", "maxLength": 254, "description": "The caller's email address, written or as spoken, e.g. \"john dot smith at example dot org\"."}`,
			`"reason": {"type": "string", "maxLength": 1000, "description": "Why the caller is calling, in one or two short sentences in their words."}`),
		Enabled: collects,
		Run:     withArgs(runUpdateUserInfo),
	}
}

type updateResult struct {
	Saved          *Fields  `json:"saved,omitempty"`
	PhoneForSpeech string   `json:"phone_for_speech,omitempty"`
	NotSaved       *Fields  `json:"not_saved,omitempty"` // field → why it was not saved
	Missing        []string `json:"missing_required"`
	Complete       bool     `json:"all_required_collected"`
	Note           string   `json:"note,omitempty"`
}

// maxReason bounds a stored reason, in characters.
const maxReason = 500

// placeholders are what a model writes for a value it does not have.
var placeholders = map[string]bool{
	"unknown": true, "n/a": true, "na": true, "none": true, "null": true, "nil": true, "undefined": true,
	"not provided": true, "not given": true, "caller": true, "anonymous": true, "tbd": true, "-": true,
}

// placeholder reports whether v, in any case, is one of the placeholders.
func placeholder(v string) bool { return placeholders[strings.ToLower(v)] }

func runUpdateUserInfo(_ context.Context, env Env, a Fields) (Outcome, error) {
	given := Fields{
		Name:   strings.TrimSpace(a.Name),
		Phone:  strings.TrimSpace(a.Phone),
		Email:  strings.TrimSpace(a.Email),
		Reason: strings.TrimSpace(a.Reason),
	}
	if given.empty() {
		return Outcome{}, Invalidf("no details given: pass at least one of name, phone, email or reason, with the value the caller gave")
	}
	s := env.Session
	var saved, notSaved Fields
	var forSpeech string
	var updates []string
	var ev *agent.Event
	store := func(field, value string) {
		saved.set(field, value)
		s.State.Intake.FieldSet(field)
		cur := CallerFields(s.Caller)
		if cur.Get(field) == value {
			return
		}
		switch field {
		case business.FieldName:
			s.Caller.Name = value
		case business.FieldPhone:
			s.Caller.Phone = value
		case business.FieldEmail:
			s.Caller.Email = value
		case business.FieldReason:
			s.Caller.Reason = value
		}
		updates = append(updates, field+"="+value)
	}
	if v := given.Name; v != "" {
		switch name := contact.NormalizeName(v); {
		case placeholder(v):
			notSaved.Name = "not a name: leave name out until the caller gives it"
		case name == "":
			notSaved.Name = "a name needs letters"
		default:
			store(business.FieldName, name)
		}
	}
	if v := given.Phone; v != "" {
		if n, err := speech.CheckPhone(v); err != nil {
			notSaved.Phone = err.Error()
			ev = &agent.Event{Kind: agent.EventPhoneInvalid, Detail: err.Error()}
		} else {
			store(business.FieldPhone, n.E164)
			saved.Phone = n.Display
			forSpeech = n.ForSpeech
		}
	}
	if v := given.Email; v != "" {
		if e, ok := contact.NormalizeEmail(v); ok {
			store(business.FieldEmail, e)
		} else {
			notSaved.Email = "not a complete email address; expected one address like name@example.com (spoken forms such as \"j o h n at gmail dot com\" are fine)"
			if ev == nil {
				ev = &agent.Event{Kind: agent.EventEmailInvalid, Detail: clip(v, 100)}
			}
		}
	}
	if v := given.Reason; v != "" {
		if placeholder(v) {
			notSaved.Reason = "not a reason: leave reason out until the caller says why they are calling"
		} else {
			store(business.FieldReason, clip(oneLine(v), maxReason))
		}
	}
	st := Status(env.Business, s)
	res := updateResult{PhoneForSpeech: forSpeech, Missing: st.Missing, Complete: st.Complete}
	if !saved.empty() {
		res.Saved = &saved
	}
	if !notSaved.empty() {
		res.NotSaved = &notSaved
		var again []string
		for _, f := range allFields {
			if notSaved.Get(f) != "" {
				again = append(again, f)
			}
		}
		res.Note = "Not saved: " + strings.Join(again, ", ") + ". Tell the caller briefly and ask again."
	}
	out := Result(res)
	out.CallerUpdated = len(updates) > 0
	if len(updates) > 0 {
		detail := strings.Join(updates, "; ")
		if notSaved.Phone != "" {
			detail += "; phone not saved: " + notSaved.Phone
		}
		ev = &agent.Event{Kind: agent.EventInfoUpdated, Detail: detail}
	}
	out.Event = ev
	return out, nil
}

// oneLine turns control characters into spaces and folds runs of white
// space into one, trimming both ends.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

// clip cuts s to at most n characters, at a word boundary when one is near,
// marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)[:n-1]
	cut := string(rs)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)*3/4 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// ---------------------------------------------------------------------------
// get_collection_status

// GetCollectionStatus is get_collection_status: which of the business's
// required fields are collected and which are missing, with the collected
// values. Enabled when the business collects caller details.
func GetCollectionStatus() Def {
	return Def{
		Name: NameGetCollectionStatus,
		Description: "See which caller details this business requires, which are saved (with their values) and which are " +
			"still missing. Use it before wrapping up, or when unsure what to ask next.",
		Parameters: json.RawMessage(`{"type": "object", "properties": {}, "additionalProperties": false}`),
		Enabled:    collects,
		Run: func(_ context.Context, env Env, _ json.RawMessage) (Outcome, error) {
			return Result(Status(env.Business, env.Session)), nil
		},
	}
}

// ---------------------------------------------------------------------------
// end_conversation

// EndConversation is end_conversation. It is refused, naming what is
// missing, while any field the business requires is missing (a field the
// caller declined to the scripted agent does not block it); otherwise the
// Outcome has End set and the engine ends the conversation after the
// model's final words. Every business has it.
func EndConversation() Def {
	return Def{
		Name: NameEndConversation,
		Description: "End the conversation after you have said goodbye in this same reply. Only when the caller has nothing " +
			"else and every required detail is saved; it is refused, naming what is missing, otherwise.",
		Parameters: objectSchema(nil,
			`"reason": {"type": "string", "maxLength": 200, "description": "Why the conversation is ending, in a few words, e.g. \"details collected\" or \"caller said goodbye\"."}`),
		Run: withArgs(runEnd),
	}
}

type endArgs struct {
	Reason string `json:"reason"`
}

func runEnd(_ context.Context, env Env, a endArgs) (Outcome, error) {
	st := Status(env.Business, env.Session)
	if !st.Complete {
		return Outcome{}, Invalidf("cannot end yet: this business requires %s, still missing: %s. Ask the caller for the %s first and save %s with update_user_info",
			strings.Join(st.Required, ", "), strings.Join(st.Missing, ", "), listAnd(st.Missing), plural(len(st.Missing), "it", "them"))
	}
	reason := clip(oneLine(a.Reason), 200)
	if reason == "" {
		reason = "completed"
	}
	out := Result(struct {
		Ending bool   `json:"ending"`
		Note   string `json:"note"`
	}{true, "The conversation ends after this reply: if you have not said goodbye yet, say a short goodbye now and ask nothing more."})
	out.End = true
	out.Event = &agent.Event{Kind: agent.EventEnd, Detail: reason}
	return out, nil
}

// listAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func listAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
