// Package httplambda serves an http.Handler as a Lambda behind an API
// Gateway HTTP API (payload format 2.0): the Twilio webhooks and the web
// assets are plain handlers, tested as such, and run the same in `ahca dev`.
package httplambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Handler adapts API Gateway HTTP API (payload format 2.0) events to h: the method, raw path and raw query, headers (API Gateway joins repeated
// headers with commas), cookies, and the body, base64-decoded when the event
// says so. Errors become responses; the Lambda invocation itself never fails.
func Handler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
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
