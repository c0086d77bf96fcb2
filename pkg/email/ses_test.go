package email

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// sesClient is the real SES v2 client pointed at endpoint.
func sesClient(endpoint string) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDAHCATEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// sesEndpoint returns the emulator's URL from AHCA_SES_ENDPOINT (set by
// `eval "$(bash infra/scripts/ses-local.sh start)"`). Without it the test is
// skipped, or fails when CI is set.
func sesEndpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv("AHCA_SES_ENDPOINT")
	if ep == "" {
		msg := "AHCA_SES_ENDPOINT is not set: run eval \"$(bash infra/scripts/ses-local.sh start)\""
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return strings.TrimSuffix(ep, "/")
}

// storedEmail is one entry of the emulator's GET /store.
type storedEmail struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To, Cc, Bcc []string
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"contentType"`
		Content     string `json:"content"` // base64
	} `json:"attachments"`
	Headers []struct{ Name, Value string } `json:"headers"`
}

func fetchStored(t *testing.T, endpoint, messageID string) storedEmail {
	t.Helper()
	resp, err := http.Get(endpoint + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct{ Emails []storedEmail }
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	for _, e := range store.Emails {
		if e.MessageID == messageID {
			return e
		}
	}
	t.Fatalf("message %s not in the emulator's store (%d emails)", messageID, len(store.Emails))
	return storedEmail{}
}

func TestSESEmulator(t *testing.T) {
	endpoint := sesEndpoint(t)
	sender := NewSES(sesClient(endpoint), SESOptions{ConfigurationSet: "ahca-test"})
	ctx := context.Background()

	normal := mustRender(t, biz(t, "superior-fencing"), fencingWeb(), "Storm damage; call back tomorrow.")
	evil := mustRender(t, biz(t, "superior-fencing"), hostile(), "<script>alert(3)</script>")
	withFile := normal
	withFile.FromName = "Zoë's Fences"
	withFile.Cc = []string{"owner@superior-fence.example"}
	withFile.Attachments = []Attachment{{Filename: "estimate.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 test")}}

	for _, tc := range []struct {
		name     string
		m        Message
		wantFrom string
	}{
		{"summary", normal, `"Superior Fence After-Hours Line" <leads@mail.superior-fence.example>`},
		{"hostile caller", evil, `"Superior Fence After-Hours Line" <leads@mail.superior-fence.example>`},
		{"attachment and cc", withFile, "=?utf-8?b?Wm/DqydzIEZlbmNlcw==?= <leads@mail.superior-fence.example>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := sender.Send(ctx, tc.m)
			if err != nil {
				t.Fatal(err)
			}
			got := fetchStored(t, endpoint, id)
			if got.From != tc.wantFrom {
				t.Errorf("from = %q, want %q", got.From, tc.wantFrom)
			}
			if !slices.Equal(got.Destination.To, tc.m.To) || !slices.Equal(got.Destination.Cc, tc.m.Cc) && len(tc.m.Cc) > 0 {
				t.Errorf("to %v cc %v, want %v %v", got.Destination.To, got.Destination.Cc, tc.m.To, tc.m.Cc)
			}
			// SES takes a 7-bit subject; ours are RFC 2047-encoded.
			subj, err := new(mime.WordDecoder).DecodeHeader(got.Subject)
			if err != nil || subj != tc.m.Subject || strings.ContainsAny(got.Subject, "\r\n") {
				t.Errorf("subject = %q (decoded %q, %v), want %q", got.Subject, subj, err, tc.m.Subject)
			}
			for _, r := range got.Subject {
				if r > 127 {
					t.Fatalf("subject sent with non-ASCII text: %q", got.Subject)
				}
			}
			if tc.m.ReplyTo != "" && !slices.Equal(got.ReplyTo, []string{tc.m.ReplyTo}) {
				t.Errorf("reply-to = %v, want %q", got.ReplyTo, tc.m.ReplyTo)
			}
			if got.Body.HTML != tc.m.HTML || got.Body.Text != tc.m.Text {
				t.Error("bodies changed in transit")
			}
			if strings.Contains(strings.ToLower(got.Body.HTML), "<script") {
				t.Error("stored HTML contains <script")
			}
			var session string
			for _, h := range got.Headers {
				if h.Name == HeaderSession {
					session = h.Value
				}
			}
			if session != tc.m.Headers[HeaderSession] {
				t.Errorf("%s = %q, want %q (headers %v)", HeaderSession, session, tc.m.Headers[HeaderSession], got.Headers)
			}
			if len(tc.m.Attachments) > 0 {
				if len(got.Attachments) != 1 || got.Attachments[0].Filename != "estimate.pdf" || got.Attachments[0].ContentType != "application/pdf" {
					t.Fatalf("attachments = %+v", got.Attachments)
				}
				if data, _ := base64.StdEncoding.DecodeString(got.Attachments[0].Content); string(data) != "%PDF-1.4 test" {
					t.Errorf("attachment content = %q", data)
				}
			}
		})
	}
	t.Run("escaped caller values", func(t *testing.T) {
		id, err := sender.Send(ctx, evil)
		if err != nil {
			t.Fatal(err)
		}
		got := fetchStored(t, endpoint, id)
		if !strings.Contains(got.Body.HTML, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") || !strings.Contains(got.Body.HTML, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Error("the hostile name and reason are not stored escaped")
		}
	})
	t.Run("invalid message", func(t *testing.T) {
		bad := normal
		bad.To = nil
		if _, err := sender.Send(ctx, bad); !IsPermanent(err) {
			t.Errorf("no recipients: err = %v, want permanent", err)
		}
	})
}

// sesErrorServer answers every SendEmail with one SES error, as SES's
// restJson1 protocol writes it.
func sesErrorServer(t *testing.T, status int, code string, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			t.Error("request is not SigV4-signed")
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if code != "" {
			w.Header().Set("X-Amzn-ErrorType", code)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"%s from the fake"}`, code)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSESErrors(t *testing.T) {
	m := mustRender(t, biz(t, "superior-fencing"), fencingWeb(), "")
	for _, tc := range []struct {
		status    int
		code      string
		permanent bool
	}{
		{400, "MessageRejected", true},
		{400, "MailFromDomainNotVerifiedException", true},
		{400, "AccountSuspendedException", true},
		{400, "SendingPausedException", true},
		{400, "BadRequestException", true},
		{404, "NotFoundException", true},
		{403, "AccessDeniedException", true},
		{429, "TooManyRequestsException", false},
		{400, "LimitExceededException", false},
		{500, "InternalFailure", false},
		{503, "ServiceUnavailable", false},
		{502, "", false},
	} {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.code), func(t *testing.T) {
			var calls atomic.Int32
			srv := sesErrorServer(t, tc.status, tc.code, &calls)
			_, err := NewSES(sesClient(srv.URL), SESOptions{}).Send(context.Background(), m)
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tc.permanent)
			}
			if calls.Load() == 0 {
				t.Error("the fake was not called")
			}
		})
	}
	t.Run("network", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := NewSES(sesClient(url), SESOptions{}).Send(context.Background(), m)
		if err == nil || IsPermanent(err) {
			t.Errorf("err = %v, want transient", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var calls atomic.Int32
		srv := sesErrorServer(t, 500, "", &calls)
		_, err := NewSES(sesClient(srv.URL), SESOptions{}).Send(ctx, m)
		if err == nil || IsPermanent(err) || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want transient context.Canceled", err)
		}
	})
	t.Run("no client", func(t *testing.T) {
		_, err := NewSES(nil, SESOptions{}).Send(context.Background(), m)
		if !IsPermanent(err) {
			t.Errorf("err = %v, want permanent", err)
		}
	})
}

func TestFormatAddress(t *testing.T) {
	for _, tc := range [][3]string{
		{"", "a@b.example", "a@b.example"},
		{"Superior Fence", "a@b.example", `"Superior Fence" <a@b.example>`},
		{`Say "hi" <x>`, "a@b.example", `"Say \"hi\" <x>" <a@b.example>`},
		{"Zoë", "a@b.example", "=?utf-8?q?Zo=C3=AB?= <a@b.example>"},
	} {
		if got := formatAddress(tc[0], tc[1]); got != tc[2] {
			t.Errorf("formatAddress(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
