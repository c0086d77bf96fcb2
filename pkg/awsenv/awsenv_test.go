package awsenv

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestConfig(t *testing.T) {
	cfg, err := Config(env(map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK"}))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || cfg.Region != "us-west-2" || creds.AccessKeyID != "AK" || creds.SessionToken != "TOK" {
		t.Errorf("config = %+v, creds = %+v, %v", cfg, creds, err)
	}
	if _, err := Config(env(map[string]string{"AWS_REGION": "us-west-2"})); err == nil {
		t.Error("missing credentials accepted")
	}
	if _, err := Config(env(nil)); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("missing region: %v", err)
	}
}

func TestRequire(t *testing.T) {
	_, err := Require(env(map[string]string{"A": "1"}), "A", "B", "C")
	if err == nil || !strings.Contains(err.Error(), "[B C]") {
		t.Errorf("err = %v, want both missing names", err)
	}
	got, err := Require(env(map[string]string{"A": "1"}), "A")
	if err != nil || got["A"] != "1" {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestLogLevel(t *testing.T) {
	for in, want := range map[string]string{"": "INFO", "DEBUG": "DEBUG", "trace": "DEBUG", "WARN": "WARN", "ERROR": "ERROR", "FATAL": "ERROR", "INFO": "INFO"} {
		if got := LogLevel(env(map[string]string{"AWS_LAMBDA_LOG_LEVEL": in})).String(); got != want {
			t.Errorf("LogLevel(%q) = %s, want %s", in, got, want)
		}
	}
}

// The SDK's standard endpoint variables reach every service client built
// from the config, as with config.LoadDefaultConfig: the service's own
// variable first, then AWS_ENDPOINT_URL; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// turns both off.
func TestConfigEndpoints(t *testing.T) {
	base := map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}
	with := func(kv ...string) Getenv {
		m := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return env(m)
	}
	endpoint := func(getenv Getenv) map[string]string {
		cfg, err := Config(getenv)
		if err != nil {
			t.Fatal(err)
		}
		s := func(p *string) string { return aws.ToString(p) }
		return map[string]string{
			"dynamodb":       s(dynamodb.NewFromConfig(cfg).Options().BaseEndpoint),
			"s3":             s(s3.NewFromConfig(cfg).Options().BaseEndpoint),
			"ssm":            s(ssm.NewFromConfig(cfg).Options().BaseEndpoint),
			"secretsmanager": s(secretsmanager.NewFromConfig(cfg).Options().BaseEndpoint),
			"sesv2":          s(sesv2.NewFromConfig(cfg).Options().BaseEndpoint),
		}
	}
	for _, tc := range []struct {
		name string
		env  Getenv
		want map[string]string
	}{
		{"none", with(), map[string]string{"dynamodb": "", "s3": "", "ssm": "", "secretsmanager": "", "sesv2": ""}},
		{"per service", with("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb", "AWS_ENDPOINT_URL_S3", "http://s3", "AWS_ENDPOINT_URL_SSM", "http://ssm",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://sm", "AWS_ENDPOINT_URL_SESV2", "http://ses"),
			map[string]string{"dynamodb": "http://ddb", "s3": "http://s3", "ssm": "http://ssm", "secretsmanager": "http://sm", "sesv2": "http://ses"}},
		{"global and one service", with("AWS_ENDPOINT_URL", "http://all", "AWS_ENDPOINT_URL_SSM", "http://ssm"),
			map[string]string{"dynamodb": "http://all", "s3": "http://all", "ssm": "http://ssm", "secretsmanager": "http://all", "sesv2": "http://all"}},
		{"ignored", with("AWS_ENDPOINT_URL", "http://all", "AWS_ENDPOINT_URL_SSM", "http://ssm", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
			map[string]string{"dynamodb": "", "s3": "", "ssm": "", "secretsmanager": "", "sesv2": ""}},
	} {
		if got := endpoint(tc.env); !maps.Equal(got, tc.want) {
			t.Errorf("%s: endpoints = %v, want %v", tc.name, got, tc.want)
		}
	}

	// And a request really goes there.
	var target string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target = r.Header.Get("X-Amz-Target")
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Parameter":{"Name":"/x","Value":"v"}}`)
	}))
	defer srv.Close()
	cfg, err := Config(with("AWS_ENDPOINT_URL_SSM", srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/x")})
	if err != nil || aws.ToString(out.Parameter.Value) != "v" || target != "AmazonSSM.GetParameter" {
		t.Errorf("GetParameter through AWS_ENDPOINT_URL_SSM: %v, %v, target %q", out, err, target)
	}
}
