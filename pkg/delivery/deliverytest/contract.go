// Package deliverytest holds the contract every delivery.Records must meet
// and test doubles for the delivery pipeline: a recording, scriptable email
// sender and per-business providers.
package deliverytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

const (
	bizA tenant.ID = "acme-plumbing"
	bizB tenant.ID = "bravo-fencing"
)

// RunContract runs the contract suite; newRecords returns fresh, empty
// records for each subtest.
func RunContract(t *testing.T, newRecords func(t *testing.T) delivery.Records) {
	tests := []struct {
		name string
		run  func(t *testing.T, r delivery.Records)
	}{
		{"TranscriptRoundTrip", testTranscriptRoundTrip},
		{"TranscriptWrittenOnce", testTranscriptWrittenOnce},
		{"TranscriptMissing", testTranscriptMissing},
		{"FindTranscript", testFindTranscript},
		{"ListTranscripts", testListTranscripts},
		{"LongTranscripts", testLongTranscripts},
		{"ClaimLifecycle", testClaimLifecycle},
		{"ReleaseAndReclaim", testReleaseAndReclaim},
		{"ExpiredLeaseTakeover", testExpiredLease},
		{"BuryAndRevive", testBuryAndRevive},
		{"DeadLetters", testDeadLetters},
		{"KindsAreIndependent", testKinds},
		{"TenantIsolation", testTenants},
		{"ConcurrentClaims", testConcurrentClaims},
		{"InvalidKeys", testInvalidKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newRecords(t))
		})
	}
}

var t0 = time.Date(2026, 11, 2, 4, 58, 1, 120000000, time.UTC)

// Record returns a stored-transcript fixture of biz ending at end, with
// every field set.
func Record(biz tenant.ID, sessionID string, end time.Time) *delivery.Record {
	start := end.Add(-200 * time.Second)
	return &delivery.Record{
		Transcript: transcript.Transcript{
			BusinessID: biz, SessionID: sessionID, Channel: session.ChannelPhone, CallSID: "CA0123456789",
			Status: transcript.StatusCompleted, EndReason: "completed", StartedAt: start, EndedAt: end,
			Caller:        session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Email: "jamie@example.com", Reason: "fence blew down — ünïcode ✓"},
			CallbackPhone: "+15035550142",
			Turns: []transcript.Turn{
				{At: start, Role: session.RoleAgent, Text: "Acme, this is Sam."},
				{At: start.Add(time.Second + 1), Role: session.RoleCaller, Text: "My fence blew down."},
				{At: start.Add(2 * time.Second), Role: session.RoleTool, Tool: "phone_validated", Text: "+15035550142"},
				{At: start.Add(3 * time.Second), Role: session.RoleAgent, Text: "Sorry", Interrupted: true},
			},
		},
		Summary: "Jamie's fence blew down.", SummarySource: "ai", StoredAt: end.Add(time.Second),
	}
}

// LongRecord returns Record(biz, sessionID, end) with n turns instead of
// four: agent and caller by turns (the caller's of callerChars characters,
// the agent's of agentChars, every 10th agent turn interrupted), every text
// different, with multi-byte characters and ones JSON escapes.
func LongRecord(biz tenant.ID, sessionID string, end time.Time, n, callerChars, agentChars int) *delivery.Record {
	r := Record(biz, sessionID, end)
	r.Turns = make([]transcript.Turn, n)
	for i := range r.Turns {
		tu := transcript.Turn{At: r.StartedAt.Add(time.Duration(i)*time.Second + time.Duration(i)), Role: session.RoleAgent}
		chars := agentChars
		if i%2 == 1 {
			tu.Role, chars = session.RoleCaller, callerChars
		}
		tu.Interrupted = i%20 == 10
		text := []rune(fmt.Sprintf("turn %04d: ", i))
		for len(text) < chars {
			text = append(text, []rune("the basement is flooding — über 5 cm Wasser ✓ <&> \"now\"\n")...)
		}
		tu.Text = string(text[:chars])
		r.Turns[i] = tu
	}
	return r
}

// sameRecord reports where got differs from want, turn by turn (a long
// transcript is too long to print whole).
func sameRecord(t *testing.T, op string, got, want *delivery.Record) {
	t.Helper()
	gh, wh := *got, *want
	gh.Turns, wh.Turns = nil, nil
	if normalize(&gh) != normalize(&wh) {
		t.Errorf("%s: header\n got %s\nwant %s", op, normalize(&gh), normalize(&wh))
	}
	if len(got.Turns) != len(want.Turns) {
		t.Errorf("%s: %d turns, want %d", op, len(got.Turns), len(want.Turns))
		return
	}
	for i, w := range want.Turns {
		g := got.Turns[i]
		gAt, wAt := g.At, w.At
		g.At, w.At = time.Time{}, time.Time{}
		if g != w || !gAt.Equal(wAt) {
			t.Errorf("%s: turn %d is %s %q… (%d bytes) at %v, want %s %q… (%d bytes) at %v", op, i,
				g.Role, g.Text[:min(len(g.Text), 20)], len(g.Text), gAt, w.Role, w.Text[:min(len(w.Text), 20)], len(w.Text), wAt)
			return
		}
	}
}

// normalize puts every time in UTC (a store may return another location
// for the same instant) so records compare as JSON.
func normalize(r *delivery.Record) string {
	c := *r
	c.StartedAt, c.EndedAt, c.StoredAt = c.StartedAt.UTC(), c.EndedAt.UTC(), c.StoredAt.UTC()
	c.Turns = nil
	for _, tu := range r.Turns {
		tu.At = tu.At.UTC()
		c.Turns = append(c.Turns, tu)
	}
	b, _ := json.Marshal(c)
	return string(b)
}

func ctx() context.Context { return context.Background() }

func mustPut(t *testing.T, r delivery.Records, rec *delivery.Record) {
	t.Helper()
	created, err := r.PutTranscript(ctx(), rec)
	if err != nil || !created {
		t.Fatalf("PutTranscript(%s/%s) = %v, %v; want created", rec.BusinessID, rec.SessionID, created, err)
	}
}

func testTranscriptRoundTrip(t *testing.T, r delivery.Records) {
	want := Record(bizA, "s1", t0)
	mustPut(t, r, want)
	got, err := r.Transcript(ctx(), bizA, want.Key())
	if err != nil {
		t.Fatal(err)
	}
	if normalize(got) != normalize(want) {
		t.Errorf("round trip:\n got %s\nwant %s", normalize(got), normalize(want))
	}
	if got.Key() != "2026-11-02T04:58:01.120000000Z#s1" {
		t.Errorf("key %q", got.Key())
	}
	// The caller must not be able to change what the store keeps.
	got.Turns[0].Text = "changed"
	again, _ := r.Transcript(ctx(), bizA, want.Key())
	if again.Turns[0].Text == "changed" {
		t.Error("Transcript returned the store's own copy")
	}
}

func testTranscriptWrittenOnce(t *testing.T, r delivery.Records) {
	first := Record(bizA, "s1", t0)
	mustPut(t, r, first)
	second := Record(bizA, "s1", t0)
	second.Summary, second.SummarySource = "a different summary", "fallback"
	created, err := r.PutTranscript(ctx(), second)
	if err != nil || created {
		t.Fatalf("second PutTranscript = %v, %v; want not created, no error", created, err)
	}
	got, err := r.Transcript(ctx(), bizA, first.Key())
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary != first.Summary {
		t.Errorf("summary %q, want the first one %q", got.Summary, first.Summary)
	}
}

func testTranscriptMissing(t *testing.T, r delivery.Records) {
	if _, err := r.Transcript(ctx(), bizA, "2026-01-01T00:00:00.000000000Z#nope"); !errors.Is(err, delivery.ErrNotFound) {
		t.Errorf("Transcript(missing) error %v, want ErrNotFound", err)
	}
	if _, err := r.FindTranscript(ctx(), bizA, "nope"); !errors.Is(err, delivery.ErrNotFound) {
		t.Errorf("FindTranscript(missing) error %v, want ErrNotFound", err)
	}
	if got, err := r.ListTranscripts(ctx(), bizA, time.Time{}, 0); err != nil || len(got) != 0 {
		t.Errorf("ListTranscripts(empty) = %v, %v", got, err)
	}
}

func testFindTranscript(t *testing.T, r delivery.Records) {
	for i, id := range []string{"s1", "s2", "s3"} {
		mustPut(t, r, Record(bizA, id, t0.Add(time.Duration(i)*time.Hour)))
	}
	got, err := r.FindTranscript(ctx(), bizA, "s2")
	if err != nil {
		t.Fatal(err)
	}
	if got.SessionID != "s2" || !got.EndedAt.Equal(t0.Add(time.Hour)) || len(got.Turns) != 4 {
		t.Errorf("FindTranscript(s2) = %s at %v with %d turns", got.SessionID, got.EndedAt, len(got.Turns))
	}
}

func testListTranscripts(t *testing.T, r delivery.Records) {
	// Ends that sort wrongly as time.RFC3339Nano strings ("…05Z" vs
	// "…05.5Z"), and one of each second.
	base := time.Date(2026, 11, 2, 5, 0, 5, 0, time.UTC)
	ends := map[string]time.Time{
		"a": base.Add(-time.Hour),
		"b": base,
		"c": base.Add(500 * time.Millisecond),
		"d": base.Add(time.Second),
		"e": base.Add(24 * time.Hour),
	}
	for id, end := range ends {
		mustPut(t, r, Record(bizA, id, end))
	}
	mustPut(t, r, Record(bizB, "other", base))
	ids := func(rs []*delivery.Record) []string {
		var out []string
		for _, x := range rs {
			out = append(out, x.SessionID)
		}
		return out
	}
	tests := []struct {
		since time.Time
		limit int
		want  []string
	}{
		{time.Time{}, 0, []string{"e", "d", "c", "b", "a"}},
		{base, 0, []string{"e", "d", "c", "b"}},
		{base.Add(time.Millisecond), 0, []string{"e", "d", "c"}},
		{base, 2, []string{"e", "d"}},
		{base.Add(48 * time.Hour), 0, nil},
	}
	for _, tt := range tests {
		got, err := r.ListTranscripts(ctx(), bizA, tt.since, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), tt.want) {
			t.Errorf("ListTranscripts(since %v, limit %d) = %v, want %v", tt.since, tt.limit, ids(got), tt.want)
		}
		for _, x := range got {
			if len(x.Turns) != 0 {
				t.Errorf("listed %s with %d turns; the list leaves them out", x.SessionID, len(x.Turns))
			}
			if x.Summary == "" || x.Caller.Name == "" || x.StartedAt.IsZero() || x.Status == "" {
				t.Errorf("listed %s without its header fields: %+v", x.SessionID, x)
			}
		}
	}
}

// mustTranscript reads business A's transcript by key.
func mustTranscript(t *testing.T, r delivery.Records, key string) *delivery.Record {
	t.Helper()
	got, err := r.Transcript(ctx(), bizA, key)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Transcripts of any length round-trip whole and in order (DynamoDB keeps
// items under 400 KB, so a store may split them); listing leaves the
// turns out and sees each transcript once.
func testLongTranscripts(t *testing.T, r delivery.Records) {
	mustPut(t, r, Record(bizA, "short", t0))
	tests := []struct {
		name                           string
		turns, callerChars, agentChars int
	}{
		{"80 turns of 4,000 characters (~350 KB)", 80, 4000, 4000},
		{"300 exchanges of 1,000 and 800 characters (~540 KB)", 600, 1000, 800},
		{"500 turns of 4,000 characters (~2 MB)", 500, 4000, 4000},
	}
	listed := []string{"short"}
	for i, tt := range tests {
		id := fmt.Sprintf("long-%d", i)
		listed = slices.Insert(listed, 0, id)
		t.Run(tt.name, func(t *testing.T) {
			want := LongRecord(bizA, id, t0.Add(time.Duration(i+1)*time.Minute), tt.turns, tt.callerChars, tt.agentChars)
			mustPut(t, r, want)
			sameRecord(t, "Transcript", mustTranscript(t, r, want.Key()), want)
			found, err := r.FindTranscript(ctx(), bizA, id)
			if err != nil {
				t.Fatal(err)
			}
			sameRecord(t, "FindTranscript", found, want)

			again := LongRecord(bizA, id, want.EndedAt, tt.turns, tt.callerChars, tt.agentChars)
			again.Summary = "a different summary"
			if created, err := r.PutTranscript(ctx(), again); err != nil || created {
				t.Fatalf("second PutTranscript = %v, %v; want not created, no error", created, err)
			}
			sameRecord(t, "Transcript after a second put", mustTranscript(t, r, want.Key()), want)
		})
	}
	got, err := r.ListTranscripts(ctx(), bizA, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range got {
		ids = append(ids, x.SessionID)
		if len(x.Turns) != 0 || x.Summary == "" || x.Caller.Name == "" {
			t.Errorf("listed %s with %d turns, summary %q, caller %q; want no turns and the header", x.SessionID, len(x.Turns), x.Summary, x.Caller.Name)
		}
	}
	if !slices.Equal(ids, listed) {
		t.Errorf("ListTranscripts = %v, want %v", ids, listed)
	}
}

func key(biz tenant.ID, sessionID string, kind delivery.EmailKind) delivery.ClaimKey {
	return delivery.ClaimKey{Business: biz, Session: sessionID, Kind: kind}
}

func req(owner string, now time.Time) delivery.ClaimRequest {
	return delivery.ClaimRequest{Owner: owner, Now: now, LeaseUntil: now.Add(time.Minute), TranscriptKey: "tk"}
}

func mustClaim(t *testing.T, r delivery.Records, k delivery.ClaimKey, q delivery.ClaimRequest, wantWon bool) *delivery.Claim {
	t.Helper()
	c, won, err := r.Claim(ctx(), k, q)
	if err != nil {
		t.Fatalf("Claim(%s by %s): %v", k, q.Owner, err)
	}
	if won != wantWon {
		t.Fatalf("Claim(%s by %s) won = %v, want %v (stored %+v)", k, q.Owner, won, wantWon, c)
	}
	return c
}

func testClaimLifecycle(t *testing.T, r delivery.Records) {
	k := key(bizA, "s1", delivery.EmailBusiness)
	if _, err := r.GetClaim(ctx(), k); !errors.Is(err, delivery.ErrNotFound) {
		t.Errorf("GetClaim before any claim: %v, want ErrNotFound", err)
	}
	c := mustClaim(t, r, k, req("owner-a", t0), true)
	if c.State != delivery.StateInProgress || c.Owner != "owner-a" || c.Attempts != 1 || c.TranscriptKey != "tk" ||
		!c.LeaseUntil.Equal(t0.Add(time.Minute)) || c.ClaimKey != k {
		t.Errorf("won claim %+v", c)
	}
	held := mustClaim(t, r, k, req("owner-b", t0.Add(time.Second)), false)
	if held.State != delivery.StateInProgress || held.Owner != "owner-a" || held.Attempts != 1 {
		t.Errorf("held claim as returned to the loser: %+v", held)
	}
	if err := r.MarkSent(ctx(), k, "owner-b", "p-b", t0); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("MarkSent by a non-owner: %v, want ErrLostClaim", err)
	}
	if err := r.Release(ctx(), k, "owner-b", "x", t0); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("Release by a non-owner: %v, want ErrLostClaim", err)
	}
	if err := r.MarkSent(ctx(), k, "owner-a", "provider-1", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := r.GetClaim(ctx(), k)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != delivery.StateSent || got.ProviderID != "provider-1" || !got.SentAt.Equal(t0.Add(2*time.Second)) || got.Attempts != 1 {
		t.Errorf("sent claim %+v", got)
	}
	// Sent is final: no later claim wins, even long after.
	after := mustClaim(t, r, k, req("owner-c", t0.Add(24*time.Hour)), false)
	if after.State != delivery.StateSent || after.ProviderID != "provider-1" {
		t.Errorf("claim after sent returned %+v", after)
	}
	if err := r.MarkSent(ctx(), k, "owner-a", "again", t0); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("second MarkSent: %v, want ErrLostClaim", err)
	}
	if ok, err := r.Revive(ctx(), k, t0); ok || err != nil {
		t.Errorf("Revive of a sent claim = %v, %v; want false", ok, err)
	}
}

func testReleaseAndReclaim(t *testing.T, r delivery.Records) {
	k := key(bizA, "s1", delivery.EmailBusiness)
	mustClaim(t, r, k, req("a", t0), true)
	if err := r.Release(ctx(), k, "a", "SES: 503 Service Unavailable", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ := r.GetClaim(ctx(), k)
	if got.State != delivery.StateFailed || got.LastError != "SES: 503 Service Unavailable" || !got.LeaseUntil.IsZero() || got.Attempts != 1 {
		t.Errorf("released claim %+v", got)
	}
	// A released claim is taken at once, lease or not.
	c := mustClaim(t, r, k, req("b", t0.Add(2*time.Second)), true)
	if c.Attempts != 2 || c.Owner != "b" {
		t.Errorf("reclaimed %+v, want attempts 2 owner b", c)
	}
	if err := r.Release(ctx(), k, "a", "late", t0); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("Release by the old owner: %v, want ErrLostClaim", err)
	}
}

func testExpiredLease(t *testing.T, r delivery.Records) {
	k := key(bizA, "s1", delivery.EmailBusiness)
	mustClaim(t, r, k, delivery.ClaimRequest{Owner: "a", Now: t0, LeaseUntil: t0.Add(time.Second)}, true)
	mustClaim(t, r, k, delivery.ClaimRequest{Owner: "b", Now: t0.Add(999 * time.Millisecond), LeaseUntil: t0.Add(time.Minute)}, false)
	c := mustClaim(t, r, k, delivery.ClaimRequest{Owner: "b", Now: t0.Add(1001 * time.Millisecond), LeaseUntil: t0.Add(time.Minute)}, true)
	if c.Attempts != 2 || c.Owner != "b" {
		t.Errorf("taken over %+v, want attempts 2 (the crashed send counts) owner b", c)
	}
	if err := r.MarkSent(ctx(), k, "a", "late", t0.Add(2*time.Second)); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("MarkSent by the expired owner: %v, want ErrLostClaim", err)
	}
	if err := r.MarkSent(ctx(), k, "b", "p", t0.Add(2*time.Second)); err != nil {
		t.Errorf("MarkSent by the new owner: %v", err)
	}
}

func testBuryAndRevive(t *testing.T, r delivery.Records) {
	k := key(bizA, "s1", delivery.EmailBusiness)
	mustClaim(t, r, k, req("a", t0), true)
	dl := &delivery.DeadLetter{
		BusinessID: bizA, SessionID: "s1", TranscriptKey: "tk", Emails: []delivery.EmailKind{delivery.EmailBusiness},
		Attempts: 1, LastError: "550 mailbox unavailable", Reason: delivery.ReasonPermanent, FailedAt: t0.Add(time.Second),
	}
	if err := r.Bury(ctx(), k, "b", dl); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("Bury by a non-owner: %v, want ErrLostClaim", err)
	}
	if dls, _ := r.DeadLetters(ctx(), bizA); len(dls) != 0 {
		t.Errorf("a refused Bury left a dead letter: %+v", dls)
	}
	if err := r.Bury(ctx(), k, "a", dl); err != nil {
		t.Fatal(err)
	}
	got, _ := r.GetClaim(ctx(), k)
	if got.State != delivery.StateDead || got.LastError != dl.LastError || got.Attempts != 1 {
		t.Errorf("buried claim %+v", got)
	}
	dls, err := r.DeadLetters(ctx(), bizA)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].SessionID != "s1" || dls[0].TranscriptKey != "tk" || dls[0].Reason != delivery.ReasonPermanent ||
		dls[0].Attempts != 1 || dls[0].LastError != dl.LastError || !dls[0].FailedAt.Equal(dl.FailedAt) ||
		!slices.Equal(dls[0].Emails, []delivery.EmailKind{delivery.EmailBusiness}) {
		t.Errorf("dead letters %+v", dls)
	}
	// Dead is skipped by deliveries, even after any lease.
	mustClaim(t, r, k, req("c", t0.Add(time.Hour)), false)
	if ok, err := r.Revive(ctx(), k, t0.Add(time.Hour)); !ok || err != nil {
		t.Fatalf("Revive = %v, %v", ok, err)
	}
	if ok, err := r.Revive(ctx(), k, t0.Add(time.Hour)); ok || err != nil {
		t.Errorf("second Revive = %v, %v; want false", ok, err)
	}
	c := mustClaim(t, r, k, req("d", t0.Add(time.Hour)), true)
	if c.Attempts != 1 {
		t.Errorf("revived claim attempts %d, want 1 (reset)", c.Attempts)
	}
	if ok, _ := r.Revive(ctx(), key(bizA, "never", delivery.EmailBusiness), t0); ok {
		t.Error("Revive of a missing claim reported true")
	}
}

func testDeadLetters(t *testing.T, r delivery.Records) {
	put := func(sessionID string, kind delivery.EmailKind, msg string) {
		t.Helper()
		err := r.PutDeadLetter(ctx(), &delivery.DeadLetter{
			BusinessID: bizA, SessionID: sessionID, TranscriptKey: "tk-" + sessionID, Emails: []delivery.EmailKind{kind},
			LastError: msg, Reason: delivery.ReasonConfig, FailedAt: t0,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("s2", delivery.EmailCaller, "first")
	put("s1", delivery.EmailBusiness, "x")
	put("s2", delivery.EmailBusiness, "second")
	dls, err := r.DeadLetters(ctx(), bizA)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 2 || dls[0].SessionID != "s1" || dls[1].SessionID != "s2" {
		t.Fatalf("dead letters %+v, want s1 and s2 in order", dls)
	}
	if !slices.Equal(dls[1].Emails, []delivery.EmailKind{delivery.EmailBusiness, delivery.EmailCaller}) || dls[1].LastError != "second" {
		t.Errorf("merged dead letter %+v", dls[1])
	}
	if err := r.DeleteDeadLetter(ctx(), bizA, "s2"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDeadLetter(ctx(), bizA, "s2"); err != nil {
		t.Errorf("deleting an absent dead letter: %v", err)
	}
	dls, _ = r.DeadLetters(ctx(), bizA)
	if len(dls) != 1 || dls[0].SessionID != "s1" {
		t.Errorf("after delete: %+v", dls)
	}
	if err := r.PutDeadLetter(ctx(), &delivery.DeadLetter{BusinessID: bizA, SessionID: "s3"}); err == nil {
		t.Error("a dead letter without email kinds was accepted")
	}
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	put("s4", delivery.EmailBusiness, string(long))
	dls, _ = r.DeadLetters(ctx(), bizA)
	if e := dls[len(dls)-1].LastError; len(e) > 1100 {
		t.Errorf("stored error of %d bytes; want it bounded", len(e))
	}
}

func testKinds(t *testing.T, r delivery.Records) {
	kb, kc := key(bizA, "s1", delivery.EmailBusiness), key(bizA, "s1", delivery.EmailCaller)
	mustClaim(t, r, kb, req("a", t0), true)
	if err := r.MarkSent(ctx(), kb, "a", "p", t0); err != nil {
		t.Fatal(err)
	}
	c := mustClaim(t, r, kc, req("a", t0), true)
	if c.Attempts != 1 || c.Kind != delivery.EmailCaller {
		t.Errorf("caller copy claim %+v", c)
	}
}

func testTenants(t *testing.T, r delivery.Records) {
	mustPut(t, r, Record(bizA, "s1", t0))
	if _, err := r.Transcript(ctx(), bizB, Record(bizA, "s1", t0).Key()); !errors.Is(err, delivery.ErrNotFound) {
		t.Errorf("business B read A's transcript: %v", err)
	}
	if _, err := r.FindTranscript(ctx(), bizB, "s1"); !errors.Is(err, delivery.ErrNotFound) {
		t.Errorf("business B found A's transcript: %v", err)
	}
	// The same session id in two businesses: independent claims.
	mustClaim(t, r, key(bizA, "s1", delivery.EmailBusiness), req("a", t0), true)
	mustClaim(t, r, key(bizB, "s1", delivery.EmailBusiness), req("b", t0), true)
	if err := r.MarkSent(ctx(), key(bizB, "s1", delivery.EmailBusiness), "a", "p", t0); !errors.Is(err, delivery.ErrLostClaim) {
		t.Errorf("A's owner marked B's claim: %v", err)
	}
	if err := r.PutDeadLetter(ctx(), &delivery.DeadLetter{BusinessID: bizA, SessionID: "s1", Emails: []delivery.EmailKind{delivery.EmailBusiness}, FailedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if dls, _ := r.DeadLetters(ctx(), bizB); len(dls) != 0 {
		t.Errorf("business B sees A's dead letters: %+v", dls)
	}
	if err := r.DeleteDeadLetter(ctx(), bizB, "s1"); err != nil {
		t.Fatal(err)
	}
	if dls, _ := r.DeadLetters(ctx(), bizA); len(dls) != 1 {
		t.Errorf("B's delete removed A's dead letter: %+v", dls)
	}
}

// Racing claimers: exactly one wins; the others see it in progress.
func testConcurrentClaims(t *testing.T, r delivery.Records) {
	const n = 16
	k := key(bizA, "race", delivery.EmailBusiness)
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			owner := fmt.Sprintf("owner-%d", i)
			c, won, err := r.Claim(ctx(), k, delivery.ClaimRequest{Owner: owner, Now: now, LeaseUntil: now.Add(time.Minute)})
			if err != nil {
				errs <- err
				return
			}
			if won {
				mu.Lock()
				winners = append(winners, owner)
				mu.Unlock()
			} else if c.State != delivery.StateInProgress {
				errs <- fmt.Errorf("loser saw state %s", c.State)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(winners) != 1 {
		t.Fatalf("%d winners %v, want exactly 1", len(winners), winners)
	}
	c, err := r.GetClaim(ctx(), k)
	if err != nil {
		t.Fatal(err)
	}
	if c.Owner != winners[0] || c.Attempts != 1 {
		t.Errorf("stored claim %+v, want owner %s attempts 1", c, winners[0])
	}
}

func testInvalidKeys(t *testing.T, r delivery.Records) {
	bad := []delivery.ClaimKey{
		{Business: "Acme#X", Session: "s1", Kind: delivery.EmailBusiness},
		{Business: "", Session: "s1", Kind: delivery.EmailBusiness},
		{Business: bizA, Session: "", Kind: delivery.EmailBusiness},
		{Business: bizA, Session: "s1", Kind: "sms"},
	}
	for _, k := range bad {
		if _, _, err := r.Claim(ctx(), k, req("a", t0)); err == nil {
			t.Errorf("Claim(%+v) accepted", k)
		}
		if _, err := r.GetClaim(ctx(), k); err == nil || errors.Is(err, delivery.ErrNotFound) {
			t.Errorf("GetClaim(%+v) = %v, want a key error", k, err)
		}
	}
	if _, _, err := r.Claim(ctx(), key(bizA, "s1", delivery.EmailBusiness), req("", t0)); err == nil {
		t.Error("Claim without an owner accepted")
	}
	if _, err := r.PutTranscript(ctx(), Record("Bad#Biz", "s1", t0)); err == nil {
		t.Error("PutTranscript with a bad business id accepted")
	}
	noEnd := Record(bizA, "s1", t0)
	noEnd.EndedAt = time.Time{}
	if _, err := r.PutTranscript(ctx(), noEnd); err == nil {
		t.Error("PutTranscript without an end time accepted")
	}
	if _, err := r.ListTranscripts(ctx(), "Bad#Biz", t0, 0); err == nil {
		t.Error("ListTranscripts with a bad business id accepted")
	}
	if _, err := r.DeadLetters(ctx(), ""); err == nil {
		t.Error("DeadLetters with an empty business id accepted")
	}
}
