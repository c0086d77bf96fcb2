package twiliovoice_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
	"github.com/ahca/ahca/pkg/twiliovoice/twiliotest"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	smsFrom    = "+15035550100"
	serviceSID = "MG0123456789abcdef0123456789abcdef"
)

var _ tools.SMS = (*twiliovoice.TwilioSMS)(nil)

// TestTwilioSMS drives the real twilio-go client against the wire fake.
func TestTwilioSMS(t *testing.T) {
	long := strings.Repeat("é", twiliovoice.MaxSMSBody+10)
	tests := []struct {
		name      string
		sms       func(base string) *twiliovoice.TwilioSMS
		to, body  string
		reject    int // Twilio error code for sends to `to`
		wantErr   string
		wantSent  *twiliotest.Message
		noRequest bool
	}{
		{"from number", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, authToken) }, "+15415550191", "Message for Jordan", 0, "",
			&twiliotest.Message{To: "+15415550191", From: smsFrom, Body: "Message for Jordan", AccountSID: accountSID}, false},
		{"messaging service", func(base string) *twiliovoice.TwilioSMS {
			s := smsClient(base, authToken)
			s.MessagingServiceSID = serviceSID
			return s
		}, "+15415550191", "hi", 0, "", &twiliotest.Message{To: "+15415550191", MessagingServiceSID: serviceSID, Body: "hi", AccountSID: accountSID}, false},
		{"number normalized", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, authToken) }, "+1 (541) 555-0191", "hi", 0, "",
			&twiliotest.Message{To: "+15415550191", From: smsFrom, Body: "hi", AccountSID: accountSID}, false},
		{"long body cut", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, authToken) }, "+15415550191", long, 0, "",
			&twiliotest.Message{To: "+15415550191", From: smsFrom, Body: string([]rune(long)[:twiliovoice.MaxSMSBody-1]) + "…", AccountSID: accountSID}, false},
		{"wrong auth token", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, "ffffffffffffffffffffffffffffffff") }, "+15415550191", "hi", 0, "20003", nil, false},
		{"recipient refused by Twilio", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, authToken) }, "+15415550191", "hi", 21610, "21610", nil, false},
		{"not a phone number", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, authToken) }, "frontdesk", "hi", 0, "not an E.164", nil, true},
		{"empty body", func(base string) *twiliovoice.TwilioSMS { return smsClient(base, authToken) }, "+15415550191", "  ", 0, "empty body", nil, true},
		{"no sender", func(base string) *twiliovoice.TwilioSMS {
			s := smsClient(base, authToken)
			s.From = ""
			return s
		}, "+15415550191", "hi", 0, "not configured", nil, true},
		{"auth token unavailable", func(base string) *twiliovoice.TwilioSMS {
			s := smsClient(base, authToken)
			s.AuthToken = func(context.Context) (string, error) { return "", errors.New("ssm down") }
			return s
		}, "+15415550191", "hi", 0, "ssm down", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := twiliotest.NewMessages(accountSID, authToken)
			if tt.reject != 0 {
				fake.Reject("+15415550191", tt.reject)
			}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			err := tt.sms(srv.URL).Send(context.Background(), tt.to, tt.body)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Send: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Send error %v; want one with %q", err, tt.wantErr)
			}
			sent := fake.Sent()
			if tt.wantSent == nil {
				if len(sent) != 0 {
					t.Errorf("sent %+v", sent)
				}
			} else {
				if len(sent) != 1 {
					t.Fatalf("sent %d messages", len(sent))
				}
				got := sent[0]
				if !strings.HasPrefix(got.SID, "SM") || got.Created.IsZero() {
					t.Errorf("message %+v", got)
				}
				got.SID, got.Created = "", tt.wantSent.Created
				if got != *tt.wantSent {
					t.Errorf("sent %+v;\nwant %+v", got, *tt.wantSent)
				}
				if utf8.RuneCountInString(got.Body) > twiliovoice.MaxSMSBody {
					t.Errorf("body of %d characters", utf8.RuneCountInString(got.Body))
				}
			}
			if tt.noRequest && fake.Requests() != 0 {
				t.Errorf("%d requests for a send refused locally", fake.Requests())
			}
		})
	}
}

func smsClient(base, token string) *twiliovoice.TwilioSMS {
	return &twiliovoice.TwilioSMS{
		AccountSID: accountSID,
		AuthToken:  func(context.Context) (string, error) { return token, nil },
		From:       smsFrom,
		BaseURL:    base,
	}
}

func TestTwilioSMSContext(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := smsClient(srv.URL, authToken).Send(ctx, "+15415550191", "hi"); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context: %v", err)
	}
}

// TestMessagesFake checks the fake refuses what Twilio refuses.
func TestMessagesFake(t *testing.T) {
	fake := twiliotest.NewMessages(accountSID, authToken)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	post := func(path, user, pass, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	path := "/2010-04-01/Accounts/" + accountSID + "/Messages.json"
	tests := []struct {
		name, path, user, pass, body string
		want                         int
	}{
		{"ok", path, accountSID, authToken, "To=%2B15415550191&From=%2B15035550100&Body=hi", http.StatusCreated},
		{"no auth", path, "", "", "To=%2B15415550191&From=%2B15035550100&Body=hi", http.StatusUnauthorized},
		{"another account's path", "/2010-04-01/Accounts/ACother/Messages.json", accountSID, authToken, "To=%2B15415550191&From=%2B15035550100&Body=hi", http.StatusNotFound},
		{"no To", path, accountSID, authToken, "From=%2B15035550100&Body=hi", http.StatusBadRequest},
		{"no Body", path, accountSID, authToken, "To=%2B15415550191&From=%2B15035550100", http.StatusBadRequest},
		{"no sender", path, accountSID, authToken, "To=%2B15415550191&Body=hi", http.StatusBadRequest},
		{"bad To", path, accountSID, authToken, "To=5415550191&From=%2B15035550100&Body=hi", http.StatusBadRequest},
	}
	for _, tt := range tests {
		if got := post(tt.path, tt.user, tt.pass, tt.body); got != tt.want {
			t.Errorf("%s: status %d; want %d", tt.name, got, tt.want)
		}
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d messages accepted; want 1", n)
	}
}
