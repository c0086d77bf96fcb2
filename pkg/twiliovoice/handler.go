// Package twiliovoice is AHCA's phone front door: the Twilio Voice webhooks
// (POST /twilio/voice, /twilio/gather-action, /twilio/connect-action,
// /twilio/dial-action, /twilio/status), the TwiML they answer with, Twilio request signatures,
// the ConversationRelay WebSocket URL and its deterministic rebuild for the
// signed handshake, the session side of a call (SessionCalls) and text
// messages through Twilio's Messages API (TwilioSMS).
//
// The dialled number of a signed request chooses the business; there is no
// default business. Every request must carry a valid X-Twilio-Signature,
// computed over the configured public URL, never one guessed from headers.
//
// Call flow:
//
//	/twilio/voice           To → business. Unknown: Say + Hangup. Closed (onlyAnswerDuringBusinessHours):
//	                        the agent in voicemail mode when voicemailHandling is on; else the
//	                        after-hours greeting + Hangup, recorded as a session that ends at once
//	                        (a missed call), or, with an on-call number (emergencyCallHandling),
//	                        the greeting offering # in a <Gather action=gather-action>. Otherwise
//	                        Calls.Start, then <Connect action=connect-action><ConversationRelay>.
//	/twilio/gather-action   after hours: "#" → <Dial> the emergency contact; anything else → Hangup.
//	/twilio/connect-action  after the agent's `end {handoffData}`: emergency → <Dial> the emergency
//	                        contact with the caller's number as caller id; transfer → <Dial> the staff
//	                        member (timeout callRouting.callTimeout, action dial-action); else Hangup,
//	                        the session ended with the handoff's reason (none: the caller hung up).
//	/twilio/dial-action     completed → goodbye + Hangup; otherwise Calls.Resume and a new
//	                        ConversationRelay back to the agent, in the same session.
//
// What the webhooks do is recorded in the session for the summary email:
// the greetings Twilio says, unanswered and impossible transfers (events of
// package transcript) and the end reasons (transcript.End*).
//
//	/twilio/status          a terminal CallStatus → Calls.End.
package twiliovoice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// The webhook routes, relative to the public base URL.
const (
	PathVoice         = "/twilio/voice"
	PathGatherAction  = "/twilio/gather-action"
	PathConnectAction = "/twilio/connect-action"
	PathDialAction    = "/twilio/dial-action"
	PathStatus        = "/twilio/status"
)

var routes = []string{PathVoice, PathGatherAction, PathConnectAction, PathDialAction, PathStatus}

// MaxBody bounds a webhook body. Twilio's are a few kilobytes.
const MaxBody = 64 << 10

// Mode is how the agent handles a call.
type Mode string

const (
	// ModeConversation is the business's agent, as configured.
	ModeConversation Mode = "conversation"
	// ModeVoicemail is an after-hours call of a business with
	// voicemailHandling: the agent only takes a message.
	ModeVoicemail Mode = "voicemail"
	// ModeClosed is an after-hours call without voicemail: the after-hours
	// greeting (offering # when there is an on-call number), no agent.
	ModeClosed Mode = "closed"
)

// Call is a new inbound call, from a signed voice webhook.
type Call struct {
	SID  string // Twilio's CallSid
	From string // the caller id Twilio reported ("anonymous" and such included)
	Mode Mode
}

// ResumeEmergency is the staff key Resume gets when the emergency contact
// did not answer (a '#' cannot start a callRouting.staff key in practice).
const ResumeEmergency = session.ResumeEmergency

// Errors of Calls.
var (
	ErrUnknownCall = errors.New("no session for this call")
	ErrCallEnded   = errors.New("the call's session has ended")
)

// Calls is what the webhooks need from the session layer.
type Calls interface {
	// Start opens the call's session, bound to b. It is idempotent: a
	// retried webhook (same CallSid) opens nothing new and is not an error.
	Start(ctx context.Context, b *business.Business, call Call) error
	// Resume records that the caller returns to the agent after a transfer
	// to staffKey (a callRouting.staff key, or ResumeEmergency) was not
	// answered; the next ConversationRelay leg joins the same session. It
	// fails with ErrUnknownCall or ErrCallEnded.
	Resume(ctx context.Context, biz tenant.ID, callSID, staffKey string) error
	// End ends the call's session with reason (and events recorded with
	// it) unless it has ended already. It fails with ErrUnknownCall for a
	// call without a session.
	End(ctx context.Context, biz tenant.ID, callSID, reason string, events ...agent.Event) error
	// Pressed records a key the caller pressed at a webhook's <Gather>,
	// and the event it starts. It fails with ErrUnknownCall or
	// ErrCallEnded.
	Pressed(ctx context.Context, biz tenant.ID, callSID, digit string, ev agent.Event) error
}

// Configs finds the business a number routes to (business.Registry, which
// loads only that business). An error wrapping business.ErrUnknownBusiness
// means the number routes nowhere; any other error, that the configs are
// unavailable.
type Configs interface {
	ByNumber(ctx context.Context, number string) (*business.Business, error)
}

// Handler serves the four webhooks. Construct it with its dependencies; it
// is safe for concurrent use.
type Handler struct {
	Configs Configs
	Calls   Calls
	// AuthToken returns the account's auth token (the signing key).
	AuthToken func(ctx context.Context) (string, error)
	// PublicBaseURL is the scheme and host (and any base path) Twilio is
	// configured to call, e.g. https://abc.execute-api.us-west-2.amazonaws.com.
	// Signatures are computed over it + the route path (+ the query), so it
	// is configured, never taken from Host or X-Forwarded-* headers.
	PublicBaseURL string
	// WebSocketURL is the ConversationRelay base URL: the WebSocket API's
	// stage URL, e.g. wss://xyz.execute-api.us-west-2.amazonaws.com/dev.
	WebSocketURL string
	// Resolve turns a secret reference (staff and emergency phones may be
	// ${ENV} or ssm: references) into its value, at use.
	Resolve func(ctx context.Context, v secret.Value) (string, error)
	Now     func() time.Time
	Log     *slog.Logger
}

// params are a webhook's form parameters, first value of each: exactly what
// the signature was checked over, and the only values read after that.
type params map[string]string

type reply struct {
	status int
	body   string
}

func twimlReply(doc string) reply { return reply{http.StatusOK, doc} }

// ServeHTTP answers one webhook: 404 for another path, 405 for a method
// other than POST, 415 for a body that is not a form, 413 for one over
// MaxBody, 403 for a missing or invalid signature, 503 when the auth token
// is unavailable; otherwise TwiML (200) or, for /twilio/status, 204.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := routeOf(r.URL.Path)
	if route == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		plain(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		plain(w, http.StatusUnsupportedMediaType, "want an application/x-www-form-urlencoded body")
		return
	}
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.log().InfoContext(ctx, "webhook refused", "route", route, "status", http.StatusRequestEntityTooLarge)
			plain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", MaxBody))
			return
		}
		plain(w, http.StatusBadRequest, "could not read the body")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		plain(w, http.StatusBadRequest, "malformed form body")
		return
	}
	p := params{}
	for k, vs := range form {
		p[k] = vs[0]
	}
	if status, msg := h.authenticate(ctx, route, r, p); status != 0 {
		h.log().InfoContext(ctx, "webhook refused", "route", route, "status", status, "reason", msg)
		plain(w, status, msg)
		return
	}
	if sid := p["CallSid"]; sid != "" {
		ctx = tenant.WithCallSID(ctx, sid)
	}
	var rep reply
	switch route {
	case PathVoice:
		rep = h.voice(ctx, p)
	case PathGatherAction:
		rep = h.gatherAction(ctx, p)
	case PathConnectAction:
		rep = h.connectAction(ctx, p)
	case PathDialAction:
		rep = h.dialAction(ctx, p, r.URL.Query())
	case PathStatus:
		rep = h.status(ctx, p)
	}
	switch {
	case rep.status == http.StatusOK:
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, rep.body)
	case rep.status == http.StatusNoContent:
		w.WriteHeader(http.StatusNoContent)
	default:
		plain(w, rep.status, rep.body)
	}
}

// authenticate checks X-Twilio-Signature; it returns 0 when the request is
// Twilio's.
func (h *Handler) authenticate(ctx context.Context, route string, r *http.Request, p params) (int, string) {
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		return http.StatusForbidden, "missing " + SignatureHeader
	}
	if h.AuthToken == nil {
		return http.StatusServiceUnavailable, "not configured"
	}
	token, err := h.AuthToken(ctx)
	if err != nil || token == "" {
		h.log().ErrorContext(ctx, "twilio auth token unavailable", "err", err)
		return http.StatusServiceUnavailable, "temporarily unavailable"
	}
	if !Validate(token, h.signedURL(route, r.URL.RawQuery), p, sig) {
		return http.StatusForbidden, "invalid " + SignatureHeader
	}
	return 0, ""
}

// signedURL is the URL Twilio signed: the configured public base, the
// route, and the query exactly as requested.
func (h *Handler) signedURL(route, rawQuery string) string {
	u := h.url(route)
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return u
}

func (h *Handler) url(route string) string {
	return strings.TrimRight(h.PublicBaseURL, "/") + route
}

// routeOf maps a request path to its route. A stage or base-path prefix
// (/dev/twilio/voice) is allowed: the signature binds the route, not it.
func routeOf(p string) string {
	for _, r := range routes {
		if p == r || strings.HasSuffix(p, r) {
			return r
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// /twilio/voice

func (h *Handler) voice(ctx context.Context, p params) reply {
	sid := p["CallSid"]
	if sid == "" {
		return reply{http.StatusBadRequest, "missing CallSid"}
	}
	b, rep, ok := h.business(ctx, p)
	if !ok {
		return rep
	}
	ctx = tenant.WithBusiness(ctx, b.ID)
	mode := ModeConversation
	if !AnswersAt(b, h.now()) {
		if !b.Features.VoicemailHandling {
			return h.closed(ctx, b, sid, p["From"])
		}
		mode = ModeVoicemail
	}
	if err := h.Calls.Start(ctx, b, Call{SID: sid, From: p["From"], Mode: mode}); err != nil {
		h.log().ErrorContext(ctx, "start call failed", "err", err)
		return twimlReply(SayHangup(b.Voice.Language, technicalProblemText))
	}
	h.log().InfoContext(ctx, "call answered", "mode", string(mode))
	if mode == ModeVoicemail {
		return twimlReply(h.relay(b, sid, WelcomeGreeting(b, mode, ""), Param{"mode", string(ModeVoicemail)}))
	}
	return twimlReply(h.relay(b, sid, WelcomeGreeting(b, mode, "")))
}

// closed answers an after-hours call without voicemail: the after-hours
// greeting, offering # when the business has an on-call number. The call
// is recorded (a missed call, for the email's missed-call notice); without
// the offer it ends with the greeting.
func (h *Handler) closed(ctx context.Context, b *business.Business, sid, from string) reply {
	if err := h.Calls.Start(ctx, b, Call{SID: sid, From: from, Mode: ModeClosed}); err != nil {
		// The caller still hears the greeting; only the record is lost.
		h.log().ErrorContext(ctx, "start after-hours call failed", "err", err)
	}
	if emergencyOffered(b) {
		h.log().InfoContext(ctx, "call after hours: greeting offering the on-call line")
		return twimlReply(Gather{Action: h.url(PathGatherAction), Language: b.Voice.Language, Text: closedGreeting(b)}.TwiML())
	}
	h.log().InfoContext(ctx, "call after hours: greeting and hangup")
	h.end(ctx, b.ID, sid, transcript.EndAfterHours)
	return twimlReply(SayHangup(b.Voice.Language, closedGreeting(b)))
}

// emergencyOffered reports whether callers are told they can press # for
// the on-call line: emergencyCallHandling with an available contact.
func emergencyOffered(b *business.Business) bool {
	em := b.Company.Emergency
	return b.Features.EmergencyCallHandling && em != nil && em.Available && em.Phone != ""
}

// end ends the call's session, logging a failure (the caller's TwiML does
// not depend on it).
func (h *Handler) end(ctx context.Context, biz tenant.ID, sid, reason string, events ...agent.Event) {
	if err := h.Calls.End(ctx, biz, sid, reason, events...); err != nil && !errors.Is(err, ErrUnknownCall) {
		h.log().ErrorContext(ctx, "end call failed", "reason", reason, "err", err)
	}
}

// ---------------------------------------------------------------------------
// /twilio/gather-action

// gatherAction follows the after-hours greeting: "#" dials the on-call
// line; any other key (or none) ends the call.
func (h *Handler) gatherAction(ctx context.Context, p params) reply {
	ctx, sid, b, rep, ok := h.callback(ctx, p)
	if !ok {
		return rep
	}
	if p["Digits"] != "#" || !emergencyOffered(b) {
		h.end(ctx, b.ID, sid, transcript.EndAfterHours)
		return twimlReply(SayHangup(b.Voice.Language, goodbyeText(b)))
	}
	ev := agent.Event{Kind: agent.EventEmergencyTransfer, Detail: "caller pressed # for the emergency line after hours"}
	if err := h.Calls.Pressed(ctx, b.ID, sid, "#", ev); err != nil {
		h.log().ErrorContext(ctx, "record key press failed", "err", err)
	}
	return h.dialEmergency(ctx, b, sid, p)
}

// business finds the business the dialled number (To) routes to. When
// there is none it returns the reply to send instead.
func (h *Handler) business(ctx context.Context, p params) (*business.Business, reply, bool) {
	b, err := h.Configs.ByNumber(ctx, p["To"])
	if err != nil && !errors.Is(err, business.ErrUnknownBusiness) {
		h.log().ErrorContext(ctx, "business configs unavailable", "err", err)
		return nil, twimlReply(SayHangup("", technicalProblemText)), false
	}
	if err != nil {
		// The number is ours (it reached our webhook), but it routes to no
		// business: never fall back to a default one.
		h.log().WarnContext(ctx, "call to a number no business is routed to")
		return nil, twimlReply(SayHangup("", UnknownNumberText)), false
	}
	return b, reply{}, true
}

// relay is the ConversationRelay document connecting the call to b's agent.
func (h *Handler) relay(b *business.Business, callSID, greeting string, extra ...Param) string {
	return Relay{
		Action:   h.url(PathConnectAction),
		URL:      RelayURL(h.WebSocketURL, b.ID, callSID),
		Greeting: greeting,
		Voice:    b.Voice,
		DTMF:     b.Features.EmergencyCallHandling,
		Params:   append([]Param{{ParamBusinessID, string(b.ID)}}, extra...),
	}.TwiML()
}

// AnswersAt reports whether b's agent answers calls at t: always, unless
// onlyAnswerDuringBusinessHours is on, in which case t must fall in the
// operating hours, read in their time zone (the business's when they name
// none), so DST is the time package's business. A missing day is closed.
func AnswersAt(b *business.Business, t time.Time) bool {
	h := b.OperatingHours
	if !b.Features.OnlyAnswerDuringBusinessHours || h == nil {
		return true
	}
	loc := b.Location()
	if h.Timezone != "" {
		if l, err := time.LoadLocation(h.Timezone); err == nil {
			loc = l
		}
	}
	return h.OpenAt(t, loc)
}

// callback reads what connect-action and dial-action start from: the
// CallSid and the business, which the returned context carries. When ok is
// false the reply is rep: 400 without a CallSid, a hangup without a
// business.
func (h *Handler) callback(ctx context.Context, p params) (_ context.Context, sid string, b *business.Business, rep reply, ok bool) {
	sid = p["CallSid"]
	if sid == "" {
		return ctx, "", nil, reply{http.StatusBadRequest, "missing CallSid"}, false
	}
	if b, _, ok = h.business(ctx, p); !ok {
		return ctx, "", nil, twimlReply(HangupTwiML()), false
	}
	return tenant.WithBusiness(ctx, b.ID), sid, b, reply{}, true
}

// ---------------------------------------------------------------------------
// /twilio/connect-action

func (h *Handler) connectAction(ctx context.Context, p params) reply {
	ctx, sid, b, rep, ok := h.callback(ctx, p)
	if !ok {
		return rep
	}
	// HandoffData is the agent's `end` frame's handoff (pkg/agent).
	ho := agent.ParseHandoff(p["HandoffData"])
	switch ho.Reason {
	case agent.HandoffEmergency:
		return h.dialEmergency(ctx, b, sid, p)
	case agent.HandoffTransfer:
		return h.dialStaff(ctx, b, sid, ho.Staff)
	}
	reason := ho.Reason
	failed := p["HandoffData"] == "" && p["SessionStatus"] == "failed"
	switch {
	case failed:
		reason = "relay_failed"
	case reason == "":
		// The relay ended without the agent's `end`: the caller hung up.
		reason = transcript.EndCallerHungUp
	}
	h.end(ctx, b.ID, sid, reason)
	if failed {
		h.log().WarnContext(ctx, "conversation relay failed", "errorCode", p["ErrorCode"])
		return twimlReply(SayHangup(b.Voice.Language, technicalProblemText))
	}
	return twimlReply(HangupTwiML())
}

func (h *Handler) dialEmergency(ctx context.Context, b *business.Business, sid string, p params) reply {
	em := b.Company.Emergency
	unavailable := func(why string) reply {
		h.end(ctx, b.ID, sid, transcript.EndEmergencyUnavailable, agent.Event{Kind: transcript.EventEmergencyUnavailable, Detail: why})
		return twimlReply(SayHangup(b.Voice.Language, emergencyUnavailableText))
	}
	switch {
	case !b.Features.EmergencyCallHandling:
		h.log().WarnContext(ctx, "emergency transfer requested, but emergencyCallHandling is off")
		return unavailable("emergency call handling is off")
	case em == nil || em.Phone == "":
		h.log().WarnContext(ctx, "emergency transfer requested, but the business has no on-call number")
		return unavailable("no on-call number is configured")
	case !em.Available:
		h.log().WarnContext(ctx, "emergency transfer requested, but the emergency contact is marked unavailable")
		return unavailable("the on-call contact is marked unavailable")
	}
	number, err := h.resolvePhone(ctx, em.Phone)
	if err != nil {
		h.log().ErrorContext(ctx, "emergency contact phone unresolvable", "ref", em.Phone.Redacted(), "err", err)
		return unavailable("the on-call number is not set (its reference did not resolve)")
	}
	callerID := ""
	if phone.IsE164(p["From"]) {
		callerID = p["From"]
	}
	h.log().InfoContext(ctx, "emergency transfer")
	return twimlReply(Dial{
		Number: number, CallerID: callerID, Timeout: b.CallRouting.CallTimeout,
		Action: h.url(PathDialAction) + "?emergency=1",
	}.TwiML())
}

func (h *Handler) dialStaff(ctx context.Context, b *business.Business, sid, key string) reply {
	st, ok := staffByKey(b, key)
	if !b.Features.CallForwarding || !ok {
		h.log().WarnContext(ctx, "transfer to unknown staff member refused", "staff", key)
		h.end(ctx, b.ID, sid, transcript.EndTransferUnavailable)
		return twimlReply(SayHangup(b.Voice.Language, transferUnavailableText))
	}
	number, err := h.resolvePhone(ctx, st.Phone)
	if err != nil {
		h.log().ErrorContext(ctx, "staff phone unresolvable", "staff", key, "ref", st.Phone.Redacted(), "err", err)
		h.end(ctx, b.ID, sid, transcript.EndTransferUnavailable)
		return twimlReply(SayHangup(b.Voice.Language, transferUnavailableText))
	}
	h.log().InfoContext(ctx, "staff transfer", "staff", key)
	return twimlReply(Dial{
		Number: number, Timeout: b.CallRouting.CallTimeout,
		Action: h.url(PathDialAction) + "?" + url.Values{"staff": {key}}.Encode(),
	}.TwiML())
}

func staffByKey(b *business.Business, key string) (business.Staff, bool) {
	for _, st := range b.CallRouting.Staff {
		if st.Key == key && key != "" {
			return st, true
		}
	}
	return business.Staff{}, false
}

// resolvePhone resolves a phone reference and checks the result is E.164.
func (h *Handler) resolvePhone(ctx context.Context, v secret.Value) (string, error) {
	var s string
	var err error
	if h.Resolve != nil {
		s, err = h.Resolve(ctx, v)
	} else if v.IsRef() {
		err = errors.New("no secret resolver configured")
	} else {
		s = string(v)
	}
	if err != nil {
		return "", err
	}
	return phone.ParseE164(s)
}

// ---------------------------------------------------------------------------
// /twilio/dial-action

func (h *Handler) dialAction(ctx context.Context, p params, q url.Values) reply {
	ctx, sid, b, rep, ok := h.callback(ctx, p)
	if !ok {
		return rep
	}
	status := p["DialCallStatus"]
	if status == "completed" || status == "answered" {
		// The transfer was answered and that conversation is over.
		reason := transcript.EndTransferred
		if q.Get("emergency") == "1" {
			reason = transcript.EndEmergencyTransferred
		}
		h.end(ctx, b.ID, sid, reason)
		return twimlReply(SayHangup(b.Voice.Language, goodbyeText(b)))
	}
	var target string
	switch key := q.Get("staff"); {
	case q.Get("emergency") == "1":
		target = ResumeEmergency
	case key != "":
		target = key
	default:
		h.log().WarnContext(ctx, "dial action without a transfer target")
		return twimlReply(HangupTwiML())
	}
	h.log().InfoContext(ctx, "transfer not answered: back to the agent", "dialCallStatus", status, "staff", target)
	if err := h.Calls.Resume(ctx, b.ID, sid, target); err != nil {
		h.log().ErrorContext(ctx, "resume call failed", "err", err)
		return twimlReply(SayHangup(b.Voice.Language, technicalProblemText))
	}
	return twimlReply(h.relay(b, sid, WelcomeGreeting(b, ModeConversation, target), Param{"resumed", target}))
}

// ---------------------------------------------------------------------------
// /twilio/status

// terminal are the CallStatus values of a call that is over.
var terminal = map[string]bool{"completed": true, "busy": true, "failed": true, "no-answer": true, "canceled": true}

func (h *Handler) status(ctx context.Context, p params) reply {
	sid, st := p["CallSid"], p["CallStatus"]
	if sid == "" {
		return reply{http.StatusBadRequest, "missing CallSid"}
	}
	if !terminal[st] {
		return reply{status: http.StatusNoContent}
	}
	b, _, ok := h.business(ctx, p)
	if !ok {
		return reply{status: http.StatusNoContent}
	}
	ctx = tenant.WithBusiness(ctx, b.ID)
	err := h.Calls.End(ctx, b.ID, sid, "call_"+strings.ReplaceAll(st, "-", "_"))
	switch {
	case errors.Is(err, ErrUnknownCall):
		// No session was opened (its Start failed).
	case err != nil:
		h.log().ErrorContext(ctx, "end call failed", "err", err)
		return reply{http.StatusInternalServerError, "could not end the call's session"}
	default:
		h.log().InfoContext(ctx, "call ended", "callStatus", st)
	}
	return reply{status: http.StatusNoContent}
}

// ---------------------------------------------------------------------------

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
