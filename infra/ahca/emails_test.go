package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/delivery"
)

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
	ses, sesURL := newFlakySES(t, 0)
	flags = append(flags, "--ses-endpoint", sesURL)

	code, out, errOut := txRun(t, emails, append([]string{"redrive", "--dry-run"}, flags...)...)
	if code != exitOK || !strings.Contains(out, "superior-fencing  s-dead") || !strings.Contains(out, "SES: 503") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if len(ses.emails()) != 0 {
		t.Fatal("a dry run sent mail")
	}

	code, out, errOut = txRun(t, emails, append([]string{"redrive", "--business", "superior-fencing"}, flags...)...)
	if code != exitOK || !strings.Contains(out, "sent    superior-fencing/s-dead: business email (provider id flaky-1)") ||
		!strings.Contains(out, "1 dead letter(s) redriven, 0 still failing") {
		t.Fatalf("redrive: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if sent := ses.emails(); len(sent) != 1 || !strings.Contains(sent[0].Text, "Jamie Rivera") {
		t.Fatalf("SES got %d messages: %v", len(sent), sent)
	}
	// Nothing left: every business, again.
	code, out, _ = txRun(t, emails, append([]string{"redrive"}, flags...)...)
	if code != exitOK || !strings.Contains(out, "0 dead letter(s) redriven") || len(ses.emails()) != 1 {
		t.Errorf("second redrive: exit %d, %d sent\n%s", code, len(ses.emails()), out)
	}
}

func TestEmailsUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"resend"}, {"redrive", "extra"}, {"redrive", "--business", "Bad#Id"}} {
		if code, _, errOut := txRun(t, emails, args...); code != exitUsage || !strings.Contains(errOut, "usage") && !strings.Contains(errOut, "--business") {
			t.Errorf("emails %v: exit %d\n%s", args, code, errOut)
		}
	}
}
