package secret_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/secret"
)

func TestKind(t *testing.T) {
	tests := []struct {
		in        string
		wantKind  secret.Kind
		wantIsRef bool
	}{
		{"", secret.KindLiteral, false},
		{"plain", secret.KindLiteral, false},
		{"${FOO}", secret.KindEnv, true},
		{"${}", secret.KindEnv, true},
		{"${FOO", secret.KindEnv, true},
		{"${lower case with space}", secret.KindEnv, true},
		{"${name}, welcome", secret.KindLiteral, false},
		{"${A}${B}", secret.KindLiteral, false},
		{"Hello ${x} there", secret.KindLiteral, false},
		{"$FOO", secret.KindLiteral, false},
		{" ${FOO}", secret.KindLiteral, false},
		{"ssm:/x", secret.KindSSM, true},
		{"ssm:", secret.KindSSM, true},
		{"SSM:/x", secret.KindLiteral, false},
		{" ssm:/x", secret.KindLiteral, false},
		{"secretsmanager:ahca/dev/graph", secret.KindSecretsManager, true},
		{"secretsmanager:", secret.KindSecretsManager, true},
		{"https://example.com", secret.KindLiteral, false},
	}
	for _, tt := range tests {
		v := secret.Value(tt.in)
		if got := v.Kind(); got != tt.wantKind {
			t.Errorf("Value(%q).Kind() = %q, want %q", tt.in, got, tt.wantKind)
		}
		if got := v.IsRef(); got != tt.wantIsRef {
			t.Errorf("Value(%q).IsRef() = %v, want %v", tt.in, got, tt.wantIsRef)
		}
	}
}

func TestParseRef(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ahca/dev/graph-AbCdEf"
	tests := []struct {
		in      string
		want    secret.Ref
		wantOK  bool
		wantErr string // substring; "" means no error
	}{
		// Literals.
		{in: ""},
		{in: "plain text"},
		{in: "Hello ${x} there"},
		{in: "${name}, welcome"},
		{in: "${A}${B}"},
		{in: "${FOO}}"},
		{in: "$FOO"},
		{in: " ${FOO}"},
		{in: "SSM:/x"},
		{in: "Secretsmanager:x"},

		// Environment references.
		{in: "${FOO}", want: secret.Ref{Kind: secret.KindEnv, Name: "FOO"}, wantOK: true},
		{in: "${BUSINESS_X_CLIENT_SECRET}", want: secret.Ref{Kind: secret.KindEnv, Name: "BUSINESS_X_CLIENT_SECRET"}, wantOK: true},
		{in: "${_x9}", want: secret.Ref{Kind: secret.KindEnv, Name: "_x9"}, wantOK: true},
		{in: "${}", wantErr: "empty environment variable name"},
		{in: "${lower case with space}", wantErr: "must match"},
		{in: "${9LIVES}", wantErr: "must match"},
		{in: "${FOO-BAR}", wantErr: "must match"},
		{in: "${ FOO }", wantErr: "must match"},
		{in: "${FOO", wantErr: `missing closing "}"`},
		{in: "${", wantErr: `missing closing "}"`},

		// SSM references.
		{in: "ssm:/x", want: secret.Ref{Kind: secret.KindSSM, Name: "/x"}, wantOK: true},
		{in: "ssm:/ahca/dev/openai-key", want: secret.Ref{Kind: secret.KindSSM, Name: "/ahca/dev/openai-key"}, wantOK: true},
		{in: "ssm:/ahca/dev/openai-key:3", want: secret.Ref{Kind: secret.KindSSM, Name: "/ahca/dev/openai-key:3"}, wantOK: true},
		{in: "ssm:", wantErr: "empty SSM parameter path"},
		{in: "ssm:ahca/dev/key", wantErr: "must be absolute"},
		{in: "ssm: /x", wantErr: "must be absolute"},
		{in: "ssm:/", wantErr: "names no parameter"},
		{in: "ssm:/a b", wantErr: "white space"},
		{in: "ssm:/a\n", wantErr: "white space"},

		// Secrets Manager references.
		{in: "secretsmanager:ahca/dev/graph", want: secret.Ref{Kind: secret.KindSecretsManager, Name: "ahca/dev/graph"}, wantOK: true},
		{in: "secretsmanager:" + arn, want: secret.Ref{Kind: secret.KindSecretsManager, Name: arn}, wantOK: true},
		{in: "secretsmanager:", wantErr: "empty Secrets Manager secret id"},
		{in: "secretsmanager: x", wantErr: "white space"},
	}
	for _, tt := range tests {
		got, ok, err := secret.ParseRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRef(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
				t.Errorf("ParseRef(%q) error = %v, want it to quote the value", tt.in, err)
			}
			if ok || got != (secret.Ref{}) {
				t.Errorf("ParseRef(%q) = %+v, %v with error, want zero Ref and false", tt.in, got, ok)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRef(%q) unexpected error: %v", tt.in, err)
			continue
		}
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
		if ok && got.String() != tt.in {
			t.Errorf("ParseRef(%q).String() = %q, want the input back", tt.in, got.String())
		}
		// ParseRef agrees with Kind on what is a reference.
		if ok != secret.Value(tt.in).IsRef() {
			t.Errorf("ParseRef(%q) ok = %v but IsRef() = %v", tt.in, ok, !ok)
		}
	}
}

func TestRedacted(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"sk-live-123", "[redacted]"},
		{"Hello ${x} there", "[redacted]"},
		{"${FOO}", "${FOO}"},
		{"ssm:/ahca/dev/openai-key", "ssm:/ahca/dev/openai-key"},
		{"secretsmanager:ahca/dev/graph", "secretsmanager:ahca/dev/graph"},
		{"${}", "${}"}, // malformed references are still names, shown for debugging
	}
	for _, tt := range tests {
		v := secret.Value(tt.in)
		if got := v.Redacted(); got != tt.want {
			t.Errorf("Value(%q).Redacted() = %q, want %q", tt.in, got, tt.want)
		}
		for _, format := range []string{"%v", "%s", "%q", "%+v"} {
			if got := fmt.Sprintf(format, v); strings.Contains(got, "sk-live") {
				t.Errorf("fmt.Sprintf(%q, Value(%q)) = %q leaks the literal", format, tt.in, got)
			}
		}
	}
}

func TestLogValueRedacts(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "apiKey", secret.Value("sk-live-123"), "clientSecret", secret.Value("${CS}"))
	got := buf.String()
	if strings.Contains(got, "sk-live") {
		t.Errorf("slog output leaks the literal: %s", got)
	}
	if !strings.Contains(got, `"apiKey":"[redacted]"`) || !strings.Contains(got, `"clientSecret":"${CS}"`) {
		t.Errorf("slog output = %s, want apiKey redacted and clientSecret shown", got)
	}
}

func TestIsSecretField(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"apiKey", true},
		{"api_key", true},
		{"APIKEY", true},
		{"openaiApiKey", true},
		{"clientSecret", true},
		{"client_secret", true},
		{"privateKey", true},
		{"authToken", true},
		{"password", true},
		{"smtpPassword", true},
		{"secret", true},
		{"accessToken", true},
		{"token", true},
		{"Token", true},
		{"secretAccessKey", true},
		{"secret-access-key", true},
		{"webhookSecret", true},
		{"signingKey", true},
		{"clientId", false},
		{"tenantId", false},
		{"senderEmail", false},
		{"tokenUrl", false},
		{"maxTokens", false},
		{"secretName", false},
		{"publicKey", false},
		{"accessKeyId", false},
		{"key", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := secret.IsSecretField(tt.key); got != tt.want {
			t.Errorf("IsSecretField(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}
