package email

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ahca/ahca/pkg/email/emailtest"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/secret/secrettest"
)

func envResolver(env map[string]string, lookups *atomic.Int32) *secret.Resolver {
	return secret.NewResolver(secret.Options{LookupEnv: func(k string) (string, bool) {
		if lookups != nil {
			lookups.Add(1)
		}
		v, ok := env[k]
		return v, ok
	}})
}

func TestProvidersFor(t *testing.T) {
	var calls atomic.Int32
	srv := sesErrorServer(t, 500, "", &calls)
	p := &Providers{SES: sesClient(srv.URL), Resolver: envResolver(nil, nil)}
	for _, tc := range []struct {
		biz, provider string
		want          string // type name, or "" for an error
		errIs         error
	}{
		{"superior-fencing", "", "*email.sesSender", nil},
		{"superior-fencing", "ses", "*email.sesSender", nil},
		{"maple-street-vet", "mailchimp-transactional", "*email.mandrillSender", nil},
		{"sherpaprompt", "mailchimp-marketing", "*email.marketingSender", nil},
		{"superior-fencing", "microsoft-graph", "", ErrUnsupported},
		{"superior-fencing", "resend", "", ErrUnsupported},
		{"superior-fencing", "disabled", "", ErrDisabled},
		{"superior-fencing", "carrier-pigeon", "", ErrPermanent},
	} {
		t.Run(tc.biz+" "+tc.provider, func(t *testing.T) {
			b := *biz(t, tc.biz)
			if tc.provider != "" || tc.biz == "superior-fencing" {
				b.Email.Provider = tc.provider
			}
			s, err := p.For(&b)
			if tc.want == "" {
				if !errors.Is(err, tc.errIs) || !IsPermanent(err) {
					t.Fatalf("err = %v, want %v", err, tc.errIs)
				}
				if tc.errIs == ErrUnsupported && !strings.Contains(err.Error(), "email provider "+tc.provider+": sending is not supported yet") {
					t.Errorf("message = %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := typeName(s); got != tc.want {
				t.Errorf("sender = %s, want %s", got, tc.want)
			}
		})
	}

	b := *biz(t, "superior-fencing")
	b.Features.EmailSummary = false
	if _, err := p.For(&b); !errors.Is(err, ErrDisabled) {
		t.Errorf("emailSummary off: %v", err)
	}
	if _, err := (&Providers{}).For(biz(t, "superior-fencing")); !IsPermanent(err) {
		t.Errorf("ses without a client: %v", err)
	}
	if _, err := p.For(nil); !IsPermanent(err) {
		t.Errorf("nil business: %v", err)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *sesSender:
		return "*email.sesSender"
	case *mandrillSender:
		return "*email.mandrillSender"
	case *marketingSender:
		return "*email.marketingSender"
	case *Outbox:
		return "*email.Outbox"
	}
	return "?"
}

// The API key is resolved when a message is sent, and an unresolved
// reference never reaches the provider.
func TestProvidersKeyResolution(t *testing.T) {
	fake := emailtest.NewMandrill("md-real-key")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	b := biz(t, "maple-street-vet") // apiKey: ssm:/ahca/{stage}/maple-street-vet/mandrill-key, locally MAPLE_STREET_VET_MANDRILL_KEY
	m := mustRender(t, b, abandonedCallerID(), "")
	env := map[string]string{}
	var lookups atomic.Int32
	p := &Providers{Resolver: envResolver(env, &lookups), MandrillBaseURL: srv.URL}

	s, err := p.For(b)
	if err != nil {
		t.Fatal(err)
	}
	if lookups.Load() != 0 {
		t.Error("For resolved the key; it must wait for a send")
	}
	_, err = s.Send(context.Background(), m)
	if !IsPermanent(err) || !strings.Contains(err.Error(), "MAPLE_STREET_VET_MANDRILL_KEY") || !strings.Contains(err.Error(), "not set") {
		t.Errorf("unset variable: err = %v", err)
	}
	if fake.Requests() != 0 {
		t.Fatal("a request reached the provider without a key")
	}

	env["MAPLE_STREET_VET_MANDRILL_KEY"] = "${SOMETHING_ELSE}"
	if _, err = s.Send(context.Background(), m); !IsPermanent(err) || fake.Requests() != 0 {
		t.Errorf("key resolving to a reference: err = %v, %d requests", err, fake.Requests())
	}

	env["MAPLE_STREET_VET_MANDRILL_KEY"] = "md-real-key"
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if sends := fake.Sends(); len(sends) != 1 || sends[0].Key != "md-real-key" {
		t.Errorf("sends = %+v", sends)
	}

	// Without a resolver a reference is an error at use.
	s, _ = (&Providers{MandrillBaseURL: srv.URL}).For(b)
	if _, err := s.Send(context.Background(), m); !IsPermanent(err) || !strings.Contains(err.Error(), "no secret resolver") {
		t.Errorf("no resolver: %v", err)
	}
	if fake.Requests() != 1 {
		t.Errorf("%d requests, want 1", fake.Requests())
	}

	// An empty key is an error at use.
	bb := *b
	bb.Email.APIKey = ""
	s, _ = p.For(&bb)
	if _, err := s.Send(context.Background(), m); !IsPermanent(err) {
		t.Errorf("no key: %v", err)
	}
}

func TestProvidersSSMKey(t *testing.T) {
	ssmFake := secrettest.NewServer(t)
	mc := emailtest.NewMailchimpMarketing("mc-key-us21")
	mc.AddAudience(audience)
	srv := httptest.NewServer(mc)
	defer srv.Close()
	b := biz(t, "sherpaprompt") // apiKey: ssm:/ahca/{stage}/sherpaprompt/mailchimp-api-key
	m := mustRender(t, b, sherpaPhone(), "")
	p := &Providers{Resolver: secret.NewResolver(secret.Options{SSM: ssmFake.SSM(), Stage: "dev", TTL: -1, FailureTTL: -1}), MarketingBaseURL: srv.URL + "/3.0"}
	s, err := p.For(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), m); !IsPermanent(err) || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Errorf("missing parameter: %v", err)
	}
	if len(mc.Requests()) != 0 {
		t.Fatal("request without a key")
	}
	ssmFake.SetParameter("/ahca/dev/sherpaprompt/mailchimp-api-key", "mc-key-us21")
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(mc.Deliveries()) != 1 {
		t.Errorf("%d deliveries", len(mc.Deliveries()))
	}

	// No SSM client: a deployment problem, permanent.
	p = &Providers{Resolver: secret.NewResolver(secret.Options{}), MarketingBaseURL: srv.URL + "/3.0"}
	s, _ = p.For(b)
	if _, err := s.Send(context.Background(), m); !IsPermanent(err) {
		t.Errorf("no SSM client: %v", err)
	}
}

func TestProvidersOutbox(t *testing.T) {
	o := NewOutbox(t.TempDir())
	p := &Providers{Outbox: o}
	for _, id := range []string{"superior-fencing", "maple-street-vet", "sherpaprompt"} {
		s, err := p.For(biz(t, id))
		if err != nil || s != Sender(o) {
			t.Errorf("%s: %v, %T", id, err, s)
		}
	}
	b := *biz(t, "sherpaprompt")
	b.Email.Provider = "disabled"
	if _, err := p.For(&b); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled business with an outbox: %v", err)
	}
}
