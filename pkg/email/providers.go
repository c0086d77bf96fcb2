package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/aws/smithy-go"
)

// Providers chooses and builds each business's Sender.
type Providers struct {
	// Resolver resolves API keys (email.apiKey) when a message is sent, never
	// before. Nil means only literal keys work.
	Resolver *secret.Resolver
	// SES is the SES v2 client for businesses using "ses".
	SES SESAPI
	// SESConfigurationSet is passed to SES with every message; "" for none.
	SESConfigurationSet string
	// HTTPClient is used for Mailchimp; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// MandrillBaseURL and MarketingBaseURL replace the Mailchimp API roots
	// (for fakes); "" means the real services.
	MandrillBaseURL, MarketingBaseURL string
	// Outbox, when set, receives every business's mail instead of its
	// provider (make dev). A disabled business still sends nothing.
	Outbox *Outbox
	// Logger is given to the Mailchimp senders; nil means slog.Default().
	Logger *slog.Logger
}

// For returns the Sender of business b, by email.provider:
//
//	ses (also "")                [NewSES] with Providers.SES
//	mailchimp-transactional      [NewMailchimpTransactional] with email.apiKey
//	mailchimp-marketing          [NewMailchimpMarketing] with email.apiKey,
//	                             serverPrefix, audienceId, notificationRecipients
//	microsoft-graph, resend      error: not supported yet (ErrUnsupported)
//	disabled                     error: ErrDisabled (also when
//	                             features.emailSummary is off)
//
// API keys are resolved through Providers.Resolver at send time, on every
// send (the resolver caches): a reference that cannot be resolved fails that
// send — permanently when it is missing or malformed, transiently when the
// secret store is unreachable — and is never sent to a provider as text.
// Every error For returns is permanent.
func (p *Providers) For(b *business.Business) (Sender, error) {
	if b == nil {
		return nil, permanent(errors.New("email: no business"))
	}
	provider := b.Email.Provider
	if provider == "" {
		provider = business.EmailSES
	}
	if provider == business.EmailDisabled {
		return nil, fmt.Errorf("email: business %s: email.provider is disabled: %w", b.ID, ErrDisabled)
	}
	if !b.Features.EmailSummary {
		return nil, fmt.Errorf("email: business %s: features.emailSummary is off: %w", b.ID, ErrDisabled)
	}
	if p.Outbox != nil {
		return p.Outbox, nil
	}
	switch provider {
	case business.EmailSES:
		if p.SES == nil {
			return nil, permanent(fmt.Errorf("email: business %s uses ses, but no SES client is configured", b.ID))
		}
		return NewSES(p.SES, SESOptions{ConfigurationSet: p.SESConfigurationSet}), nil
	case business.EmailMailchimpTransactional:
		return NewMailchimpTransactional(MandrillOptions{
			APIKey:     p.key(b, "email.apiKey", b.Email.APIKey),
			BaseURL:    p.MandrillBaseURL,
			HTTPClient: p.HTTPClient,
			Logger:     p.Logger,
		}), nil
	case business.EmailMailchimpMarketing:
		return NewMailchimpMarketing(MarketingOptions{
			APIKey:       p.key(b, "email.apiKey", b.Email.APIKey),
			ServerPrefix: b.Email.ServerPrefix,
			AudienceID:   b.Email.AudienceID,
			Recipients:   b.Email.Recipients,
			BaseURL:      p.MarketingBaseURL,
			HTTPClient:   p.HTTPClient,
			Logger:       p.Logger,
		}), nil
	case business.EmailMicrosoftGraph, business.EmailResend:
		return nil, fmt.Errorf("email provider %s: sending is not supported yet (business %s): %w", provider, b.ID, ErrUnsupported)
	default:
		return nil, permanent(fmt.Errorf("email: business %s: unknown email.provider %q", b.ID, provider))
	}
}

// key returns a function resolving v when called.
func (p *Providers) key(b *business.Business, field string, v secret.Value) func(context.Context) (string, error) {
	id := b.ID
	return func(ctx context.Context) (string, error) {
		if v == "" {
			return "", permanent(fmt.Errorf("business %s: %s is not set", id, field))
		}
		if p.Resolver == nil {
			if v.IsRef() {
				return "", permanent(fmt.Errorf("business %s: %s is %s but no secret resolver is configured", id, field, v.Redacted()))
			}
			return string(v), nil
		}
		s, err := p.Resolver.Resolve(ctx, v)
		if err != nil {
			err = fmt.Errorf("business %s: %s: %w", id, field, err)
			if secretPermanent(v, err) {
				return "", permanent(err)
			}
			return "", err
		}
		if secret.Value(s).IsRef() {
			// Resolution is one level deep; a value that is itself a
			// reference must not reach a provider as the key.
			return "", permanent(fmt.Errorf("business %s: %s %s resolved to another reference", id, field, v.Redacted()))
		}
		return s, nil
	}
}

// secretPermanent reports whether resolving v failed for a reason a retry
// cannot fix: a malformed reference, an unset environment variable, a
// parameter or secret that does not exist or may not be read.
func secretPermanent(v secret.Value, err error) bool {
	ref, ok, perr := secret.ParseRef(string(v))
	if perr != nil || !ok || ref.Kind == secret.KindEnv {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ParameterNotFound", "ParameterVersionNotFound", "ResourceNotFoundException",
			"AccessDeniedException", "AccessDenied", "ValidationException", "InvalidKeyId",
			"DecryptionFailure", "InvalidParameterException", "InvalidRequestException":
			return true
		}
		return false
	}
	// The resolver's "no SSM client configured" / "no Secrets Manager
	// client configured": a deployment without the client, not a blip.
	msg := err.Error()
	return strings.Contains(msg, "no SSM client configured") || strings.Contains(msg, "no Secrets Manager client configured")
}
