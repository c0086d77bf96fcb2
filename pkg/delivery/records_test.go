package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/deliverytest"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
	"github.com/ahca/ahca/pkg/summary"
	"github.com/ahca/ahca/pkg/transcript"
)

func TestMemoryRecordsContract(t *testing.T) {
	deliverytest.RunContract(t, func(t *testing.T) delivery.Records { return delivery.NewMemoryRecords() })
}

func TestDynamoRecordsContract(t *testing.T) {
	deliverytest.RunContract(t, func(t *testing.T) delivery.Records {
		return delivery.NewDynamoRecords(sessiontest.LocalTable(t))
	})
}

// TestDynamoRecordsLayout pins the stored items to the documented keys and
// attribute types.
func TestDynamoRecordsLayout(t *testing.T) {
	ctx := context.Background()
	client, table := sessiontest.LocalTable(t)
	r := delivery.NewDynamoRecords(client, table)
	end := time.Date(2026, 11, 2, 5, 0, 5, 0, time.UTC)
	if _, err := r.PutTranscript(ctx, deliverytest.Record("acme-plumbing", "s1", end)); err != nil {
		t.Fatal(err)
	}
	k := delivery.ClaimKey{Business: "acme-plumbing", Session: "s1", Kind: delivery.EmailCaller}
	if _, _, err := r.Claim(ctx, k, delivery.ClaimRequest{Owner: "o", Now: end, LeaseUntil: end.Add(time.Minute), TranscriptKey: "tk"}); err != nil {
		t.Fatal(err)
	}
	kb := delivery.ClaimKey{Business: "acme-plumbing", Session: "s1", Kind: delivery.EmailBusiness}
	if _, _, err := r.Claim(ctx, kb, delivery.ClaimRequest{Owner: "o", Now: end, LeaseUntil: end.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Bury(ctx, kb, "o", &delivery.DeadLetter{BusinessID: "acme-plumbing", SessionID: "s1", TranscriptKey: "tk",
		Emails: []delivery.EmailKind{delivery.EmailBusiness}, Attempts: 1, LastError: "x", Reason: delivery.ReasonPermanent, FailedAt: end}); err != nil {
		t.Fatal(err)
	}

	raw := func(pk, sk string) map[string]types.AttributeValue {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
		}})
		if err != nil || len(out.Item) == 0 {
			t.Fatalf("raw GetItem %s / %s: %v, %v", pk, sk, out, err)
		}
		for _, a := range []string{"gsi1pk", "expiresAt"} {
			if _, ok := out.Item[a]; ok {
				t.Errorf("%s / %s has %s: pipeline records stay out of the index and never expire", pk, sk, a)
			}
		}
		return out.Item
	}
	type want map[string]types.AttributeValue
	check := func(item map[string]types.AttributeValue, w want) {
		t.Helper()
		for a, v := range w {
			if fmt.Sprint(item[a]) != fmt.Sprint(v) {
				t.Errorf("%s = %#v, want %#v", a, item[a], v)
			}
		}
	}
	S := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	N := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

	tr := raw("BIZ#acme-plumbing#TRANSCRIPTS", "2026-11-02T05:00:05.000000000Z#s1")
	check(tr, want{"businessId": S("acme-plumbing"), "sessionId": S("s1"), "status": S("completed"),
		"endedAt": S("2026-11-02T05:00:05Z"), "summary": S("Jamie's fence blew down."), "summarySource": S("ai")})
	if c, ok := tr["caller"].(*types.AttributeValueMemberM); !ok || fmt.Sprint(c.Value["name"]) != fmt.Sprint(S("Jamie Rivera")) {
		t.Errorf("caller %#v", tr["caller"])
	}
	if l, ok := tr["turns"].(*types.AttributeValueMemberL); !ok || len(l.Value) != 4 {
		t.Errorf("turns %#v", tr["turns"])
	}

	cc := raw("BIZ#acme-plumbing#EMAIL#s1", "EMAIL#CALLER")
	check(cc, want{"state": S("in_progress"), "owner": S("o"), "attempts": N("1"), "kind": S("caller"),
		"leaseUntil": N(fmt.Sprint(end.Add(time.Minute).UnixMilli())), "transcriptKey": S("tk"), "businessId": S("acme-plumbing"), "sessionId": S("s1")})
	cb := raw("BIZ#acme-plumbing#EMAIL#s1", "EMAIL")
	check(cb, want{"state": S("dead"), "lastError": S("x"), "kind": S("business")})
	for _, a := range []string{"owner", "leaseUntil"} {
		if _, ok := cb[a]; ok {
			t.Errorf("buried claim keeps %s", a)
		}
	}
	dl := raw("BIZ#acme-plumbing#DEADLETTER", "s1")
	check(dl, want{"businessId": S("acme-plumbing"), "sessionId": S("s1"), "transcriptKey": S("tk"), "attempts": N("1"),
		"reason": S("permanent"), "failedAt": S("2026-11-02T05:00:05Z"), "emails": &types.AttributeValueMemberSS{Value: []string{"business"}}})
}

// The largest session the store accepts makes a transcript record DynamoDB
// accepts (items are limited to 400 KB; sessions to session.MaxItemBytes).
func TestDynamoLargestSessionFits(t *testing.T) {
	ctx := context.Background()
	client, table := sessiontest.LocalTable(t)
	st := session.NewDynamoStore(client, table)
	now := time.Now().UTC()
	s := &session.Session{BusinessID: "acme-plumbing", ID: "s-big", Channel: session.ChannelPhone, Status: session.StatusActive,
		Caller: session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "leak"}, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	text := strings.Repeat("ü", 500) // 1000 bytes
	for i := range 330 {
		s.Append(session.RoleAgent, text, now.Add(time.Duration(i)*time.Millisecond))
	}
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	// Grow the session turn by turn until the store refuses it.
	for i := 0; ; i++ {
		next := s.Clone()
		next.Append(session.RoleCaller, text, now.Add(time.Duration(i)*time.Second))
		if err := st.Save(ctx, next); err != nil {
			if !errors.Is(err, session.ErrTooLarge) {
				t.Fatal(err)
			}
			break
		}
		s = next
	}
	s.Status, s.EndReason, s.EndedAt = session.StatusEnded, "completed", now.Add(time.Hour)
	rec := &delivery.Record{Transcript: transcript.FromSession(s, now), Summary: strings.Repeat("x", summary.MaxChars), SummarySource: "ai", StoredAt: now}
	if _, err := delivery.NewDynamoRecords(client, table).PutTranscript(ctx, rec); err != nil {
		t.Fatalf("transcript of a %d-turn session: %v", len(s.Turns), err)
	}
}
