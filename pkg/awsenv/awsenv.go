// Package awsenv builds an aws.Config from a Lambda's environment without
// config.LoadDefaultConfig, which probes shared config files and more and
// costs measurable cold-start time (see the performance budget in
// docs/architecture.md). In Lambda the region and the execution role's
// credentials are environment variables.
package awsenv

import (
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
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN"))),
	}, nil
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
