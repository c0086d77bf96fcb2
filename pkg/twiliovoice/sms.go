package twiliovoice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/ahca/ahca/pkg/phone"
)

// MaxSMSBody is the longest body Twilio's Messages API accepts, in
// characters; longer bodies are cut.
const MaxSMSBody = 1600

// DefaultSMSTimeout bounds one Messages API request.
const DefaultSMSTimeout = 10 * time.Second

// TwilioSMS sends text messages with Twilio's Messages API through
// twilio-go. It satisfies tools.SMS. Exactly one sender is used:
// MessagingServiceSID when set, else From.
type TwilioSMS struct {
	AccountSID string
	// AuthToken returns the account's auth token, resolved at use.
	AuthToken           func(ctx context.Context) (string, error)
	From                string // a Twilio number of the account, E.164
	MessagingServiceSID string // MG…, preferred when set
	// BaseURL replaces https://api.twilio.com (tests point it at
	// twiliotest.Messages).
	BaseURL    string
	HTTPClient *http.Client // its Transport is used; default http.DefaultTransport
	Timeout    time.Duration
}

// Send sends body to the E.164 number to.
func (s *TwilioSMS) Send(ctx context.Context, to, body string) error {
	to, err := phone.ParseE164(to)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return errors.New("sms: empty body")
	}
	if utf8.RuneCountInString(body) > MaxSMSBody {
		body = string([]rune(body)[:MaxSMSBody-1]) + "…"
	}
	if s.AccountSID == "" || s.AuthToken == nil || (s.From == "" && s.MessagingServiceSID == "") {
		return errors.New("sms: not configured: want an account SID, an auth token and a from number or messaging service SID")
	}
	token, err := s.AuthToken(ctx)
	if err != nil {
		return fmt.Errorf("sms: auth token: %w", err)
	}
	svc, err := s.service(ctx, token)
	if err != nil {
		return err
	}
	params := (&api.CreateMessageParams{}).SetTo(to).SetBody(body)
	if s.MessagingServiceSID != "" {
		params.SetMessagingServiceSid(s.MessagingServiceSID)
	} else {
		params.SetFrom(s.From)
	}
	if _, err := svc.CreateMessage(params); err != nil {
		return fmt.Errorf("sms: create message: %w", err)
	}
	return nil
}

// service builds a Messages API client for one send. twilio-go's client
// takes no context, so the transport carries ctx (cancellation, deadline)
// and, with BaseURL, redirects the requests.
func (s *TwilioSMS) service(ctx context.Context, token string) (*api.ApiService, error) {
	t := &sendTransport{ctx: ctx, next: http.DefaultTransport}
	if s.HTTPClient != nil && s.HTTPClient.Transport != nil {
		t.next = s.HTTPClient.Transport
	}
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("sms: base URL %q: want scheme://host", s.BaseURL)
		}
		t.base = u
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSMSTimeout
	}
	c := &client.Client{
		Credentials: client.NewCredentials(s.AccountSID, token),
		HTTPClient: &http.Client{
			Transport:     t,
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(s.AccountSID)
	return api.NewApiServiceWithClient(c), nil
}

type sendTransport struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper
}

func (t *sendTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(t.ctx)
	if t.base != nil {
		r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, ""
		r.URL.Path = strings.TrimRight(t.base.Path, "/") + r.URL.Path
	}
	return t.next.RoundTrip(r)
}
