// Package summarystack builds the email-summary function — the DynamoDB
// stream consumer that sends each finished conversation's summary email
// exactly once — from its environment: part of the composition root
// (package stack). The behaviour is in pkg/delivery (the pipeline),
// pkg/summary (the AI summary and its fallback) and pkg/email (rendering
// and providers).
//
// Environment (template.yaml):
//
//	TABLE_NAME            the application table (sessions, transcripts, claims, dead letters)
//	CONFIG_BUCKET         business configs; CONFIG_PREFIX optional
//	OPENAI_API_KEY_REF    secret reference of the summary model's key (ssm:/ahca/<stage>/openai-api-key);
//	                      unset: summaries without the model
//	OPENAI_BASE_URL       an OpenAI-compatible API; OPENAI_MODEL the default model
//	SES_CONFIGURATION_SET optional SES configuration set
//	EMAIL_MAX_ATTEMPTS    sends per email before it is dead-lettered (default 5)
//	TRANSCRIPT_RETENTION_DAYS  days a stored transcript is kept (the table's TTL); 0 or unset: forever
//
// Nothing here touches the network, so init stays fast: configs, secrets
// and the model key are fetched on first use. The summary model is reached
// through pkg/llm/chathttp, not openai-go: one tool-less completion per
// email, and a binary less than half the size (BENCHMARKS.md, "Cold start
// and binary size").
package summarystack

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/awsretry"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/emaildelivery"
	"github.com/ahca/ahca/pkg/email"
	"github.com/ahca/ahca/pkg/llm/chathttp"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/summary"
)

// Start is email-summary's main: build the pipeline from the environment,
// then consume the stream.
func Start(name string) {
	p, err := newPipeline(os.Getenv)
	stack.Exit(name, err)
	lambda.Start(p.HandleStream)
}

// newPipeline builds the pipeline from the Lambda environment.
func newPipeline(getenv awsenv.Getenv) (*delivery.Pipeline[email.Message], error) {
	getenv = stack.Env(getenv)
	base, err := stack.BaseFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	base.Retry = awsretry.Background // a lead waits for its summary
	parts := stack.NewParts(base)
	log, configs, cfg := parts.Log, parts.Configs, base.AWS
	resolver := stack.Resolver(base)

	summarizer := &summary.Summarizer{Log: log, Counters: parts.Counters}
	if ref := secret.Value(getenv("OPENAI_API_KEY_REF")); ref != "" {
		if err := stack.SecretRef("OPENAI_API_KEY_REF", ref, "ssm:/ahca/dev/openai-api-key"); err != nil {
			return nil, err
		}
		summarizer.LLM = chathttp.New(chathttp.Options{
			APIKey:       func(ctx context.Context) (string, error) { return resolver.Resolve(ctx, ref) },
			BaseURL:      getenv("OPENAI_BASE_URL"),
			DefaultModel: getenv("OPENAI_MODEL"),
			Logger:       log,
		})
	}
	maxAttempts := 0
	if v := getenv("EMAIL_MAX_ATTEMPTS"); v != "" {
		if maxAttempts, err = strconv.Atoi(v); err != nil || maxAttempts < 1 {
			return nil, fmt.Errorf("EMAIL_MAX_ATTEMPTS %q: want a positive number", v)
		}
	}
	providers := &email.Providers{
		Resolver:            resolver,
		SES:                 sesv2.NewFromConfig(cfg),
		SESConfigurationSet: getenv("SES_CONFIGURATION_SET"),
		Logger:              log,
	}
	var db delivery.DynamoAPI = parts.DynamoDB
	if v := getenv("TRANSCRIPT_RETENTION_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 0 {
			return nil, fmt.Errorf("TRANSCRIPT_RETENTION_DAYS %q: want a number of days, 0 to keep transcripts", v)
		}
		if days > 0 {
			db = transcriptTTL{DynamoAPI: db, keep: time.Duration(days) * 24 * time.Hour, now: time.Now}
		}
	}
	p := emaildelivery.New(emaildelivery.Options{
		Store:      delivery.NewDynamoRecords(db, base.Table),
		Turns:      parts.Sessions,
		Configs:    configs,
		Summarizer: summarizer,
		Providers:  providers,
		Counters:   parts.Counters,
		Log:        log,
	})
	p.MaxAttempts = maxAttempts
	return p, nil
}

// transcriptTTL gives every transcript item the pipeline writes (pk
// "BIZ#<id>#TRANSCRIPTS", and a long one's parts, see delivery.DynamoRecords) the table's TTL
// attribute, expiresAt = now + keep in Unix seconds, so DynamoDB deletes it
// after the stage's retention. Other items pass unchanged. The table's
// stream filter only feeds session items to this function, so a
// transcript's expiry triggers nothing.
type transcriptTTL struct {
	delivery.DynamoAPI
	keep time.Duration
	now  func() time.Time
}

func (c transcriptTTL) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	pk, _ := in.Item["pk"].(*types.AttributeValueMemberS)
	keep := time.Duration(0)
	switch {
	case pk == nil || in.Item["expiresAt"] != nil:
	case strings.HasSuffix(pk.Value, "#TRANSCRIPTS"):
		keep = c.keep
	case strings.Contains(pk.Value, "#TRANSCRIPT#"):
		// A long transcript's parts outlive it by a day: TTL deletes in no
		// set order, and a transcript must never read with a part missing.
		keep = c.keep + 24*time.Hour
	}
	if keep > 0 {
		cp := *in
		cp.Item = maps.Clone(in.Item)
		cp.Item["expiresAt"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(c.now().Add(keep).Unix(), 10)}
		in = &cp
	}
	return c.DynamoAPI.PutItem(ctx, in, opts...)
}
