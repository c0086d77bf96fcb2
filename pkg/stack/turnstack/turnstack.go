// Package turnstack gives ws-message's engine the model, the tools
// (call tools with Twilio texts, knowledge, booking) and the scripted
// agent's assistants, from explicit configuration: part of the composition
// root (package stack), and the one part that links openai-go, so that only
// ws-message does.
package turnstack

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/booking/calendars"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/llm/openaiclient"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/stack/wsstack"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
	"github.com/ahca/ahca/pkg/twiliovoice"
	"github.com/ahca/ahca/pkg/wsapi"
)

// Config is what a turn needs beyond the WebSocket handlers.
type Config struct {
	// OpenAIKeyRef is the model's API key, a secret reference
	// (OPENAI_API_KEY_REF, normally ssm:/ahca/<stage>/openai-api-key),
	// resolved on the first turn that needs it. Empty: the scripted agent
	// answers.
	OpenAIKeyRef  secret.Value
	OpenAIBaseURL string // OPENAI_BASE_URL: an OpenAI-compatible server
	OpenAIModel   string // OPENAI_MODEL: the default model
	// SMS sends voicemail texts through Twilio; the fields may be literals
	// or secret references, resolved at send time.
	SMS SMSConfig
}

// SMSConfig: TWILIO_ACCOUNT_SID, TWILIO_SMS_FROM,
// TWILIO_MESSAGING_SERVICE_SID, TWILIO_AUTH_TOKEN_REF.
type SMSConfig struct {
	AccountSID, From, MessagingServiceSID string
	AuthTokenRef                          secret.Value
}

// FromEnv reads Config from ws-message's environment (template.yaml).
func FromEnv(getenv stack.Getenv) (Config, error) {
	getenv = stack.Env(getenv)
	c := Config{
		OpenAIKeyRef: secret.Value(getenv("OPENAI_API_KEY_REF")), OpenAIBaseURL: getenv("OPENAI_BASE_URL"), OpenAIModel: getenv("OPENAI_MODEL"),
		SMS: SMSConfig{AccountSID: getenv("TWILIO_ACCOUNT_SID"), From: getenv("TWILIO_SMS_FROM"), MessagingServiceSID: getenv("TWILIO_MESSAGING_SERVICE_SID"),
			AuthTokenRef: secret.Value(getenv("TWILIO_AUTH_TOKEN_REF"))},
	}
	if c.OpenAIKeyRef != "" {
		if err := stack.SecretRef("OPENAI_API_KEY_REF", c.OpenAIKeyRef, "ssm:/ahca/dev/openai-api-key"); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// Option returns the wsstack option that gives the handlers the turn
// engine: its store, configs and counters are the stack's.
func Option(c Config) wsstack.Option {
	return func(cfg aws.Config, parts stack.Parts, h *wsapi.Handlers) error {
		e := &conversation.Engine{Configs: parts.Configs, Store: parts.Sessions, Log: parts.Log, Counters: parts.Counters}
		if err := equip(c, parts, e); err != nil {
			return err
		}
		h.Turns = e // ws-message serves $default only; $disconnect is ws-disconnect's (endstack)
		return nil
	}
}

// Start is ws-message's main: the $default route (one turn) of the
// handlers wsstack builds, with the turn engine (Option) from the
// environment.
func Start(name string) {
	c, err := FromEnv(os.Getenv)
	stack.Exit(name, err)
	wsstack.Start(name, (*wsapi.Handlers).Message, Option(c))
}

// equip gives the engine the model, the tools and the assistants. The
// resolver reads SSM and Secrets Manager (and ${ENV} references from the
// environment, their documented local stand-in).
func equip(c Config, parts stack.Parts, e *conversation.Engine) error {
	resolver := stack.Resolver(parts.Base)
	// Call tools (route_call, collect_voicemail) for businesses whose
	// features enable them; voicemail texts go out through Twilio.
	reg := tools.Default()
	for _, d := range tools.CallTools(twilioSMS(c.SMS, resolver), resolver.Resolve) {
		reg.Register(d)
	}
	// Knowledge answers from each business's knowledge folder in the config
	// bucket (embeddings when its index and a model key exist, else BM25).
	findKnowledge := knowledgeFinder(parts.ConfigSource, c, resolver)
	reg.Register(tools.KnowledgeTool(findKnowledge))
	// Appointment booking: each business's calendar.provider (the builtin
	// calendar in this table, Google or Microsoft).
	bookings := &calendars.Router{
		Builtin: booking.NewDynamoStore(parts.DynamoDB, parts.Base.Table),
		Configs: e.Configs.Business, Options: calendars.Options{Resolve: resolver.Resolve},
	}
	reg.Register(tools.BookingTool(bookings))
	e.Tools = reg
	// The scripted agent (no key, or the model down) uses both too.
	e.NewAgent = conversation.Assistants(findKnowledge, bookings)
	if c.OpenAIKeyRef == "" {
		return nil
	}
	ref := c.OpenAIKeyRef
	e.LLM = openaiclient.New(openaiclient.Options{
		APIKey:       func(ctx context.Context) (string, error) { return resolver.Resolve(ctx, ref) },
		BaseURL:      c.OpenAIBaseURL,
		DefaultModel: c.OpenAIModel,
		Logger:       e.Log,
	})
	return nil
}

// knowledgeFinder loads a business's knowledge on first use and keeps it
// for the life of the execution environment, refreshed after 10 minutes.
func knowledgeFinder(src business.Source, c Config, resolver *secret.Resolver) func(context.Context, tenant.ID) (tools.KnowledgeSearcher, error) {
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
		if c.OpenAIKeyRef != "" {
			if key, err := resolver.Resolve(ctx, c.OpenAIKeyRef); err == nil {
				emb = &knowledge.OpenAIEmbedder{APIKey: key, BaseURL: c.OpenAIBaseURL}
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

// twilioSMS sends voicemail texts. The account SID and sender may be
// literals or secret references (template.yaml: the stage's
// ssm:/ahca/<stage>/twilio-account-sid and twilio-sms-from), resolved at
// send time like the auth token, so a missing parameter fails that text
// with its name instead of "not configured".
func twilioSMS(c SMSConfig, resolver *secret.Resolver) tools.SMS {
	return smsFunc(func(ctx context.Context, to, body string) error {
		setting := func(name, v string) (string, error) {
			if v == "" {
				return "", nil
			}
			s, err := resolver.Resolve(ctx, secret.Value(v))
			if err != nil {
				return "", fmt.Errorf("sms: %s: %w", name, err)
			}
			return s, nil
		}
		sid, err := setting("TWILIO_ACCOUNT_SID", c.AccountSID)
		if err != nil {
			return err
		}
		from, err := setting("TWILIO_SMS_FROM", c.From)
		if err != nil && c.MessagingServiceSID == "" {
			return err
		}
		sms := &twiliovoice.TwilioSMS{
			AccountSID: sid, From: from, MessagingServiceSID: c.MessagingServiceSID,
			AuthToken: func(ctx context.Context) (string, error) { return resolver.Resolve(ctx, c.AuthTokenRef) },
		}
		return sms.Send(ctx, to, body)
	})
}

type smsFunc func(ctx context.Context, to, body string) error

func (f smsFunc) Send(ctx context.Context, to, body string) error { return f(ctx, to, body) }
