package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// SSMAPI reads an SSM parameter's value, decrypted ([NewSSM]). Tests in
// this module use NewSSM against package secrettest's wire-level fake.
type SSMAPI interface {
	GetParameter(ctx context.Context, name string) (string, error)
}

// SecretsManagerAPI reads a secret's SecretString ([NewSecretsManager]).
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, id string) (string, error)
}

// DefaultTTL is how long a resolved SSM or Secrets Manager value is reused
// when [Options.TTL] is zero: long enough that a warm Lambda does not call
// AWS on every request (cost, latency, API throttling), short enough that a
// rotated secret is picked up within minutes without a redeploy.
const DefaultTTL = 5 * time.Minute

// DefaultFailureTTL is how long a failed SSM or Secrets Manager lookup is
// remembered when [Options.FailureTTL] is zero: a missing parameter (say
// /ahca/<stage>/openai-api-key) then costs one failing AWS call per
// execution environment every 30 seconds instead of one on every request,
// and a secret created after the failure is still picked up quickly.
const DefaultFailureTTL = 30 * time.Second

// StageToken in an "ssm:" or "secretsmanager:" reference stands for the
// deployment stage, so that one configs tree serves every stage:
// "ssm:/ahca/{stage}/acme/on-call-phone" is read from
// /ahca/dev/acme/on-call-phone by the dev stack and from
// /ahca/prod/acme/on-call-phone by prod. See [Options.Stage].
const StageToken = "{stage}"

// Options configures a [Resolver]. The zero Options is usable: environment
// references work, and SSM and Secrets Manager references fail with a clear
// error until a client is provided.
type Options struct {
	// LookupEnv reads an environment variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// SSM resolves "ssm:" references; nil makes them fail.
	SSM SSMAPI
	// SecretsManager resolves "secretsmanager:" references; nil makes them
	// fail.
	SecretsManager SecretsManagerAPI
	// TTL is how long a successfully resolved SSM or Secrets Manager value
	// is cached. Zero means DefaultTTL; a negative TTL disables caching
	// (concurrent resolutions of one reference are still coalesced).
	TTL time.Duration
	// FailureTTL is how long a failed SSM or Secrets Manager lookup is
	// cached (the same error is returned without calling AWS). Zero means
	// DefaultFailureTTL; negative disables it. A lookup that failed because
	// the caller's context ended is never cached.
	FailureTTL time.Duration
	// Stage replaces [StageToken] in references. Empty means the STAGE
	// environment variable (through LookupEnv), which template.yaml sets on
	// every function. A stage-relative reference with no stage is an error.
	Stage string
	// Now is the clock used for cache expiry; nil means time.Now.
	Now func() time.Time
}

// Resolver turns each [Value] into the string it stands for. Resolution is
// lazy, so a process only fetches the secrets it actually uses, and only when
// it first uses them.
//
// SSM and Secrets Manager results are cached per reference for the TTL;
// failures for the shorter FailureTTL, so a missing secret does not cost an
// AWS call on every request, while a transient error or a secret created
// after the failure is retried soon. At most one fetch per
// reference is in flight at a time: concurrent callers wait for it instead of
// stampeding AWS (for example when a cold Lambda receives a burst of calls).
//
// Environment references are not cached: the environment is already in
// memory, and reading it on every call costs nothing.
//
// A Resolver is safe for concurrent use. Create it with [NewResolver]; the
// zero Resolver is not usable.
type Resolver struct {
	lookupEnv func(string) (string, bool)
	ssm       SSMAPI
	sm        SecretsManagerAPI
	ttl       time.Duration
	failTTL   time.Duration
	stage     string
	now       func() time.Time

	mu       sync.Mutex
	cache    map[Ref]cached
	inflight map[Ref]*fetch

	// onWait, if set, is called when a caller starts waiting for another
	// caller's in-flight fetch. It exists for tests.
	onWait func(Ref)
}

type cached struct {
	value   string
	err     error // a remembered failure (FailureTTL)
	expires time.Time
}

// fetch is one in-flight resolution that other callers can wait for.
type fetch struct {
	done  chan struct{} // closed when value and err are set
	value string
	err   error
	// abandoned is true when the fetch failed because the context of the
	// caller that ran it ended. Waiters with live contexts retry rather than
	// inherit someone else's cancellation.
	abandoned bool
}

// NewResolver returns a Resolver configured by opts (see [Options] for the
// defaults).
func NewResolver(opts Options) *Resolver {
	r := &Resolver{
		lookupEnv: opts.LookupEnv,
		ssm:       opts.SSM,
		sm:        opts.SecretsManager,
		ttl:       opts.TTL,
		failTTL:   opts.FailureTTL,
		stage:     opts.Stage,
		now:       opts.Now,
		cache:     make(map[Ref]cached),
		inflight:  make(map[Ref]*fetch),
	}
	if r.lookupEnv == nil {
		r.lookupEnv = os.LookupEnv
	}
	if r.ttl == 0 {
		r.ttl = DefaultTTL
	}
	if r.failTTL == 0 {
		r.failTTL = DefaultFailureTTL
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Resolve returns the string v stands for:
//
//   - a literal is returned unchanged (including ""): whether a literal is
//     allowed in a field is for validation to decide, not the resolver;
//   - "${NAME}" returns the environment variable NAME, and fails if it is
//     unset or empty;
//   - "ssm:/path" returns the parameter's value, fetched with
//     WithDecryption=true;
//   - "secretsmanager:id" returns the secret's SecretString; a secret that
//     only has SecretBinary is an error;
//   - in both, [StageToken] is replaced by the stage first. Without a client
//     for the reference's kind (a local run), a stage-relative reference is
//     read from the environment variable [LocalEnvName] names instead, e.g.
//     ACME_ON_CALL_PHONE for "ssm:/ahca/{stage}/acme/on-call-phone".
//
// A malformed reference is an error, so an unresolved "${...}" is never sent
// onward as if it were the secret. An empty resolved value is also an error:
// sending an empty secret only produces a confusing failure further away.
//
// Resolution is one level deep: if a resolved value itself looks like a
// reference (an environment variable containing "ssm:/x", say), it is
// returned as-is and not resolved again.
//
// Errors name the reference (e.g. "secret ${FOO}: environment variable FOO
// is not set") and wrap the underlying cause, so errors.As works with the
// AWS SDK's error types; they never contain a secret value.
func (r *Resolver) Resolve(ctx context.Context, v Value) (string, error) {
	ref, ok, err := ParseRef(string(v))
	if err != nil {
		return "", err
	}
	if !ok {
		return string(v), nil
	}
	if ref.Kind == KindEnv {
		return r.env(ref)
	}
	if ref.StageRelative() {
		if !r.hasClient(ref.Kind) {
			return r.localOverride(ref)
		}
		stage := r.stage
		if stage == "" {
			stage, _ = r.lookupEnv("STAGE") // read at use, never at construction
		}
		if stage == "" {
			return "", fmt.Errorf("secret %s: no stage to expand %s with: set STAGE", ref, StageToken)
		}
		ref = ref.WithStage(stage)
	}
	return r.resolveRemote(ctx, ref)
}

func (r *Resolver) hasClient(k Kind) bool {
	switch k {
	case KindSSM:
		return r.ssm != nil
	case KindSecretsManager:
		return r.sm != nil
	}
	return false
}

// localOverride resolves a stage-relative reference from the environment
// when there is no AWS client for it (make dev, ahca call, tests).
func (r *Resolver) localOverride(ref Ref) (string, error) {
	name, _ := LocalEnvName(ref)
	client := "SSM"
	if ref.Kind == KindSecretsManager {
		client = "Secrets Manager"
	}
	s, ok := r.lookupEnv(name)
	if !ok || s == "" {
		return "", fmt.Errorf("secret %s: no %s client configured, and environment variable %s (its local stand-in) is not set", ref, client, name)
	}
	return s, nil
}

func (r *Resolver) env(ref Ref) (string, error) {
	s, ok := r.lookupEnv(ref.Name)
	if !ok {
		return "", fmt.Errorf("secret %s: environment variable %s is not set", ref, ref.Name)
	}
	if s == "" {
		return "", fmt.Errorf("secret %s: environment variable %s is empty", ref, ref.Name)
	}
	return s, nil
}

// resolveRemote returns a cached value, waits for an in-flight fetch of the
// same reference, or performs the fetch itself.
func (r *Resolver) resolveRemote(ctx context.Context, ref Ref) (string, error) {
	for {
		r.mu.Lock()
		if c, ok := r.cache[ref]; ok {
			if r.now().Before(c.expires) {
				r.mu.Unlock()
				return c.value, c.err
			}
			delete(r.cache, ref)
		}
		f, waiting := r.inflight[ref]
		if !waiting {
			f = &fetch{done: make(chan struct{})}
			r.inflight[ref] = f
		}
		r.mu.Unlock()

		if !waiting {
			r.run(ctx, ref, f)
			return f.value, f.err
		}

		if r.onWait != nil {
			r.onWait(ref)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", fmt.Errorf("secret %s: %w", ref, ctx.Err())
		}
		if f.abandoned && ctx.Err() == nil {
			continue // the fetching caller gave up; try again ourselves
		}
		return f.value, f.err
	}
}

// run performs f's fetch and publishes the result. The deferred cleanup runs
// even if the fetch panics, so waiters are never left blocked.
func (r *Resolver) run(ctx context.Context, ref Ref, f *fetch) {
	defer func() {
		r.mu.Lock()
		delete(r.inflight, ref)
		switch {
		case f.err == nil && r.ttl > 0:
			r.cache[ref] = cached{value: f.value, expires: r.now().Add(r.ttl)}
		case f.err != nil && !f.abandoned && r.failTTL > 0:
			r.cache[ref] = cached{err: f.err, expires: r.now().Add(r.failTTL)}
		}
		r.mu.Unlock()
		close(f.done)
	}()
	f.err = errors.New("secret " + ref.String() + ": fetch did not complete") // replaced unless the fetch panics
	f.value, f.err = r.fetchRemote(ctx, ref)
	if f.err != nil {
		f.value = ""
		f.abandoned = ctx.Err() != nil
	}
}

func (r *Resolver) fetchRemote(ctx context.Context, ref Ref) (string, error) {
	switch ref.Kind {
	case KindSSM:
		return r.fetchSSM(ctx, ref)
	case KindSecretsManager:
		return r.fetchSecretsManager(ctx, ref)
	default:
		return "", fmt.Errorf("secret %s: unsupported reference kind %q", ref, ref.Kind)
	}
}

func (r *Resolver) fetchSSM(ctx context.Context, ref Ref) (string, error) {
	if r.ssm == nil {
		return "", fmt.Errorf("secret %s: no SSM client configured", ref)
	}
	v, err := r.ssm.GetParameter(ctx, ref.Name)
	switch {
	case err != nil:
		return "", fmt.Errorf("secret %s: %w", ref, err)
	case v == "":
		return "", fmt.Errorf("secret %s: SSM parameter is empty", ref)
	}
	return v, nil
}

func (r *Resolver) fetchSecretsManager(ctx context.Context, ref Ref) (string, error) {
	if r.sm == nil {
		return "", fmt.Errorf("secret %s: no Secrets Manager client configured", ref)
	}
	v, err := r.sm.GetSecretValue(ctx, ref.Name)
	switch {
	case err != nil:
		return "", fmt.Errorf("secret %s: %w", ref, err)
	case v == "":
		return "", fmt.Errorf("secret %s: SecretString is empty", ref)
	}
	return v, nil
}
