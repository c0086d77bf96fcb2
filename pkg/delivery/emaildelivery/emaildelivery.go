// Package emaildelivery assembles the summary pipeline (package delivery)
// with package email: its renderers, its per-business providers and its
// classification of permanent failures. The email-summary Lambda, the
// operator CLI's redrive and the local stack all build their pipeline here,
// so they render and send the same way.
package emaildelivery

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"strings"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Options are the parts of the pipeline.
type Options struct {
	Store   delivery.Records
	Configs delivery.Configs
	// Turns reads the turns a long conversation's session stores apart
	// (the session store).
	Turns session.TurnReader
	// Summarizer writes summaries (summary.Summarizer, with or without a
	// model); nil means summaries without the model.
	Summarizer delivery.Summarizer
	// Providers gives each business its own provider (or the dev outbox).
	Providers *email.Providers
	// Businesses lists the configured businesses, for a redrive of all.
	Businesses func(ctx context.Context) ([]tenant.ID, error)
	// Counters hold the hourly caller-copy budget; nil counts nothing.
	Counters session.Counters
	Log      *slog.Logger
}

// New returns the pipeline. Limits (MaxAttempts, Lease, ...) keep their
// defaults; set them on the result.
func New(o Options) *delivery.Pipeline[email.Message] {
	providers := o.Providers
	return &delivery.Pipeline[email.Message]{
		Store:            o.Store,
		Configs:          o.Configs,
		Turns:            o.Turns,
		Summarizer:       o.Summarizer,
		Render:           Render,
		RenderCallerCopy: RenderCallerCopy,
		RenderMissedCall: RenderMissedCall,
		Senders: delivery.SendersFunc[email.Message](func(b *business.Business) (delivery.Sender[email.Message], error) {
			return providers.For(b)
		}),
		IsPermanent: email.IsPermanent,
		Businesses:  o.Businesses,
		Counters:    o.Counters,
		Log:         o.Log,
	}
}

// Render is the business's summary email of a stored transcript, with the
// summary stored with it.
func Render(b *business.Business, r *delivery.Record) (email.Message, error) {
	return email.Render(b, r.Transcript, r.Summary, email.RenderOptions{})
}

// RenderCallerCopy is the caller's copy of a stored transcript, if the
// business sends one and the caller gave an address.
func RenderCallerCopy(b *business.Business, r *delivery.Record) (email.Message, bool) {
	return email.RenderCallerCopy(b, r.Transcript)
}

// RenderMissedCall is the short notice of a call that ended before the
// caller said anything: "Missed call from (503) 555-0142", not a lead;
// "Missed call after hours from …" when the business was closed.
func RenderMissedCall(b *business.Business, r *delivery.Record) (email.Message, error) {
	from := "an unknown number"
	if p, err := phone.ValidateNANP(r.CallbackPhone); err == nil {
		from = p.Display
	} else if r.CallbackPhone != "" {
		from = r.CallbackPhone
	}
	when := r.StartedAt.In(b.Location()).Format("Mon Jan 2 at 3:04 PM MST")
	subject := fmt.Sprintf("Missed call from %s (%s)", from, b.Name)
	what := "hung up before saying anything"
	if r.AfterHours {
		subject = fmt.Sprintf("Missed call after hours from %s (%s)", from, b.Name)
		what = "heard the after-hours greeting, and the call ended"
	}
	text := fmt.Sprintf("%s called %s on %s and %s.\nNo message was left.\n", from, b.Name, when, what)
	return email.Message{
		FromEmail: b.Email.FromEmail, FromName: b.Email.FromName, ReplyTo: b.Email.ReplyTo,
		To: b.Email.Recipients, Subject: subject, Text: text,
		HTML:           "<p>" + html.EscapeString(strings.TrimSpace(text)) + "</p>",
		Headers:        map[string]string{"X-AHCA-Session": r.SessionID, "X-AHCA-Business": string(b.ID)},
		IdempotencyKey: "ahca-" + string(b.ID) + "-" + r.SessionID,
	}, nil
}
