package awsenv

import (
	"context"
	"strings"
	"testing"
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
