package secret_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/secret/secrettest"
)

// clock is a settable time source for cache expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// newResolver returns a Resolver wired to a fresh fake, with an injected
// clock and an empty environment.
func newResolver(t *testing.T, ttl time.Duration) (*secret.Resolver, *secrettest.Fake, *clock) {
	t.Helper()
	fake := secrettest.NewServer(t)
	clk := newClock()
	r := secret.NewResolver(secret.Options{
		LookupEnv:      env(nil),
		SSM:            fake.SSM(),
		SecretsManager: fake.SecretsManager(),
		TTL:            ttl,
		Now:            clk.Now,
	})
	return r, fake, clk
}

func TestResolveLiteralAndMalformed(t *testing.T) {
	r := secret.NewResolver(secret.Options{LookupEnv: env(nil)})
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "", want: ""},
		{in: "https://login.example.com", want: "https://login.example.com"},
		{in: "Hello ${x} there", want: "Hello ${x} there"},
		{in: "${}", wantErr: "malformed reference"},
		{in: "${lower case with space}", wantErr: "malformed reference"},
		{in: "${FOO", wantErr: "malformed reference"},
		{in: "ssm:relative", wantErr: "malformed reference"},
		{in: "secretsmanager:", wantErr: "malformed reference"},
	}
	for _, tt := range tests {
		got, err := r.Resolve(context.Background(), secret.Value(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestResolveEnv(t *testing.T) {
	r := secret.NewResolver(secret.Options{LookupEnv: env(map[string]string{
		"FOO":    "foo-value",
		"EMPTY":  "",
		"NESTED": "ssm:/not/resolved/again",
	})})
	tests := []struct {
		in      string
		want    string
		wantErr string // exact
	}{
		{in: "${FOO}", want: "foo-value"},
		{in: "${NESTED}", want: "ssm:/not/resolved/again"}, // one level only, by design
		{in: "${MISSING}", wantErr: "secret ${MISSING}: environment variable MISSING is not set"},
		{in: "${EMPTY}", wantErr: "secret ${EMPTY}: environment variable EMPTY is empty"},
	}
	for _, tt := range tests {
		got, err := r.Resolve(context.Background(), secret.Value(tt.in))
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Resolve(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestResolveEnvIsNotCached(t *testing.T) {
	vars := map[string]string{"FOO": "one"}
	r := secret.NewResolver(secret.Options{LookupEnv: env(vars)})
	if got, err := r.Resolve(context.Background(), "${FOO}"); err != nil || got != "one" {
		t.Fatalf("Resolve = %q, %v; want one", got, err)
	}
	vars["FOO"] = "two"
	if got, err := r.Resolve(context.Background(), "${FOO}"); err != nil || got != "two" {
		t.Fatalf("Resolve after change = %q, %v; want two", got, err)
	}
}

func TestResolveRemote(t *testing.T) {
	r, fake, _ := newResolver(t, 0)
	fake.SetParameter("/ahca/dev/openai-key", "sk-ssm-secret")
	fake.SetSecret("ahca/dev/graph", "graph-secret")
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:ahca/dev/other-AbCdEf"
	fake.SetSecret(arn, "arn-secret")
	fake.SetBinarySecret("ahca/dev/binary", []byte{0, 1, 2, 0xff})
	fake.SetParameter("/ahca/dev/empty", "")
	fake.SetSecret("ahca/dev/empty", "")

	tests := []struct {
		in      string
		want    string
		wantErr []string // substrings
	}{
		{in: "ssm:/ahca/dev/openai-key", want: "sk-ssm-secret"},
		{in: "secretsmanager:ahca/dev/graph", want: "graph-secret"},
		{in: "secretsmanager:" + arn, want: "arn-secret"},
		{in: "ssm:/ahca/dev/missing", wantErr: []string{"secret ssm:/ahca/dev/missing:", "ParameterNotFound"}},
		{in: "secretsmanager:ahca/dev/missing", wantErr: []string{"secret secretsmanager:ahca/dev/missing:", "ResourceNotFoundException"}},
		{in: "secretsmanager:ahca/dev/binary", wantErr: []string{"secret secretsmanager:ahca/dev/binary:", "SecretBinary"}},
		{in: "ssm:/ahca/dev/empty", wantErr: []string{"secret ssm:/ahca/dev/empty:", "empty"}},
		{in: "secretsmanager:ahca/dev/empty", wantErr: []string{"secret secretsmanager:ahca/dev/empty:", "empty"}},
	}
	for _, tt := range tests {
		got, err := r.Resolve(context.Background(), secret.Value(tt.in))
		if tt.wantErr != nil {
			if err == nil {
				t.Errorf("Resolve(%q) = %q, nil; want error", tt.in, got)
				continue
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Resolve(%q) error = %q, want it to contain %q", tt.in, err, want)
				}
			}
			for _, leak := range []string{"sk-ssm-secret", "graph-secret", "arn-secret"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("Resolve(%q) error = %q leaks a secret value", tt.in, err)
				}
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

// A missing parameter or secret is an API error with AWS's code, which
// callers (email's secretPermanent) tell apart from a blip.
func TestResolveNotFoundUnwrapsToAPIError(t *testing.T) {
	r, _, _ := newResolver(t, 0)
	for ref, code := range map[secret.Value]string{"ssm:/nope": "ParameterNotFound", "secretsmanager:nope": "ResourceNotFoundException"} {
		_, err := r.Resolve(context.Background(), ref)
		ae, ok := errors.AsType[smithy.APIError](err)
		if !ok || ae.ErrorCode() != code {
			t.Errorf("Resolve(%s) error = %v, want it to wrap an API error %s", ref, err, code)
		}
	}
}

func TestResolveWithoutClients(t *testing.T) {
	r := secret.NewResolver(secret.Options{})
	tests := []struct {
		in      string
		wantErr string
	}{
		{"ssm:/x", "secret ssm:/x: no SSM client configured"},
		{"secretsmanager:x", "secret secretsmanager:x: no Secrets Manager client configured"},
	}
	for _, tt := range tests {
		got, err := r.Resolve(context.Background(), secret.Value(tt.in))
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("Resolve(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
		}
	}
}

func TestResolveCachesUntilTTL(t *testing.T) {
	const ttl = time.Minute
	r, fake, clk := newResolver(t, ttl)
	fake.SetParameter("/p", "v1")
	fake.SetSecret("s", "s1")

	steps := []struct {
		advance   time.Duration
		rotate    bool // change the stored values before resolving
		wantP     string
		wantS     string
		wantCalls int
	}{
		{wantP: "v1", wantS: "s1", wantCalls: 2},                                               // first fetch of each
		{wantP: "v1", wantS: "s1", wantCalls: 2},                                               // cached
		{advance: ttl - time.Nanosecond, rotate: true, wantP: "v1", wantS: "s1", wantCalls: 2}, // still cached: rotation not seen yet
		{advance: time.Nanosecond, wantP: "v2", wantS: "s2", wantCalls: 4},                     // expired: refetched
		{wantP: "v2", wantS: "s2", wantCalls: 4},                                               // cached again
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if st.rotate {
			fake.SetParameter("/p", "v2")
			fake.SetSecret("s", "s2")
		}
		gotP, err := r.Resolve(context.Background(), "ssm:/p")
		if err != nil || gotP != st.wantP {
			t.Errorf("step %d: Resolve(ssm:/p) = %q, %v; want %q", i, gotP, err, st.wantP)
		}
		gotS, err := r.Resolve(context.Background(), "secretsmanager:s")
		if err != nil || gotS != st.wantS {
			t.Errorf("step %d: Resolve(secretsmanager:s) = %q, %v; want %q", i, gotS, err, st.wantS)
		}
		if got := fake.Calls(); got != st.wantCalls {
			t.Errorf("step %d: server calls = %d, want %d", i, got, st.wantCalls)
		}
	}
}

func TestResolveNegativeTTLDisablesCache(t *testing.T) {
	r, fake, _ := newResolver(t, -1)
	fake.SetParameter("/p", "v")
	for i := 1; i <= 3; i++ {
		if got, err := r.Resolve(context.Background(), "ssm:/p"); err != nil || got != "v" {
			t.Fatalf("Resolve #%d = %q, %v", i, got, err)
		}
		if got := fake.Calls(); got != i {
			t.Errorf("after Resolve #%d: server calls = %d, want %d", i, got, i)
		}
	}
}

func TestResolveFailuresAreCachedBriefly(t *testing.T) {
	r, fake, clk := newResolver(t, time.Hour)

	_, err1 := r.Resolve(context.Background(), "ssm:/late")
	if err1 == nil {
		t.Fatal("Resolve before the parameter exists succeeded")
	}
	_, err2 := r.Resolve(context.Background(), "ssm:/late")
	if err2 == nil || err2.Error() != err1.Error() {
		t.Fatalf("second Resolve = %v, want the remembered %v", err2, err1)
	}
	if got := fake.Calls(); got != 1 {
		t.Errorf("server calls after two failures = %d, want 1 (a failure is remembered for FailureTTL)", got)
	}

	fake.SetParameter("/late", "now-here")
	clk.Advance(secret.DefaultFailureTTL - time.Nanosecond)
	if _, err := r.Resolve(context.Background(), "ssm:/late"); err == nil {
		t.Error("Resolve within FailureTTL did not return the remembered failure")
	}
	clk.Advance(time.Nanosecond)
	if got, err := r.Resolve(context.Background(), "ssm:/late"); err != nil || got != "now-here" {
		t.Errorf("Resolve after FailureTTL = %q, %v; want now-here", got, err)
	}
	if got := fake.Calls(); got != 2 {
		t.Errorf("server calls = %d, want 2", got)
	}
}

func TestResolveNegativeFailureTTLDisablesFailureCache(t *testing.T) {
	fake := secrettest.NewServer(t)
	r := secret.NewResolver(secret.Options{LookupEnv: env(nil), SSM: fake.SSM(), FailureTTL: -1})
	for i := 1; i <= 3; i++ {
		if _, err := r.Resolve(context.Background(), "ssm:/missing"); err == nil {
			t.Fatal("Resolve of a missing parameter succeeded")
		}
		if got := fake.Calls(); got != i {
			t.Errorf("after Resolve #%d: server calls = %d, want %d", i, got, i)
		}
	}
}

func TestResolveStageRelative(t *testing.T) {
	fake := secrettest.NewServer(t)
	fake.SetParameter("/ahca/dev/acme/on-call-phone", "+15035550111")
	fake.SetSecret("ahca/prod/acme/graph", "graph-secret")

	// The stage comes from STAGE in the environment (template.yaml sets it)...
	r := secret.NewResolver(secret.Options{LookupEnv: env(map[string]string{"STAGE": "dev"}), SSM: fake.SSM(), SecretsManager: fake.SecretsManager()})
	if got, err := r.Resolve(context.Background(), "ssm:/ahca/{stage}/acme/on-call-phone"); err != nil || got != "+15035550111" {
		t.Errorf("Resolve with STAGE=dev = %q, %v", got, err)
	}
	// ... or from Options.Stage, which wins.
	r = secret.NewResolver(secret.Options{LookupEnv: env(map[string]string{"STAGE": "dev"}), Stage: "prod", SSM: fake.SSM(), SecretsManager: fake.SecretsManager()})
	if got, err := r.Resolve(context.Background(), "secretsmanager:ahca/{stage}/acme/graph"); err != nil || got != "graph-secret" {
		t.Errorf("Resolve with Stage=prod = %q, %v", got, err)
	}
	// With clients but no stage, nothing is guessed.
	r = secret.NewResolver(secret.Options{LookupEnv: env(nil), SSM: fake.SSM()})
	if _, err := r.Resolve(context.Background(), "ssm:/ahca/{stage}/acme/on-call-phone"); err == nil || !strings.Contains(err.Error(), "no stage") {
		t.Errorf("Resolve without a stage: err = %v, want a 'no stage' error", err)
	}
}

func TestResolveStageRelativeLocally(t *testing.T) {
	// No AWS clients (make dev, ahca call): the environment stands in.
	r := secret.NewResolver(secret.Options{LookupEnv: env(map[string]string{"ACME_ON_CALL_PHONE": "+15035550111"})})
	if got, err := r.Resolve(context.Background(), "ssm:/ahca/{stage}/acme/on-call-phone"); err != nil || got != "+15035550111" {
		t.Errorf("local Resolve = %q, %v", got, err)
	}
	_, err := r.Resolve(context.Background(), "secretsmanager:ahca/{stage}/acme/mandrill-key")
	if err == nil || !strings.Contains(err.Error(), "ACME_MANDRILL_KEY") || !strings.Contains(err.Error(), "not set") {
		t.Errorf("unset local stand-in: err = %v, want it to name ACME_MANDRILL_KEY", err)
	}
	// An absolute reference has no stand-in.
	if _, err := r.Resolve(context.Background(), "ssm:/ahca/dev/acme/x"); err == nil || !strings.Contains(err.Error(), "no SSM client configured") {
		t.Errorf("absolute reference without a client: err = %v", err)
	}
}

func TestLocalEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"ssm:/ahca/{stage}/superior-fencing/on-call-phone":  "SUPERIOR_FENCING_ON_CALL_PHONE",
		"ssm:/ahca/{stage}/maple-street-vet/mandrill-key:3": "MAPLE_STREET_VET_MANDRILL_KEY",
		"secretsmanager:ahca/{stage}/acme/graph.secret":     "ACME_GRAPH_SECRET",
		"ssm:/ahca/{stage}/1st/key":                         "SECRET_1ST_KEY",
	} {
		ref, _, err := secret.ParseRef(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := secret.LocalEnvName(ref); !ok || got != want {
			t.Errorf("LocalEnvName(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"ssm:/ahca/dev/x", "${X}", "secretsmanager:x"} {
		ref, _, _ := secret.ParseRef(in)
		if _, ok := secret.LocalEnvName(ref); ok {
			t.Errorf("LocalEnvName(%s) ok, want false", in)
		}
	}
}

func TestResolveConcurrentCallsShareOneFetch(t *testing.T) {
	for _, ref := range []secret.Value{"ssm:/shared", "secretsmanager:shared"} {
		t.Run(string(ref), func(t *testing.T) {
			const n = 20
			r, fake, _ := newResolver(t, 0)
			fake.SetParameter("/shared", "shared-value")
			fake.SetSecret("shared", "shared-value")
			waiting := make(chan secret.Ref, n)
			secret.SetOnWait(r, func(ref secret.Ref) { waiting <- ref })

			release := fake.Hold()
			var wg sync.WaitGroup
			got := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { got[i], errs[i] = r.Resolve(context.Background(), ref) })
			}
			// The first caller's request is held at the server, so every
			// other caller must end up waiting for it.
			timeout := time.After(10 * time.Second)
			for range n - 1 {
				select {
				case <-waiting:
				case <-timeout:
					release()
					t.Fatalf("timed out waiting for %d callers to join the in-flight fetch", n-1)
				}
			}
			release()
			wg.Wait()

			for i := range n {
				if errs[i] != nil || got[i] != "shared-value" {
					t.Errorf("caller %d: Resolve = %q, %v; want shared-value", i, got[i], errs[i])
				}
			}
			if c := fake.Calls(); c != 1 {
				t.Errorf("server calls = %d, want 1", c)
			}
			if extra := len(waiting); extra != 0 {
				t.Errorf("%d more callers waited than expected", extra)
			}
		})
	}
}

// inFlight is a resolver whose server holds ssm:/p ("v") until release,
// with waiting told of every caller that joins an in-flight fetch.
type inFlight struct {
	r       *secret.Resolver
	fake    *secrettest.Fake
	waiting chan secret.Ref
	release func()
}

func newInFlight(t *testing.T) *inFlight {
	r, fake, _ := newResolver(t, 0)
	fake.SetParameter("/p", "v")
	f := &inFlight{r: r, fake: fake, waiting: make(chan secret.Ref, 1)}
	secret.SetOnWait(r, func(ref secret.Ref) { f.waiting <- ref })
	f.release = fake.Hold()
	return f
}

type resolved struct {
	v   string
	err error
}

// resolve starts Resolve(ctx, "ssm:/p"); its outcome arrives on the channel.
func (f *inFlight) resolve(ctx context.Context) <-chan resolved {
	out := make(chan resolved, 1)
	go func() {
		v, err := f.r.Resolve(ctx, "ssm:/p")
		out <- resolved{v, err}
	}()
	return out
}

func TestResolveWaiterContextEnds(t *testing.T) {
	f := newInFlight(t)
	leader := f.resolve(context.Background())
	waitForCalls(t, f.fake, 1)

	ctx, cancel := context.WithCancel(context.Background())
	waiter := f.resolve(ctx)
	<-f.waiting
	cancel()
	if got := <-waiter; !errors.Is(got.err, context.Canceled) || !strings.Contains(got.err.Error(), "ssm:/p") {
		t.Errorf("cancelled waiter error = %v, want context.Canceled naming ssm:/p", got.err)
	}

	f.release()
	if got := <-leader; got.err != nil {
		t.Errorf("leader error = %v", got.err)
	}
}

func TestResolveLeaderCancelledWaiterRetries(t *testing.T) {
	f := newInFlight(t)
	ctx, cancel := context.WithCancel(context.Background())
	leader := f.resolve(ctx)
	waitForCalls(t, f.fake, 1)
	waiter := f.resolve(context.Background())
	<-f.waiting

	// The leader gives up; the waiter must not inherit its cancellation but
	// fetch again itself (its request is held too until release).
	cancel()
	if got := <-leader; !errors.Is(got.err, context.Canceled) {
		t.Errorf("leader error = %v, want context.Canceled", got.err)
	}
	waitForCalls(t, f.fake, 2)
	f.release()
	if got := <-waiter; got.err != nil || got.v != "v" {
		t.Errorf("waiter Resolve = %q, %v; want v", got.v, got.err)
	}
	if c := f.fake.Calls(); c != 2 {
		t.Errorf("server calls = %d, want 2", c)
	}
}

func waitForCalls(t *testing.T, fake *secrettest.Fake, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for fake.Calls() < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d server calls (have %d)", n, fake.Calls())
		}
		time.Sleep(time.Millisecond)
	}
}
