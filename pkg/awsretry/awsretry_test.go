package awsretry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/tenant"
)

// failing answers the first n requests as DynamoDB does when throttling
// (or with a 500), then an empty GetItem result.
func failing(n int64, status int, errType string) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if calls.Add(1) <= n {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected"}`, errType)
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	return srv, &calls
}

// fast is a policy with tiny backoffs, so the test does not wait.
func fast(attempts int) awsretry.Policy {
	return awsretry.Policy{Name: "test", MaxAttempts: attempts, BaseDelay: time.Microsecond, MaxBackoff: time.Millisecond}
}

func client(url string, p awsretry.Policy, log *slog.Logger) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	}, func(o *dynamodb.Options) { p.Apply(&o.Retryer, &o.APIOptions, log) })
}

func get(ctx context.Context, c *dynamodb.Client) error {
	_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "k"},
	}})
	return err
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		failures   int64
		status     int
		errType    string
		attempts   int
		wantErr    bool
		wantCalls  int64
		wantLogged bool
	}{
		{"throttled, then through", 5, 400, "ProvisionedThroughputExceededException", 8, false, 6, false},
		{"5xx, then through", 3, 500, "InternalServerError", 8, false, 4, false},
		// Sustained throttling: far more retries than the SDK's default
		// retry quota would allow, and the exhausted call is logged.
		{"throttled throughout", 100, 400, "ProvisionedThroughputExceededException", 12, true, 12, true},
		{"not retryable", 100, 400, "ValidationException", 8, true, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := failing(tt.failures, tt.status, tt.errType)
			defer srv.Close()
			var logs bytes.Buffer
			log := tenant.NewJSONLogger(&logs, slog.LevelInfo)
			ctx := tenant.WithBusiness(context.Background(), "acme-plumbing")
			err := get(ctx, client(srv.URL, fast(tt.attempts), log))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("%d requests, want %d", calls.Load(), tt.wantCalls)
			}
			logged := strings.Contains(logs.String(), awsretry.MessageExhausted)
			if logged != tt.wantLogged {
				t.Errorf("logged %q = %v, want %v:\n%s", awsretry.MessageExhausted, logged, tt.wantLogged, logs.String())
			}
			if logged && (!strings.Contains(logs.String(), `"businessId":"acme-plumbing"`) || !strings.Contains(logs.String(), `"operation":"GetItem"`)) {
				t.Errorf("the log record lacks the business or the operation:\n%s", logs.String())
			}
			if tt.wantLogged {
				if _, ok := errors.AsType[*retry.MaxAttemptsError](err); !ok {
					t.Errorf("err %v is not a MaxAttemptsError", err)
				}
			}
		})
	}
}

// The retries stop at the caller's deadline, however many are left.
func TestRetriesStopAtDeadline(t *testing.T) {
	srv, calls := failing(1000, 400, "ProvisionedThroughputExceededException")
	defer srv.Close()
	slow := awsretry.Policy{Name: "test", MaxAttempts: 1000, BaseDelay: time.Hour, MaxBackoff: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- get(ctx, client(srv.URL, slow, nil)) }()
	for calls.Load() == 0 {
		select {
		case err := <-done:
			t.Fatalf("returned before any request: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel() // as the Lambda's deadline would
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the context's cancellation", err)
	}
	if n := calls.Load(); n > 2 {
		t.Errorf("%d requests after the deadline; the backoff must wait on the context", n)
	}
}

func TestPolicies(t *testing.T) {
	for _, p := range []awsretry.Policy{awsretry.Turn, awsretry.Background} {
		if p.MaxAttempts <= 3 || p.MaxBackoff <= 0 || p.BaseDelay <= 0 {
			t.Errorf("%s: %+v is no more patient than the SDK's default of 3 attempts", p.Name, p)
		}
	}
	if awsretry.Turn.MaxBackoff >= awsretry.Background.MaxBackoff {
		t.Error("a caller waits on the turn policy: it must give up sooner than the background one")
	}
}
