package email

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/email/emailtest"
)

func staticKey(k string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return k, nil }
}

func mandrillFake(t *testing.T) (*emailtest.Mandrill, *httptest.Server) {
	fake := emailtest.NewMandrill("md-test-key")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

func TestMandrillSend(t *testing.T) {
	fake, srv := mandrillFake(t)
	m := mustRender(t, biz(t, "maple-street-vet"), abandonedCallerID(), "")
	m.Cc = []string{"owner@maplestreetvet.example"}
	m.ReplyTo = "owner@maplestreetvet.example"
	m.Attachments = []Attachment{{Filename: "note.txt", Data: []byte("hello")}}
	s := NewMailchimpTransactional(MandrillOptions{APIKey: staticKey("md-test-key"), BaseURL: srv.URL + "/"})
	id, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	sends := fake.Sends()
	if len(sends) != 1 {
		t.Fatalf("%d sends", len(sends))
	}
	got := sends[0].Message
	if id != sends[0].Results[0].ID || id == "" {
		t.Errorf("id = %q, want the first recipient's _id %q", id, sends[0].Results[0].ID)
	}
	var to, cc []string
	for _, r := range got.To {
		switch r.Type {
		case "to":
			to = append(to, r.Email)
		case "cc":
			cc = append(cc, r.Email)
		}
	}
	if !slices.Equal(to, m.To) || !slices.Equal(cc, m.Cc) {
		t.Errorf("to %v cc %v", to, cc)
	}
	if got.Subject != m.Subject || got.HTML != m.HTML || got.Text != m.Text || got.FromEmail != m.FromEmail || got.FromName != m.FromName {
		t.Error("message fields changed in transit")
	}
	if got.Headers["Reply-To"] != m.ReplyTo || got.Headers[HeaderSession] != "sess-phone-0003" {
		t.Errorf("headers = %v", got.Headers)
	}
	if got.TrackOpens == nil || *got.TrackOpens || got.TrackClicks == nil || *got.TrackClicks {
		t.Error("tracking must be sent and off")
	}
	if got.Metadata["idempotency_key"] != m.IdempotencyKey {
		t.Errorf("metadata = %v", got.Metadata)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Name != "note.txt" || got.Attachments[0].Type != "application/octet-stream" {
		t.Fatalf("attachments = %+v", got.Attachments)
	}
	if data, _ := got.Attachments[0].Data(); string(data) != "hello" {
		t.Errorf("attachment = %q", data)
	}
}

func TestMandrillResults(t *testing.T) {
	m := mustRender(t, biz(t, "maple-street-vet"), abandonedCallerID(), "")
	for _, tc := range []struct {
		name      string
		setup     func(*emailtest.Mandrill)
		key       string
		wantErr   bool
		permanent bool
		contains  string
	}{
		{name: "all sent", setup: func(*emailtest.Mandrill) {}},
		{name: "one of two rejected", setup: func(f *emailtest.Mandrill) { f.Reject(m.To[0], "hard-bounce") }},
		{name: "all rejected", setup: func(f *emailtest.Mandrill) {
			f.Reject(m.To[0], "hard-bounce")
			f.Reject(m.To[1], "unsub")
		}, wantErr: true, permanent: true, contains: "hard-bounce"},
		{name: "invalid key", key: "wrong", setup: func(*emailtest.Mandrill) {}, wantErr: true, permanent: true, contains: "Invalid_Key"},
		{name: "validation error", setup: func(f *emailtest.Mandrill) { f.FailNextError("ValidationError", "bad") }, wantErr: true, permanent: true, contains: "ValidationError"},
		{name: "payment required", setup: func(f *emailtest.Mandrill) { f.FailNextError("PaymentRequired", "pay") }, wantErr: true, permanent: true},
		{name: "general error", setup: func(f *emailtest.Mandrill) { f.FailNextError("GeneralError", "oops") }, wantErr: true, permanent: false, contains: "GeneralError"},
		{name: "unknown error name on 500", setup: func(f *emailtest.Mandrill) { f.FailNextError("Something_New", "?") }, wantErr: true, permanent: false},
		{name: "502 html", setup: func(f *emailtest.Mandrill) { f.FailNext(502, "<html>bad gateway</html>") }, wantErr: true, permanent: false, contains: "502"},
		{name: "429", setup: func(f *emailtest.Mandrill) { f.FailNext(429, "slow down") }, wantErr: true, permanent: false},
		{name: "403", setup: func(f *emailtest.Mandrill) { f.FailNext(403, "forbidden") }, wantErr: true, permanent: true},
		{name: "200 garbage", setup: func(f *emailtest.Mandrill) { f.FailNext(200, "{") }, wantErr: true, permanent: false},
		{name: "200 empty array", setup: func(f *emailtest.Mandrill) { f.FailNext(200, "[]") }, wantErr: true, permanent: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := mandrillFake(t)
			tc.setup(fake)
			key := tc.key
			if key == "" {
				key = "md-test-key"
			}
			var logs bytes.Buffer
			s := NewMailchimpTransactional(MandrillOptions{APIKey: staticKey(key), BaseURL: srv.URL, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			id, err := s.Send(context.Background(), m)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if IsPermanent(err) != tc.permanent {
					t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tc.permanent)
				}
				if !strings.Contains(err.Error(), tc.contains) {
					t.Errorf("err = %v, want it to mention %q", err, tc.contains)
				}
				return
			}
			if id == "" {
				t.Error("no id")
			}
			if tc.name == "one of two rejected" && !strings.Contains(logs.String(), "hard-bounce") {
				t.Errorf("partial rejection not logged: %s", logs.String())
			}
		})
	}
}

func TestMandrillTransport(t *testing.T) {
	m := mustRender(t, biz(t, "maple-street-vet"), abandonedCallerID(), "")
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := NewMailchimpTransactional(MandrillOptions{APIKey: staticKey("k"), BaseURL: url}).Send(context.Background(), m)
	if err == nil || IsPermanent(err) {
		t.Errorf("network error: %v, want transient", err)
	}

	keyErr := errors.New("secret ${X}: environment variable X is not set")
	_, err = NewMailchimpTransactional(MandrillOptions{APIKey: func(context.Context) (string, error) { return "", permanent(keyErr) }, BaseURL: url}).Send(context.Background(), m)
	if !errors.Is(err, keyErr) || !IsPermanent(err) {
		t.Errorf("key error: %v", err)
	}
	_, err = NewMailchimpTransactional(MandrillOptions{BaseURL: url}).Send(context.Background(), m)
	if !IsPermanent(err) {
		t.Errorf("no key func: %v", err)
	}
}
