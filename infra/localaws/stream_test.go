package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// fakeStreams is one open shard whose records are added by the test.
type fakeStreams struct {
	mu      sync.Mutex
	records []types.Record
}

func (f *fakeStreams) add(n int, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		seq := strconv.Itoa(len(f.records) + 1)
		f.records = append(f.records, types.Record{EventID: aws.String("e" + seq), EventName: types.OperationTypeModify,
			EventSource: aws.String("aws:dynamodb"), EventVersion: aws.String("1.1"),
			Dynamodb: &types.StreamRecord{SequenceNumber: aws.String(seq), StreamViewType: types.StreamViewTypeNewAndOldImages,
				Keys:     map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "BIZ#a#SESSION#" + seq}, "sk": &types.AttributeValueMemberS{Value: "SESSION"}},
				NewImage: map[string]types.AttributeValue{"status": &types.AttributeValueMemberS{Value: status}, "n": &types.AttributeValueMemberN{Value: "1"}, "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}}}},
				OldImage: map[string]types.AttributeValue{"status": &types.AttributeValueMemberS{Value: "active"}}}})
	}
}

func (f *fakeStreams) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &types.StreamDescription{Shards: []types.Shard{{ShardId: aws.String("s1"), SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("1")}}}}}, nil
}

func (f *fakeStreams) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pos := 0
	if in.ShardIteratorType == types.ShardIteratorTypeLatest {
		pos = len(f.records)
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(strconv.Itoa(pos))}, nil
}

func (f *fakeStreams) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pos, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	out := append([]types.Record(nil), f.records[pos:]...)
	return &dynamodbstreams.GetRecordsOutput{Records: out, NextShardIterator: aws.String(strconv.Itoa(len(f.records)))}, nil
}

// The mapping delivers filtered records as DynamoDBEvent batches, retries
// from the first reported item failure, bisects on function errors, and
// gives a batch up after the retry budget, as Lambda does.
func TestStreamMapping(t *testing.T) {
	streams := &fakeStreams{}
	streams.add(2, "ended") // before the start: not replayed (LATEST)
	filter, err := NewFilter([]string{`{"dynamodb":{"NewImage":{"status":{"S":["ended"]}}}}`})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls [][]string // sequence numbers per invocation
	failOnce := map[string]bool{"5": true}
	var gaveUp [][]json.RawMessage
	m := &StreamMapping{
		Streams: streams, StreamARN: "arn:stream", Filter: filter, Region: "us-east-1", Log: slog.New(slog.DiscardHandler),
		Mapping: EventSourceMapping{Function: "F", BatchSize: 3, ReportBatchItemFailures: true, BisectOnError: true, MaxRetryAttempts: 2},
		Poll:    10 * time.Millisecond, Backoff: time.Millisecond,
		OnFailure: func(recs []json.RawMessage, err error) { mu.Lock(); gaveUp = append(gaveUp, recs); mu.Unlock() },
		Invoke: func(_ context.Context, payload []byte) ([]byte, error) {
			var ev events.DynamoDBEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Errorf("payload is not a DynamoDBEvent: %v", err)
			}
			var seqs []string
			for _, r := range ev.Records {
				seqs = append(seqs, r.Change.SequenceNumber)
				if r.EventSourceArn != "arn:stream" || r.EventName != "MODIFY" || r.Change.NewImage["status"].String() != "ended" || r.Change.Keys["sk"].String() != "SESSION" {
					t.Errorf("record = %+v", r)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, seqs)
			for _, s := range seqs {
				if failOnce[s] {
					delete(failOnce, s)
					return json.Marshal(events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: s}}})
				}
				if s == "9" {
					return nil, errors.New("boom") // always
				}
			}
			return []byte(`{"batchItemFailures":[]}`), nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	time.Sleep(50 * time.Millisecond)
	streams.add(1, "active") // 3: filtered out
	streams.add(3, "ended")  // 4, 5, 6
	streams.add(1, "active") // 7
	streams.add(2, "ended")  // 8, 9
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	if err := m.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	// Depending on how the polls split the writes, the batches differ;
	// what must hold: every ended record delivered, in order, 5 retried
	// from itself, 3 and 7 never, 9 bisected then given up.
	delivered := map[string]int{}
	last := 0
	for _, c := range calls {
		for _, s := range c {
			delivered[s]++
			n, _ := strconv.Atoi(s)
			if n < last && s != "5" && s != "6" && s != "8" && s != "9" {
				t.Errorf("out of order: %v", calls)
			}
			last = n
		}
	}
	for _, s := range []string{"1", "2", "3", "7"} {
		if delivered[s] != 0 {
			t.Errorf("record %s delivered: %v", s, calls)
		}
	}
	if delivered["4"] < 1 || delivered["5"] < 2 || delivered["6"] < 1 || delivered["8"] < 1 || delivered["9"] < 3 {
		t.Errorf("deliveries = %v (calls %v)", delivered, calls)
	}
	if len(gaveUp) != 1 || len(gaveUp[0]) != 1 {
		t.Errorf("given up = %d batches, want the one with record 9 alone (bisected): %v", len(gaveUp), calls)
	}
}
