package email

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/email/emailtest"
)

const audience = "ahca-sherpaprompt-leads"

type marketingEnv struct {
	fake   *emailtest.MailchimpMarketing
	sender Sender
	logs   *bytes.Buffer
	msg    Message
}

func newMarketingEnv(t *testing.T) *marketingEnv {
	t.Helper()
	fake := emailtest.NewMailchimpMarketing("mc-test-key-us21")
	fake.AddAudience(audience)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	b := biz(t, "sherpaprompt")
	var logs bytes.Buffer
	s := NewMailchimpMarketing(MarketingOptions{
		APIKey: staticKey("mc-test-key-us21"), AudienceID: b.Email.AudienceID, Recipients: b.Email.Recipients,
		BaseURL: srv.URL + "/3.0", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	m := mustRender(t, b, sherpaPhone(), "Priya wants a demo.")
	return &marketingEnv{fake: fake, sender: s, logs: &logs, msg: m}
}

func TestMarketingSend(t *testing.T) {
	e := newMarketingEnv(t)
	id, err := e.sender.Send(context.Background(), e.msg)
	if err != nil {
		t.Fatal(err)
	}
	d := e.fake.Deliveries()
	if len(d) != 1 {
		t.Fatalf("%d deliveries", len(d))
	}
	if d[0].CampaignID != id || !slices.Equal(d[0].To, []string{"sales@sherpaprompt.example"}) {
		t.Errorf("delivery %+v, id %q", d[0], id)
	}
	if d[0].Subject != e.msg.Subject || d[0].FromName != "SherpaPrompt Demo Desk" || d[0].ReplyTo != "demos@sherpaprompt.example" {
		t.Errorf("subject %q from %q reply-to %q", d[0].Subject, d[0].FromName, d[0].ReplyTo)
	}
	if d[0].HTML != e.msg.HTML || d[0].Text != e.msg.Text {
		t.Error("content changed in transit")
	}
	c := e.fake.Campaigns()[0]
	if c.Title != "ahca-sherpaprompt-sess-phone-0002" || c.Type != "regular" || !c.AutoFooter || c.ListID != audience {
		t.Errorf("campaign %+v", c)
	}
	rec, ok := e.fake.Member(audience, "sales@sherpaprompt.example")
	if !ok || rec.Status != "subscribed" {
		t.Errorf("recipient member %+v", rec)
	}
	if got := e.fake.TagMembers(audience, MarketingRecipientTag); !slices.Equal(got, []string{"sales@sherpaprompt.example"}) {
		t.Errorf("tag members %v", got)
	}
	lead, ok := e.fake.Member(audience, "priya.n@example.org")
	if !ok || lead.Status != "transactional" || !slices.Equal(lead.Tags, []string{MarketingLeadTag}) {
		t.Errorf("lead %+v", lead)
	}
	for _, r := range e.fake.Requests() {
		if strings.Contains(r, "priya") {
			t.Errorf("request path contains the raw address: %s", r)
		}
	}

	// Sending the same message again (a retry after success) sends nothing.
	id2, err := e.sender.Send(context.Background(), e.msg)
	if err != nil || id2 != id || len(e.fake.Deliveries()) != 1 || len(e.fake.Campaigns()) != 1 {
		t.Errorf("retry: id %q err %v, %d deliveries, %d campaigns", id2, err, len(e.fake.Deliveries()), len(e.fake.Campaigns()))
	}

	// The next conversation reuses the tag.
	m2 := e.msg
	m2.IdempotencyKey = "ahca-sherpaprompt-sess-2"
	if _, err := e.sender.Send(context.Background(), m2); err != nil {
		t.Fatal(err)
	}
	if len(e.fake.Deliveries()) != 2 || strings.Count(strings.Join(e.fake.Requests(), "\n"), "POST /3.0/lists/"+audience+"/segments") != 1 {
		t.Errorf("second conversation: %d deliveries; requests %v", len(e.fake.Deliveries()), e.fake.Requests())
	}
}

func TestMarketingRetryAfterPartialFailure(t *testing.T) {
	e := newMarketingEnv(t)
	e.fake.FailNext("POST", "/actions/send", 503, "Service Unavailable", "try later")
	_, err := e.sender.Send(context.Background(), e.msg)
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if len(e.fake.Deliveries()) != 0 {
		t.Fatal("delivered despite the failure")
	}
	id, err := e.sender.Send(context.Background(), e.msg)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.fake.Campaigns(); len(c) != 1 || c[0].ID != id || len(e.fake.Deliveries()) != 1 {
		t.Errorf("%d campaigns, %d deliveries: the retry must finish the first campaign", len(c), len(e.fake.Deliveries()))
	}
}

func TestMarketingLead(t *testing.T) {
	t.Run("refused lead is logged, summary sent", func(t *testing.T) {
		e := newMarketingEnv(t)
		e.fake.FailNext("PUT", subscriberHash("priya.n@example.org"), 400, "Invalid Resource", "priya.n@example.org looks fake or invalid, please enter a real email address.")
		if _, err := e.sender.Send(context.Background(), e.msg); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.Deliveries()) != 1 || !strings.Contains(e.logs.String(), "looks fake") {
			t.Errorf("deliveries %d, logs %s", len(e.fake.Deliveries()), e.logs)
		}
	})
	t.Run("transient lead failure is retried without a second summary", func(t *testing.T) {
		e := newMarketingEnv(t)
		e.fake.FailNext("PUT", subscriberHash("priya.n@example.org"), 500, "Internal Server Error", "oops")
		id, err := e.sender.Send(context.Background(), e.msg)
		if err == nil || IsPermanent(err) || id == "" {
			t.Fatalf("id %q err %v, want the campaign id and a transient error", id, err)
		}
		if _, err := e.sender.Send(context.Background(), e.msg); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.Deliveries()) != 1 {
			t.Errorf("%d deliveries", len(e.fake.Deliveries()))
		}
		if m, ok := e.fake.Member(audience, "priya.n@example.org"); !ok || m.Status != "transactional" {
			t.Errorf("lead %+v", m)
		}
	})
	t.Run("existing member keeps their status", func(t *testing.T) {
		e := newMarketingEnv(t)
		e.fake.SetMember(audience, "priya.n@example.org", "unsubscribed")
		if _, err := e.sender.Send(context.Background(), e.msg); err != nil {
			t.Fatal(err)
		}
		if m, _ := e.fake.Member(audience, "priya.n@example.org"); m.Status != "unsubscribed" {
			t.Errorf("status = %s", m.Status)
		}
	})
	t.Run("no lead without a caller email", func(t *testing.T) {
		e := newMarketingEnv(t)
		e.msg.Lead = nil
		if _, err := e.sender.Send(context.Background(), e.msg); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.fake.Member(audience, "priya.n@example.org"); ok {
			t.Error("lead created")
		}
	})
}

func TestMarketingRecipients(t *testing.T) {
	t.Run("unsubscribed recipient is never re-subscribed", func(t *testing.T) {
		e := newMarketingEnv(t)
		e.fake.SetMember(audience, "sales@sherpaprompt.example", "unsubscribed")
		_, err := e.sender.Send(context.Background(), e.msg)
		if !IsPermanent(err) || !strings.Contains(err.Error(), "unsubscribed") {
			t.Fatalf("err = %v", err)
		}
		if m, _ := e.fake.Member(audience, "sales@sherpaprompt.example"); m.Status != "unsubscribed" || len(e.fake.Deliveries()) != 0 {
			t.Errorf("member %+v, %d deliveries", m, len(e.fake.Deliveries()))
		}
	})
	t.Run("transactional recipient is upgraded", func(t *testing.T) {
		e := newMarketingEnv(t)
		e.fake.SetMember(audience, "sales@sherpaprompt.example", "transactional")
		if _, err := e.sender.Send(context.Background(), e.msg); err != nil {
			t.Fatal(err)
		}
		if m, _ := e.fake.Member(audience, "sales@sherpaprompt.example"); m.Status != "subscribed" || len(e.fake.Deliveries()) != 1 {
			t.Errorf("member %+v", m)
		}
	})
	t.Run("tag follows the configured recipients", func(t *testing.T) {
		e := newMarketingEnv(t)
		if _, err := e.sender.Send(context.Background(), e.msg); err != nil {
			t.Fatal(err)
		}
		srvURL := strings.TrimSuffix(e.sender.(*marketingSender).opts.BaseURL, "/3.0")
		s := NewMailchimpMarketing(MarketingOptions{APIKey: staticKey("mc-test-key-us21"), AudienceID: audience, Recipients: []string{"new@sherpaprompt.example"}, BaseURL: srvURL + "/3.0"})
		m := e.msg
		m.To, m.IdempotencyKey = []string{"new@sherpaprompt.example"}, "ahca-sherpaprompt-sess-3"
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.TagMembers(audience, MarketingRecipientTag); !slices.Equal(got, []string{"new@sherpaprompt.example"}) {
			t.Errorf("tag = %v", got)
		}
		if d := e.fake.Deliveries(); !slices.Equal(d[1].To, []string{"new@sherpaprompt.example"}) {
			t.Errorf("second delivery to %v", d[1].To)
		}
	})
	t.Run("caller copy is refused", func(t *testing.T) {
		e := newMarketingEnv(t)
		cp, ok := RenderCallerCopy(optedIn(biz(t, "sherpaprompt")), sherpaPhone())
		if !ok {
			t.Fatal("no caller copy")
		}
		_, err := e.sender.Send(context.Background(), cp)
		if !errors.Is(err, ErrUnsupported) || !IsPermanent(err) {
			t.Fatalf("err = %v, want ErrUnsupported", err)
		}
		if len(e.fake.Requests()) != 0 {
			t.Errorf("requests made: %v", e.fake.Requests())
		}
	})
}

func TestMarketingErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(*marketingEnv)
		opts      func(*MarketingOptions)
		permanent bool
	}{
		{name: "invalid key", opts: func(o *MarketingOptions) { o.APIKey = staticKey("wrong-us21") }, permanent: true},
		{name: "unknown audience", opts: func(o *MarketingOptions) { o.AudienceID = "nope" }, permanent: true},
		{name: "no audience", opts: func(o *MarketingOptions) { o.AudienceID = "" }, permanent: true},
		{name: "429 listing", setup: func(e *marketingEnv) { e.fake.FailNext("GET", "/campaigns", 429, "Too Many Requests", "slow") }},
		{name: "500 member", setup: func(e *marketingEnv) { e.fake.FailNext("PUT", "/members/", 500, "Internal Server Error", "x") }},
		{name: "400 campaign", setup: func(e *marketingEnv) { e.fake.FailNext("POST", "/campaigns", 400, "Invalid Resource", "x") }, permanent: true},
		{name: "403 send", setup: func(e *marketingEnv) { e.fake.FailNext("POST", "/actions/send", 403, "Forbidden", "compliance") }, permanent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMarketingEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			if tc.opts != nil {
				o := e.sender.(*marketingSender).opts
				tc.opts(&o)
				e.sender = NewMailchimpMarketing(o)
			}
			_, err := e.sender.Send(context.Background(), e.msg)
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tc.permanent)
			}
		})
	}
}

func TestMarketingBaseURL(t *testing.T) {
	for _, tc := range []struct {
		prefix, key, want string
		ok                bool
	}{
		{"", "abc123-us21", "https://us21.api.mailchimp.com/3.0", true},
		{"us6", "abc123-us21", "https://us6.api.mailchimp.com/3.0", true},
		{"", "abc123", "", false},
		{"us21.evil.example/x", "k-us21", "", false},
		{"", "k-us21.evil.example", "", false},
	} {
		s := &marketingSender{opts: MarketingOptions{ServerPrefix: tc.prefix}}
		got, err := s.base(tc.key)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("base(%q, %q) = %q, %v", tc.prefix, tc.key, got, err)
		}
		if err != nil && !IsPermanent(err) {
			t.Errorf("%v is not permanent", err)
		}
	}
	if subscriberHash(" Priya.N@Example.org ") != subscriberHash("priya.n@example.org") {
		t.Error("subscriber hash is not case-insensitive")
	}
}
