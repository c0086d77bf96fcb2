// Package protocol is the conversation wire format shared by Twilio
// ConversationRelay and the web client: JSON text frames with a "type"
// (docs/architecture.md lists them). Parse validates an inbound frame
// completely, so handlers only ever see well-formed frames; what is wrong is
// reported as an *Error whose code and message go back to the client in an
// error frame.
package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Inbound frame types (caller → us).
const (
	TypeSetup     = "setup"
	TypePrompt    = "prompt"
	TypeInterrupt = "interrupt"
	TypeDTMF      = "dtmf"
	TypeInfo      = "info"
	TypeError     = "error"
	// TypeRestart is the web client's "Start over": the conversation on
	// this connection ends (reason "restarted") and a new one starts on the
	// same connection, announced like a setup (session_ready with the new
	// session id, then the greeting). Web only; it has no fields.
	TypeRestart = "restart"
)

// Outbound frame types (us → caller).
const (
	TypeText            = "text"
	TypeEnd             = "end"
	TypeSessionReady    = "session_ready"
	TypeUserInfoUpdated = "user_info_updated"
	TypeAppointment     = "appointment_created"
	TypePlay            = "play"
	TypeSendDigits      = "sendDigits"
)

// Limits. API Gateway caps a message at 128 KB (frames at 32 KB); a caller's
// utterance is far smaller, and a bound keeps one bad client from making us
// store and echo megabytes.
const (
	MaxFrameBytes  = 32 * 1024
	MaxPromptRunes = 4000
)

// Error codes sent in error frames.
const (
	CodeBadFrame     = "bad_frame"
	CodeTooLarge     = "too_large"
	CodeUnknownType  = "unknown_type"
	CodeMissingField = "missing_field"
	CodeSessionEnded = "session_ended"
	CodeNoSession    = "no_session"
	CodeInternal     = "internal"
)

// Error is a frame we refuse, with what to tell the client.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Inbound is a parsed, validated frame from the caller. Only the fields of
// its Type are set.
type Inbound struct {
	Type string `json:"type"`

	// setup
	SessionID        string            `json:"sessionId,omitempty"`
	CallSID          string            `json:"callSid,omitempty"`
	From             string            `json:"from,omitempty"`
	To               string            `json:"to,omitempty"`
	Direction        string            `json:"direction,omitempty"`
	CustomParameters map[string]string `json:"customParameters,omitempty"`

	// prompt
	VoicePrompt string `json:"voicePrompt,omitempty"`
	Lang        string `json:"lang,omitempty"`
	Last        *bool  `json:"last,omitempty"`

	// interrupt
	UtteranceUntilInterrupt  string `json:"utteranceUntilInterrupt,omitempty"`
	DurationUntilInterruptMs int64  `json:"durationUntilInterruptMs,omitempty"`

	// dtmf
	Digit string `json:"digit,omitempty"`

	// info
	Name  string          `json:"name,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`

	// error
	Description string `json:"description,omitempty"`
}

// Parse decodes and validates one inbound frame.
func Parse(data []byte) (*Inbound, *Error) {
	if len(data) > MaxFrameBytes {
		return nil, &Error{CodeTooLarge, fmt.Sprintf("frame is %d bytes; the limit is %d", len(data), MaxFrameBytes)}
	}
	var f Inbound
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, &Error{CodeBadFrame, "frame is not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return nil, &Error{CodeBadFrame, "frame has data after the JSON object"}
	}
	switch f.Type {
	case TypeSetup:
	case TypePrompt:
		f.VoicePrompt = strings.TrimSpace(f.VoicePrompt)
		if f.VoicePrompt == "" {
			return nil, &Error{CodeMissingField, "prompt needs a non-empty voicePrompt"}
		}
		if n := len([]rune(f.VoicePrompt)); n > MaxPromptRunes {
			return nil, &Error{CodeTooLarge, fmt.Sprintf("voicePrompt is %d characters; the limit is %d", n, MaxPromptRunes)}
		}
	case TypeInterrupt:
		if len([]rune(f.UtteranceUntilInterrupt)) > MaxPromptRunes {
			return nil, &Error{CodeTooLarge, "utteranceUntilInterrupt is too long"}
		}
	case TypeDTMF:
		if len(f.Digit) != 1 || !strings.Contains("0123456789*#ABCDw", f.Digit) {
			return nil, &Error{CodeMissingField, fmt.Sprintf("dtmf needs one digit (0-9, *, #), got %q", echo(f.Digit))}
		}
	case TypeInfo, TypeError, TypeRestart:
	case "":
		return nil, &Error{CodeMissingField, `frame needs a "type"`}
	default:
		return nil, &Error{CodeUnknownType, fmt.Sprintf("unknown frame type %q: want setup, prompt, interrupt, dtmf, info, error or restart", echo(f.Type))}
	}
	return &f, nil
}

// MaxEchoRunes bounds how much of a client's own input an error frame
// repeats back to it.
const MaxEchoRunes = 200

// echo clips client-supplied text that an error message repeats to
// MaxEchoRunes characters, marking the cut with "…".
func echo(s string) string {
	n := 0
	for i := range s {
		if n == MaxEchoRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// Text is one phrase of an agent reply; Last closes the turn.
type Text struct {
	Type          string `json:"type"`
	Token         string `json:"token"`
	Last          bool   `json:"last"`
	Interruptible *bool  `json:"interruptible,omitempty"`
	Preemptible   *bool  `json:"preemptible,omitempty"`
}

// End ends a ConversationRelay session; Twilio then calls the Connect action
// URL with HandoffData.
type End struct {
	Type        string `json:"type"`
	HandoffData string `json:"handoffData,omitempty"`
}

// SessionReady tells the web client which agent it is talking to.
type SessionReady struct {
	Type         string `json:"type"`
	BusinessID   string `json:"businessId"`
	BusinessName string `json:"businessName"`
	AgentName    string `json:"agentName"`
	SessionID    string `json:"sessionId"`
}

// UserInfo is what the agent has collected.
type UserInfo struct {
	Name   string `json:"name,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// UserInfoUpdated tells the web client what the agent has collected.
type UserInfoUpdated struct {
	Type     string   `json:"type"`
	UserInfo UserInfo `json:"userInfo"`
}

// Appointment is a booking the agent made. Start carries the business's
// UTC offset and TimeZone names its zone, so a client shows the time the
// caller was told (When), never converted to the browser's zone.
type Appointment struct {
	Start    string `json:"start"`             // RFC 3339, at the business's offset
	TimeZone string `json:"timeZone"`          // the business's IANA zone ("America/Denver")
	When     string `json:"when"`              // as read back to the caller, with the zone
	Service  string `json:"service,omitempty"` // what it is for
}

// AppointmentCreated tells the web client a booking was made.
type AppointmentCreated struct {
	Type        string      `json:"type"`
	Appointment Appointment `json:"appointment"`
}

// ErrorFrame reports a refused frame; the connection stays usable.
type ErrorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Encode marshals an outbound frame. Outbound frames are our own structs, so
// a failure is a programming error.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("protocol: encode %T: %v", v, err))
	}
	return b
}
