// Command ws-message is the WebSocket API's $default route: one turn. Wiring
// only: the behaviour is in pkg/wsapi and pkg/conversation. It is the one
// WebSocket function that links the OpenAI client.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/booking/calendars"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
	"github.com/ahca/ahca/pkg/wsapi"
)

// knowledgeFinder loads a business's knowledge on first use and keeps it for
// the life of the execution environment, refreshed after 10 minutes.
func knowledgeFinder(cfg aws.Config, getenv awsenv.Getenv, resolver *secret.Resolver) func(context.Context, tenant.ID) (tools.KnowledgeSearcher, error) {
	src := business.S3Source{Client: s3.NewFromConfig(cfg), Bucket: getenv("CONFIG_BUCKET"), Prefix: getenv("CONFIG_PREFIX")}
	type entry struct {
		s  *knowledge.Searcher
		at time.Time
	}
	var mu sync.Mutex
	cache := map[tenant.ID]entry{}
	return func(ctx context.Context, id tenant.ID) (tools.KnowledgeSearcher, error) {
		mu.Lock()
		defer mu.Unlock()
		if e, ok := cache[id]; ok && time.Since(e.at) < 10*time.Minute {
			return e.s, nil
		}
		var emb knowledge.Embedder
		if ref := getenv("OPENAI_API_KEY_REF"); ref != "" {
			if key, err := resolver.Resolve(ctx, secret.Value(ref)); err == nil {
				emb = &knowledge.OpenAIEmbedder{APIKey: key, BaseURL: getenv("OPENAI_BASE_URL")}
			}
		}
		fsys, err := business.Files(ctx, src, id, "knowledge")
		if err != nil {
			return nil, err
		}
		s, err := knowledge.OpenFS(fsys, id, emb)
		if err != nil {
			return nil, err
		}
		cache[id] = entry{s, time.Now()}
		return s, nil
	}
}

func main() {
	h, err := wsapi.FromEnvironment(os.Getenv, withModel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ws-message: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h.Message)
}

// withModel gives the engine the model. The API key is a secret reference in
// OPENAI_API_KEY_REF (normally ssm:/ahca/<stage>/openai-api-key), resolved on
// the first turn that needs it, never at init; OPENAI_BASE_URL points at an
// OpenAI-compatible server; OPENAI_MODEL sets the default model. Without
// OPENAI_API_KEY_REF the scripted agent answers.
func withModel(cfg aws.Config, getenv awsenv.Getenv, e *conversation.Engine) error {
	resolver := secret.NewResolver(secret.Options{SSM: ssm.NewFromConfig(cfg), SecretsManager: secretsmanager.NewFromConfig(cfg), LookupEnv: func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}})
	// Call tools (route_call, collect_voicemail) for businesses whose
	// features enable them; voicemail texts go out through Twilio.
	reg := tools.Default()
	for _, d := range tools.CallTools(twilioSMS(getenv, resolver), resolver.Resolve) {
		reg.Register(d)
	}
	// Knowledge answers from each business's knowledge folder in the config
	// bucket (embeddings when its index and a model key exist, else BM25).
	findKnowledge := knowledgeFinder(cfg, getenv, resolver)
	reg.Register(tools.KnowledgeTool(findKnowledge))
	// Appointment booking: each business's calendar.provider (the builtin
	// calendar in this table, Google or Microsoft).
	bookings := &calendars.Router{
		Builtin: booking.NewDynamoStore(dynamodb.NewFromConfig(cfg), getenv("TABLE_NAME")),
		Configs: e.Configs.Business, Options: calendars.Options{Resolve: resolver.Resolve},
	}
	reg.Register(tools.BookingTool(bookings))
	e.Tools = reg
	// The scripted agent (no key, or the model down) uses both too.
	e.NewAgent = conversation.Assistants(findKnowledge, bookings)
	ref := getenv("OPENAI_API_KEY_REF")
	if ref == "" {
		return nil
	}
	if _, isRef, err := secret.ParseRef(ref); err != nil || !isRef {
		return fmt.Errorf("OPENAI_API_KEY_REF %q: want a secret reference such as ssm:/ahca/dev/openai-api-key", ref)
	}
	e.LLM = openaiclient.New(openaiclient.Options{
		APIKey:       func(ctx context.Context) (string, error) { return resolver.Resolve(ctx, secret.Value(ref)) },
		BaseURL:      getenv("OPENAI_BASE_URL"),
		DefaultModel: getenv("OPENAI_MODEL"),
		Logger:       e.Log,
	})
	return nil
}

// twilioSMS sends voicemail texts. TWILIO_ACCOUNT_SID and TWILIO_SMS_FROM
// may be literals or secret references (template.yaml: the stage's
// ssm:/ahca/<stage>/twilio-account-sid and twilio-sms-from), resolved at
// send time like the auth token, so a missing parameter fails that text
// with its name instead of "not configured".
func twilioSMS(getenv awsenv.Getenv, resolver *secret.Resolver) tools.SMS {
	return smsFunc(func(ctx context.Context, to, body string) error {
		setting := func(name string) (string, error) {
			v := getenv(name)
			if v == "" {
				return "", nil
			}
			s, err := resolver.Resolve(ctx, secret.Value(v))
			if err != nil {
				return "", fmt.Errorf("sms: %s: %w", name, err)
			}
			return s, nil
		}
		sid, err := setting("TWILIO_ACCOUNT_SID")
		if err != nil {
			return err
		}
		from, err := setting("TWILIO_SMS_FROM")
		if err != nil && getenv("TWILIO_MESSAGING_SERVICE_SID") == "" {
			return err
		}
		sms := &twiliovoice.TwilioSMS{
			AccountSID: sid, From: from, MessagingServiceSID: getenv("TWILIO_MESSAGING_SERVICE_SID"),
			AuthToken: func(ctx context.Context) (string, error) {
				return resolver.Resolve(ctx, secret.Value(getenv("TWILIO_AUTH_TOKEN_REF")))
			},
		}
		return sms.Send(ctx, to, body)
	})
}

type smsFunc func(ctx context.Context, to, body string) error

func (f smsFunc) Send(ctx context.Context, to, body string) error { return f(ctx, to, body) }
