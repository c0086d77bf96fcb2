// Package secrettest provides a fake AWS endpoint for SSM GetParameter and
// Secrets Manager GetSecretValue that speaks the real wire protocol (AWS JSON
// 1.1), so tests can drive the real aws-sdk-go-v2 clients end to end instead
// of mocking the client interfaces. That catches mistakes a mock cannot:
// wrong request fields, forgotten WithDecryption, unhandled error shapes.
//
// Typical use:
//
//	fake := secrettest.NewServer(t)
//	fake.SetParameter("/ahca/dev/openai-key", "sk-test")
//	r := secret.NewResolver(secret.Options{SSM: fake.SSM(), SecretsManager: fake.SecretsManager()})
package secrettest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ahca/ahca/pkg/secret"
)

// The X-Amz-Target values the fake serves.
const (
	TargetGetParameter   = "AmazonSSM.GetParameter"
	TargetGetSecretValue = "secretsmanager.GetSecretValue"
)

const (
	region      = "us-east-1"
	account     = "123456789012"
	contentType = "application/x-amz-json-1.1"
)

// Fake is an http.Handler that serves SSM GetParameter and Secrets Manager
// GetSecretValue from in-memory maps and counts requests.
//
// It asserts on every request what package secret relies on and reports
// violations with t.Errorf (and an error response): POST to "/", the AWS
// JSON 1.1 content type, a SigV4 Authorization header, a known
// X-Amz-Target, a non-empty Name or SecretId, and WithDecryption=true on
// GetParameter (secrets are SecureStrings; reading one without decryption
// returns ciphertext).
//
// Parameters and secrets are looked up by exact name: the fake does not
// implement ARNs, selectors or version stages.
type Fake struct {
	// URL is the base URL of the server, for BaseEndpoint.
	URL string

	t testing.TB

	mu      sync.Mutex
	params  map[string]string
	secrets map[string]string
	binary  map[string][]byte
	calls   int
	gate    chan struct{}
}

// NewServer starts an httptest.Server serving a new Fake and closes it when
// the test ends.
func NewServer(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{
		t:       t,
		params:  make(map[string]string),
		secrets: make(map[string]string),
		binary:  make(map[string][]byte),
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// SetParameter stores an SSM SecureString parameter.
func (f *Fake) SetParameter(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.params[name] = value
}

// SetSecret stores a Secrets Manager secret with a SecretString.
func (f *Fake) SetSecret(id, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id] = value
}

// SetBinarySecret stores a Secrets Manager secret that has only a
// SecretBinary.
func (f *Fake) SetBinarySecret(id string, value []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.binary[id] = append([]byte(nil), value...)
}

// Calls returns the number of requests received so far, including held
// requests and rejected ones.
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Hold makes requests that arrive from now on wait (after being counted)
// until release is called, so tests can observe callers piling up behind an
// in-flight fetch. release may be called more than once; it is also called
// when the test ends so that the server can shut down.
func (f *Fake) Hold() (release func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			f.mu.Lock()
			if f.gate == gate {
				f.gate = nil
			}
			f.mu.Unlock()
			close(gate)
		})
	}
	f.t.Cleanup(release)
	return release
}

// AWSConfig returns a config for clients of this fake: region us-east-1,
// static credentials, BaseEndpoint set to the fake, and a single attempt per
// call so that Calls counts exactly the calls the code under test made.
func (f *Fake) AWSConfig() aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("AK", "SK", ""),
		BaseEndpoint:     aws.String(f.URL),
		RetryMaxAttempts: 1,
	}
}

// SSM returns the resolver's SSM client (secret.NewSSM) pointed at the
// fake. (fake_test.go checks the fake against the SDK's own clients.)
func (f *Fake) SSM() secret.SSMAPI { return secret.NewSSM(f.AWSConfig()) }

// SecretsManager returns the resolver's Secrets Manager client pointed at
// the fake.
func (f *Fake) SecretsManager() secret.SecretsManagerAPI {
	return secret.NewSecretsManager(f.AWSConfig())
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	gate := f.gate
	f.mu.Unlock()

	// Read the body before holding: net/http only notices that a client has
	// gone away (and cancels r.Context()) once the body has been consumed.
	// A read error means the client gave up (e.g. its context was
	// cancelled); that is not a protocol violation, so just drop it.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}

	target := r.Header.Get("X-Amz-Target")
	var problems []string
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		problems = append(problems, fmt.Sprintf("request is %s %s, want POST /", r.Method, r.URL.Path))
	}
	if ct := r.Header.Get("Content-Type"); ct != contentType {
		problems = append(problems, fmt.Sprintf("Content-Type is %q, want %q", ct, contentType))
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		problems = append(problems, "request is not SigV4-signed")
	}
	if len(problems) > 0 {
		f.t.Errorf("secrettest: %s: %s", target, strings.Join(problems, "; "))
		writeError(w, "ValidationException", strings.Join(problems, "; "))
		return
	}

	switch target {
	case TargetGetParameter:
		f.getParameter(w, body)
	case TargetGetSecretValue:
		f.getSecretValue(w, body)
	default:
		f.t.Errorf("secrettest: unexpected X-Amz-Target %q", target)
		writeError(w, "UnknownOperationException", "unknown operation "+target)
	}
}

// decode unmarshals the request body of op into in; false when it is not
// JSON (the test fails, the client gets a SerializationException).
func (f *Fake) decode(w http.ResponseWriter, op string, body []byte, in any) bool {
	if err := json.Unmarshal(body, in); err != nil {
		f.t.Errorf("secrettest: %s: decode body %q: %v", op, body, err)
		writeError(w, "SerializationException", err.Error())
		return false
	}
	return true
}

// required returns the value of a required request field of op; false when
// it is missing or empty (the test fails, the client gets a
// ValidationException).
func (f *Fake) required(w http.ResponseWriter, op, field string, v *string, body []byte) (string, bool) {
	if v == nil || *v == "" {
		f.t.Errorf("secrettest: %s without %s: %s", op, field, body)
		writeError(w, "ValidationException", field+" is required")
		return "", false
	}
	return *v, true
}

func (f *Fake) getParameter(w http.ResponseWriter, body []byte) {
	var in struct {
		Name           *string
		WithDecryption *bool
	}
	if !f.decode(w, "GetParameter", body, &in) {
		return
	}
	name, ok := f.required(w, "GetParameter", "Name", in.Name, body)
	if !ok {
		return
	}
	if in.WithDecryption == nil || !*in.WithDecryption {
		f.t.Errorf("secrettest: GetParameter %s without WithDecryption=true: %s", name, body)
		writeError(w, "ValidationException", "WithDecryption=true is required by this fake")
		return
	}
	f.mu.Lock()
	value, ok := f.params[name]
	f.mu.Unlock()
	if !ok {
		writeError(w, "ParameterNotFound", "Parameter "+name+" not found.")
		return
	}
	arn := "arn:aws:ssm:" + region + ":" + account + ":parameter"
	if !strings.HasPrefix(name, "/") {
		arn += "/"
	}
	writeJSON(w, map[string]any{
		"Parameter": map[string]any{
			"ARN":      arn + name,
			"DataType": "text",
			"Name":     name,
			"Type":     "SecureString",
			"Value":    value,
			"Version":  1,
		},
	})
}

func (f *Fake) getSecretValue(w http.ResponseWriter, body []byte) {
	var in struct {
		SecretID *string `json:"SecretId"`
	}
	if !f.decode(w, "GetSecretValue", body, &in) {
		return
	}
	id, ok := f.required(w, "GetSecretValue", "SecretId", in.SecretID, body)
	if !ok {
		return
	}
	f.mu.Lock()
	str, isString := f.secrets[id]
	bin, isBinary := f.binary[id]
	f.mu.Unlock()
	if !isString && !isBinary {
		writeError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	out := map[string]any{
		"ARN":           "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + id + "-AbCdEf",
		"Name":          id,
		"VersionId":     "00000000-0000-0000-0000-000000000001",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   1.7e9,
	}
	if isString {
		out["SecretString"] = str
	} else {
		out["SecretBinary"] = bin // encoding/json writes []byte as base64, as AWS does
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// writeError writes an AWS JSON 1.1 client error: HTTP 400 with the error
// type both in X-Amzn-ErrorType and in the body's "__type".
func writeError(w http.ResponseWriter, errorType, message string) {
	b, _ := json.Marshal(map[string]string{"__type": errorType, "message": message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(http.StatusBadRequest)
	w.Write(b)
}
