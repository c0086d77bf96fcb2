package twiliovoice_test

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/internal/syncbuf"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/twiliovoice"
	"github.com/ahca/ahca/pkg/twiliovoice/twiliotest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	authToken  = "0123456789abcdef0123456789abcdef"
	publicBase = "https://voice.example.test"
	wsBase     = "wss://ws.example.test/dev"

	superiorNumber = "+15035550142"
	mapleNumber    = "+15415550123"
	unroutedNumber = "+15005550006"
	callerNumber   = "+15035550199"
	callSID        = "CA0123456789abcdef0123456789abcdef"

	onCallPhone    = "+15035550111"
	frontdeskPhone = "+15415550190"
	pharmacyPhone  = "+15415550191"
)

// The secrets the configs reference. MAPLE_STREET_VET_BILLING_PHONE is
// deliberately missing: a transfer to billing cannot be dialled.
var secrets = map[string]string{
	"SUPERIOR_FENCING_ON_CALL_PHONE":   onCallPhone,
	"MAPLE_STREET_VET_FRONTDESK_PHONE": frontdeskPhone,
	"MAPLE_STREET_VET_PHARMACY_PHONE":  pharmacyPhone,
}

// resolver resolves references over the map above, through the real
// resolver (environment references).
func resolver() func(context.Context, secret.Value) (string, error) {
	r := secret.NewResolver(secret.Options{LookupEnv: func(k string) (string, bool) {
		v, ok := secrets[k]
		return v, ok
	}})
	return r.Resolve
}

// Times in Oregon (America/Los_Angeles).
var (
	tuesdayAfternoon = time.Date(2025, 3, 4, 22, 0, 0, 0, time.UTC) // Tue 14:00 PST: Maple Street Vet is open
	sundayAfternoon  = time.Date(2025, 3, 9, 21, 0, 0, 0, time.UTC) // Sun 14:00 PDT: closed
)

// staticConfigs serves one Set.
type staticConfigs struct {
	set *business.Set
	err error
}

func (c staticConfigs) ByNumber(_ context.Context, number string) (*business.Business, error) {
	if c.err != nil {
		return nil, c.err
	}
	return c.set.ByNumber(number)
}

var (
	loadOnce sync.Once
	files    map[string][]byte
	loadErr  error
)

// configFiles reads ../../configs once.
func configFiles(t *testing.T) map[string][]byte {
	t.Helper()
	loadOnce.Do(func() {
		files = map[string][]byte{}
		root := "../../configs"
		loadErr = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			b, err := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = b
			return err
		})
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return files
}

// configs builds the real businesses, after patching files (path → old →
// new) for variants.
func configs(t *testing.T, patches ...[3]string) *business.Set {
	t.Helper()
	fs := map[string][]byte{}
	for k, v := range configFiles(t) {
		fs[k] = v
	}
	for _, p := range patches {
		src := string(fs[p[0]])
		if !strings.Contains(src, p[1]) {
			t.Fatalf("patch: %s has no %q", p[0], p[1])
		}
		fs[p[0]] = []byte(strings.Replace(src, p[1], p[2], 1))
	}
	set, err := business.Build("configs", fs)
	if err != nil {
		t.Fatalf("build configs: %v", err)
	}
	return set
}

type env struct {
	h     *twiliovoice.Handler
	calls *twiliotest.Calls
	logs  *syncbuf.Buffer
}

func newEnv(t *testing.T, set *business.Set, now time.Time) *env {
	t.Helper()
	logs := &syncbuf.Buffer{}
	calls := twiliotest.NewCalls()
	h := &twiliovoice.Handler{
		Configs:       staticConfigs{set: set},
		Calls:         calls,
		AuthToken:     func(context.Context) (string, error) { return authToken, nil },
		PublicBaseURL: publicBase,
		WebSocketURL:  wsBase,
		Resolve:       resolver(),
		Now:           func() time.Time { return now },
		Log:           slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return &env{h: h, calls: calls, logs: logs}
}

// post sends a webhook signed as Twilio would sign it, to pathAndQuery.
func (e *env) post(t *testing.T, pathAndQuery string, params map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req, err := twiliovoice.SignedRequest(context.Background(), authToken, publicBase+pathAndQuery, params)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// voiceParams are the parameters of Twilio's incoming-call webhook.
func voiceParams(to string) map[string]string {
	return map[string]string{
		"AccountSid": "AC0123456789abcdef0123456789abcdef", "ApiVersion": "2010-04-01",
		"CallSid": callSID, "CallStatus": "ringing", "Direction": "inbound",
		"Called": to, "To": to, "ToCity": "PORTLAND", "ToState": "OR", "ToCountry": "US",
		"Caller": callerNumber, "From": callerNumber, "FromCity": "PORTLAND", "FromState": "OR", "FromCountry": "US",
	}
}

func merge(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

// golden compares got with testdata/name.xml (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".xml")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no golden file %s: run go test -run %s -update", path, t.Name())
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the response:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
