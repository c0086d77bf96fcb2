// Package secret handles configuration values that may be references to
// secrets rather than the secrets themselves.
//
// Business configuration files are committed and copied around, so they must
// never contain credentials. Instead a secret field holds a reference that
// names where the secret lives, and the secret is fetched only when it is
// needed, by a [Resolver]:
//
//	"${BUSINESS_X_CLIENT_SECRET}"           environment variable
//	"ssm:/ahca/dev/openai-key"              SSM Parameter Store, decrypted
//	"secretsmanager:ahca/dev/graph"         Secrets Manager SecretString (name or ARN)
//	"ssm:/ahca/{stage}/acme/api-key"        stage-relative: {stage} is the deployment stage
//
// Any other string is a literal. Whether a literal is acceptable in a given
// field is the caller's decision ([IsSecretField] helps); this package only
// classifies, parses and resolves.
package secret

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// Kind says what a [Value] is: a literal or one of the reference forms.
type Kind string

// The kinds of [Value]. They are strings so that they read well in logs and
// validation messages.
const (
	KindLiteral        Kind = "literal"
	KindEnv            Kind = "env"
	KindSSM            Kind = "ssm"
	KindSecretsManager Kind = "secretsmanager"
)

const (
	envPrefix = "${"
	envSuffix = "}"
	ssmPrefix = "ssm:"
	smPrefix  = "secretsmanager:"
)

// envNamePattern is the portable shape of an environment variable name
// (POSIX, minus the upper-case-only convention, which we do not enforce).
var envNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// Value is a configuration value that is either a literal or a reference to a
// secret. It is a distinct type so that code cannot send a reference onward as
// if it were the secret: the only way to get the usable string is
// [Resolver.Resolve] (or an explicit, reviewable string conversion).
//
// The classification rules are exact; values are never trimmed or
// case-folded:
//
//   - A value that starts with "${" is an environment reference when its first
//     "}" is its last byte: "${NAME}". It is malformed if it has no "}" at all
//     ("${NAME") or if NAME does not match ^[A-Za-z_][A-Za-z0-9_]*$ ("${}",
//     "${lower case}"). If text follows the first "}" ("${name}, welcome",
//     "${A}${B}") the value is a literal: a reference is the whole value, so
//     templates are not references. "$NAME" without braces is a literal.
//   - A value that starts with "ssm:" is an SSM Parameter Store reference. The
//     rest must be an absolute parameter path: it starts with "/", is longer
//     than "/", and contains no white space or control characters. SSM
//     parameter ARNs are not accepted; a "name:version" or "name:label"
//     selector suffix is passed to SSM untouched.
//   - A value that starts with "secretsmanager:" is a Secrets Manager
//     reference. The rest is the secret id (name or ARN, passed to
//     GetSecretValue as-is) and must be non-empty with no white space or
//     control characters.
//   - Anything else, including "", " ssm:/x" and "SSM:/x", is a literal.
type Value string

// Kind reports what v claims to be from its prefix alone. A malformed
// reference still reports its reference kind (so it is never mistaken for a
// literal); use [ParseRef] to validate it.
func (v Value) Kind() Kind {
	s := string(v)
	switch {
	case strings.HasPrefix(s, envPrefix):
		i := strings.Index(s, envSuffix)
		if i < 0 || i == len(s)-1 {
			return KindEnv // "${NAME}" or unterminated "${NAME"
		}
		return KindLiteral // "${x} and more": a template, not a reference
	case strings.HasPrefix(s, ssmPrefix):
		return KindSSM
	case strings.HasPrefix(s, smPrefix):
		return KindSecretsManager
	default:
		return KindLiteral
	}
}

// IsRef reports whether v is (or claims to be) a reference rather than a
// literal. It is true for malformed references too, so that a validator
// checking "secret fields must be references" reports the malformation
// (via [ParseRef]) rather than "plain-text secret".
func (v Value) IsRef() bool { return v.Kind() != KindLiteral }

// Redacted returns v in a form safe to display or log. References are shown
// as-is because they are names of secrets, not secrets, and seeing them is
// what makes configuration debuggable. A non-empty literal is shown as
// "[redacted]" because this package cannot know it is harmless; "" stays "".
func (v Value) Redacted() string {
	switch {
	case v == "":
		return ""
	case v.IsRef():
		return string(v)
	default:
		return "[redacted]"
	}
}

// String returns [Value.Redacted], so that printing a Value with fmt (%v, %s,
// %q) can never leak a literal secret. Use string(v) for the raw value.
func (v Value) String() string { return v.Redacted() }

// LogValue returns [Value.Redacted], so that slog handlers (including the JSON
// handler, which would otherwise marshal the raw string) never log a literal
// secret.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.Redacted()) }

// Ref is a parsed, valid reference.
type Ref struct {
	// Kind is KindEnv, KindSSM or KindSecretsManager; never KindLiteral.
	Kind Kind
	// Name is the environment variable name, SSM parameter path or Secrets
	// Manager secret id, without the reference syntax.
	Name string
}

// String returns the reference in its configuration syntax, e.g. "${NAME}"
// or "ssm:/a/b". It is used to name the reference in errors and logs.
func (r Ref) String() string {
	switch r.Kind {
	case KindEnv:
		return envPrefix + r.Name + envSuffix
	case KindSSM:
		return ssmPrefix + r.Name
	case KindSecretsManager:
		return smPrefix + r.Name
	default:
		return r.Name
	}
}

// ParseRef parses s according to the rules documented on [Value].
//
// For a literal it returns ok == false and a nil error. For a well-formed
// reference it returns the reference and ok == true. For a value that is a
// reference by its prefix but is malformed it returns an error (and a zero Ref
// and false); the error quotes s, which is safe because s is a would-be
// reference, not a secret.
func ParseRef(s string) (ref Ref, ok bool, err error) {
	malformed := func(why string) (Ref, bool, error) {
		return Ref{}, false, fmt.Errorf("secret: malformed reference %q: %s", s, why)
	}
	switch Value(s).Kind() {
	case KindEnv:
		if !strings.HasSuffix(s, envSuffix) {
			return malformed(`missing closing "}"`)
		}
		name := s[len(envPrefix) : len(s)-len(envSuffix)]
		if name == "" {
			return malformed("empty environment variable name")
		}
		if !envNamePattern().MatchString(name) {
			return malformed("environment variable name must match " + envNamePattern().String())
		}
		return Ref{Kind: KindEnv, Name: name}, true, nil
	case KindSSM:
		name := s[len(ssmPrefix):]
		switch {
		case name == "":
			return malformed("empty SSM parameter path")
		case !strings.HasPrefix(name, "/"):
			return malformed(`SSM parameter path must be absolute (start with "/")`)
		case name == "/":
			return malformed("SSM parameter path names no parameter")
		case hasSpaceOrControl(name):
			return malformed("SSM parameter path contains white space or control characters")
		}
		return Ref{Kind: KindSSM, Name: name}, true, nil
	case KindSecretsManager:
		id := s[len(smPrefix):]
		switch {
		case id == "":
			return malformed("empty Secrets Manager secret id")
		case hasSpaceOrControl(id):
			return malformed("Secrets Manager secret id contains white space or control characters")
		}
		return Ref{Kind: KindSecretsManager, Name: id}, true, nil
	default:
		return Ref{}, false, nil
	}
}

func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0
}

// secretFieldSuffixes are the normalised (lower-case, no "_" or "-") field
// name endings that mark a field as holding a secret.
var secretFieldSuffixes = []string{
	"apikey",
	"clientsecret",
	"privatekey",
	"authtoken",
	"password",
	"secret",
	"accesstoken",
	"token",
	"secretaccesskey",
	"webhooksecret",
	"signingkey",
}

var fieldSeparators = strings.NewReplacer("_", "", "-", "")

// IsSecretField reports whether a JSON field name, by its name alone, holds a
// secret, so that validation can insist such fields are references and never
// plain text. The match is a case-insensitive suffix match that ignores "_"
// and "-", so "clientSecret", "client_secret", "APIKey", "authToken" and
// "token" are secret fields, while "clientId", "tokenUrl", "maxTokens",
// "secretName" and "publicKey" are not.
func IsSecretField(key string) bool {
	k := strings.ToLower(fieldSeparators.Replace(key))
	for _, suffix := range secretFieldSuffixes {
		if strings.HasSuffix(k, suffix) {
			return true
		}
	}
	return false
}

// StageRelative reports whether r names its secret relative to the stage,
// with [StageToken] (SSM and Secrets Manager references only).
func (r Ref) StageRelative() bool {
	return (r.Kind == KindSSM || r.Kind == KindSecretsManager) && strings.Contains(r.Name, StageToken)
}

// WithStage returns r with every [StageToken] replaced by stage.
func (r Ref) WithStage(stage string) Ref {
	if r.Kind == KindSSM || r.Kind == KindSecretsManager {
		r.Name = strings.ReplaceAll(r.Name, StageToken, stage)
	}
	return r
}

// LocalEnvName returns the environment variable that stands in for a
// stage-relative reference where no AWS client is configured (make dev,
// ahca call): the part of the name after "{stage}/", upper-cased, with
// every character other than a letter or digit replaced by "_", and any
// ":version" selector dropped. "ssm:/ahca/{stage}/superior-fencing/on-call-phone"
// gives SUPERIOR_FENCING_ON_CALL_PHONE. ok is false for other references.
func LocalEnvName(r Ref) (name string, ok bool) {
	if !r.StageRelative() {
		return "", false
	}
	_, rest, _ := strings.Cut(r.Name, StageToken)
	rest = strings.TrimLeft(rest, "/")
	if r.Kind == KindSSM {
		rest, _, _ = strings.Cut(rest, ":")
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(rest) {
		if c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	name = strings.Trim(b.String(), "_")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "SECRET_" + name
	}
	return name, true
}
