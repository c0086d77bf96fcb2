package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/delivery/deliverytest"
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
		item := sessiontest.RawItem(t, client, table, pk, sk)
		for _, a := range []string{"gsi1pk", "expiresAt"} {
			if _, ok := item[a]; ok {
				t.Errorf("%s / %s has %s: pipeline records stay out of the index and never expire", pk, sk, a)
			}
		}
		return item
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
	if p, ok := tr["parts"]; ok {
		t.Errorf("a small transcript has parts %#v; it is one item", p)
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

// A transcript too large for one item is its item without turns, with
// parts, and part items holding the turns in order, each well under
// DynamoDB's 400 KB; a small one stays one item.
func TestDynamoTranscriptParts(t *testing.T) {
	ctx := context.Background()
	client, table := sessiontest.LocalTable(t)
	r := delivery.NewDynamoRecords(client, table)
	end := time.Date(2026, 11, 2, 5, 0, 5, 0, time.UTC)
	tests := []struct {
		name      string
		rec       *delivery.Record
		wantParts bool
	}{
		{"four turns", deliverytest.Record("acme-plumbing", "s-short", end), false},
		{"300 KB of turns and a little", deliverytest.LongRecord("acme-plumbing", "s-edge", end, 70, 4000, 4000), true},
		{"500 turns of 4,000 characters", deliverytest.LongRecord("acme-plumbing", "s-long", end, 500, 4000, 4000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rec.Summary = strings.Repeat("x", summary.MaxChars)
			if _, err := r.PutTranscript(ctx, tt.rec); err != nil {
				t.Fatal(err)
			}
			item := sessiontest.RawItem(t, client, table, "BIZ#acme-plumbing#TRANSCRIPTS", tt.rec.Key())
			parts := storedParts(t, client, table, "BIZ#acme-plumbing#TRANSCRIPT#"+tt.rec.SessionID)
			if !tt.wantParts {
				if _, ok := item["parts"]; ok || item["turns"] == nil || len(parts) != 0 {
					t.Errorf("transcript item has parts %v, turns %v; %d part items; want one item with its turns", item["parts"], item["turns"] != nil, len(parts))
				}
				return
			}
			if _, ok := item["turns"]; ok {
				t.Error("a split transcript's item keeps its turns")
			}
			if p := fmt.Sprint(item["parts"]); p != fmt.Sprint(&types.AttributeValueMemberN{Value: fmt.Sprint(len(parts))}) {
				t.Errorf("parts %s; %d part items stored", p, len(parts))
			}
			var turns []transcript.Turn
			total := 0
			for i, p := range parts {
				if p.SK != fmt.Sprintf("PART#%04d", i) || p.BusinessID != "acme-plumbing" || p.SessionID != tt.rec.SessionID {
					t.Errorf("part %d is %s of %s/%s", i, p.SK, p.BusinessID, p.SessionID)
				}
				b, _ := json.Marshal(p.Turns)
				if len(b) > 300*1024 {
					t.Errorf("part %d holds %d bytes of turns", i, len(b))
				}
				total += len(b)
				turns = append(turns, p.Turns...)
			}
			if fewest := (total + 300*1024 - 1) / (300 * 1024); len(parts) > fewest+1 {
				t.Errorf("%d bytes of turns in %d parts; want at most %d", total, len(parts), fewest+1)
			}
			if len(turns) != len(tt.rec.Turns) || turns[len(turns)-1].Text != tt.rec.Turns[len(turns)-1].Text {
				t.Errorf("parts hold %d turns, want %d in order", len(turns), len(tt.rec.Turns))
			}
		})
	}

	// A missing part is an error naming it, not a shorter transcript or
	// ErrNotFound.
	if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
		Key: sessiontest.Key("BIZ#acme-plumbing#TRANSCRIPT#s-long", "PART#0001")}); err != nil {
		t.Fatal(err)
	}
	long := tests[2].rec
	_, terr := r.Transcript(ctx, "acme-plumbing", long.Key())
	_, ferr := r.FindTranscript(ctx, "acme-plumbing", "s-long")
	for _, err := range []error{terr, ferr} {
		if err == nil || errors.Is(err, delivery.ErrNotFound) ||
			!strings.Contains(err.Error(), "PART#0001") || !strings.Contains(err.Error(), "acme-plumbing") || !strings.Contains(err.Error(), "s-long") {
			t.Errorf("reading a transcript without its part 1: %v", err)
		}
	}
}

// storedPart is a part item as stored.
type storedPart struct {
	SK         string            `dynamodbav:"sk"`
	BusinessID string            `dynamodbav:"businessId"`
	SessionID  string            `dynamodbav:"sessionId"`
	Turns      []transcript.Turn `dynamodbav:"turns"`
}

// storedParts reads the items of partition pk, by sort key.
func storedParts(t *testing.T, client *dynamodb.Client, table, pk string) []storedPart {
	t.Helper()
	p := dynamodb.NewQueryPaginator(client, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	var parts []storedPart
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ps []storedPart
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &ps); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, ps...)
	}
	return parts
}
