package wsapi

import (
	"context"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/conversation"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// Option adds to the wiring; ws-message uses it to plug in the model, so
// that only it links the OpenAI client.
type Option func(cfg aws.Config, getenv awsenv.Getenv, e *conversation.Engine) error

// FromEnvironment wires the handlers as the ws-* Lambdas run them: configs
// from CONFIG_BUCKET, sessions in TABLE_NAME, replies through the stage's
// management API. Nothing here touches the network, so init stays fast.
func FromEnvironment(getenv awsenv.Getenv, opts ...Option) (*Handlers, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	env, err := awsenv.Require(getenv, "TABLE_NAME", "CONFIG_BUCKET")
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, err
	}
	log := tenant.NewJSONLogger(os.Stdout, awsenv.LogLevel(getenv))
	configs := business.NewRegistry(business.S3Source{Client: s3.NewFromConfig(cfg), Bucket: env["CONFIG_BUCKET"], Prefix: getenv("CONFIG_PREFIX")}, business.RegistryOptions{Logger: log})
	ddb := dynamodb.NewFromConfig(cfg)
	store := session.NewDynamoStore(ddb, env["TABLE_NAME"])
	// Usage counters (issue 13): per-business budgets, atomic in the table.
	counters := &session.DynamoCounters{Client: ddb, Table: env["TABLE_NAME"]}
	engine := &conversation.Engine{Configs: configs, Store: store, Counters: counters, Log: log}
	for _, o := range opts {
		if err := o(cfg, getenv, engine); err != nil {
			return nil, err
		}
	}
	var origins []string
	if o := getenv("WEB_ORIGIN"); o != "" {
		origins = strings.Split(o, ",")
	}
	var phone *PhoneAdmission
	if ref, ws := getenv("TWILIO_AUTH_TOKEN_REF"), getenv("WS_URL"); ref != "" && ws != "" {
		resolver := secret.NewResolver(secret.Options{SSM: ssm.NewFromConfig(cfg)})
		phone = &PhoneAdmission{WSURL: ws, Store: store, AuthToken: func(ctx context.Context) (string, error) {
			return resolver.Resolve(ctx, secret.Value(ref))
		}}
	}
	return &Handlers{
		Engine: engine, Configs: configs, Log: log, TrustedOrigins: origins, Phone: phone,
		Posters: &StagePosters{Override: getenv("WS_MANAGEMENT_ENDPOINT"), Endpoints: relay.Endpoints{New: func(endpoint string) relay.ManagementAPI {
			return apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) { o.BaseEndpoint = aws.String(endpoint) })
		}}},
	}, nil
}

// StagePosters posts to the stage an event came from: the management
// endpoint is https://{domainName}/{stage}, unless Override names one (a
// custom domain).
type StagePosters struct {
	Override  string
	Endpoints relay.Endpoints
}

// For returns the poster for the event's API stage.
func (s *StagePosters) For(rc events.APIGatewayWebsocketProxyRequestContext) conversation.Poster {
	endpoint := s.Override
	if endpoint == "" {
		endpoint = "https://" + rc.DomainName + "/" + rc.Stage
	}
	return s.Endpoints.For(endpoint)
}
