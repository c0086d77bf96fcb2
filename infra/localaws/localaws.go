// Package localaws runs the AWS side of the stack on one machine for
// `ahca dev --lambdas`: in-process stand-ins for the services that have no
// emulator of their own (S3, SSM Parameter Store, Secrets Manager), each an
// http.Handler speaking the real wire protocol so the functions' real SDK
// clients talk to them unchanged; the Lambda Runtime Interface Emulator
// processes that run the real bootstraps (rie.go); the DynamoDB stream's
// event source mapping (stream.go, filter.go); and the reading of
// template.yaml that gives each function its environment (template.go).
//
// One Server answers S3, SSM and Secrets Manager on one address: requests
// with an X-Amz-Target header are AWS JSON 1.1 calls (SSM, Secrets
// Manager), the rest are S3 REST calls (path style). Any other JSON target
// is answered with an UnknownOperationException naming it, so a function
// that starts calling a new service fails loudly locally instead of
// reaching real AWS.
package localaws

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region and Account are the local stand-ins' region and account id.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Server is the S3, SSM and Secrets Manager stand-in.
type Server struct {
	// Values serves SSM parameters and Secrets Manager secrets.
	Values *Values
	// S3 is the in-memory bucket store.
	S3  *s3mem.Backend
	Log *slog.Logger

	s3 http.Handler

	mu    sync.Mutex
	calls map[string]int // "<target> <name>" → count
}

// NewServer returns a Server with empty stores.
func NewServer(log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	backend := s3mem.New()
	return &Server{
		Values: &Values{Params: map[string]string{}, Secrets: map[string]string{}},
		S3:     backend,
		Log:    log,
		s3:     gofakes3.New(backend, gofakes3.WithoutVersioning()).Server(),
		calls:  map[string]int{},
	}
}

// ServeHTTP dispatches on X-Amz-Target: JSON 1.1 calls to SSM and Secrets
// Manager, everything else to S3.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		s.count("s3 "+r.Method, r.URL.Path)
		s.s3.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost {
		jsonError(w, http.StatusBadRequest, "InvalidAction", "JSON 1.1 calls are POSTs")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	switch target {
	case "AmazonSSM.GetParameter":
		s.getParameter(w, body)
	case "AmazonSSM.GetParameters":
		s.getParameters(w, body)
	case "secretsmanager.GetSecretValue":
		s.getSecretValue(w, body)
	default:
		s.count(target, "")
		s.Log.Error("localaws: no stand-in for this AWS call", "target", target)
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "localaws has no stand-in for "+target)
	}
}

// Calls returns how often each call was made ("AmazonSSM.GetParameter
// /ahca/dev/twilio-auth-token" → 2).
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *Server) count(target, name string) {
	s.mu.Lock()
	s.calls[strings.TrimSpace(target+" "+name)]++
	s.mu.Unlock()
}

// Values holds the parameters and secrets. Lookup falls back to Fallback
// for names it does not hold (e.g. a same-named environment variable).
type Values struct {
	mu       sync.Mutex
	Params   map[string]string // SSM parameter name → value
	Secrets  map[string]string // secret name → SecretString
	Fallback func(kind, name string) (string, bool)
}

// Kinds passed to Values.Fallback.
const (
	KindSSM            = "ssm"
	KindSecretsManager = "secretsmanager"
)

// SetParameter stores an SSM parameter.
func (v *Values) SetParameter(name, value string) {
	v.mu.Lock()
	v.Params[name] = value
	v.mu.Unlock()
}

// SetSecret stores a Secrets Manager secret.
func (v *Values) SetSecret(name, value string) {
	v.mu.Lock()
	v.Secrets[name] = value
	v.mu.Unlock()
}

func (v *Values) lookup(kind, name string) (string, bool) {
	v.mu.Lock()
	m := v.Params
	if kind == KindSecretsManager {
		m = v.Secrets
	}
	val, ok := m[name]
	fb := v.Fallback
	v.mu.Unlock()
	if ok {
		return val, true
	}
	if fb != nil {
		return fb(kind, name)
	}
	return "", false
}

type parameter struct {
	Name             string
	Type             string
	Value            string
	Version          int
	ARN              string
	DataType         string
	LastModifiedDate float64
}

func (s *Server) parameter(name string) (parameter, bool) {
	v, ok := s.Values.lookup(KindSSM, name)
	s.count("AmazonSSM.GetParameter", name)
	if !ok {
		return parameter{}, false
	}
	return parameter{Name: name, Type: "SecureString", Value: v, Version: 1, DataType: "text",
		ARN:              fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", Region, Account, strings.TrimPrefix(name, "/")),
		LastModifiedDate: float64(time.Now().Unix())}, true
}

func (s *Server) getParameter(w http.ResponseWriter, body []byte) {
	var in struct {
		Name           string
		WithDecryption bool
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Name == "" {
		jsonError(w, http.StatusBadRequest, "ValidationException", "GetParameter needs a Name")
		return
	}
	p, ok := s.parameter(in.Name)
	if !ok {
		jsonError(w, http.StatusBadRequest, "ParameterNotFound", "parameter "+in.Name+" not found")
		return
	}
	writeJSON(w, map[string]any{"Parameter": p})
}

func (s *Server) getParameters(w http.ResponseWriter, body []byte) {
	var in struct {
		Names          []string
		WithDecryption bool
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Names) == 0 {
		jsonError(w, http.StatusBadRequest, "ValidationException", "GetParameters needs Names")
		return
	}
	out := struct {
		Parameters        []parameter
		InvalidParameters []string
	}{Parameters: []parameter{}, InvalidParameters: []string{}}
	for _, n := range in.Names {
		if p, ok := s.parameter(n); ok {
			out.Parameters = append(out.Parameters, p)
		} else {
			out.InvalidParameters = append(out.InvalidParameters, n)
		}
	}
	writeJSON(w, out)
}

func (s *Server) getSecretValue(w http.ResponseWriter, body []byte) {
	var in struct{ SecretId string }
	if err := json.Unmarshal(body, &in); err != nil || in.SecretId == "" {
		jsonError(w, http.StatusBadRequest, "InvalidParameterException", "GetSecretValue needs a SecretId")
		return
	}
	// An ARN names the secret after "secret:".
	name := in.SecretId
	if _, after, ok := strings.Cut(name, ":secret:"); ok {
		name = after
	}
	s.count("secretsmanager.GetSecretValue", name)
	v, ok := s.Values.lookup(KindSecretsManager, name)
	if !ok {
		jsonError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret "+name)
		return
	}
	writeJSON(w, map[string]any{
		"ARN":  fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", Region, Account, name),
		"Name": name, "SecretString": v, "VersionId": "00000000-0000-0000-0000-000000000001",
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": float64(time.Now().Unix()),
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

// jsonError answers as AWS JSON 1.1 services do, so the SDK maps the type.
func jsonError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
