package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/contact"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/speech"
)

// The phone call tools: route_call (features.callForwarding) and
// collect_voicemail (features.voicemailHandling). Register them with
// CallTools; they end the ConversationRelay session with handoff data that
// the Connect action webhook (pkg/twiliovoice) turns into a <Dial> or a
// hangup.

// Tool names.
const (
	NameRouteCall        = "route_call"
	NameCollectVoicemail = "collect_voicemail"
)

// SMS sends a text message to an E.164 number. twiliovoice.TwilioSMS
// implements it with Twilio's Messages API.
type SMS interface {
	Send(ctx context.Context, to, body string) error
}

// CallTools returns route_call and collect_voicemail. sms sends the
// voicemail texts (nil sends none); resolve turns the staff's and admins'
// phone references (${ENV}, ssm:...) into numbers at use.
func CallTools(sms SMS, resolve func(ctx context.Context, v secret.Value) (string, error)) []Def {
	return []Def{RouteCall(), CollectVoicemail(sms, resolve)}
}

// ---------------------------------------------------------------------------
// route_call

// RouteCall is route_call: it picks the staff member of callRouting.staff
// whose handles include the intent (else the one handling "default"),
// returns the sentence to say, and ends the conversation with a transfer
// handoff, which the Connect action answers with a <Dial>. It refuses on a
// web chat, in an after-hours voicemail call, and to re-dial the person who
// just did not answer. Enabled by features.callForwarding.
func RouteCall() Def {
	return Def{
		Name: NameRouteCall,
		Description: "Transfer this phone call to the right person at the business, when the caller asks for someone or needs " +
			"something only staff can do. intent is what the call is about in a word or two (for example billing, " +
			"prescriptions, appointments) or the person's name; an unknown intent is refused with the list of valid ones. " +
			"The result has the sentence to say: say it in this same reply and nothing after it; the call is transferred " +
			"when your reply ends.",
		Parameters: objectSchema([]string{"intent"},
			`"intent": {"type": "string", "minLength": 1, "maxLength": 64, "description": "What the caller needs, in a word or two (e.g. \"billing\", \"prescriptions\"), or the name of the person they asked for."}`,
			`"reason": {"type": "string", "maxLength": 300, "description": "Why the caller is calling, in one short sentence in their words."}`),
		Enabled: CanRoute,
		Run:     withArgs(runRouteCall),
	}
}

type routeResult struct {
	Transferring bool   `json:"transferring"`
	Staff        string `json:"staff"`
	Role         string `json:"role,omitempty"`
	Matched      string `json:"matched"`
	Say          string `json:"say"`
	Note         string `json:"note"`
}

type routeArgs struct {
	Intent string `json:"intent"`
	Reason string `json:"reason"`
}

func runRouteCall(_ context.Context, env Env, a routeArgs) (Outcome, error) {
	b, s := env.Business, env.Session
	st, matched, ok := MatchStaff(b, a.Intent, true)
	switch err := CheckTransfer(s, st); {
	case err != nil && !errors.Is(err, ErrTransferUnanswered):
		return Outcome{}, Invalidf("%v; %s", err, messageInstead(b))
	case !ok:
		return Outcome{}, Invalidf("no one handles %q; valid intents: %s. Use the closest one, or ask the caller what the call is about",
			strings.TrimSpace(a.Intent), strings.Join(intents(b), ", "))
	case err != nil:
		return Outcome{}, Invalidf("%s %v, so do not transfer to them again; %s", st.Name, err, messageInstead(b))
	}
	out := Outcome{}
	if reason := clip(oneLine(a.Reason), maxReason); reason != "" && s.Caller.Reason == "" && !placeholder(reason) {
		s.Caller.Reason = reason
		out.CallerUpdated = true
	}
	say, h, ev := BeginTransfer(s, st, matched)
	res := Result(routeResult{
		Transferring: true, Staff: st.Name, Role: st.Role, Matched: matched, Say: say,
		Note: "Say exactly the sentence in say, in this reply, and nothing after it: the call is transferred when your reply ends.",
	})
	out.Content = res.Content
	out.End = true
	out.Handoff = h
	out.Event = &ev
	return out, nil
}

// Why a transfer cannot happen (CheckTransfer).
var (
	ErrTransferWeb        = errors.New("transfers are only possible on phone calls")
	ErrTransferClosed     = errors.New("the business is closed, so nobody can take a transfer now")
	ErrTransferUnanswered = errors.New("did not answer a moment ago")
)

// CheckTransfer says why the call in s cannot be transferred to st (nil
// when it can): not a phone call, an after-hours voicemail call, or st is
// who just did not answer. route_call and the scripted agent both ask it.
func CheckTransfer(s *session.Session, st business.Staff) error {
	switch {
	case s.Channel != session.ChannelPhone:
		return ErrTransferWeb
	case s.State.Call.Mode == session.CallVoicemail:
		return ErrTransferClosed
	case st.Key != "" && s.State.Call.ResumeStaff == st.Key:
		return ErrTransferUnanswered
	}
	return nil
}

// BeginTransfer records a transfer to st on s and returns the sentence to
// say, the handoff that ends the relay (the Connect action dials st) and
// the call_transfer event. matched is what the caller's words matched.
func BeginTransfer(s *session.Session, st business.Staff, matched string) (string, *agent.Handoff, agent.Event) {
	s.State.Call.TransferStaff = st.Key
	return fmt.Sprintf("I'll connect you with %s now. Please hold for a moment.", st.Name),
		&agent.Handoff{Reason: agent.HandoffTransfer, Staff: st.Key, Name: st.Name},
		agent.Event{Kind: agent.EventCallTransfer, Detail: fmt.Sprintf("%s (%s): %s", st.Key, st.Name, matched)}
}

// CanRoute reports whether the business transfers calls to staff
// (features.callForwarding with a staff directory).
func CanRoute(b *business.Business) bool {
	return b.Features.CallForwarding && len(b.CallRouting.Staff) > 0
}

func messageInstead(b *business.Business) string {
	if b.Features.VoicemailHandling {
		return "offer to take a message and save it with collect_voicemail"
	}
	return "offer to take the caller's details so the team can call back"
}

// MatchStaff finds who handles what the caller said: a handles entry, a
// staff key or a staff name (case-insensitive, a plural 's' ignored); with
// fallback, else the staff member handling "default". matched is the
// handles entry (or key or name) that matched, or "default".
func MatchStaff(b *business.Business, said string, fallback bool) (business.Staff, string, bool) {
	want := norm(said)
	if want != "" {
		for _, st := range b.CallRouting.Staff {
			for _, h := range st.Handles {
				if norm(h) == want {
					return st, h, true
				}
			}
		}
		for _, st := range b.CallRouting.Staff {
			first, _, _ := strings.Cut(st.Name, " ")
			if norm(st.Key) == want || norm(st.Name) == want || norm(first) == want {
				return st, st.Name, true
			}
		}
	}
	if fallback {
		for _, st := range b.CallRouting.Staff {
			if slices.ContainsFunc(st.Handles, func(h string) bool { return norm(h) == "default" }) {
				return st, "default", true
			}
		}
	}
	return business.Staff{}, "", false
}

// StaffByKey is the staff member with key.
func StaffByKey(b *business.Business, key string) (business.Staff, bool) {
	for _, st := range b.CallRouting.Staff {
		if st.Key == key && key != "" {
			return st, true
		}
	}
	return business.Staff{}, false
}

// StaffIn finds the staff member the caller's words name anywhere in text
// ("someone in billing", "Jordan, please"): a handles entry (but
// "default"), a staff key, name or first name, as whole words with a
// plural 's' ignored; the earliest mention wins. matched is what matched.
func StaffIn(b *business.Business, text string) (st business.Staff, matched string, ok bool) {
	words := normWords(text)
	at := len(words)
	try := func(x business.Staff, said string) {
		w := normWords(said)
		if len(w) == 0 || norm(said) == "default" {
			return
		}
		for i := 0; i+len(w) <= len(words) && i < at; i++ {
			if slices.Equal(words[i:i+len(w)], w) {
				st, matched, ok, at = x, said, true, i
				return
			}
		}
	}
	for _, x := range b.CallRouting.Staff {
		for _, h := range x.Handles {
			try(x, h)
		}
		first, _, _ := strings.Cut(x.Name, " ")
		for _, n := range []string{x.Key, x.Name, first} {
			try(x, n)
		}
	}
	return st, matched, ok
}

// normWords is text as words compared the way norm compares them.
func normWords(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	for i, w := range f {
		f[i] = norm(w)
	}
	return f
}

func norm(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if len(s) > 3 {
		s = strings.TrimSuffix(s, "s")
	}
	return s
}

// intents lists every handles entry (but "default") and staff name.
func intents(b *business.Business) []string {
	var out []string
	add := func(s string) {
		if s != "" && norm(s) != "default" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, st := range b.CallRouting.Staff {
		for _, h := range st.Handles {
			add(h)
		}
	}
	for _, st := range b.CallRouting.Staff {
		add(st.Name)
	}
	return out
}

// ---------------------------------------------------------------------------
// collect_voicemail

// CollectVoicemail is collect_voicemail: it saves the caller's message on
// the session (Caller and State.Voicemail), texts it to the
// intended staff member and, when sms.enabled, to the business's
// sms.adminNumbers, and ends the conversation with a voicemail handoff. A
// failed text does not fail the tool: the message is saved and reaches the
// business in the summary email; Outcome.Err reports the failure. Enabled
// by features.voicemailHandling.
func CollectVoicemail(sms SMS, resolve func(ctx context.Context, v secret.Value) (string, error)) Def {
	return Def{
		Name: NameCollectVoicemail,
		Description: "Take a message for the business when nobody can take the call: after a transfer was not answered, " +
			"after hours, or when the caller asks to leave one. First ask for the caller's name, a callback number and the " +
			"message, then call this once. It saves the message, texts it to the staff member and ends the call: in the same " +
			"reply, thank the caller, say who will call back, and say goodbye.",
		Parameters: objectSchema([]string{"reason"},
			`"name": {"type": "string", "maxLength": 100, "description": "The caller's name as they said or spelled it."}`,
			`"phone": {"type": "string", "maxLength": 64, "description": "The number to call back, as the caller said it (digits or words). Leave it out only if the caller wants a call back on the number they are calling from."}`,
			`"reason": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "The message: what the caller needs, in one to three sentences in their words."}`,
			`"intended_recipient": {"type": "string", "maxLength": 100, "description": "Who the message is for: a person's name, a team, or what it is about (e.g. \"billing\"). Leave it out for whoever the caller was being transferred to."}`),
		Enabled: func(b *business.Business) bool { return b.Features.VoicemailHandling },
		Run: withArgs(func(ctx context.Context, env Env, a voicemailArgs) (Outcome, error) {
			return runCollectVoicemail(ctx, env, a, sms, resolve)
		}),
	}
}

type voicemailResult struct {
	Saved           bool   `json:"saved"`
	For             string `json:"for"`
	Notified        int    `json:"texts_sent"`
	CallBack        string `json:"callback_number_for_speech,omitempty"`
	CallsBackCaller bool   `json:"callback_is_calling_number,omitempty"`
	Note            string `json:"note"`
}

type voicemailArgs struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Reason    string `json:"reason"`
	Recipient string `json:"intended_recipient"`
}

func runCollectVoicemail(ctx context.Context, env Env, a voicemailArgs, sms SMS, resolve func(context.Context, secret.Value) (string, error)) (Outcome, error) {
	b, s := env.Business, env.Session
	reason := clip(oneLine(a.Reason), maxReason)
	if reason == "" || placeholder(reason) {
		return Outcome{}, Invalidf("no message: ask the caller what the message is, then call collect_voicemail with it as reason")
	}
	name := ""
	if v := strings.TrimSpace(a.Name); v != "" && !placeholder(v) {
		name = contact.NormalizeName(v)
	}
	if name == "" {
		name = s.Caller.Name
	}
	var callback phone.NANP
	source := "caller"
	switch {
	case strings.TrimSpace(a.Phone) != "":
		n, err := speech.CheckPhone(a.Phone)
		if err != nil {
			return Outcome{}, Invalidf("the callback number was not saved: %v. Ask the caller for it again, then call collect_voicemail again", err)
		}
		callback = n
	case s.Caller.Phone != "":
		n, err := speech.CheckPhone(s.Caller.Phone)
		if err == nil {
			callback = n
		}
	case s.Caller.CallerID != "":
		if n, err := speech.CheckPhone(s.Caller.CallerID); err == nil {
			callback, source = n, "caller_id"
		}
	}
	if callback.E164 == "" {
		return Outcome{}, Invalidf("no callback number: ask the caller for a number to call back (or whether to use the number they are calling from), then call collect_voicemail again")
	}

	// Whom the message is for: who they asked for, else who did not answer,
	// else whoever handles "default".
	var st business.Staff
	var haveStaff bool
	if a.Recipient != "" {
		st, _, haveStaff = MatchStaff(b, a.Recipient, false)
	}
	if !haveStaff {
		st, haveStaff = StaffByKey(b, s.State.Call.ResumeStaff)
	}
	if !haveStaff {
		st, _, haveStaff = MatchStaff(b, "", true)
	}
	forWhom := "the team"
	if haveStaff {
		forWhom = st.Name
	}

	out := Outcome{}
	if name != "" && s.Caller.Name != name {
		s.Caller.Name, out.CallerUpdated = name, true
	}
	if source == "caller" && s.Caller.Phone != callback.E164 {
		s.Caller.Phone, out.CallerUpdated = callback.E164, true
	}
	if s.Caller.Reason == "" {
		s.Caller.Reason, out.CallerUpdated = reason, true
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	vm := &session.Voicemail{Name: name, Phone: callback.E164, PhoneSource: source, Reason: reason, For: st.Key,
		At: now.UTC().Truncate(time.Second)}
	if prev := s.State.Voicemail; prev != nil {
		vm.Notified, vm.Sent = prev.Notified, prev.Sent
	}
	s.State.Voicemail = vm

	// Text it, once per distinct message.
	caller := name
	if caller == "" {
		caller = "a caller"
	}
	display := callback.Display
	if source == "caller_id" {
		display += " (caller ID)"
	}
	// The caller's words are marked as theirs and their links defused: the
	// text comes from the business's number, the words from anyone.
	body := fmt.Sprintf("%s: message for %s from %s, call back %s. Caller said (unverified): \"%s\"", b.DisplayName(), forWhom, Defuse(caller), display, Defuse(reason))
	digest := sha256.Sum256([]byte(body))
	sum := hex.EncodeToString(digest[:8])
	sent := vm.Notified
	var errs []error
	if vm.Sent != sum {
		sent = 0
		var targets []secret.Value
		if haveStaff && st.Phone != "" {
			targets = append(targets, st.Phone)
		}
		if b.SMS.Enabled {
			targets = append(targets, b.SMS.AdminNumbers...)
		}
		var numbers []string
		for _, v := range targets {
			n, err := resolveNumber(ctx, v, resolve)
			if err != nil {
				errs = append(errs, fmt.Errorf("voicemail text to %s: %w", v.Redacted(), err))
				continue
			}
			if !slices.Contains(numbers, n) {
				numbers = append(numbers, n)
			}
		}
		if sms == nil && len(numbers) > 0 {
			errs = append(errs, errors.New("voicemail texts: no SMS sender configured"))
			numbers = nil
		}
		for _, n := range numbers {
			if err := sms.Send(ctx, n, body); err != nil {
				errs = append(errs, fmt.Errorf("voicemail text: %w", err))
				continue
			}
			sent++
		}
		vm.Sent, vm.Notified = sum, sent
	}

	who := forWhom
	if !haveStaff {
		who = "someone from the team"
	}
	res := voicemailResult{
		Saved: true, For: forWhom, Notified: sent, CallsBackCaller: source == "caller_id",
		Note: fmt.Sprintf("The message is saved for %s. In this reply: thank the caller, tell them %s will call them back, and say goodbye; the call ends after your reply.", forWhom, who),
	}
	if source == "caller" {
		res.CallBack = callback.ForSpeech
	}
	out.Content = Result(res).Content
	out.End = true
	out.Handoff = &agent.Handoff{Reason: agent.HandoffVoicemail}
	out.Event = &agent.Event{Kind: agent.EventVoicemail, Detail: fmt.Sprintf("message for %s; %d text(s) sent", forWhom, sent)}
	out.Err = errors.Join(errs...)
	return out, nil
}

// resolveNumber resolves a phone reference and checks it is E.164.
func resolveNumber(ctx context.Context, v secret.Value, resolve func(context.Context, secret.Value) (string, error)) (string, error) {
	s := string(v)
	if v.IsRef() {
		if resolve == nil {
			return "", errors.New("no secret resolver configured")
		}
		var err error
		if s, err = resolve(ctx, v); err != nil {
			return "", err
		}
	}
	return phone.ParseE164(s)
}
