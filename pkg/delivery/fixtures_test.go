package delivery_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/ahca/ahca/pkg/session/sessiontest"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// The stream events in testdata/ are real: -update runs sessions through
// the session store (DynamoStore, so the images are exactly what it writes)
// on a DynamoDB Local table with a NEW_AND_OLD_IMAGES stream and TTL,
// lets DynamoDB Local's TTL sweeper expire two of them, reads the stream
// with the DynamoDB Streams API and writes the records as a Lambda receives
// them (events.DynamoDBEvent JSON, images in DynamoDB JSON). Only the
// region and table in eventSourceARN are rewritten to the stack's, and
// Keys is cut to the table's key (DynamoDB Local adds the index key).
//
//	AHCA_DYNAMODB_ENDPOINT=... go test ./pkg/delivery -run TestStreamFixtures -update
var update = flag.Bool("update", false, "regenerate testdata/*.json stream events from DynamoDB Local")

// Fixture sessions.
const (
	sidAcmeEnded     = "s-acme-ended"     // phone call, completed, caller gave an email (caller copy)
	sidBravoEnded    = "s-bravo-ended"    // web chat, caller left
	sidAbandoned     = "s-acme-abandoned" // active until TTL removed it
	sidDeleted       = "s-acme-deleted"   // deleted by hand while active: not an end
	sidEndedExpired  = "s-acme-old"       // ended, later removed by TTL: already handled
	fixtureRegion    = "us-west-2"
	fixtureTableName = "ahca-dev-app"
)

// fixtureFiles name the files and what they hold: a session id and event
// (INSERT, MODIFY:turn, MODIFY:end, MODIFY:after-end, REMOVE:ttl,
// REMOVE:manual) per record, in order.
var fixtureFiles = map[string][]string{
	"ended.json":          {sidAcmeEnded + " MODIFY:end"},
	"not-an-end.json":     {sidAcmeEnded + " INSERT", sidAcmeEnded + " MODIFY:turn", sidAcmeEnded + " MODIFY:after-end", sidDeleted + " REMOVE:manual", sidEndedExpired + " REMOVE:ttl"},
	"ttl-abandoned.json":  {sidAbandoned + " REMOVE:ttl"},
	"two-businesses.json": {sidAcmeEnded + " MODIFY:end", sidBravoEnded + " MODIFY:turn", sidBravoEnded + " MODIFY:end"},
	"lifecycle.json": {sidAcmeEnded + " INSERT", sidAcmeEnded + " MODIFY:turn", sidAcmeEnded + " MODIFY:end",
		sidAcmeEnded + " MODIFY:after-end", sidAbandoned + " REMOVE:ttl"},
}

func TestStreamFixtures(t *testing.T) {
	if !*update {
		// Every fixture parses and holds what its name says.
		for name, want := range fixtureFiles {
			ev := loadEvent(t, name)
			if len(ev.Records) != len(want) {
				t.Errorf("%s: %d records, want %d (-update regenerates)", name, len(ev.Records), len(want))
			}
		}
		return
	}
	generateFixtures(t)
}

// loadEvent reads a stream event fixture as Lambda hands it to the handler.
func loadEvent(t testing.TB, name string) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func generateFixtures(t *testing.T) {
	ctx := context.Background()
	ep := sessiontest.DynamoEndpoint(t)
	client := sessiontest.DynamoClient(ep)
	table := streamTable(t, client)
	st := session.NewDynamoStore(client, table)

	now := time.Now().UTC().Truncate(time.Millisecond)
	future := now.Add(3 * time.Hour)
	type step struct {
		label string
		apply func() error
	}
	newSession := func(biz tenant.ID, id string, ch session.Channel, created time.Time, expires time.Time) *session.Session {
		s := &session.Session{
			BusinessID: biz, ID: id, Channel: ch, ConnectionID: "conn-" + id, Status: session.StatusActive,
			State: session.State{Engine: session.Engine{Greeted: true}}, CreatedAt: created, UpdatedAt: created, ExpiresAt: expires,
		}
		if ch == session.ChannelPhone {
			s.CallSID = "CA" + strings.Repeat("0", 24) + fmt.Sprintf("%08x", len(id))
			s.Caller.CallerID = "+15035550199"
		}
		return s
	}
	turn := func(s *session.Session, at time.Time, caller, agent string) {
		s.Append(session.RoleCaller, caller, at)
		s.Append(session.RoleAgent, agent, at.Add(1500*time.Millisecond))
		s.UpdatedAt = at.Add(1500 * time.Millisecond)
	}
	end := func(s *session.Session, at time.Time, reason string) {
		s.Status, s.EndReason, s.EndedAt, s.UpdatedAt = session.StatusEnded, reason, at, at
	}

	// acme-plumbing: a completed phone call whose caller gave an email.
	a := newSession("acme-plumbing", sidAcmeEnded, session.ChannelPhone, now.Add(-5*time.Minute), future)
	// bravo-fencing: a web chat the visitor left.
	b := newSession("bravo-fencing", sidBravoEnded, session.ChannelWeb, now.Add(-4*time.Minute), future)
	// Abandoned: active when its TTL passed (sessions live 3 h).
	ab := newSession("acme-plumbing", sidAbandoned, session.ChannelPhone, now.Add(-3*time.Hour-10*time.Minute), now.Add(-10*time.Minute+2*time.Second))
	del := newSession("acme-plumbing", sidDeleted, session.ChannelWeb, now.Add(-2*time.Minute), future)
	old := newSession("acme-plumbing", sidEndedExpired, session.ChannelWeb, now.Add(-3*time.Hour-20*time.Minute), now.Add(-20*time.Minute+2*time.Second))

	steps := []step{
		{"create acme", func() error {
			a.Append(session.RoleAgent, "Thanks for calling Acme Plumbing, this is Sam. How can I help?", a.CreatedAt.Add(time.Second))
			return st.Create(ctx, a)
		}},
		{"acme turn", func() error {
			turn(a, a.CreatedAt.Add(8*time.Second), "Hi, this is Jamie Rivera. A pipe burst under my kitchen sink and there's water everywhere.",
				"I'm sorry, Jamie. Shut the valve under the sink if you can. What number should the plumber call?")
			a.Caller.Name, a.Caller.Reason = "Jamie Rivera", "burst pipe under the kitchen sink"
			return st.Save(ctx, a)
		}},
		{"create bravo", func() error {
			b.Append(session.RoleAgent, "Hi! You've reached Bravo Fencing. What can I do for you?", b.CreatedAt.Add(time.Second))
			return st.Create(ctx, b)
		}},
		{"acme end", func() error {
			turn(a, a.CreatedAt.Add(40*time.Second), "It's 503 555 0142, and my email is jamie.rivera@example.com.",
				"Thanks, Jamie. A plumber will call you at (503) 555-0142 first thing in the morning. Goodbye!")
			a.Caller.Phone, a.Caller.Email = "+15035550142", "jamie.rivera@example.com"
			tool := a.Append(session.RoleTool, "+15035550142", a.CreatedAt.Add(42*time.Second))
			tool.Tool = "phone_validated"
			end(a, a.CreatedAt.Add(45*time.Second), "completed")
			return st.Save(ctx, a)
		}},
		{"acme after end", func() error { // the disconnect unbinds the connection: ended → ended
			a.ConnectionID, a.UpdatedAt = "", a.UpdatedAt.Add(time.Second)
			return st.Save(ctx, a)
		}},
		{"bravo turn", func() error {
			turn(b, b.CreatedAt.Add(10*time.Second), "<b>Ann</b> here, I'd like a quote for a cedar fence",
				"Happy to help, Ann. What's the best phone number to reach you?")
			b.Caller.Name, b.Caller.Reason = "Ann Lee", "quote for a cedar fence"
			return st.Save(ctx, b)
		}},
		{"bravo end", func() error {
			end(b, b.CreatedAt.Add(30*time.Second), "disconnected")
			b.ConnectionID = ""
			return st.Save(ctx, b)
		}},
		{"create abandoned", func() error {
			ab.Append(session.RoleAgent, "Thanks for calling Acme Plumbing, this is Sam. How can I help?", ab.CreatedAt.Add(time.Second))
			return st.Create(ctx, ab)
		}},
		{"abandoned turn", func() error {
			turn(ab, ab.CreatedAt.Add(9*time.Second), "my water heater is leaking", "I can help with that. May I have your name?")
			ab.Caller.Reason = "water heater leaking"
			return st.Save(ctx, ab)
		}},
		{"create deleted", func() error { return st.Create(ctx, del) }},
		{"delete by hand", func() error {
			_, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: sessiontest.Key("BIZ#acme-plumbing#SESSION#"+sidDeleted, "SESSION")})
			return err
		}},
		{"create old", func() error { return st.Create(ctx, old) }},
		{"old end", func() error {
			end(old, old.CreatedAt.Add(time.Minute), "disconnected")
			return st.Save(ctx, old)
		}},
	}
	for _, s := range steps {
		if err := s.apply(); err != nil {
			t.Fatalf("%s: %v", s.label, err)
		}
	}

	records, streamARN := readStream(t, ep, table, func(rs []streamtypes.Record) bool {
		ttl := 0
		for _, r := range rs {
			if r.UserIdentity != nil && r.EventName == streamtypes.OperationTypeRemove {
				ttl++
			}
		}
		return ttl >= 2
	})

	// Label every record: "<session> <EVENT>[:kind]".
	labelled := map[string]events.DynamoDBEventRecord{}
	for _, r := range records {
		ev := lambdaRecord(t, r, streamARN)
		var sid string
		if img := ev.Change.Keys; img != nil {
			sid = strings.TrimPrefix(img["pk"].String(), "BIZ#acme-plumbing#SESSION#")
			sid = strings.TrimPrefix(sid, "BIZ#bravo-fencing#SESSION#")
		}
		label := sid + " " + ev.EventName
		switch ev.EventName {
		case "MODIFY":
			switch old, cur := ev.Change.OldImage["status"].String(), ev.Change.NewImage["status"].String(); {
			case old == "active" && cur == "ended":
				label += ":end"
			case old == "ended":
				label += ":after-end"
			default:
				label += ":turn"
			}
		case "REMOVE":
			if ev.UserIdentity != nil {
				label += ":ttl"
			} else {
				label += ":manual"
			}
		}
		if _, dup := labelled[label]; !dup { // the first of each kind (e.g. the first turn)
			labelled[label] = ev
		}
	}
	for name, want := range fixtureFiles {
		var ev events.DynamoDBEvent
		for _, l := range want {
			r, ok := labelled[l]
			if !ok {
				t.Fatalf("%s: no stream record %q (have %v)", name, l, slices.Sorted(maps.Keys(labelled)))
			}
			ev.Records = append(ev.Records, r)
		}
		raw, err := json.MarshalIndent(ev, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", name), append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote testdata/%s (%d records)", name, len(ev.Records))
	}
}

// streamTable creates a table with the sessions schema, TTL and the
// NEW_AND_OLD_IMAGES stream template.yaml declares.
func streamTable(t *testing.T, client *dynamodb.Client) string {
	ctx := context.Background()
	name := sessiontest.NewTable(t, client)
	_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName: aws.String(name),
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// readStream reads every record of the table's stream, polling until done
// reports true (or a minute passes); it returns them and the stream ARN.
func readStream(t *testing.T, endpoint, table string, done func([]streamtypes.Record) bool) ([]streamtypes.Record, string) {
	ctx := context.Background()
	sc := dynamodbstreams.New(dynamodbstreams.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	ls, err := sc.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)})
	if err != nil || len(ls.Streams) == 0 {
		t.Fatalf("list streams: %v %v", ls, err)
	}
	arn := ls.Streams[0].StreamArn
	deadline := time.Now().Add(time.Minute)
	for {
		var all []streamtypes.Record
		ds, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range ds.StreamDescription.Shards {
			it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				t.Fatal(err)
			}
			iter := it.ShardIterator
			for iter != nil {
				out, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, out.Records...)
				if len(out.Records) == 0 {
					break
				}
				iter = out.NextShardIterator
			}
		}
		if done(all) {
			return all, aws.ToString(arn)
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream never had the TTL removals (DynamoDB Local's TTL sweeper); %d records", len(all))
		}
		time.Sleep(2 * time.Second)
	}
}

// lambdaRecord converts a DynamoDB Streams record to the Lambda event form.
func lambdaRecord(t *testing.T, r streamtypes.Record, streamARN string) events.DynamoDBEventRecord {
	img := func(m map[string]streamtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
		if m == nil {
			return nil
		}
		av, err := attributevalue.FromDynamoDBStreamsMap(m)
		if err != nil {
			t.Fatal(err)
		}
		return sessiontest.StreamAttributes(t, av)
	}
	d := r.Dynamodb
	// DynamoDB Local also lists index keys (gsi1pk) under Keys; DynamoDB
	// lists the table's key only.
	keys := map[string]streamtypes.AttributeValue{}
	for _, k := range []string{"pk", "sk"} {
		if v, ok := d.Keys[k]; ok {
			keys[k] = v
		}
	}
	arn := streamARN
	if i := strings.Index(arn, "/stream/"); i >= 0 {
		arn = fmt.Sprintf("arn:aws:dynamodb:%s:123456789012:table/%s%s", fixtureRegion, fixtureTableName, arn[i:])
	}
	ev := events.DynamoDBEventRecord{
		AWSRegion: fixtureRegion, EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
		EventSource: aws.ToString(r.EventSource), EventVersion: aws.ToString(r.EventVersion), EventSourceArn: arn,
		Change: events.DynamoDBStreamRecord{
			Keys: img(keys), NewImage: img(d.NewImage), OldImage: img(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber), SizeBytes: aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		},
	}
	if d.ApproximateCreationDateTime != nil {
		ev.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: d.ApproximateCreationDateTime.Truncate(time.Second)}
	}
	if r.UserIdentity != nil {
		ev.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	return ev
}
