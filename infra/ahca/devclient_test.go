package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ahca/ahca/internal/syncbuf"
	"github.com/ahca/ahca/pkg/delivery"
)

// closedPort is a local port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// wantOneLine fails unless s is a single line.
func wantOneLine(t *testing.T, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("want one line, got:\n%s", s)
	}
}

// The default address of dev, chat, call and transcripts is 127.0.0.1:$PORT.
func TestDefaultAddressFollowsPORT(t *testing.T) {
	t.Setenv("PORT", "")
	if got := devAddr(); got != "127.0.0.1:8080" {
		t.Errorf("devAddr() = %q without PORT, want 127.0.0.1:8080", got)
	}
	t.Setenv("PORT", "18123")
	for cmd, want := range map[string]string{
		"dev":              "(default 127.0.0.1:18123)",
		"chat":             "(default ws://127.0.0.1:18123/ws)",
		"call":             "(default http://127.0.0.1:18123)",
		"transcripts list": "(default http://127.0.0.1:18123)",
		"transcripts show": "(default http://127.0.0.1:18123)",
	} {
		if _, out, _ := runAhca(t, append(strings.Fields(cmd), "--help")...); !strings.Contains(out, want) {
			t.Errorf("%s --help lacks %q:\n%s", cmd, want, out)
		}
	}
}

// With nothing listening, chat and call say so in one line, with the
// flag that points elsewhere, and exit 3: at the default address (PORT)
// and at --url.
func TestChatAndCallNothingListening(t *testing.T) {
	port := closedPort(t)
	t.Setenv("PORT", port)
	other := closedPort(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"chat", "--business", "superior-fencing"}, "ahca chat: nothing is listening on ws://127.0.0.1:" + port + "/ws — start it with \"make dev\" or point elsewhere with --url URL"},
		{[]string{"chat", "--business", "superior-fencing", "--url", "ws://127.0.0.1:" + other + "/ws"}, "nothing is listening on ws://127.0.0.1:" + other + "/ws"},
		{[]string{"call", "--to", "+15035550142"}, "ahca call: nothing is listening on http://127.0.0.1:" + port + " — start it with \"make dev\" or point elsewhere with --url URL"},
		{[]string{"call", "--to", "+15035550142", "--url", "http://127.0.0.1:" + other}, "nothing is listening on http://127.0.0.1:" + other + " "},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runAhca(t, tt.args...)
			if code != exitFailed || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 3 and %q", code, errOut, tt.want)
			}
			wantOneLine(t, errOut)
		})
	}
}

// `ahca dev` listens on 127.0.0.1:$PORT and says what it does; a second
// one on the same port says the port is taken.
func TestDevCommandStartsOnPORTAndSaysSo(t *testing.T) {
	port := closedPort(t)
	t.Setenv("PORT", port)
	args := []string{"dev", "--configs", "../../configs", "--web", "../../web", "--data", t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), &out, &errOut) }()
	url := "http://127.0.0.1:" + port
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "Ctrl-C stops it."); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ahca dev did not start:\n%s\n%s", out.String(), errOut.String())
		}
	}
	for _, want := range []string{
		"ahca dev: loading configs from ../../configs/ (memory store) …\n",
		"ahca dev: 3 business(es): ",
		"ahca dev: listening on " + url + " — web client at " + url + "/\n",
		"  web client:  " + url + "/\n", // infra/scripts/e2e.sh reads this line
		"  transcripts: ahca transcripts list --business <id>\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if resp, err := http.Get(url + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %v %v", resp, err)
	}

	code, _, second := runAhca(t, args...)
	if code != exitFailed || !strings.Contains(second, "127.0.0.1:"+port+" is already in use") {
		t.Errorf("second dev on the same port: exit %d, %s", code, second)
	}

	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d after Ctrl-C:\n%s", code, errOut.String())
	}
}

// transcripts list and show read a plain `make dev` (embedded store): a
// conversation held through the stack, and stored records.
func TestTranscriptsFromDevServer(t *testing.T) {
	stack := startTestStack(t, devOptions{})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(stack.URL, "http://"))
	t.Setenv("PORT", port) // the default address: no --url
	now := time.Now().UTC()
	putTxRecords(t, stack.Records, now, "Pat Doe")
	c := dialBusiness(t, stack, "superior-fencing")
	c.turn(`{"type":"setup"}`)
	for _, line := range []string{"My fence blew down in the storm", "My name is Jamie Rivera", "503 555 0142", "yes"} {
		c.turn(say(line))
	}
	var out string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out, "3 conversation(s)"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the conversation is not listed:\n%s", out)
		}
		_, out, _ = runAhca(t, "transcripts", "list", "--business", "superior-fencing", "--configs", "../../configs")
	}
	for _, want := range []string{"s-new", "s-old", "Jamie Rivera", "Pat Doe", "fence blew down in the storm"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s-vet") {
		t.Errorf("list shows another business's conversation:\n%s", out)
	}

	tests := []struct {
		args     []string
		wantCode int
		want     []string
	}{
		{[]string{"list", "--business", "superior-fencing", "--since", "24h", "--url", stack.URL}, exitOK, []string{"s-new", "2 conversation(s)"}},
		{[]string{"list", "--business", "superior-fencing", "--limit", "1"}, exitOK, []string{"1 conversation(s)"}},
		{[]string{"show", "s-new", "--business", "superior-fencing"}, exitOK, []string{"Caller    Pat Doe", "Fence down after the storm. [ai]", "Agent   Superior Fence, this is Riley."}},
		{[]string{"show", "s-new", "--business", "maple-street-vet"}, exitInvalid, []string{`no transcript of session "s-new" for business maple-street-vet on the dev server at http://127.0.0.1:` + port}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runAhca(t, append(append([]string{"transcripts"}, tt.args...), "--configs", "../../configs")...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}

	code, js, _ := runAhca(t, "transcripts", "show", "s-new", "--business", "superior-fencing", "--json")
	var got delivery.Record
	if code != exitOK || json.Unmarshal([]byte(js), &got) != nil || got.SessionID != "s-new" || len(got.Turns) != 3 {
		t.Errorf("show --json: exit %d, %+v\n%s", code, got, js)
	}
}

// Something that is not ahca dev on the address is named, not misread.
func TestTranscriptsFromSomethingElse(t *testing.T) {
	srv := &http.Server{Handler: http.NotFoundHandler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	code, _, errOut := runAhca(t, "transcripts", "list", "--business", "superior-fencing", "--url", "http://"+ln.Addr().String(), "--configs", "../../configs")
	if code != exitFailed || !strings.Contains(errOut, "is it ahca dev") {
		t.Errorf("exit %d, %s", code, errOut)
	}
}

// With no dev server and no table, transcripts say what to run, in one
// line, and never reach for AWS.
func TestTranscriptsNothingListening(t *testing.T) {
	port := closedPort(t)
	t.Setenv("PORT", port)
	for _, args := range [][]string{{"list", "--business", "superior-fencing"}, {"show", "s-1", "--business", "superior-fencing"}} {
		code, _, errOut := runAhca(t, append(append([]string{"transcripts"}, args...), "--configs", "../../configs")...)
		want := "nothing is listening on http://127.0.0.1:" + port + ` — start it with "make dev", point elsewhere with --url URL, or read a deployed stack with --table ahca-<stage>-app`
		if code != exitFailed || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		wantOneLine(t, errOut)
	}
}

// A table with no AWS credentials at all: one line saying so, never the
// SDK's instance-metadata (IMDS) error.
func TestTableWithoutAWSCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_REGION", "us-west-2")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // fail at once, as off EC2
	for _, args := range [][]string{
		{"transcripts", "list", "--business", "superior-fencing", "--table", "ahca-dev-app", "--configs", "../../configs"},
		{"transcripts", "show", "s-1", "--business", "superior-fencing", "--table", "ahca-dev-app"},
		{"emails", "redrive", "--table", "ahca-dev-app", "--configs", "../../configs"},
	} {
		code, _, errOut := runAhca(t, args...)
		if code != exitFailed || !strings.Contains(errOut, "no AWS credentials") || strings.Contains(errOut, "IMDS") || strings.Contains(errOut, "EC2") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		wantOneLine(t, errOut)
	}
}
