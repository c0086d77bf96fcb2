// Package stack is the composition root of the Lambdas: what each function
// is built from, read from its environment (template.yaml) in one place and
// passed on as explicit config structs to constructors. The library packages
// (pkg/wsapi, pkg/twiliovoice, pkg/email, …) read no environment variables.
//
// The root is split by what it links, because Go links whole packages and
// each function should link only what it uses (TestFunctionDependencies):
//
//	pkg/stack             the environment, the AWS config, the log, configs and sessions (every function)
//	pkg/stack/wsstack     the WebSocket handlers (ws-connect, ws-message; ahca dev: all three)
//	pkg/stack/turnstack   the model, tools, knowledge and booking of a turn (ws-message only: openai-go)
//	pkg/stack/voicestack  the Twilio voice webhooks (twilio-voice)
//	pkg/stack/endstack    ending sessions outside a turn: ws-disconnect, session-sweeper
//	pkg/stack/summarystack  the summary pipeline on the table's stream (email-summary)
//	pkg/stack/webstack    the chat page, the widget and the public business info (web-assets)
//
// `ahca dev` builds the same handlers from the same library constructors
// with local stand-ins (infra/ahca/dev.go).
package stack

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Getenv reads an environment variable (os.Getenv in the functions).
type Getenv = awsenv.Getenv

// Base is what every function is built from.
type Base struct {
	AWS          aws.Config // region, credentials, endpoints (awsenv)
	LogLevel     slog.Level
	Table        string // TABLE_NAME: sessions, transcripts, claims, bookings
	ConfigBucket string // CONFIG_BUCKET
	ConfigPrefix string // CONFIG_PREFIX, optional
	Stage        string // STAGE: expands {stage} in secret references
	// Retry is the DynamoDB client's retry policy, by who waits for the
	// function (zero: awsretry.Turn, a caller).
	Retry awsretry.Policy
}

// Env is getenv, or os.Getenv when nil: every FromEnv takes a nil getenv
// to mean the process's environment.
func Env(getenv Getenv) Getenv {
	if getenv == nil {
		return os.Getenv
	}
	return getenv
}

// BaseFromEnv reads Base: TABLE_NAME and CONFIG_BUCKET are required.
func BaseFromEnv(getenv Getenv) (Base, error) {
	getenv = Env(getenv)
	env, err := awsenv.Require(getenv, "TABLE_NAME", "CONFIG_BUCKET")
	if err != nil {
		return Base{}, err
	}
	cfg, err := awsenv.Config(getenv)
	if err != nil {
		return Base{}, err
	}
	return Base{
		AWS: cfg, LogLevel: awsenv.LogLevel(getenv),
		Table: env["TABLE_NAME"], ConfigBucket: env["CONFIG_BUCKET"], ConfigPrefix: getenv("CONFIG_PREFIX"),
		Stage: getenv("STAGE"),
	}, nil
}

// Parts are the pieces built from Base that several functions share.
type Parts struct {
	Log          *slog.Logger
	ConfigSource business.S3Source // the config bucket (knowledge files are read from it too)
	Configs      *business.Registry
	DynamoDB     *dynamodb.Client
	Sessions     *session.DynamoStore
	// Counters are the businesses' usage counters in the table: the ones
	// $connect, the turns and the summaries share.
	Counters *session.DynamoCounters
	Base     Base // what the parts were built from
}

// NewParts builds the log (JSON on stdout), the config registry (S3), the
// session store and the usage counters (DynamoDB). Nothing here touches the network.
func NewParts(b Base) Parts {
	log, src, configs := NewConfigs(b)
	retry := b.Retry
	if retry.MaxAttempts == 0 {
		retry = awsretry.Turn
	}
	ddb := dynamodb.NewFromConfig(b.AWS, func(o *dynamodb.Options) { retry.Apply(&o.Retryer, &o.APIOptions, log) })
	return Parts{
		Log:          log,
		ConfigSource: src,
		Configs:      configs,
		DynamoDB:     ddb,
		Base:         b,
		Sessions:     session.NewDynamoStore(ddb, b.Table),
		Counters:     &session.DynamoCounters{Client: ddb, Table: b.Table},
	}
}

// NewConfigs builds the log and the config registry alone, for a function
// that reads configs and no session (web-assets).
func NewConfigs(b Base) (*slog.Logger, business.S3Source, *business.Registry) {
	log := tenant.NewJSONLogger(os.Stdout, b.LogLevel)
	src := business.S3Source{Client: s3.NewFromConfig(b.AWS), Bucket: b.ConfigBucket, Prefix: b.ConfigPrefix}
	return log, src, business.NewRegistry(src, business.RegistryOptions{Logger: log})
}

// List splits a comma-separated variable ("" → nil), trimming spaces.
func List(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SecretRef checks that the variable name holds a secret reference
// (ssm:…, secretsmanager:…, ${ENV}), never a literal secret.
func SecretRef(name string, v secret.Value, example string) error {
	if _, isRef, err := secret.ParseRef(string(v)); err != nil || !isRef {
		return fmt.Errorf("%s %q: want a secret reference such as %s", name, v.Redacted(), example)
	}
	return nil
}

// Resolver resolves secret references from SSM and Secrets Manager, with
// {stage} expanded to the function's stage; ${ENV} references read the
// environment. Every function builds its resolver here, so each can read
// every kind of reference the configs may use.
func Resolver(b Base) *secret.Resolver {
	return secret.NewResolver(secret.Options{SSM: secret.NewSSM(b.AWS), SecretsManager: secret.NewSecretsManager(b.AWS), Stage: b.Stage})
}

// Exit ends a function's main when building it failed: the error on
// stderr, prefixed with the function's name, and status 1. A nil err does
// nothing.
func Exit(name string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
