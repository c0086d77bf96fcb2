package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/ahca/ahca/pkg/webhost"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func TestDevWebBusinessInfo(t *testing.T) {
	stack := startTestStack(t, devOptions{})
	demo := demoOrigin(stack.URL)
	tests := []struct {
		id         string
		wantStatus int
		check      func(t *testing.T, info webhost.PublicInfo)
		wantError  string
	}{
		{"superior-fencing", 200, func(t *testing.T, info webhost.PublicInfo) {
			if info.Name != "Superior Fence & Construction" || info.AgentName != "Riley" || info.TimeZone != "America/Los_Angeles" {
				t.Errorf("identity = %+v", info)
			}
			if !slices.Equal(info.RequiredFields, []string{"name", "phone", "reason"}) {
				t.Errorf("requiredFields = %q", info.RequiredFields)
			}
			// The origins the handshake admits: the stack's own (the demo's
			// among them) and the business's.
			for _, o := range []string{stack.URL, demo, "https://www.superior-fence.example"} {
				if !slices.Contains(info.AllowedOrigins, o) {
					t.Errorf("allowedOrigins %q lack %s", info.AllowedOrigins, o)
				}
			}
			if info.Widget.LauncherText == "" || info.Widget.AccentColor == "" || info.Widget.AccentTextColor == "" || info.Widget.Position == "" {
				t.Errorf("widget settings not filled: %+v", info.Widget)
			}
			if info.WSURL != strings.Replace(stack.URL, "http", "ws", 1)+"/ws" {
				t.Errorf("wsUrl = %q", info.WSURL)
			}
		}, ""},
		{"maple-street-vet", 200, func(t *testing.T, info webhost.PublicInfo) {
			if info.AllowedOrigins == nil || len(info.AllowedOrigins) != 0 {
				t.Errorf("a business without a list: allowedOrigins = %#v, want [] (any origin)", info.AllowedOrigins)
			}
		}, ""},
		{"no-such-business", 404, nil, "unknown business no-such-business"},
		{"Bad_ID", 400, nil, "invalid business id"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			resp, body := get(t, stack.URL+"/api/businesses/"+tt.id)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q: the widget reads this from other origins", got)
			}
			if tt.check == nil {
				if !strings.Contains(body, tt.wantError) {
					t.Errorf("body %s, want %q", body, tt.wantError)
				}
				return
			}
			var info webhost.PublicInfo
			if err := json.Unmarshal([]byte(body), &info); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			tt.check(t, info)
		})
	}
}

// The origins the info promises are the ones the handshake admits.
func TestDevWebAllowedOriginsMatchTheHandshake(t *testing.T) {
	stack := startTestStack(t, devOptions{})
	_, body := get(t, stack.URL+"/api/businesses/superior-fencing")
	var info webhost.PublicInfo
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatal(err)
	}
	ws := strings.Replace(stack.URL, "http", "ws", 1) + "/ws?businessId=superior-fencing"
	for _, origin := range append(info.AllowedOrigins, "http://not-allowed.localhost:1", "null") {
		c, resp, err := websocket.Dial(context.Background(), ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		want := slices.Contains(info.AllowedOrigins, origin)
		if got := err == nil; got != want {
			t.Errorf("Origin %s: admitted %v, want %v (%v %v)", origin, got, want, resp, err)
		}
		if c != nil {
			c.Close(websocket.StatusNormalClosure, "")
		}
	}
}

func TestDevWebPagesAndFiles(t *testing.T) {
	stack := startTestStack(t, devOptions{})
	tests := []struct {
		path       string
		wantStatus int
		want       []string
		header     map[string]string
	}{
		// The dev page turns the tenant picker on; web/index.html ships without it.
		{"/", 200, []string{`<meta name="ahca-businesses-url" content="/api/businesses">`}, nil},
		{"/?business=superior-fencing", 200, []string{`content="/api/businesses"`}, nil},
		{"/widget.js", 200, []string{"data-business", "js/embed.js"}, map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"/js/embed.js", 200, []string{"attachShadow"}, map[string]string{"Access-Control-Allow-Origin": "*", "Content-Type": "text/javascript; charset=utf-8"}},
		{"/css/widget.css", 200, []string{":host"}, nil},
		{"/demo/superior-fencing", 200, []string{
			`<script src="` + stack.URL + `/widget.js" data-business="superior-fencing" async></script>`,
			"Superior Fence &amp; Construction",
		}, map[string]string{"Content-Security-Policy": "script-src 'self' " + stack.URL + ";"}},
		{"/demo/no-such-business", 404, []string{"unknown business"}, nil},
		{"/test/chat.test.mjs", 404, nil, nil},
		{"/package.json", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, stack.URL+tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%.400s", w, body)
				}
			}
			for k, v := range tt.header {
				if got := resp.Header.Get(k); !strings.Contains(got, v) {
					t.Errorf("%s = %q, want it to contain %q", k, got, v)
				}
			}
		})
	}
}

func TestDevWebDemoOrigin(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:8080":  "http://localhost:8080",
		"http://localhost:18090": "http://127.0.0.1:18090",
		"http://192.168.1.5:80":  "http://localhost:80",
	} {
		if got := demoOrigin(base); got != want {
			t.Errorf("demoOrigin(%s) = %s, want %s", base, got, want)
		}
	}
}
