package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/delivery"
)

// emSES is a fake SES v2 SendEmail endpoint recording what it accepts.
type emSES struct {
	mu   sync.Mutex
	sent []string
}

func (f *emSES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		http.NotFound(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.sent = append(f.sent, string(b))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"MessageId": "ses-msg-1"})
}

func (f *emSES) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

func emails(ctx context.Context, args []string, out, errb *bytes.Buffer) int {
	return run(ctx, append([]string{"emails"}, args...), strings.NewReader(""), out, errb)
}

func TestEmailsRedrive(t *testing.T) {
	flags, recs := txTable(t)
	ctx := context.Background()
	end := time.Now().UTC().Add(-time.Hour)
	rec := txRecord("superior-fencing", "s-dead", end, "Jamie Rivera", "fence blew down")
	if _, err := recs.PutTranscript(ctx, rec); err != nil {
		t.Fatal(err)
	}
	err := recs.PutDeadLetter(ctx, &delivery.DeadLetter{
		BusinessID: "superior-fencing", SessionID: "s-dead", TranscriptKey: rec.Key(), Emails: []delivery.EmailKind{delivery.EmailBusiness},
		Attempts: 5, LastError: "SES: 503 Service Unavailable", Reason: delivery.ReasonAttempts, FailedAt: end,
	})
	if err != nil {
		t.Fatal(err)
	}
	ses := &emSES{}
	srv := httptest.NewServer(ses)
	defer srv.Close()
	flags = append(flags, "--ses-endpoint", srv.URL)

	code, out, errOut := txRun(t, emails, append([]string{"redrive", "--dry-run"}, flags...)...)
	if code != exitOK || !strings.Contains(out, "superior-fencing  s-dead") || !strings.Contains(out, "SES: 503") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if ses.count() != 0 {
		t.Fatal("a dry run sent mail")
	}

	code, out, errOut = txRun(t, emails, append([]string{"redrive", "--business", "superior-fencing"}, flags...)...)
	if code != exitOK || !strings.Contains(out, "sent    superior-fencing/s-dead: business email (provider id ses-msg-1)") ||
		!strings.Contains(out, "1 dead letter(s) redriven, 0 still failing") {
		t.Fatalf("redrive: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if ses.count() != 1 || !strings.Contains(ses.sent[0], "Jamie Rivera") {
		t.Fatalf("SES got %d messages: %v", ses.count(), ses.sent)
	}
	// Nothing left: every business, again.
	code, out, _ = txRun(t, emails, append([]string{"redrive"}, flags...)...)
	if code != exitOK || !strings.Contains(out, "0 dead letter(s) redriven") || ses.count() != 1 {
		t.Errorf("second redrive: exit %d, %d sent\n%s", code, ses.count(), out)
	}
}

func TestEmailsUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"resend"}, {"redrive", "extra"}, {"redrive", "--business", "Bad#Id"}} {
		if code, _, errOut := txRun(t, emails, args...); code != exitUsage || !strings.Contains(errOut, "usage") && !strings.Contains(errOut, "--business") {
			t.Errorf("emails %v: exit %d\n%s", args, code, errOut)
		}
	}
}
