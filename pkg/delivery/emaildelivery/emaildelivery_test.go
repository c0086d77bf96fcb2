package emaildelivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/emaildelivery"
	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/email/emailtest"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// sesFake answers SES v2 SendEmail as SES does and records the requests.
type sesFake struct {
	mu   sync.Mutex
	sent []map[string]any
}

func (f *sesFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, req)
	n := len(f.sent)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"MessageId": fmt.Sprintf("ses-%d", n)})
}

func (f *sesFake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.sent {
		b, _ := json.Marshal(r)
		out = append(out, string(b))
	}
	return out
}

type setConfigs struct{ set *business.Set }

func (c setConfigs) Business(_ context.Context, id tenant.ID) (*business.Business, error) {
	return c.set.Business(id)
}

// endEvent is the stream record of s moving from active to ended, built
// with the store's own marshalling.
func endEvent(t *testing.T, s *session.Session, seq string) events.DynamoDBEventRecord {
	t.Helper()
	old := s.Clone()
	old.Status, old.EndReason, old.EndedAt, old.Version = session.StatusActive, "", time.Time{}, s.Version-1
	oldImg, newImg := sessiontest.StreamImage(t, old), sessiontest.StreamImage(t, s)
	return events.DynamoDBEventRecord{
		EventID: "ev-" + seq, EventName: "MODIFY", EventSource: "aws:dynamodb", EventVersion: "1.1", AWSRegion: "us-west-2",
		Change: events.DynamoDBStreamRecord{
			Keys:     map[string]events.DynamoDBAttributeValue{"pk": newImg["pk"], "sk": newImg["sk"]},
			OldImage: oldImg, NewImage: newImg, SequenceNumber: seq, StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}
}

// The wiring end to end with the real renderer and the real provider
// clients against wire-level fakes: two businesses in one batch, each
// email through its own provider with its own branding, once.
func TestWiringTwoBusinessesEndToEnd(t *testing.T) {
	files := map[string][]byte{
		"businesses.json":   []byte(`{"phoneToBusinessMap":{"+15035550100":"acme-plumbing","+15415550100":"bravo-fencing"}}`),
		"prompt_rules.json": []byte(`{"realtimeSystem":{"full":"You are the assistant for {businessName}."}}`),
		"businesses/acme-plumbing/config.json": []byte(`{"businessId":"acme-plumbing","businessName":"Acme Plumbing","phone":"+15035550100",
			"timezone":"America/Los_Angeles","features":{"basicInfoCollection":true},
			"email":{"provider":"ses","fromEmail":"leads@acme-plumbing.example","fromName":"Acme After-Hours",
			"notificationRecipients":["office@acme-plumbing.example"],"sendCallerCopy":true},
			"companyInfo":{"name":"Acme Plumbing"},"promptConfig":{"agentName":"Sam","greeting":"Acme, Sam here."}}`),
		"businesses/bravo-fencing/config.json": []byte(`{"businessId":"bravo-fencing","businessName":"Bravo Fencing","phone":"+15415550100",
			"timezone":"America/New_York","features":{"basicInfoCollection":true},
			"email":{"provider":"mailchimp-transactional","apiKey":"${BRAVO_MANDRILL_KEY}","fromEmail":"crew@bravo-fencing.example",
			"fromName":"Bravo Web Chat","notificationRecipients":["crew@bravo-fencing.example"]},
			"companyInfo":{"name":"Bravo Fencing"},"promptConfig":{"agentName":"Kit","greeting":"Bravo, Kit here."}}`),
	}
	set, err := business.Build("", files)
	if err != nil {
		t.Fatal(err)
	}
	ses := &sesFake{}
	sesSrv := httptest.NewServer(ses)
	defer sesSrv.Close()
	mandrill := emailtest.NewMandrill("md-key")
	mdSrv := httptest.NewServer(mandrill)
	defer mdSrv.Close()
	providers := &email.Providers{
		Resolver: secret.NewResolver(secret.Options{LookupEnv: func(k string) (string, bool) {
			return "md-key", k == "BRAVO_MANDRILL_KEY"
		}}),
		SES: sesv2.New(sesv2.Options{Region: "us-west-2", BaseEndpoint: aws.String(sesSrv.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}),
		MandrillBaseURL: mdSrv.URL + "/",
	}
	p := emaildelivery.New(emaildelivery.Options{
		Store: delivery.NewMemoryRecords(), Configs: setConfigs{set}, Summarizer: &summary.Summarizer{},
		Providers: providers, Log: slog.New(slog.DiscardHandler),
	})

	now := time.Now().UTC().Truncate(time.Millisecond)
	acme := &session.Session{BusinessID: "acme-plumbing", ID: "s-acme", Channel: session.ChannelPhone, Status: session.StatusEnded,
		EndReason: "completed", Version: 4, CreatedAt: now.Add(-time.Minute), UpdatedAt: now, EndedAt: now, ExpiresAt: now.Add(3 * time.Hour),
		Caller: session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Email: "jamie@example.com", Reason: "burst pipe"}}
	acme.Append(session.RoleCaller, "A pipe burst <script>alert(1)</script>", now.Add(-50*time.Second))
	bravo := &session.Session{BusinessID: "bravo-fencing", ID: "s-bravo", Channel: session.ChannelWeb, Status: session.StatusEnded,
		EndReason: "disconnected", Version: 3, CreatedAt: now.Add(-time.Minute), UpdatedAt: now, EndedAt: now, ExpiresAt: now.Add(3 * time.Hour),
		Caller: session.Caller{Name: "Ann Lee", Reason: "cedar fence quote"}}
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{endEvent(t, acme, "100"), endEvent(t, bravo, "101")}}

	for range 2 { // the second batch is a stream retry: nothing more is sent
		resp, err := p.HandleStream(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("HandleStream = %+v, %v", resp, err)
		}
	}
	sesSent := ses.requests()
	if len(sesSent) != 2 {
		t.Fatalf("SES got %d messages, want acme's summary and caller copy:\n%s", len(sesSent), strings.Join(sesSent, "\n"))
	}
	for _, want := range []string{"office@acme-plumbing.example", "Acme After-Hours", "Jamie Rivera"} {
		if !strings.Contains(sesSent[0], want) {
			t.Errorf("acme summary lacks %q:\n%s", want, sesSent[0])
		}
	}
	if !strings.Contains(sesSent[1], `"ToAddresses":["jamie@example.com"]`) {
		t.Errorf("caller copy:\n%s", sesSent[1])
	}
	for _, m := range sesSent {
		if strings.Contains(m, "Bravo") || strings.Contains(m, "bravo") || strings.Contains(m, "<script>") {
			t.Errorf("SES message carries bravo's data or unescaped markup:\n%s", m)
		}
	}
	md := mandrill.Sends()
	if len(md) != 1 {
		t.Fatalf("Mandrill got %d messages, want bravo's summary", len(md))
	}
	m := md[0].Message
	if m.FromEmail != "crew@bravo-fencing.example" || m.FromName != "Bravo Web Chat" || m.To[0].Email != "crew@bravo-fencing.example" ||
		!strings.Contains(m.Subject, "Ann Lee") || strings.Contains(m.HTML+m.Text, "Acme") {
		t.Errorf("bravo message from %s <%s> to %v subject %q", m.FromName, m.FromEmail, m.To, m.Subject)
	}
}

func TestRenderMissedCall(t *testing.T) {
	b := &business.Business{ID: "acme-plumbing", Name: "Acme Plumbing", Email: business.Email{FromEmail: "a@acme.example", Recipients: []string{"o@acme.example"}}}
	r := &delivery.Record{Transcript: transcript.Transcript{BusinessID: b.ID, SessionID: "s1", Channel: session.ChannelPhone, CallbackPhone: "+15035550142", StartedAt: time.Now()}}
	m, err := emaildelivery.RenderMissedCall(b, r)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Missed call from (503) 555-0142 (Acme Plumbing)" || strings.Contains(m.Subject, "New lead") || len(m.To) != 1 {
		t.Errorf("missed call notice = %+v", m)
	}
	r.AfterHours = true
	m, err = emaildelivery.RenderMissedCall(b, r)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Missed call after hours from (503) 555-0142 (Acme Plumbing)" || !strings.Contains(m.Text, "after-hours greeting") {
		t.Errorf("after-hours notice = %q\n%s", m.Subject, m.Text)
	}
}
