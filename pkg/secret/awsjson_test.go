package secret_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/secret"
)

// The clients call the endpoint the SDK's own clients would: the
// service's variable, then AWS_ENDPOINT_URL, then the region's.
func TestClientEndpoints(t *testing.T) {
	base := map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}
	tests := []struct {
		name    string
		env     map[string]string
		ssm, sm string
	}{
		{"the region's", nil, "https://ssm.us-west-2.amazonaws.com", "https://secretsmanager.us-west-2.amazonaws.com"},
		{"China's domain", map[string]string{"AWS_REGION": "cn-north-1"}, "https://ssm.cn-north-1.amazonaws.com.cn", "https://secretsmanager.cn-north-1.amazonaws.com.cn"},
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566", "http://127.0.0.1:4566"},
		{"each service's own", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:1",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:2"}, "http://127.0.0.1:1", "http://127.0.0.1:2"},
		{"configured endpoints ignored", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:1",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "https://ssm.us-west-2.amazonaws.com", "https://secretsmanager.us-west-2.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(func(k string) string {
				if v, ok := tt.env[k]; ok {
					return v
				}
				return base[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			for client, want := range map[any]string{secret.NewSSM(cfg): tt.ssm, secret.NewSecretsManager(cfg): tt.sm} {
				if got, err := secret.Endpoint(context.Background(), client); err != nil || got != want {
					t.Errorf("%T endpoint = %q, %v; want %q", client, got, err, want)
				}
			}
		})
	}
}

// Throttling and server errors are retried as the config's retryer says;
// a missing parameter is not; every attempt is a signed AWS JSON 1.1 call.
func TestClientRetries(t *testing.T) {
	tests := []struct {
		name      string
		failures  []string // status and __type of the answers before success
		wantCalls int32
		wantErr   string
	}{
		{"one call when all is well", nil, 1, ""},
		{"throttling, then the value", []string{"400 ThrottlingException"}, 2, ""},
		{"server errors, then the value", []string{"500 InternalServerError", "503 ServiceUnavailable"}, 3, ""},
		{"a missing parameter is not retried", []string{"400 ParameterNotFound"}, 1, "ParameterNotFound"},
		{"retries used up", []string{"500 InternalServerError", "500 InternalServerError", "500 InternalServerError"}, 3, "InternalServerError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				body, _ := io.ReadAll(r.Body)
				if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
					!strings.Contains(r.Header.Get("Authorization"), "/us-west-2/ssm/aws4_request") || string(body) != `{"Name":"/p","WithDecryption":true}` {
					t.Errorf("request %d: %v %s", n, r.Header, body)
				}
				if int(n) <= len(tt.failures) {
					status, code, _ := strings.Cut(tt.failures[n-1], " ")
					w.Header().Set("X-Amzn-Requestid", "req-1")
					w.WriteHeader(map[string]int{"400": 400, "500": 500, "503": 503}[status])
					io.WriteString(w, `{"__type":"com.amazonaws.ssm#`+code+`","message":"nope"}`)
					return
				}
				io.WriteString(w, `{"Parameter":{"Name":"/p","Type":"SecureString","Value":"v"}}`)
			}))
			defer srv.Close()
			cfg := aws.Config{Region: "us-west-2", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", ""),
				Retryer: func() aws.Retryer {
					return retry.NewStandard(func(o *retry.StandardOptions) {
						o.MaxAttempts = 3
						o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
					})
				}}
			v, err := secret.NewSSM(cfg).GetParameter(context.Background(), "/p")
			if tt.wantErr == "" && (err != nil || v != "v") {
				t.Errorf("GetParameter = %q, %v; want v", v, err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "req-1")) {
				t.Errorf("GetParameter error = %v; want %s with the request id", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}
