package email

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// DefaultMandrillBaseURL is Mailchimp Transactional's API root.
const DefaultMandrillBaseURL = "https://mandrillapp.com/api/1.0"

// MandrillOptions configures [NewMailchimpTransactional].
type MandrillOptions struct {
	// APIKey returns the Mailchimp Transactional API key. It is called on
	// every send, so a key in SSM or Secrets Manager is fetched (and cached
	// by the resolver) only when mail is sent.
	APIKey func(ctx context.Context) (string, error)
	// BaseURL defaults to DefaultMandrillBaseURL.
	BaseURL string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives partial rejections (some recipients rejected, others
	// sent), which are not errors; nil means slog.Default().
	Logger *slog.Logger
}

type mandrillSender struct{ opts MandrillOptions }

// NewMailchimpTransactional returns a Sender that sends through Mailchimp
// Transactional (Mandrill): POST {BaseURL}/messages/send with the message's
// recipients (to and cc), HTML and text, Reply-To and X-AHCA-Session as
// headers, attachments base64-encoded, open and click tracking off (the
// summary is an internal notification, and tracking rewrites its links),
// and the idempotency key as metadata (Mandrill has no deduplication; the
// key makes a duplicate findable in its activity search).
//
// Result: an accepted recipient (sent, queued, scheduled) makes the send
// succeed with that recipient's _id; when every recipient is rejected or
// invalid the error is permanent and names each reject_reason. Mandrill
// reports errors as HTTP 500 with {"status":"error","name":...}:
// Invalid_Key, ValidationError, PaymentRequired, Unknown_Subaccount and the
// other named client errors are permanent; GeneralError, other 5xx, 429 and
// network failures are transient.
func NewMailchimpTransactional(opts MandrillOptions) Sender {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultMandrillBaseURL
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	return &mandrillSender{opts: opts}
}

type mandrillRecipient struct {
	Email string `json:"email"`
	Type  string `json:"type"`
}

type mandrillAttachment struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Content string `json:"content"`
}

type mandrillMessage struct {
	HTML               string               `json:"html,omitempty"`
	Text               string               `json:"text,omitempty"`
	Subject            string               `json:"subject"`
	FromEmail          string               `json:"from_email"`
	FromName           string               `json:"from_name,omitempty"`
	To                 []mandrillRecipient  `json:"to"`
	Headers            map[string]string    `json:"headers,omitempty"`
	Attachments        []mandrillAttachment `json:"attachments,omitempty"`
	TrackOpens         bool                 `json:"track_opens"`
	TrackClicks        bool                 `json:"track_clicks"`
	PreserveRecipients bool                 `json:"preserve_recipients"`
	Metadata           map[string]string    `json:"metadata,omitempty"`
}

type mandrillResult struct {
	Email        string `json:"email"`
	Status       string `json:"status"`
	ID           string `json:"_id"`
	RejectReason string `json:"reject_reason"`
}

type mandrillError struct {
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// mandrillPermanent are Mandrill error names a retry cannot fix.
var mandrillPermanent = map[string]bool{
	"Invalid_Key":        true,
	"ValidationError":    true,
	"PaymentRequired":    true,
	"Unknown_Subaccount": true,
	"Unknown_Template":   true,
	"Invalid_Template":   true,
	"Unknown_Sender":     true,
	"Unknown_Message":    true,
}

func (s *mandrillSender) Send(ctx context.Context, m Message) (string, error) {
	m = sanitizeMessage(m)
	if err := validate(m); err != nil {
		return "", err
	}
	key, err := resolveKey(ctx, "mailchimp-transactional", s.opts.APIKey)
	if err != nil {
		return "", err
	}
	msg := mandrillMessage{
		HTML: m.HTML, Text: m.Text, Subject: m.Subject,
		FromEmail: m.FromEmail, FromName: m.FromName,
		Headers:            map[string]string{},
		PreserveRecipients: true,
	}
	for _, a := range m.To {
		msg.To = append(msg.To, mandrillRecipient{Email: a, Type: "to"})
	}
	for _, a := range m.Cc {
		msg.To = append(msg.To, mandrillRecipient{Email: a, Type: "cc"})
	}
	for k, v := range m.Headers {
		if v != "" {
			msg.Headers[k] = v
		}
	}
	if m.ReplyTo != "" {
		msg.Headers["Reply-To"] = m.ReplyTo
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		msg.Attachments = append(msg.Attachments, mandrillAttachment{Type: headerValue(ct), Name: headerValue(a.Filename), Content: base64.StdEncoding.EncodeToString(a.Data)})
	}
	if m.IdempotencyKey != "" {
		msg.Metadata = map[string]string{"idempotency_key": m.IdempotencyKey}
	}
	body := struct {
		Key     string          `json:"key"`
		Message mandrillMessage `json:"message"`
	}{key, msg}

	resp, err := doJSON(ctx, s.opts.HTTPClient, http.MethodPost, s.opts.BaseURL+"/messages/send", body, nil)
	if err != nil {
		return "", fmt.Errorf("email: mailchimp-transactional: %w", err)
	}
	if resp.status != http.StatusOK {
		return "", mandrillFailure(resp)
	}
	var results []mandrillResult
	if err := json.Unmarshal(resp.body, &results); err != nil {
		return "", fmt.Errorf("email: mailchimp-transactional: decode response: %w (%s)", err, snippet(resp.body))
	}
	if len(results) == 0 {
		return "", fmt.Errorf("email: mailchimp-transactional: %w", errNoBody)
	}
	var id string
	var rejected []string
	for _, r := range results {
		switch r.Status {
		case "sent", "queued", "scheduled":
			if id == "" {
				id = r.ID
			}
		default:
			reason := r.RejectReason
			if reason == "" {
				reason = r.Status
			}
			rejected = append(rejected, fmt.Sprintf("%s (%s: %s)", r.Email, r.Status, reason))
		}
	}
	slices.Sort(rejected)
	if id == "" {
		return "", permanent(fmt.Errorf("email: mailchimp-transactional: every recipient was refused: %s", strings.Join(rejected, ", ")))
	}
	if len(rejected) > 0 {
		logger(s.opts.Logger).WarnContext(ctx, "email: some recipients were refused by mailchimp-transactional",
			"idempotencyKey", m.IdempotencyKey, "refused", rejected, "providerId", id)
	}
	return id, nil
}

func mandrillFailure(resp apiResponse) error {
	var e mandrillError
	if json.Unmarshal(resp.body, &e) == nil && e.Status == "error" && e.Name != "" {
		err := fmt.Errorf("email: mailchimp-transactional: HTTP %d %s: %s", resp.status, e.Name, e.Message)
		switch {
		case mandrillPermanent[e.Name]:
			return permanent(err)
		case e.Name == "GeneralError":
			return err
		}
		return byStatus(resp.status, err)
	}
	return byStatus(resp.status, fmt.Errorf("email: mailchimp-transactional: HTTP %d: %s", resp.status, snippet(resp.body)))
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
