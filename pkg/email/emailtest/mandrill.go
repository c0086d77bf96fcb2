// Package emailtest provides wire-level fakes of the HTTP email APIs package
// email talks to — Mailchimp Transactional (Mandrill) and the Mailchimp
// Marketing API — so tests drive the real HTTP code end to end: request
// shapes, authentication, status codes and error bodies as the services
// write them. Serve them with httptest.NewServer.
package emailtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// MandrillRecipient is one entry of message.to.
type MandrillRecipient struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"` // to | cc | bcc; Mandrill's default is to
}

// MandrillAttachment is one entry of message.attachments.
type MandrillAttachment struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Content string `json:"content"` // base64
}

// Data decodes the attachment's content.
func (a MandrillAttachment) Data() ([]byte, error) {
	return base64.StdEncoding.DecodeString(a.Content)
}

// MandrillMessage is the message object of messages/send, as far as package
// email uses it.
type MandrillMessage struct {
	HTML               string               `json:"html"`
	Text               string               `json:"text"`
	Subject            string               `json:"subject"`
	FromEmail          string               `json:"from_email"`
	FromName           string               `json:"from_name"`
	To                 []MandrillRecipient  `json:"to"`
	Headers            map[string]string    `json:"headers"`
	Attachments        []MandrillAttachment `json:"attachments"`
	TrackOpens         *bool                `json:"track_opens"`
	TrackClicks        *bool                `json:"track_clicks"`
	PreserveRecipients *bool                `json:"preserve_recipients"`
	Metadata           map[string]string    `json:"metadata"`
}

// MandrillResult is one entry of the messages/send response.
type MandrillResult struct {
	Email        string  `json:"email"`
	Status       string  `json:"status"`
	ID           string  `json:"_id"`
	RejectReason *string `json:"reject_reason"`
}

// MandrillSend is one accepted messages/send call.
type MandrillSend struct {
	Key     string
	Message MandrillMessage
	Results []MandrillResult
}

// Mandrill is a fake Mailchimp Transactional API serving POST
// /messages/send (and /messages/send.json). It checks what Mandrill checks —
// the API key, a JSON body, a message with a from_email, a subject or body,
// at least one recipient, base64 attachments — and answers as Mandrill does:
// 200 with one result per recipient, or HTTP 500 with
// {"status":"error","code":...,"name":...,"message":...}.
//
// Recipients are "sent" unless marked with Reject; an address without "@"
// is "invalid". FailNext scripts raw failures for the next requests.
type Mandrill struct {
	key string

	mu       sync.Mutex
	sends    []MandrillSend
	requests int
	rejects  map[string]string
	failures []failure
}

type failure struct {
	status int
	body   string
}

// NewMandrill returns a fake accepting the API key key.
func NewMandrill(key string) *Mandrill {
	return &Mandrill{key: key, rejects: map[string]string{}}
}

// Reject makes sends to email come back "rejected" with reason (e.g.
// "hard-bounce", "unsub", "spam").
func (f *Mandrill) Reject(email, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejects[strings.ToLower(email)] = reason
}

// FailNext makes the next request (after those already scripted) answer
// status with body verbatim.
func (f *Mandrill) FailNext(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{status, body})
}

// FailNextError makes the next request answer as Mandrill reports errors:
// HTTP 500 with a JSON error named name.
func (f *Mandrill) FailNextError(name, message string) {
	f.FailNext(http.StatusInternalServerError, mandrillErrorBody(name, message))
}

// Sends returns the accepted sends, oldest first.
func (f *Mandrill) Sends() []MandrillSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]MandrillSend(nil), f.sends...)
}

// Requests is how many requests reached the fake, failed ones included.
func (f *Mandrill) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func mandrillErrorBody(name, message string) string {
	code := map[string]int{"Invalid_Key": -1, "ValidationError": -2, "GeneralError": -1, "PaymentRequired": -1, "Unknown_Subaccount": 12}[name]
	b, _ := json.Marshal(map[string]any{"status": "error", "code": code, "name": name, "message": message})
	return string(b)
}

func (f *Mandrill) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	var fail *failure
	if len(f.failures) > 0 {
		fail = &f.failures[0]
		f.failures = f.failures[1:]
	}
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	errorOut := func(name, msg string) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, mandrillErrorBody(name, msg))
	}
	if fail != nil {
		w.WriteHeader(fail.status)
		io.WriteString(w, fail.body)
		return
	}
	if r.URL.Path != "/messages/send" && r.URL.Path != "/messages/send.json" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"status":"error","code":-1,"name":"GeneralError","message":"Unknown API call"}`)
		return
	}
	if r.Method != http.MethodPost {
		errorOut("ValidationError", "messages/send must be called with POST")
		return
	}
	var req struct {
		Key     string           `json:"key"`
		Message *MandrillMessage `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 32<<20)).Decode(&req); err != nil {
		errorOut("ValidationError", "You must specify a key value: "+err.Error())
		return
	}
	if req.Key != f.key {
		errorOut("Invalid_Key", "Invalid API key")
		return
	}
	m := req.Message
	switch {
	case m == nil:
		errorOut("ValidationError", "Validation error: {\"message\":\"Please enter an array\"}")
		return
	case len(m.To) == 0:
		errorOut("ValidationError", "Validation error: {\"message\":{\"to\":\"Please enter an array\"}}")
		return
	case m.FromEmail == "" || !strings.Contains(m.FromEmail, "@"):
		errorOut("ValidationError", "Validation error: {\"message\":{\"from_email\":\"An email address must contain a single @\"}}")
		return
	}
	for _, a := range m.Attachments {
		if _, err := a.Data(); err != nil {
			errorOut("ValidationError", fmt.Sprintf("Validation error: attachment %q is not valid base64", a.Name))
			return
		}
	}
	for k, v := range m.Headers {
		if strings.ContainsAny(k+v, "\r\n") {
			errorOut("ValidationError", "Validation error: header contains a line break")
			return
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	send := MandrillSend{Key: req.Key, Message: *m}
	for _, to := range m.To {
		res := MandrillResult{Email: to.Email, Status: "sent", ID: randomID()}
		if reason, ok := f.rejects[strings.ToLower(to.Email)]; ok {
			res.Status, res.RejectReason = "rejected", &reason
		} else if strings.Count(to.Email, "@") != 1 {
			res.Status = "invalid"
		}
		send.Results = append(send.Results, res)
	}
	f.sends = append(f.sends, send)
	json.NewEncoder(w).Encode(send.Results)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
