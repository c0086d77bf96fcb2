// Package email renders the summary email a business receives after every
// conversation, and sends it through the business's provider.
//
// Rendering ([Render], [RenderCallerCopy]) turns a business config and a
// transcript into a provider-neutral [Message]: HTML (html/template, so every
// caller-supplied value is escaped) and plain text, a subject and header
// values stripped of CR, LF and other control characters, the business's
// recipients and sender, and an idempotency key.
//
// Sending goes through a [Sender]. [Providers.For] chooses one per business
// from email.provider:
//
//	ses                      [NewSES]: Amazon SES v2 SendEmail
//	mailchimp-transactional  [NewMailchimpTransactional]: Mandrill messages/send
//	mailchimp-marketing      [NewMailchimpMarketing]: an audience campaign (see there)
//	microsoft-graph, resend  not supported yet ([ErrUnsupported])
//	disabled                 [ErrDisabled]
//
// and [Providers.Outbox] ([NewOutbox]) replaces all of them for `make dev`.
//
// Errors are either permanent (wrapping [ErrPermanent]: a retry cannot fix
// them — a rejected address, a 4xx other than 429, invalid configuration) or
// transient (everything else: throttling, 5xx, network). [IsPermanent] tells
// them apart so the caller can retry the transient ones and dead-letter the
// rest.
package email

import (
	"context"
	"errors"
	"strings"
	"unicode"
)

// Message is one email, independent of the provider that sends it.
type Message struct {
	FromEmail string `json:"fromEmail"`
	FromName  string `json:"fromName,omitempty"`
	// ReplyTo is the address replies go to; "" means FromEmail.
	ReplyTo string   `json:"replyTo,omitempty"`
	To      []string `json:"to"`
	Cc      []string `json:"cc,omitempty"`
	Subject string   `json:"subject"`
	HTML    string   `json:"html"`
	Text    string   `json:"text"`
	// Headers are extra header fields (X-AHCA-Session, ...). Values never
	// contain CR, LF or other control characters when built by Render.
	Headers     map[string]string `json:"headers,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
	// IdempotencyKey identifies the message across retries:
	// "ahca-<business>-<session>" for the summary, with "-caller" appended
	// for the caller's copy. Providers that can deduplicate use it.
	IdempotencyKey string `json:"idempotencyKey"`
	// Lead is the caller, for providers that keep contacts: mailchimp-marketing
	// adds them to the business's audience (see [NewMailchimpMarketing]). It
	// is set on the business's summary only when the caller gave a valid email
	// address, and is never sent as a header or rendered by a provider.
	Lead *Lead `json:"lead,omitempty"`
}

// Attachment is a file sent with a message.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Data        []byte `json:"data"`
}

// Lead is the person a conversation was with, as far as they told us.
type Lead struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Sender sends messages. providerID is the provider's id for the accepted
// message (SES MessageId, Mandrill _id, Mailchimp campaign id, outbox file
// name).
type Sender interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// ErrPermanent marks failures a retry cannot fix. Errors wrap it; test with
// [IsPermanent] or errors.Is.
var ErrPermanent = errors.New("permanent failure")

// ErrUnsupported is returned (wrapped) when a provider cannot do what was
// asked: sending through microsoft-graph or resend, or emailing a caller
// through mailchimp-marketing. It is permanent.
var ErrUnsupported error = &markedError{msg: "not supported", mark: ErrPermanent}

// ErrDisabled is returned (wrapped) by [Providers.For] for a business whose
// email provider is "disabled". It is permanent.
var ErrDisabled error = &markedError{msg: "email is disabled for the business", mark: ErrPermanent}

type markedError struct {
	msg  string
	mark error
}

func (e *markedError) Error() string { return e.msg }
func (e *markedError) Unwrap() error { return e.mark }

// IsPermanent reports whether err is a failure a retry cannot fix. A nil
// error is not permanent; context cancellation and deadlines are transient.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// permanentError wraps err so that it is permanent, keeping err in the chain.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() []error {
	return []error{e.err, ErrPermanent}
}

// permanent marks err as permanent; nil stays nil.
func permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanentError{err: err}
}

// HeaderSession is the header carrying the conversation's session id.
const HeaderSession = "X-AHCA-Session"

// headerValue makes s safe as one header line (subject, header values,
// display names): CR, LF, tabs, every other control character, Unicode line
// and paragraph separators and bidirectional overrides become spaces, runs
// of spaces collapse, and the ends are trimmed. "x\r\nBcc: y" becomes
// "x Bcc: y": the injected text stays visible but can never start a header.
func headerValue(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r == unicode.ReplacementChar || unsafeRune(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textBlock makes s safe as multi-line text: line breaks (CRLF, CR, LF,
// U+2028/2029) become "\n", other control characters and bidi overrides are
// dropped (tabs become spaces), trailing spaces are trimmed per line and
// blank-line runs collapse to one.
func textBlock(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(s)
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true
	for _, l := range lines {
		l = headerValue(l)
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, l)
		blank = false
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

// unsafeRune reports control characters, line/paragraph separators and the
// bidirectional formatting characters that can make text read differently
// from what it is.
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F', r == '\u061C':
		return true
	}
	return false
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return strings.TrimRightFunc(string(r[:n-1]), unicode.IsSpace) + "…"
}

// sanitizeMessage applies headerValue to every single-line field of m, so a
// Message built by hand gets the same protection as one from Render.
func sanitizeMessage(m Message) Message {
	m.FromEmail = headerValue(m.FromEmail)
	m.FromName = headerValue(m.FromName)
	m.ReplyTo = headerValue(m.ReplyTo)
	m.Subject = headerValue(m.Subject)
	m.To = cleanAddrs(m.To)
	m.Cc = cleanAddrs(m.Cc)
	if len(m.Headers) > 0 {
		h := make(map[string]string, len(m.Headers))
		for k, v := range m.Headers {
			if k = headerName(k); k != "" {
				h[k] = headerValue(v)
			}
		}
		m.Headers = h
	}
	return m
}

func cleanAddrs(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, a := range in {
		if a = headerValue(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// headerName keeps only the characters RFC 5322 allows in a field name
// (printable ASCII but ':' and space).
func headerName(k string) string {
	return strings.Map(func(r rune) rune {
		if r > 32 && r < 127 && r != ':' {
			return r
		}
		return -1
	}, k)
}

// validate checks what every provider needs.
func validate(m Message) error {
	switch {
	case m.FromEmail == "":
		return permanent(errors.New("email: message has no from address"))
	case len(m.To) == 0:
		return permanent(errors.New("email: message has no recipients"))
	case m.Subject == "":
		return permanent(errors.New("email: message has no subject"))
	case m.HTML == "" && m.Text == "":
		return permanent(errors.New("email: message has no body"))
	}
	return nil
}
