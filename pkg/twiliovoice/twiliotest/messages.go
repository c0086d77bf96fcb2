package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Message is one message the fake accepted.
type Message struct {
	SID                 string
	AccountSID          string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	Created             time.Time
}

// Messages is a fake of Twilio's Messages API (POST
// /2010-04-01/Accounts/{AccountSid}/Messages.json) for the real twilio-go
// client: HTTP Basic authentication with the account SID and auth token, a
// form-encoded request, a 201 with the Message resource as JSON, and
// Twilio's error JSON {code, message, more_info, status} for what it
// refuses (20003 authentication, 20404 another account, 21604 no To,
// 21211 a To that is not E.164, 21602 no Body, 21603 neither From nor
// MessagingServiceSid). Serve it with httptest.NewServer and set
// TwilioSMS.BaseURL to the server's URL.
type Messages struct {
	AccountSID, AuthToken string
	// Now stamps messages; default time.Now.
	Now func() time.Time

	mu       sync.Mutex
	sent     []Message
	rejected map[string]int // To → Twilio error code
	requests int
}

// NewMessages returns a fake for one account.
func NewMessages(accountSID, authToken string) *Messages {
	return &Messages{AccountSID: accountSID, AuthToken: authToken, rejected: map[string]int{}}
}

// Reject makes sends to the number fail with a Twilio error code (e.g.
// 21610, unsubscribed recipient; 21614, not a mobile number).
func (m *Messages) Reject(to string, code int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rejected[to] = code
}

// Sent returns the accepted messages, in order.
func (m *Messages) Sent() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.sent...)
}

// Requests counts every request, accepted or not.
func (m *Messages) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

var messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ServeHTTP serves the Messages API.
func (m *Messages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.requests++
	m.mu.Unlock()
	match := messagesPath.FindStringSubmatch(r.URL.Path)
	if match == nil {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != m.AccountSID || pass != m.AuthToken {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if match[1] != m.AccountSID {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if r.Method != http.MethodPost {
		twilioError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		twilioError(w, http.StatusBadRequest, 20001, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	f := r.PostForm
	msg := Message{AccountSID: m.AccountSID, To: f.Get("To"), From: f.Get("From"), MessagingServiceSID: f.Get("MessagingServiceSid"), Body: f.Get("Body")}
	switch {
	case msg.To == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(msg.To):
		twilioError(w, http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: "+msg.To)
		return
	case msg.Body == "" && f.Get("MediaUrl") == "" && f.Get("ContentSid") == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case msg.From == "" && msg.MessagingServiceSID == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	}
	m.mu.Lock()
	code, rejected := m.rejected[msg.To]
	m.mu.Unlock()
	if rejected {
		twilioError(w, http.StatusBadRequest, code, "The message to "+msg.To+" cannot be sent")
		return
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	msg.Created = now().UTC()
	msg.SID = "SM" + randomHex()
	m.mu.Lock()
	m.sent = append(m.sent, msg)
	m.mu.Unlock()

	status := "queued"
	if msg.MessagingServiceSID != "" {
		status = "accepted" // a messaging service picks the sender later
	}
	uri := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s", url.PathEscape(m.AccountSID), msg.SID)
	date := msg.Created.Format(time.RFC1123Z)
	resource := map[string]any{
		"account_sid":           m.AccountSID,
		"api_version":           "2010-04-01",
		"body":                  msg.Body,
		"date_created":          date,
		"date_sent":             nil,
		"date_updated":          date,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  nilIfEmpty(msg.From),
		"messaging_service_sid": nilIfEmpty(msg.MessagingServiceSID),
		"num_media":             "0",
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   msg.SID,
		"status":                status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    msg.To,
		"uri":                   uri + ".json",
	}
	writeJSON(w, http.StatusCreated, resource)
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code":      code,
		"message":   msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func nilIfEmpty(s string) any {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return s
}

func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
