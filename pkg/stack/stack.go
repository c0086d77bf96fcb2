// Package stack is the composition root of the Lambdas: what each function
// is built from, read from its environment (template.yaml) in one place and
// passed on as explicit config structs to constructors. The library packages
// (pkg/wsapi, pkg/twiliovoice, pkg/email, …) read no environment variables.
//
// The root is split by what it links, because Go links whole packages and
// each function should link only what it uses (TestFunctionDependencies):
//
//	pkg/stack             the environment, the AWS config, the log, configs and sessions (every function)
//	pkg/stack/wsstack     the WebSocket handlers (ws-connect, ws-disconnect, ws-message)
//	pkg/stack/turnstack   the model, tools, knowledge and booking of a turn (ws-message only: openai-go)
//	pkg/stack/voicestack  the Twilio voice webhooks (twilio-voice)
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
	"github.com/ahca/ahca/pkg/business"
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
}

// BaseFromEnv reads Base: TABLE_NAME and CONFIG_BUCKET are required.
func BaseFromEnv(getenv Getenv) (Base, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
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
	Table        string
	Sessions     *session.DynamoStore
}

// NewParts builds the log (JSON on stdout), the config registry (S3) and
// the session store (DynamoDB). Nothing here touches the network.
func NewParts(b Base) Parts {
	log := tenant.NewJSONLogger(os.Stdout, b.LogLevel)
	ddb := dynamodb.NewFromConfig(b.AWS)
	src := business.S3Source{Client: s3.NewFromConfig(b.AWS), Bucket: b.ConfigBucket, Prefix: b.ConfigPrefix}
	return Parts{
		Log:          log,
		ConfigSource: src,
		Configs:      business.NewRegistry(src, business.RegistryOptions{Logger: log}),
		DynamoDB:     ddb,
		Table:        b.Table,
		Sessions:     session.NewDynamoStore(ddb, b.Table),
	}
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

// SecretRef checks that v is a secret reference (ssm:…, secretsmanager:…,
// ${ENV}),
// never a literal secret in the environment.
func SecretRef(name, v, example string) error {
	if !strings.HasPrefix(v, "ssm:") && !strings.HasPrefix(v, "secretsmanager:") && !strings.HasPrefix(v, "${") {
		return fmt.Errorf("%s %q: want a secret reference such as %s", name, redact(v), example)
	}
	return nil
}

func redact(v string) string {
	if len(v) > 6 {
		return v[:3] + "…"
	}
	return v
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
