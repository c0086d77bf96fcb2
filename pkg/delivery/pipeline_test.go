package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/internal/syncbuf"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/deliverytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// msg is the fake renderers' message: enough to see which business it is
// from, to whom, and with whose branding.
type msg struct {
	Kind     delivery.EmailKind
	Business tenant.ID
	Session  string
	From     string
	To       []string
	Subject  string
	Body     string
}

func render(b *business.Business, r *delivery.Record) (msg, error) {
	if r.BusinessID != b.ID {
		return msg{}, fmt.Errorf("transcript of %s rendered for %s", r.BusinessID, b.ID)
	}
	return msg{
		Kind: delivery.EmailBusiness, Business: b.ID, Session: r.SessionID,
		From: b.Email.FromName + " <" + b.Email.FromEmail + ">", To: b.Email.Recipients,
		Subject: b.Name + ": " + r.Caller.Name, Body: r.Summary,
	}, nil
}

func renderCallerCopy(b *business.Business, r *delivery.Record) (msg, bool) {
	if !b.Email.CallerCopy || r.Caller.Email == "" {
		return msg{}, false
	}
	return msg{
		Kind: delivery.EmailCaller, Business: b.ID, Session: r.SessionID,
		From: b.Email.FromName + " <" + b.Email.FromEmail + ">", To: []string{r.Caller.Email},
		Subject: "Your conversation with " + b.Name,
	}, true
}

// configs serves testdata/configs; hide makes a business unknown, fail
// makes the source fail.
type configs struct {
	set  *business.Set
	mu   sync.Mutex
	hide map[tenant.ID]bool
	fail error
}

func (c *configs) Business(_ context.Context, id tenant.ID) (*business.Business, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return nil, c.fail
	}
	if c.hide[id] {
		return nil, fmt.Errorf("business %q: %w", id, business.ErrUnknownBusiness)
	}
	return c.set.Business(id)
}

func (c *configs) setHidden(id tenant.ID, hidden bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hide[id] = hidden
}

var (
	loadOnce sync.Once
	loaded   *business.Set
	loadErr  error
)

func testConfigs(t *testing.T) *configs {
	t.Helper()
	loadOnce.Do(func() {
		loaded, loadErr = business.Load(context.Background(), business.DirSource{Dir: "testdata/configs"})
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return &configs{set: loaded, hide: map[tenant.ID]bool{}}
}

// countingSummarizer counts summaries (the fallback ones, no model).
type countingSummarizer struct{ n atomic.Int32 }

func (c *countingSummarizer) Summarize(ctx context.Context, b *business.Business, t transcript.Transcript) (string, string) {
	c.n.Add(1)
	return (&summary.Summarizer{}).Summarize(ctx, b, t)
}

type harness struct {
	p         *delivery.Pipeline[msg]
	store     delivery.Records
	providers *deliverytest.Providers[msg]
	configs   *configs
	summaries *countingSummarizer
	logs      *syncbuf.Buffer
}

func newHarness(t *testing.T, store delivery.Records) *harness {
	h := &harness{store: store, providers: &deliverytest.Providers[msg]{}, configs: testConfigs(t), summaries: &countingSummarizer{}, logs: &syncbuf.Buffer{}}
	h.p = &delivery.Pipeline[msg]{
		Store: store, Configs: h.configs, Summarizer: h.summaries,
		Render: render, RenderCallerCopy: renderCallerCopy, Senders: h.providers,
		IsPermanent: deliverytest.IsPermanent,
		Businesses:  func(context.Context) ([]tenant.ID, error) { return loaded.IDs(), nil },
		Lease:       time.Second, SendTimeout: 500 * time.Millisecond, RetryPause: -1,
		Log: tenant.NewJSONLogger(h.logs, slog.LevelDebug),
	}
	return h
}

// forEachStore runs f against the memory records and the DynamoDB records
// (DynamoDB Local; skipped without it, except in CI). The memory run is in
// a synctest bubble: on its fake clock leases, send delays and pauses take
// exactly their nominal time and happen in a fixed order, whatever the
// machine's load. The DynamoDB run uses the network, so the real clock.
func forEachStore(t *testing.T, f func(t *testing.T, h *harness)) {
	t.Run("memory", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { f(t, newHarness(t, delivery.NewMemoryRecords())) })
	})
	t.Run("dynamodb", func(t *testing.T) {
		f(t, newHarness(t, delivery.NewDynamoRecords(sessiontest.LocalTable(t))))
	})
}

// handle runs HandleStream on a fixture and returns the failed sequence
// numbers.
func (h *harness) handle(t *testing.T, ev events.DynamoDBEvent) []string {
	t.Helper()
	resp, err := h.p.HandleStream(context.Background(), ev)
	if err != nil {
		t.Fatalf("HandleStream returned an error: %v", err)
	}
	if resp.BatchItemFailures == nil {
		t.Fatal("BatchItemFailures is nil; want an empty list")
	}
	var seqs []string
	for _, f := range resp.BatchItemFailures {
		seqs = append(seqs, f.ItemIdentifier)
	}
	return seqs
}

func (h *harness) sent(biz tenant.ID, kind delivery.EmailKind) []msg {
	var out []msg
	for _, m := range h.providers.Sender(biz).Sent() {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) claim(t *testing.T, biz tenant.ID, sid string, kind delivery.EmailKind) *delivery.Claim {
	t.Helper()
	c, err := h.store.GetClaim(context.Background(), delivery.ClaimKey{Business: biz, Session: sid, Kind: kind})
	if err != nil {
		t.Fatalf("GetClaim %s/%s/%s: %v", biz, sid, kind, err)
	}
	return c
}

func (h *harness) deadLetters(t *testing.T, biz tenant.ID) []*delivery.DeadLetter {
	t.Helper()
	dls, err := h.store.DeadLetters(context.Background(), biz)
	if err != nil {
		t.Fatal(err)
	}
	return dls
}

func seqOf(ev events.DynamoDBEvent, i int) string { return ev.Records[i].Change.SequenceNumber }

func wantCount(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d, want %d", what, got, want)
	}
}

// The same end delivered again and again, in one batch and across batches:
// one email of each kind, one transcript, one summary.
func TestDuplicateDelivery(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "ended.json")
		dup := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{ev.Records[0], ev.Records[0]}}
		for range 2 {
			if f := h.handle(t, dup); len(f) != 0 {
				t.Fatalf("failures %v", f)
			}
		}
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatalf("failures %v", f)
		}
		biz := h.sent("acme-plumbing", delivery.EmailBusiness)
		wantCount(t, "business emails", len(biz), 1)
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 1)
		wantCount(t, "summaries", int(h.summaries.n.Load()), 1)
		if len(biz) == 1 {
			m := biz[0]
			if m.Session != sidAcmeEnded || !slices.Equal(m.To, []string{"office@acme-plumbing.example", "owner@acme-plumbing.example"}) ||
				m.Subject != "Acme Plumbing: Jamie Rivera" || !strings.HasPrefix(m.Body, "Jamie Rivera called about: burst pipe") {
				t.Errorf("business email %+v", m)
			}
		}
		c := h.claim(t, "acme-plumbing", sidAcmeEnded, delivery.EmailBusiness)
		if c.State != delivery.StateSent || c.ProviderID != "ses:acme-plumbing-1" || c.Attempts != 1 {
			t.Errorf("claim %+v", c)
		}
		r, err := h.store.FindTranscript(context.Background(), "acme-plumbing", sidAcmeEnded)
		if err != nil {
			t.Fatal(err)
		}
		s, _, _ := delivery.EndedSession(ev.Records[0])
		want := transcript.FromSession(s, time.Now())
		if r.Status != transcript.StatusCompleted || r.Key() != delivery.TranscriptKey(want) || len(r.Turns) != len(want.Turns) ||
			r.Caller.CallerID != "" || r.CallbackPhone != "+15035550142" || r.SummarySource != summary.SourceFallback {
			t.Errorf("stored transcript %+v", r)
		}
	})
}

// A 5xx, then success: one email; the failed record is reported by its
// sequence number and retried.
func TestTransientFailureThenSuccess(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "ended.json")
		h.providers.Sender("acme-plumbing").Script(deliverytest.ErrTransient) // the business email's first send
		if f := h.handle(t, ev); !slices.Equal(f, []string{seqOf(ev, 0)}) {
			t.Fatalf("failures %v, want [%s]", f, seqOf(ev, 0))
		}
		c := h.claim(t, "acme-plumbing", sidAcmeEnded, delivery.EmailBusiness)
		if c.State != delivery.StateFailed || c.Attempts != 1 || !strings.Contains(c.LastError, "503") {
			t.Errorf("claim after the failure %+v", c)
		}
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatalf("retry failures %v", f)
		}
		wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 1)
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 1)
		wantCount(t, "provider calls", h.providers.Sender("acme-plumbing").Calls(), 3)
		if c := h.claim(t, "acme-plumbing", sidAcmeEnded, delivery.EmailBusiness); c.State != delivery.StateSent || c.Attempts != 2 {
			t.Errorf("claim after the retry %+v", c)
		}
		if dls := h.deadLetters(t, "acme-plumbing"); len(dls) != 0 {
			t.Errorf("dead letters %+v", dls)
		}
	})
}

// The provider stays down past MaxAttempts: the record stops failing, the
// emails are dead-lettered, later deliveries leave them alone; Redrive
// then sends exactly one of each, however often (and concurrently) it runs.
func TestProviderDownPastBudgetThenRedrive(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		ev := loadEvent(t, "ended.json")
		snd := h.providers.Sender("acme-plumbing")
		snd.FailAlways(deliverytest.ErrTransient)
		for i := 1; i <= delivery.DefaultMaxAttempts; i++ {
			f := h.handle(t, ev)
			if i < delivery.DefaultMaxAttempts && len(f) != 1 {
				t.Fatalf("delivery %d: failures %v, want the record", i, f)
			}
			if i == delivery.DefaultMaxAttempts && len(f) != 0 {
				t.Fatalf("delivery %d (the last attempt): failures %v, want none (dead-lettered)", i, f)
			}
		}
		dls := h.deadLetters(t, "acme-plumbing")
		if len(dls) != 1 || dls[0].SessionID != sidAcmeEnded || dls[0].Reason != delivery.ReasonAttempts || dls[0].Attempts != 5 ||
			!slices.Equal(dls[0].Emails, []delivery.EmailKind{delivery.EmailBusiness, delivery.EmailCaller}) || !strings.Contains(dls[0].LastError, "503") {
			t.Fatalf("dead letters %+v", dls)
		}
		calls := snd.Calls()
		wantCount(t, "sends tried", calls, 2*delivery.DefaultMaxAttempts)
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatalf("delivery after dead-lettering: failures %v", f)
		}
		wantCount(t, "sends after dead-lettering", snd.Calls(), calls)

		// A redrive while the provider is still down: one attempt, still dead.
		n, err := h.p.Redrive(ctx, "acme-plumbing")
		if n != 0 || err == nil || !strings.Contains(err.Error(), "still failing") {
			t.Errorf("redrive while down = %d, %v", n, err)
		}
		if dls := h.deadLetters(t, "acme-plumbing"); len(dls) != 1 || dls[0].Reason != delivery.ReasonRedrive {
			t.Errorf("dead letters after a failed redrive %+v", dls)
		}

		snd.FailAlways(nil)
		var wg sync.WaitGroup
		var done atomic.Int32
		for range 3 { // concurrent redrives: still one email of each kind
			wg.Go(func() {
				n, _ := h.p.Redrive(ctx, "")
				done.Add(int32(n))
			})
		}
		wg.Wait()
		if d := done.Load(); d < 1 {
			t.Errorf("redrives done %d, want at least 1", d)
		}
		wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 1)
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 1)
		if dls := h.deadLetters(t, "acme-plumbing"); len(dls) != 0 {
			t.Errorf("dead letters after the redrive %+v", dls)
		}
		if n, err := h.p.Redrive(ctx, ""); n != 0 || err != nil {
			t.Errorf("second redrive = %d, %v; want nothing to do", n, err)
		}
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		wantCount(t, "emails in all", h.providers.Total(), 2)
	})
}

// A permanent rejection is dead-lettered at once; the caller copy, a
// separate email, still goes.
func TestPermanentRejection(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "ended.json")
		snd := h.providers.Sender("acme-plumbing")
		snd.Script(fmt.Errorf("SES: %w", deliverytest.ErrPermanent))
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatalf("failures %v; a permanent rejection is handled", f)
		}
		dls := h.deadLetters(t, "acme-plumbing")
		if len(dls) != 1 || dls[0].Reason != delivery.ReasonPermanent || dls[0].Attempts != 1 ||
			!slices.Equal(dls[0].Emails, []delivery.EmailKind{delivery.EmailBusiness}) {
			t.Fatalf("dead letters %+v", dls)
		}
		if c := h.claim(t, "acme-plumbing", sidAcmeEnded, delivery.EmailBusiness); c.State != delivery.StateDead {
			t.Errorf("claim %+v", c)
		}
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 1)
		h.handle(t, ev)
		wantCount(t, "provider calls", snd.Calls(), 2) // the rejection and the caller copy, nothing more
	})
}

// A session removed by TTL while active: an abandoned transcript and its
// email (no caller copy: no address).
func TestTTLRemovalOfActiveSession(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "ttl-abandoned.json")
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		r, err := h.store.FindTranscript(context.Background(), "acme-plumbing", sidAbandoned)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != transcript.StatusAbandoned || r.EndReason != "expired" || !r.PhoneFromCallerID || r.Caller.CallerID != "" {
			t.Errorf("transcript %+v", r)
		}
		m := h.sent("acme-plumbing", delivery.EmailBusiness)
		if len(m) != 1 || !strings.Contains(m[0].Body, "abandoned") || strings.Contains(m[0].Body, "5550199") {
			t.Errorf("emails %+v", m)
		}
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 0)
	})
}

// Inserts, turns, changes after the end, manual deletes and the TTL removal
// of an ended session are not ends.
func TestNotAnEndIsIgnored(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "not-an-end.json")
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		wantCount(t, "emails", h.providers.Total(), 0)
		wantCount(t, "summaries", int(h.summaries.n.Load()), 0)
		for _, biz := range []tenant.ID{"acme-plumbing", "bravo-fencing"} {
			if rs, _ := h.store.ListTranscripts(context.Background(), biz, time.Time{}, 0); len(rs) != 0 {
				t.Errorf("%s transcripts %+v", biz, rs)
			}
		}
	})
}

// Two businesses in one batch: each email from its own provider, with its
// own branding and recipients; one business's outage does not hold up the
// other's email.
func TestTwoBusinessesInOneBatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "two-businesses.json")
		h.providers.Sender("bravo-fencing").Script(deliverytest.ErrTransient)
		if f := h.handle(t, ev); !slices.Equal(f, []string{seqOf(ev, 2)}) {
			t.Fatalf("failures %v, want only bravo's end %s", f, seqOf(ev, 2))
		}
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		want := map[tenant.ID]struct{ provider, from, to, subject string }{
			"acme-plumbing": {"ses:acme-plumbing-1", "Acme After-Hours Line <leads@acme-plumbing.example>", "office@acme-plumbing.example", "Acme Plumbing: Jamie Rivera"},
			"bravo-fencing": {"mailchimp-transactional:bravo-fencing-1", "Bravo Fencing Web Chat <crew@bravo-fencing.example>", "crew@bravo-fencing.example", "Bravo Fencing: Ann Lee"},
		}
		for biz, w := range want {
			msgs := h.sent(biz, delivery.EmailBusiness)
			if len(msgs) != 1 {
				t.Fatalf("%s: %d business emails, want 1: %+v", biz, len(msgs), msgs)
			}
			m := msgs[0]
			if m.Business != biz || m.From != w.from || m.To[0] != w.to || m.Subject != w.subject {
				t.Errorf("%s sent %+v", biz, m)
			}
			for _, other := range h.providers.Sender(biz).Sent() {
				if other.Business != biz {
					t.Errorf("%s's provider sent %s's email %+v", biz, other.Business, other)
				}
			}
			sid := map[tenant.ID]string{"acme-plumbing": sidAcmeEnded, "bravo-fencing": sidBravoEnded}[biz]
			if c := h.claim(t, biz, sid, delivery.EmailBusiness); c.ProviderID != w.provider {
				t.Errorf("%s claim provider id %q, want %q", biz, c.ProviderID, w.provider)
			}
			rs, err := h.store.ListTranscripts(context.Background(), biz, time.Time{}, 0)
			if err != nil || len(rs) != 1 || rs[0].SessionID != sid || rs[0].BusinessID != biz {
				t.Errorf("%s transcripts %+v, %v", biz, rs, err)
			}
		}
		if m := h.sent("bravo-fencing", delivery.EmailBusiness)[0]; !strings.Contains(m.Body, "wrote in on the web chat") {
			t.Errorf("bravo summary %q", m.Body)
		}
	})
}

// Racing deliveries of one session (stream retries, concurrent
// invocations): one email of each kind. The losers wait out the winner's
// lease (the harness's 1 s: on the real clock of the DynamoDB run it must
// outlast the winner's send and bookkeeping even on a loaded machine, or a
// loser takes the claim over and sends again).
func TestConcurrentDeliveries(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		h.providers.Delay = 30 * time.Millisecond
		ev := loadEvent(t, "ended.json")
		s, ok, err := delivery.EndedSession(ev.Records[0])
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		var wg sync.WaitGroup
		var failed atomic.Int32
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				if err := h.p.Deliver(context.Background(), s.Clone()); err != nil {
					failed.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		// A loser may have found the claim held; its retry then skips.
		if err := h.p.Deliver(context.Background(), s.Clone()); err != nil {
			t.Fatal(err)
		}
		wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 1)
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 1)
		if n := int(h.summaries.n.Load()); n < 1 || n > 8 {
			t.Errorf("summaries %d", n)
		}
	})
}

// A business missing from the configs: the transcript is kept and the
// email dead-lettered, to be redriven once the business is back.
func TestUnknownBusinessThenRedrive(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "ended.json")
		h.configs.setHidden("acme-plumbing", true)
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		dls := h.deadLetters(t, "acme-plumbing")
		if len(dls) != 1 || dls[0].Reason != delivery.ReasonConfig || !strings.Contains(dls[0].LastError, "unknown business") {
			t.Fatalf("dead letters %+v", dls)
		}
		if _, err := h.store.FindTranscript(context.Background(), "acme-plumbing", sidAcmeEnded); err != nil {
			t.Errorf("transcript not kept: %v", err)
		}
		if _, err := h.p.Redrive(context.Background(), "acme-plumbing"); err == nil {
			t.Error("redrive of an unknown business succeeded")
		}
		h.configs.setHidden("acme-plumbing", false)
		var got []delivery.Redriven
		err := h.p.RedriveEach(context.Background(), "acme-plumbing", func(r delivery.Redriven) { got = append(got, r) })
		if err != nil || len(got) != 1 || !got[0].Done || len(got[0].Sent) != 2 || got[0].Sent[0].Kind != delivery.EmailBusiness {
			t.Fatalf("redrive %+v, %v", got, err)
		}
		wantCount(t, "emails", h.providers.Total(), 2)
	})
}

// Failures go back to the stream after RetryPause (the stream retries at
// once); a batch without failures returns at once. Durations are on the
// fake clock of a synctest bubble, so they are exact.
func TestRetryPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const pause = 150 * time.Millisecond
		h := newHarness(t, delivery.NewMemoryRecords())
		h.p.RetryPause = pause
		ev := loadEvent(t, "ended.json")
		h.providers.Sender("acme-plumbing").Script(deliverytest.ErrTransient)
		start := time.Now()
		if f, el := h.handle(t, ev), time.Since(start); len(f) != 1 || el != pause {
			t.Errorf("failures %v after %v; want one, after the pause (%v)", f, el, pause)
		}
		start = time.Now()
		if f, el := h.handle(t, ev), time.Since(start); len(f) != 0 || el != 0 {
			t.Errorf("failures %v after %v; want none, at once", f, el)
		}
	})
}

// A config source failure is transient: the record is retried.
func TestConfigSourceFailureRetries(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	ev := loadEvent(t, "ended.json")
	h.configs.fail = errors.New("S3: connection reset")
	if f := h.handle(t, ev); len(f) != 1 {
		t.Fatalf("failures %v", f)
	}
	h.configs.fail = nil
	if f := h.handle(t, ev); len(f) != 0 {
		t.Fatal(f)
	}
	wantCount(t, "emails", h.providers.Total(), 2)
}

// Provider setup and rendering failures: permanent ones dead-letter,
// transient ones retry.
func TestSetupFailures(t *testing.T) {
	ev := loadEvent(t, "ended.json")
	t.Run("provider permanent", func(t *testing.T) {
		h := newHarness(t, delivery.NewMemoryRecords())
		h.providers.Fail("acme-plumbing", fmt.Errorf("microsoft-graph: %w", deliverytest.ErrPermanent))
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		dls := h.deadLetters(t, "acme-plumbing")
		if len(dls) != 1 || dls[0].Reason != delivery.ReasonConfig || len(dls[0].Emails) != 2 {
			t.Errorf("dead letters %+v", dls)
		}
	})
	t.Run("provider transient", func(t *testing.T) {
		h := newHarness(t, delivery.NewMemoryRecords())
		h.providers.Fail("acme-plumbing", errors.New("SSM: throttled"))
		if f := h.handle(t, ev); len(f) != 1 {
			t.Fatalf("failures %v", f)
		}
		h.providers.Fail("acme-plumbing", nil)
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		wantCount(t, "emails", h.providers.Total(), 2)
	})
	t.Run("render", func(t *testing.T) {
		h := newHarness(t, delivery.NewMemoryRecords())
		h.p.Render = func(*business.Business, *delivery.Record) (msg, error) { return msg{}, errors.New("template: bad") }
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatal(f)
		}
		dls := h.deadLetters(t, "acme-plumbing")
		if len(dls) != 1 || !slices.Equal(dls[0].Emails, []delivery.EmailKind{delivery.EmailBusiness}) || !strings.Contains(dls[0].LastError, "template: bad") {
			t.Errorf("dead letters %+v", dls)
		}
		wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 1)
	})
}

// A business with the summary email off: the transcript is stored, no
// email, no dead letter.
func TestEmailOff(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	now := time.Now().UTC()
	s := &session.Session{BusinessID: "quiet-vet", ID: "s-quiet", Channel: session.ChannelWeb, Status: session.StatusEnded,
		EndReason: "completed", Caller: session.Caller{Name: "Lee", Email: "lee@example.com"}, CreatedAt: now.Add(-time.Minute), UpdatedAt: now, EndedAt: now}
	if err := h.p.Deliver(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	wantCount(t, "emails", h.providers.Total(), 0)
	if _, err := h.store.FindTranscript(context.Background(), "quiet-vet", "s-quiet"); err != nil {
		t.Error(err)
	}
	if dls := h.deadLetters(t, "quiet-vet"); len(dls) != 0 {
		t.Error(dls)
	}
}

// Near the invocation's deadline, records are not started but handed back.
func TestOutOfTimeLeavesRecordsForRetry(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	ev := loadEvent(t, "lifecycle.json") // two ends among five records
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := h.p.HandleStream(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if want := []string{seqOf(ev, 2), seqOf(ev, 4)}; !slices.Equal(got, want) {
		t.Errorf("failures %v, want the two ends %v", got, want)
	}
	wantCount(t, "emails", h.providers.Total(), 0)
	// With time, both are delivered.
	if f := h.handle(t, ev); len(f) != 0 {
		t.Fatal(f)
	}
	wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 2)
}

// A claim held by a delivery that died mid-send is taken over when its
// lease ends; the crashed send counts as an attempt.
func TestHeldClaimIsTakenOverAfterLease(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ev := loadEvent(t, "ended.json")
		now := time.Now()
		k := delivery.ClaimKey{Business: "acme-plumbing", Session: sidAcmeEnded, Kind: delivery.EmailBusiness}
		if _, won, err := h.store.Claim(context.Background(), k, delivery.ClaimRequest{Owner: "crashed", Now: now, LeaseUntil: now.Add(300 * time.Millisecond)}); !won || err != nil {
			t.Fatal(won, err)
		}
		if f := h.handle(t, ev); len(f) != 0 {
			t.Fatalf("failures %v (the delivery should wait out the lease)", f)
		}
		c := h.claim(t, "acme-plumbing", sidAcmeEnded, delivery.EmailBusiness)
		if c.State != delivery.StateSent || c.Attempts != 2 {
			t.Errorf("claim %+v", c)
		}
		wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 1)
	})
}

// A held claim whose lease outlasts the invocation: the record is retried.
func TestHeldClaimBeyondDeadlineRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, delivery.NewMemoryRecords())
		h.p.Reserve = time.Second
		ev := loadEvent(t, "ended.json")
		now := time.Now()
		k := delivery.ClaimKey{Business: "acme-plumbing", Session: sidAcmeEnded, Kind: delivery.EmailBusiness}
		if _, _, err := h.store.Claim(context.Background(), k, delivery.ClaimRequest{Owner: "other", Now: now, LeaseUntil: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		resp, _ := h.p.HandleStream(ctx, ev)
		// Fake clock: no wait for the lease, no pause (RetryPause is off).
		if el := time.Since(start); len(resp.BatchItemFailures) != 1 || el != 0 {
			t.Errorf("failures %v after %v; want the record back at once", resp.BatchItemFailures, el)
		}
		wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 0)
	})
}

// Sends that keep crashing (claims taken and never released) end in the
// dead letters without another send.
func TestCrashLoopIsDeadLettered(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	ev := loadEvent(t, "ended.json")
	k := delivery.ClaimKey{Business: "acme-plumbing", Session: sidAcmeEnded, Kind: delivery.EmailBusiness}
	past := time.Now().Add(-time.Hour)
	for i := range delivery.DefaultMaxAttempts {
		at := past.Add(time.Duration(i) * time.Minute)
		if _, won, err := h.store.Claim(context.Background(), k, delivery.ClaimRequest{Owner: fmt.Sprint("crash-", i), Now: at, LeaseUntil: at.Add(time.Second)}); !won || err != nil {
			t.Fatal(won, err)
		}
	}
	if f := h.handle(t, ev); len(f) != 0 {
		t.Fatal(f)
	}
	wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 0)
	dls := h.deadLetters(t, "acme-plumbing")
	if len(dls) != 1 || dls[0].Reason != delivery.ReasonAttempts || !strings.Contains(dls[0].LastError, "without finishing") {
		t.Errorf("dead letters %+v", dls)
	}
}

// A record of a session that cannot be decoded is reported, and the rest
// of the batch is still delivered.
func TestUndecodableRecordIsReported(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	ev := loadEvent(t, "two-businesses.json")
	bad := loadEvent(t, "ended.json").Records[0]
	bad.Change.SequenceNumber = "bad-seq"
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range bad.Change.NewImage {
		img[k] = v
	}
	img["businessId"] = events.NewStringAttribute("bravo-fencing") // the key says acme-plumbing
	bad.Change.NewImage = img
	ev.Records = append([]events.DynamoDBEventRecord{bad}, ev.Records...)
	if f := h.handle(t, ev); !slices.Equal(f, []string{"bad-seq"}) {
		t.Fatalf("failures %v", f)
	}
	wantCount(t, "emails", h.providers.Total(), 3) // acme business + caller copy, bravo business
}

// Logs name the business and session but carry no caller details.
func TestLogsCarryNoCallerDetails(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	h.p.Log = tenant.NewJSONLogger(h.logs, slog.LevelInfo)
	h.providers.Sender("acme-plumbing").Script(deliverytest.ErrTransient)
	ev := loadEvent(t, "lifecycle.json")
	h.handle(t, ev)
	h.handle(t, ev)
	logs := h.logs.String()
	for _, secret := range []string{"Jamie", "Rivera", "5550142", "jamie.rivera@example.com", "burst pipe", "water heater"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`"businessId":"acme-plumbing"`, `"msg":"summary email sent"`, `"sessionId":"` + sidAcmeEnded + `"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestEndedSession(t *testing.T) {
	lc := loadEvent(t, "lifecycle.json") // INSERT, turn, end, after-end, TTL of an active session
	ne := loadEvent(t, "not-an-end.json")
	tests := []struct {
		name   string
		rec    events.DynamoDBEventRecord
		wantID string // "" = not selected
	}{
		{"insert", lc.Records[0], ""},
		{"turn", lc.Records[1], ""},
		{"end", lc.Records[2], sidAcmeEnded},
		{"after end", lc.Records[3], ""},
		{"TTL of active", lc.Records[4], sidAbandoned},
		{"manual delete of active", ne.Records[3], ""},
		{"TTL of ended", ne.Records[4], ""},
		{"other source", func() events.DynamoDBEventRecord { r := lc.Records[2]; r.EventSource = "aws:kinesis"; return r }(), ""},
		{"REMOVE by a user", func() events.DynamoDBEventRecord {
			r := lc.Records[4]
			r.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "someone.amazonaws.com"}
			return r
		}(), ""},
		{"not a session", func() events.DynamoDBEventRecord {
			r := lc.Records[2]
			r.Change.Keys = map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("BIZ#acme-plumbing#EMAIL#x"), "sk": events.NewStringAttribute("EMAIL")}
			return r
		}(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok, err := delivery.EndedSession(tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = s.ID
			}
			if got != tt.wantID {
				t.Errorf("selected %q (ok %v), want %q", got, ok, tt.wantID)
			}
		})
	}
	// A session record without images (a KEYS_ONLY stream) is an error,
	// not a silent skip.
	r := lc.Records[2]
	r.Change.OldImage, r.Change.NewImage = nil, nil
	if _, _, err := delivery.EndedSession(r); err == nil || !strings.Contains(err.Error(), "NEW_AND_OLD_IMAGES") {
		t.Errorf("record without images: %v", err)
	}
}

func TestDeliverRefusesBadInput(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	for _, s := range []*session.Session{nil, {BusinessID: "Bad#Biz", ID: "s1"}, {BusinessID: "acme-plumbing"}} {
		if err := h.p.Deliver(context.Background(), s); err == nil {
			t.Errorf("Deliver(%+v) accepted", s)
		}
	}
	var p delivery.Pipeline[msg]
	if err := p.Deliver(context.Background(), &session.Session{BusinessID: "acme-plumbing", ID: "s"}); err == nil {
		t.Error("a Pipeline without dependencies delivered")
	}
	if _, err := h.p.Redrive(context.Background(), ""); err != nil {
		t.Errorf("redrive of nothing: %v", err)
	}
	h.p.Businesses = nil
	if _, err := h.p.Redrive(context.Background(), ""); err == nil {
		t.Error("redrive of every business without Businesses succeeded")
	}
}

// A session without an end time still gets one stable transcript key, so a
// duplicate delivery finds the first one's transcript. In a synctest
// bubble, so the clock surely moves between the deliveries (a key taken
// from "now" would differ) and by exactly as much each run.
func TestTranscriptKeyIsStable(t *testing.T) {
	synctest.Test(t, testTranscriptKeyIsStable)
}

func testTranscriptKeyIsStable(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	created := time.Date(2026, 11, 2, 4, 58, 1, 0, time.UTC)
	for _, s := range []*session.Session{
		{BusinessID: "acme-plumbing", ID: "s-no-end", Status: session.StatusEnded, CreatedAt: created, UpdatedAt: created.Add(time.Minute), Caller: session.Caller{Name: "Ann"}},
		{BusinessID: "acme-plumbing", ID: "s-no-update", Status: session.StatusActive, CreatedAt: created, Caller: session.Caller{Name: "Bo"}},
	} {
		for range 2 {
			if err := h.p.Deliver(context.Background(), s.Clone()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // fake time
		}
	}
	rs, err := h.store.ListTranscripts(context.Background(), "acme-plumbing", time.Time{}, 0)
	if err != nil || len(rs) != 2 {
		t.Fatalf("transcripts %+v, %v; want one per session", rs, err)
	}
	wantCount(t, "business emails", len(h.sent("acme-plumbing", delivery.EmailBusiness)), 2)
	if err := h.p.Deliver(context.Background(), &session.Session{BusinessID: "acme-plumbing", ID: "s-no-times", Status: session.StatusEnded}); err == nil {
		t.Error("a session without any time was delivered")
	}
}

// No email for nothing: ten web visits where nothing was typed send no
// email and cost no summary; a phone call that ended before the caller
// said anything sends the short missed-call notice instead of a lead.
func TestNoEmailForNothing(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	h.p.RenderMissedCall = func(b *business.Business, r *delivery.Record) (msg, error) {
		return msg{Kind: delivery.EmailBusiness, Business: b.ID, Session: r.SessionID, To: b.Email.Recipients, Subject: "Missed call from " + r.CallbackPhone}, nil
	}
	now := time.Now().UTC()
	for i := range 10 {
		s := &session.Session{BusinessID: "acme-plumbing", ID: fmt.Sprintf("s-visit-%d", i), Channel: session.ChannelWeb, Status: session.StatusEnded,
			EndReason: "disconnected", CreatedAt: now.Add(-time.Minute), UpdatedAt: now, EndedAt: now}
		s.Append(session.RoleAgent, "Hi, how can I help?", now.Add(-time.Minute))
		if err := h.p.Deliver(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	wantCount(t, "emails after 10 silent web visits", h.providers.Total(), 0)
	wantCount(t, "summaries", int(h.summaries.n.Load()), 0)

	call := &session.Session{BusinessID: "acme-plumbing", ID: "s-missed", Channel: session.ChannelPhone, CallSID: "CA1", Status: session.StatusEnded,
		EndReason: "completed", Caller: session.Caller{CallerID: "+15035550142"}, CreatedAt: now.Add(-time.Minute), UpdatedAt: now, EndedAt: now}
	call.Append(session.RoleAgent, "Hi, you've reached Acme.", now.Add(-time.Minute))
	if err := h.p.Deliver(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	sent := h.sent("acme-plumbing", delivery.EmailBusiness)
	if len(sent) != 1 || !strings.HasPrefix(sent[0].Subject, "Missed call from ") {
		t.Fatalf("phone call with nothing said sent %+v, want one missed-call notice", sent)
	}
	wantCount(t, "summaries", int(h.summaries.n.Load()), 0)
	wantCount(t, "caller copies", len(h.sent("acme-plumbing", delivery.EmailCaller)), 0)
}

// A caller copy goes only to an address the caller confirmed (the
// conversation completed, the address not flagged), at most once per
// conversation, within the business's hourly budget.
func TestCallerCopyLimits(t *testing.T) {
	h := newHarness(t, delivery.NewMemoryRecords())
	h.p.Counters = &session.MemoryCounters{}
	b, _ := h.configs.Business(context.Background(), "acme-plumbing")
	if !b.Email.CallerCopy {
		t.Fatal("fixture acme-plumbing must send caller copies (email.sendCallerCopy) for this test")
	}
	now := time.Now().UTC()
	deliver := func(id, reason string, flag bool) {
		s := &session.Session{BusinessID: "acme-plumbing", ID: id, Channel: session.ChannelWeb, Status: session.StatusEnded,
			EndReason: reason, Caller: session.Caller{Name: "Eve", Email: "victim@example.com"}, CreatedAt: now.Add(-time.Minute), UpdatedAt: now, EndedAt: now}
		s.Append(session.RoleCaller, "send me a copy", now)
		if flag {
			s.Append(session.RoleTool, "victim at example", now).Tool = "email_unvalidated"
		}
		for range 2 {
			if err := h.p.Deliver(context.Background(), s); err != nil {
				t.Fatal(err)
			}
		}
	}
	deliver("s-left", "disconnected", false)
	deliver("s-flagged", "completed", true)
	wantCount(t, "caller copies without a confirmed address", len(h.sent("acme-plumbing", delivery.EmailCaller)), 0)
	limit := business.DefaultLimits.CallerCopiesPerBusinessPerHour
	for i := range limit + 5 {
		deliver(fmt.Sprintf("s-ok-%d", i), "completed", false)
	}
	wantCount(t, "caller copies in an hour", len(h.sent("acme-plumbing", delivery.EmailCaller)), limit)
}
