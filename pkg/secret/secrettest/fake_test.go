package secrettest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ahca/ahca/pkg/secret/secrettest"
)

// sdkSSM and sdkSM are the SDK's own clients pointed at the fake: the fake
// must answer them as AWS does (package secret's clients are tested
// against the fake in resolver_test.go).
func sdkSSM(f *secrettest.Fake) *ssm.Client {
	return ssm.NewFromConfig(f.AWSConfig(), func(o *ssm.Options) { o.BaseEndpoint = aws.String(f.URL) })
}

func sdkSM(f *secrettest.Fake) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(f.AWSConfig(), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(f.URL) })
}

// recorder captures the fake's assertion failures instead of failing the
// test, so the assertions themselves can be tested.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func TestFakeServesRealClients(t *testing.T) {
	fake := secrettest.NewServer(t)
	fake.SetParameter("/a", "pv")
	fake.SetSecret("s", "sv")
	fake.SetBinarySecret("b", []byte{0, 1, 0xff})
	ctx := context.Background()

	p, err := sdkSSM(fake).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/a"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != "pv" || aws.ToString(p.Parameter.Name) != "/a" || p.Parameter.Type != "SecureString" {
		t.Errorf("GetParameter(/a) = %+v, %v; want SecureString pv", p, err)
	}
	s, err := sdkSM(fake).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
	if err != nil || aws.ToString(s.SecretString) != "sv" || aws.ToString(s.Name) != "s" || s.SecretBinary != nil {
		t.Errorf("GetSecretValue(s) = %+v, %v; want SecretString sv", s, err)
	}
	b, err := sdkSM(fake).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("b")})
	if err != nil || b.SecretString != nil || !bytes.Equal(b.SecretBinary, []byte{0, 1, 0xff}) {
		t.Errorf("GetSecretValue(b) = %+v, %v; want SecretBinary 00 01 ff", b, err)
	}
	if got := fake.Calls(); got != 3 {
		t.Errorf("Calls() = %d, want 3", got)
	}
}

func TestFakeAssertsRequests(t *testing.T) {
	rec := &recorder{TB: t}
	fake := secrettest.NewServer(rec)
	fake.SetParameter("/a", "pv")
	ctx := context.Background()

	tests := []struct {
		name    string
		call    func() error
		wantErr string // in the client error and the recorded failure
	}{
		{
			name: "GetParameter without WithDecryption",
			call: func() error {
				_, err := sdkSSM(fake).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/a")})
				return err
			},
			wantErr: "WithDecryption",
		},
		{
			name: "unknown operation",
			call: func() error {
				_, err := sdkSSM(fake).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a"}})
				return err
			},
			wantErr: "AmazonSSM.GetParameters",
		},
		{
			name: "unsigned request",
			call: func() error {
				resp, err := http.Post(fake.URL, "application/x-amz-json-1.1", strings.NewReader(`{"Name":"/a","WithDecryption":true}`))
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				return fmt.Errorf("status %d: %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
			},
			wantErr: "SigV4",
		},
	}
	for _, tt := range tests {
		before := len(rec.errors())
		err := tt.call()
		if err == nil {
			t.Errorf("%s: call succeeded, want an error", tt.name)
		}
		errs := rec.errors()[before:]
		if len(errs) != 1 || !strings.Contains(errs[0], tt.wantErr) {
			t.Errorf("%s: recorded failures %q, want one containing %q", tt.name, errs, tt.wantErr)
		}
	}
}
