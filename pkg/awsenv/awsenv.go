// Package awsenv builds an aws.Config from a Lambda's environment without
// config.LoadDefaultConfig, which probes shared config files and more and
// costs measurable cold-start time (see the performance budget in
// docs/architecture.md). In Lambda the region and the execution role's
// credentials are environment variables.
//
// The SDK's standard endpoint variables are honoured as LoadDefaultConfig
// would: AWS_ENDPOINT_URL for every service, AWS_ENDPOINT_URL_<SERVICE>
// for one (the SDK id upper-cased, spaces as underscores:
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SSM,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SESV2), and
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns both off. That is how
// `ahca dev --lambdas` points the real binaries at local emulators.
package awsenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Getenv reads an environment variable; os.Getenv in production.
type Getenv func(string) string

// Config returns the SDK configuration of a Lambda function.
func Config(getenv Getenv) (aws.Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	region := getenv("AWS_REGION")
	if region == "" {
		return aws.Config{}, fmt.Errorf("awsenv: AWS_REGION is not set")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("awsenv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them from the execution role)")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN"))),
	}
	ep := endpoints{getenv}
	if ignore, _, _ := ep.GetIgnoreConfiguredEndpoints(context.Background()); !ignore {
		if u := getenv("AWS_ENDPOINT_URL"); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	// Each service client asks its config sources for its own endpoint
	// (AWS_ENDPOINT_URL_<SERVICE>) when it is built; an empty environment
	// costs one lookup per client.
	cfg.ConfigSources = []any{ep}
	return cfg, nil
}

// endpoints is the config source the SDK's service clients consult for
// AWS_ENDPOINT_URL_<SERVICE> (they look for these two methods, as on
// config.EnvConfig).
type endpoints struct{ getenv Getenv }

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the SDK id
// (e.g. "Secrets Manager" → AWS_ENDPOINT_URL_SECRETS_MANAGER).
func (e endpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if ignore, _, _ := e.GetIgnoreConfiguredEndpoints(context.Background()); ignore {
		return "", false, nil
	}
	u := e.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return u, u != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e endpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	v := e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if v == "" {
		return false, false, nil
	}
	return strings.EqualFold(v, "true"), true, nil
}

// Require returns the named variables, or an error naming every missing one.
func Require(getenv Getenv, names ...string) (map[string]string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	out := map[string]string{}
	var missing []string
	for _, n := range names {
		if v := getenv(n); v != "" {
			out[n] = v
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables %v (set in template.yaml)", missing)
	}
	return out, nil
}

// LogLevel maps Lambda's AWS_LAMBDA_LOG_LEVEL (set from the function's
// LoggingConfig.ApplicationLogLevel) to a slog level; unset means INFO.
func LogLevel(getenv Getenv) slog.Level {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch strings.ToUpper(getenv("AWS_LAMBDA_LOG_LEVEL")) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}
