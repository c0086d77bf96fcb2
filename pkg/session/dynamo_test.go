package session_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
	"github.com/ahca/ahca/pkg/tenant"
)

// TestStoreContract runs the contract suite on both stores.
func TestStoreContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		sessiontest.RunContract(t, func(*testing.T) session.Store { return session.NewMemoryStore() })
	})
	t.Run("dynamo", func(t *testing.T) {
		sessiontest.RunContract(t, func(t *testing.T) session.Store { return session.NewDynamoStore(sessiontest.LocalTable(t)) })
	})
}

// TestDynamoTableLayout pins the stored item and the table to the schema
// template.yaml declares.
func TestDynamoTableLayout(t *testing.T) {
	ctx := context.Background()
	client, table := sessiontest.LocalTable(t)
	st := session.NewDynamoStore(client, table)

	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	td := desc.Table
	keys := func(ks []types.KeySchemaElement) string {
		var s []string
		for _, k := range ks {
			s = append(s, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		return strings.Join(s, ",")
	}
	if got := keys(td.KeySchema); got != "pk:HASH,sk:RANGE" {
		t.Errorf("key schema %s", got)
	}
	if td.BillingModeSummary == nil || td.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode %+v, want PAY_PER_REQUEST", td.BillingModeSummary)
	}
	var gsis []string
	for _, g := range td.GlobalSecondaryIndexes {
		gsis = append(gsis, aws.ToString(g.IndexName)+" "+keys(g.KeySchema)+" "+string(g.Projection.ProjectionType))
	}
	slices.Sort(gsis)
	if want := []string{"byConnection gsi1pk:HASH ALL", "byIdle idlepk:HASH,idlesk:RANGE KEYS_ONLY"}; !slices.Equal(gsis, want) {
		t.Errorf("GSIs %q, want %q", gsis, want)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; aws.ToString(d.AttributeName) != "expiresAt" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL %s %s, want expiresAt ENABLED", aws.ToString(d.AttributeName), d.TimeToLiveStatus)
	}

	// In the future: an expired item may be deleted by DynamoDB Local's TTL
	// sweeper at any moment.
	exp := time.Now().UTC().Truncate(time.Second).Add(48*time.Hour + 999)
	s := &session.Session{
		BusinessID: "acme-plumbing", ID: "s-layout", Channel: session.ChannelPhone, ConnectionID: "conn-1",
		Status: session.StatusActive, CreatedAt: exp, UpdatedAt: exp, ExpiresAt: exp,
	}
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	raw := func() map[string]types.AttributeValue {
		return sessiontest.RawItem(t, client, table, "BIZ#acme-plumbing#SESSION#s-layout", "SESSION")
	}
	item := raw()
	want := map[string]types.AttributeValue{
		"gsi1pk":     &types.AttributeValueMemberS{Value: "CONN#conn-1"},
		"expiresAt":  &types.AttributeValueMemberN{Value: fmt.Sprint(exp.Unix())},
		"version":    &types.AttributeValueMemberN{Value: "1"},
		"businessId": &types.AttributeValueMemberS{Value: "acme-plumbing"},
		"sessionId":  &types.AttributeValueMemberS{Value: "s-layout"},
		"createdAt":  &types.AttributeValueMemberS{Value: exp.Format(time.RFC3339Nano)},
		// Active: in the sparse index byIdle, due 30 minutes (a phone
		// call's default) after its last activity, rounded up to the
		// minute (a quarter of the timeout, at most a minute).
		"idlepk": &types.AttributeValueMemberS{Value: item["idlepk"].(*types.AttributeValueMemberS).Value},
		"idlesk": &types.AttributeValueMemberS{Value: exp.Add(30 * time.Minute).Truncate(time.Minute).Add(time.Minute).UTC().Format("2006-01-02T15:04:05.000000000Z")},
	}
	if pk, _ := item["idlepk"].(*types.AttributeValueMemberS); pk == nil || !strings.HasPrefix(pk.Value, "IDLE#") {
		t.Errorf("idlepk = %v, want an IDLE# shard", item["idlepk"])
	}
	for k, w := range want {
		if fmt.Sprint(item[k]) != fmt.Sprint(w) {
			t.Errorf("item[%s] = %#v, want %#v", k, item[k], w)
		}
	}
	for _, k := range []string{"endedAt", "turns", "flow", "ExpiresAt"} {
		if _, ok := item[k]; ok {
			t.Errorf("item has %s; want it omitted", k)
		}
	}

	// Unbinding the connection and clearing the expiry remove gsi1pk and
	// expiresAt (Save writes the whole item).
	s.ConnectionID, s.ExpiresAt = "", time.Time{}
	if err := st.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	item = raw()
	for _, k := range []string{"gsi1pk", "expiresAt", "connectionId"} {
		if _, ok := item[k]; ok {
			t.Errorf("after unbinding, item has %s", k)
		}
	}
	// Ended: out of the sparse index.
	s.Status, s.EndedAt = session.StatusEnded, exp
	if err := st.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	item = raw()
	for _, k := range []string{"idlepk", "idlesk"} {
		if _, ok := item[k]; ok {
			t.Errorf("an ended session has %s", k)
		}
	}
	if fmt.Sprint(item["version"]) != fmt.Sprint(&types.AttributeValueMemberN{Value: "3"}) {
		t.Errorf("version %v, want 3", item["version"])
	}
}

// TestDynamoGetChecksBusiness: an item whose key names one business but
// whose body names another (which no code path writes) is never returned.
func TestDynamoGetChecksBusiness(t *testing.T) {
	ctx := context.Background()
	client, table := sessiontest.LocalTable(t)
	st := session.NewDynamoStore(client, table)
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"pk":         &types.AttributeValueMemberS{Value: "BIZ#acme-plumbing#SESSION#s1"},
			"sk":         &types.AttributeValueMemberS{Value: "SESSION"},
			"businessId": &types.AttributeValueMemberS{Value: "bravo-fencing"},
			"sessionId":  &types.AttributeValueMemberS{Value: "s1"},
			"version":    &types.AttributeValueMemberN{Value: "1"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, biz := range []string{"acme-plumbing", "bravo-fencing"} {
		if s, err := st.Get(ctx, tenant.ID(biz), "s1"); err == nil || s != nil {
			t.Errorf("Get(%s, s1) = %v, %v; want an error", biz, s, err)
		}
	}
}

// TestDynamoTurnBudget holds a turn's hot path to one read and one write
// (the performance budget in docs/architecture.md) at any length of
// conversation: ByConnection is one Query; a save is one PutItem, or one
// TransactWriteItems when it moves older turns out; an interrupt is one
// PutItem of its mark and its poll one GetItem.
func TestDynamoTurnBudget(t *testing.T) {
	ctx := context.Background()
	ep := sessiontest.DynamoEndpoint(t)
	var counter session.CallCounter
	client := sessiontest.DynamoClient(ep, counter.Option())
	st := session.NewDynamoStore(client, sessiontest.NewTable(t, client))
	now := time.Now()
	s := &session.Session{
		BusinessID: "acme-plumbing", ID: "s-budget", Channel: session.ChannelWeb, ConnectionID: "conn-budget",
		Status: session.StatusActive, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	waitByConnection(t, st, s.ConnectionID)
	check := func(what string, want map[string]int) {
		t.Helper()
		if got := counter.Counts(); !maps.Equal(got, want) {
			t.Errorf("%s: DynamoDB calls %v, want %v", what, got, want)
		}
		counter.Reset()
	}

	const turns = 60 // 120 turns: past the high-water mark, older turns move out
	moved := 0
	for turn := range turns {
		counter.Reset()
		cur, err := st.ByConnection(ctx, "conn-budget")
		if err != nil {
			t.Fatal(err)
		}
		if cur.Version != int64(turn+1) {
			// The index lags a moment behind the save: read again, as a
			// turn would after its save's conflict.
			waitVersion(t, st, s.ConnectionID, int64(turn+1))
			counter.Reset()
			if cur, err = st.ByConnection(ctx, "conn-budget"); err != nil {
				t.Fatal(err)
			}
		}
		saved, err := session.Update(ctx, st, cur, func(s *session.Session) error {
			s.Append(session.RoleCaller, "question", now)
			s.Append(session.RoleAgent, "answer", now)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// One write: a PutItem, or the save that passes the high-water
		// mark and moves older turns out in one TransactWriteItems.
		got := counter.Counts()
		if got["Query"] != 1 || got["PutItem"]+got["TransactWriteItems"] != 1 || len(got) != 2 {
			t.Errorf("turn %d: DynamoDB calls %v, want one Query and one write", turn, got)
		}
		moved += got["TransactWriteItems"]
		counter.Reset()
		if saved.Version != int64(turn+2) || saved.Earlier.Count()+len(saved.Turns) != 2*(turn+1) {
			t.Errorf("turn %d: saved version %d with %d+%d turns", turn, saved.Version, saved.Earlier.Count(), len(saved.Turns))
		}
	}
	if moved == 0 {
		t.Error("120 turns never moved a turn out of the session item")
	}
	cur, err := st.Get(ctx, "acme-plumbing", "s-budget")
	if err != nil {
		t.Fatal(err)
	}
	check("Get", map[string]int{"Query": 1})
	if _, err := session.Update(ctx, st, cur, func(s *session.Session) error { s.State.Usage.Prompts++; return nil }); err != nil {
		t.Fatal(err)
	}
	check("a save without turns", map[string]int{"PutItem": 1})
	if err := st.Interrupt(ctx, cur, session.Interrupt{At: now, Heard: "ans"}); err != nil {
		t.Fatal(err)
	}
	check("Interrupt", map[string]int{"PutItem": 1})
	if _, err := st.LastInterrupt(ctx, "acme-plumbing", "s-budget"); err != nil {
		t.Fatal(err)
	}
	check("LastInterrupt", map[string]int{"GetItem": 1})
}

// waitVersion waits until the index shows the session at version.
func waitVersion(t *testing.T, st *session.DynamoStore, conn string, version int64) {
	t.Helper()
	deadline := time.Now().Add(sessiontest.IndexWait)
	for {
		s, err := st.ByConnection(context.Background(), conn)
		if err == nil && s.Version == version {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ByConnection(%s) never showed version %d: %v", conn, version, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDynamoErrorsWrapped: errors name the operation and the session and
// keep the SDK error reachable.
func TestDynamoErrorsWrapped(t *testing.T) {
	client := sessiontest.DynamoClient(sessiontest.DynamoEndpoint(t))
	st := session.NewDynamoStore(client, "no-such-table")
	_, err := st.Get(context.Background(), "acme-plumbing", "s1")
	if err == nil || errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get on a missing table: %v", err)
	}
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); !ok {
		t.Errorf("SDK error not reachable through %v", err)
	}
	if !strings.HasPrefix(err.Error(), "session store: get acme-plumbing/s1: ") {
		t.Errorf("error %q lacks context", err)
	}
}

func BenchmarkDynamoTurn(b *testing.B) {
	ep := os.Getenv(sessiontest.EndpointEnv)
	if ep == "" {
		b.Skip(sessiontest.EndpointEnv + " not set: start DynamoDB Local with infra/scripts/dynamodb-local.sh start")
	}
	client := sessiontest.DynamoClient(ep)
	benchmarkTurn(b, session.NewDynamoStore(client, sessiontest.NewTable(b, client)))
}
