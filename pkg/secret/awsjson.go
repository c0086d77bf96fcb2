package secret

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// The resolver reads two AWS calls: SSM GetParameter and Secrets Manager
// GetSecretValue, both AWS JSON 1.1. This file makes them with the SDK's
// credentials, SigV4 signer, HTTP client and retryer from an aws.Config,
// instead of through the SDK's ssm and secretsmanager clients: those link
// about 1 MB of generated schemas that every function built at init
// (6–7 ms of each cold start, BENCHMARKS.md) for these two calls.

// NewSSM returns the SSM client of the resolver: GetParameter with
// decryption at AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL or the region's
// endpoint.
func NewSSM(cfg aws.Config) SSMAPI {
	return ssmClient{&jsonClient{cfg: cfg, serviceID: "SSM", signingName: "ssm", targetPrefix: "AmazonSSM"}}
}

// NewSecretsManager returns the Secrets Manager client of the resolver:
// GetSecretValue (the secret's current version) at
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL or the region's
// endpoint.
func NewSecretsManager(cfg aws.Config) SecretsManagerAPI {
	return smClient{&jsonClient{cfg: cfg, serviceID: "Secrets Manager", signingName: "secretsmanager", targetPrefix: "secretsmanager"}}
}

type ssmClient struct{ c *jsonClient }

func (s ssmClient) GetParameter(ctx context.Context, name string) (string, error) {
	var out struct {
		Parameter *struct{ Value *string }
	}
	if err := s.c.call(ctx, "GetParameter", map[string]any{"Name": name, "WithDecryption": true}, &out); err != nil {
		return "", err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("SSM returned no parameter value")
	}
	return *out.Parameter.Value, nil
}

type smClient struct{ c *jsonClient }

func (s smClient) GetSecretValue(ctx context.Context, id string) (string, error) {
	var out struct {
		SecretString *string
		SecretBinary []byte // base64 on the wire
	}
	if err := s.c.call(ctx, "GetSecretValue", map[string]any{"SecretId": id}, &out); err != nil {
		return "", err
	}
	if out.SecretString == nil {
		if len(out.SecretBinary) > 0 {
			return "", fmt.Errorf("secret has only SecretBinary; a SecretString is required")
		}
		return "", fmt.Errorf("Secrets Manager returned no SecretString")
	}
	return *out.SecretString, nil
}

// jsonClient calls one AWS JSON 1.1 service.
type jsonClient struct {
	cfg          aws.Config
	serviceID    string // the SDK's service id: AWS_ENDPOINT_URL_<ID>
	signingName  string // SigV4 service name and endpoint prefix
	targetPrefix string // X-Amz-Target: <prefix>.<operation>
}

// APIError is an error response of an AWS JSON service. It is a
// smithy.APIError (ErrorCode), and the SDK's retryers read its status and
// code as they do their own clients' errors.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

var _ smithy.APIError = (*APIError)(nil)

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d, request id %s)", e.Code, e.Message, e.Status, e.RequestID)
}
func (e *APIError) ErrorCode() string    { return e.Code }
func (e *APIError) ErrorMessage() string { return e.Message }
func (e *APIError) HTTPStatusCode() int  { return e.Status }
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// call makes op with in as its body and decodes the answer into out,
// retried as cfg's retryer and RetryMaxAttempts say, as the SDK's clients
// are (its standard retryer by default).
func (c *jsonClient) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.serviceID, op, err)
	}
	var r aws.Retryer
	if c.cfg.Retryer != nil {
		r = c.cfg.Retryer()
	} else {
		r = retry.NewStandard()
	}
	if n := c.cfg.RetryMaxAttempts; n > 0 {
		r = retry.AddWithMaxAttempts(r, n)
	}
	for attempt := 1; ; attempt++ {
		err = c.once(ctx, op, body, out)
		if err == nil {
			return nil
		}
		if attempt >= r.MaxAttempts() || ctx.Err() != nil || !r.IsErrorRetryable(err) {
			return fmt.Errorf("%s %s: %w", c.serviceID, op, err)
		}
		delay, derr := r.RetryDelay(attempt, err)
		if derr != nil {
			return fmt.Errorf("%s %s: %w", c.serviceID, op, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s %s: %w (after %v)", c.serviceID, op, ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (c *jsonClient) once(ctx context.Context, op string, body []byte, out any) error {
	endpoint, err := c.endpoint(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", c.targetPrefix+"."+op)
	if c.cfg.Credentials == nil {
		return fmt.Errorf("no AWS credentials configured")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("AWS credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.signingName, c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	var hc aws.HTTPClient = http.DefaultClient
	if c.cfg.HTTPClient != nil {
		hc = c.cfg.HTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err // the retryer knows connection errors
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return apiError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// apiError reads an AWS JSON error body: {"__type": "[prefix#]Code",
// "message": "..."} (or "Message"); the header X-Amzn-ErrorType may carry
// the code instead.
func apiError(resp *http.Response, data []byte) *APIError {
	var body struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageC string `json:"Message"`
	}
	_ = json.Unmarshal(data, &body)
	code := body.Type
	if code == "" {
		code = resp.Header.Get("X-Amzn-ErrorType")
	}
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := body.Message
	if msg == "" {
		msg = body.MessageC
	}
	return &APIError{Status: resp.StatusCode, Code: code, Message: msg, RequestID: resp.Header.Get("X-Amzn-Requestid")}
}

// endpoint is where the service is called: the service's own configured
// endpoint (AWS_ENDPOINT_URL_<SERVICE>, through cfg's config sources, as
// the SDK's clients resolve it), else cfg.BaseEndpoint (AWS_ENDPOINT_URL),
// else the region's public endpoint.
func (c *jsonClient) endpoint(ctx context.Context) (string, error) {
	type serviceEndpoints interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	for _, src := range c.cfg.ConfigSources {
		if s, ok := src.(serviceEndpoints); ok {
			if u, found, err := s.GetServiceBaseEndpoint(ctx, c.serviceID); err == nil && found && u != "" {
				return u, nil
			}
		}
	}
	if c.cfg.BaseEndpoint != nil && *c.cfg.BaseEndpoint != "" {
		return *c.cfg.BaseEndpoint, nil
	}
	if c.cfg.Region == "" {
		return "", fmt.Errorf("no AWS region configured")
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(c.cfg.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://" + c.signingName + "." + c.cfg.Region + "." + domain, nil
}
