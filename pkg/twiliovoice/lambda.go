package twiliovoice

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ahca/ahca/pkg/awsenv"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// LambdaHandler adapts API Gateway HTTP API (payload format 2.0) events to
// h: the method, raw path and raw query, headers (API Gateway joins repeated
// headers with commas), cookies, and the body, base64-decoded when the event
// says so. Errors become responses; the Lambda invocation itself never fails.
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		body := []byte(ev.Body)
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				return textResponse(http.StatusBadRequest, "body is not valid base64"), nil
			}
			body = b
		}
		target := ev.RawPath
		if target == "" {
			target = "/"
		}
		if ev.RawQueryString != "" {
			target += "?" + ev.RawQueryString
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return textResponse(http.StatusBadRequest, "malformed request path"), nil
		}
		method := ev.RequestContext.HTTP.Method
		if method == "" {
			method = http.MethodGet
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
		if err != nil {
			return textResponse(http.StatusBadRequest, "malformed request"), nil
		}
		req.URL, req.RequestURI = u, target
		for k, v := range ev.Headers {
			req.Header.Set(k, v)
		}
		if len(ev.Cookies) > 0 {
			req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
		}
		req.Host = req.Header.Get("Host")
		if req.Host == "" {
			req.Host = ev.RequestContext.DomainName
		}
		req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
		w := &lambdaWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		return w.response(), nil
	}
}

// lambdaWriter collects a handler's response.
type lambdaWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *lambdaWriter) Header() http.Header { return w.header }

func (w *lambdaWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *lambdaWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *lambdaWriter) response() events.APIGatewayV2HTTPResponse {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	resp := events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{}}
	for k, vs := range w.header {
		if http.CanonicalHeaderKey(k) == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = strings.Join(vs, ",")
	}
	if b := w.body.Bytes(); utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return resp
}

func textResponse(status int, msg string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: msg + "\n", Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}}
}

// FromEnvironment wires the Handler as functions/twilio-voice runs it:
//
//	PUBLIC_BASE_URL        the HTTP API's public URL Twilio calls (https://…), signatures are computed over it
//	WS_URL                 the WebSocket API stage URL ConversationRelay connects to (wss://…/<stage>)
//	TWILIO_AUTH_TOKEN_REF  secret reference of the account's auth token (ssm:/ahca/<stage>/twilio-auth-token)
//	CONFIG_BUCKET          business configs (CONFIG_PREFIX optional)
//	TABLE_NAME             the sessions table
//
// Staff and emergency phones in configs may be ${ENV}, ssm: or
// secretsmanager: references; they are resolved at use, like the auth
// token. Nothing here touches the network, so init stays fast.
func FromEnvironment(getenv awsenv.Getenv) (*Handler, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	env, err := awsenv.Require(getenv, "PUBLIC_BASE_URL", "WS_URL", "TWILIO_AUTH_TOKEN_REF", "CONFIG_BUCKET", "TABLE_NAME")
	if err != nil {
		return nil, err
	}
	public, err := checkBaseURL("PUBLIC_BASE_URL", env["PUBLIC_BASE_URL"], "https", "http")
	if err != nil {
		return nil, err
	}
	ws, err := checkBaseURL("WS_URL", env["WS_URL"], "wss", "ws")
	if err != nil {
		return nil, err
	}
	ref := secret.Value(env["TWILIO_AUTH_TOKEN_REF"])
	if _, isRef, err := secret.ParseRef(string(ref)); err != nil || !isRef {
		return nil, fmt.Errorf("TWILIO_AUTH_TOKEN_REF %q: want a secret reference such as ssm:/ahca/dev/twilio-auth-token", ref.Redacted())
	}
	cfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, err
	}
	log := tenant.NewJSONLogger(os.Stdout, awsenv.LogLevel(getenv))
	configs := business.NewRegistry(business.S3Source{Client: s3.NewFromConfig(cfg), Bucket: env["CONFIG_BUCKET"], Prefix: getenv("CONFIG_PREFIX")}, business.RegistryOptions{Logger: log})
	resolver := secret.NewResolver(secret.Options{SSM: ssm.NewFromConfig(cfg), SecretsManager: secretsmanager.NewFromConfig(cfg)})
	return &Handler{
		Configs:       configs,
		Calls:         &SessionCalls{Store: session.NewDynamoStore(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"])},
		AuthToken:     func(ctx context.Context) (string, error) { return resolver.Resolve(ctx, ref) },
		PublicBaseURL: public,
		WebSocketURL:  ws,
		Resolve:       resolver.Resolve,
		Log:           log,
	}, nil
}

// checkBaseURL requires an absolute URL with one of the schemes, no query
// and no fragment; it returns it without a trailing slash.
func checkBaseURL(name, raw string, schemes ...string) (string, error) {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" && u.RawQuery == "" && u.Fragment == "" {
		for _, s := range schemes {
			if u.Scheme == s {
				return strings.TrimRight(raw, "/"), nil
			}
		}
	}
	return "", fmt.Errorf("%s %q: want an absolute %s:// URL without query", name, raw, schemes[0])
}
