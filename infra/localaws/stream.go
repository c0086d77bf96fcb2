package localaws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// StreamsAPI is the part of the DynamoDB Streams client the mapping uses.
type StreamsAPI interface {
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// StreamMapping does locally what a DynamoDB event source mapping does:
// it polls the table's stream (DynamoDB Local's), keeps the records the
// mapping's filter matches, and invokes the function with DynamoDBEvent
// batches ({"Records": [...]}, records in Lambda's shape), in order per
// shard. Failures are handled as Lambda does: with ReportBatchItemFailures
// a response's batchItemFailures make it retry from the lowest failed
// sequence number; a function error retries the batch (halved first when
// BisectOnError); after MaxRetryAttempts the batch goes to OnFailure (the
// mapping's failure destination) and the shard moves on.
//
// Shards open when it starts are read from LATEST (a local stack does not
// replay an earlier run's history); shards that appear later from
// TRIM_HORIZON, as Lambda reads a child shard.
type StreamMapping struct {
	Streams   StreamsAPI
	StreamARN string
	Mapping   EventSourceMapping
	Filter    *Filter
	Invoke    func(ctx context.Context, event []byte) ([]byte, error)
	// OnFailure receives a batch given up on (the failure destination).
	OnFailure func(records []json.RawMessage, err error)
	Region    string
	Log       *slog.Logger
	// Poll is the polling interval; 0 means 200 ms.
	Poll time.Duration
	// Backoff is the first retry's pause, doubled per retry up to 5 s; 0
	// means 500 ms.
	Backoff time.Duration

	mu       sync.Mutex
	shards   map[string]*shard
	idleAt   time.Time // the start of the last poll that found nothing to do
	started  bool
	invoked  int
	failures int
}

type shard struct {
	id, parent string
	iterator   *string
	closed     bool
}

// Record is a stream record as the function receives it.
type record struct {
	raw json.RawMessage
	seq string
}

// Run polls until ctx ends.
func (m *StreamMapping) Run(ctx context.Context) error {
	poll := m.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	if err := m.discover(ctx, true); err != nil {
		return err
	}
	lastDescribe := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
		if time.Since(lastDescribe) > time.Second {
			if err := m.discover(ctx, false); err != nil && ctx.Err() == nil {
				m.Log.Warn("stream: describe failed", "err", err)
			}
			lastDescribe = time.Now()
		}
		began := time.Now()
		busy := false
		for _, s := range m.readable() {
			n, err := m.pollShard(ctx, s)
			if err != nil && ctx.Err() == nil {
				m.Log.Warn("stream: read failed", "shard", s.id, "err", err)
			}
			busy = busy || n > 0 || err != nil
		}
		if !busy {
			m.mu.Lock()
			m.idleAt = began
			m.mu.Unlock()
		}
	}
}

// Drain waits until a poll that started after the call found nothing left
// to deliver (every record written before it has been handled), or ctx
// ends.
func (m *StreamMapping) Drain(ctx context.Context) error {
	since := time.Now()
	for {
		m.mu.Lock()
		idle := m.idleAt
		m.mu.Unlock()
		if idle.After(since) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stats returns the invocations made and the batches given up on.
func (m *StreamMapping) Stats() (invocations, failed int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.invoked, m.failures
}

// discover adds new shards with an iterator (LATEST at startup, else
// TRIM_HORIZON).
func (m *StreamMapping) discover(ctx context.Context, startup bool) error {
	var shards []types.Shard
	var start *string
	for {
		out, err := m.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(m.StreamARN), ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream %s: %w", m.StreamARN, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if start = out.StreamDescription.LastEvaluatedShardId; start == nil {
			break
		}
	}
	m.mu.Lock()
	if m.shards == nil {
		m.shards = map[string]*shard{}
	}
	var fresh []types.Shard
	for _, s := range shards {
		if _, ok := m.shards[aws.ToString(s.ShardId)]; !ok {
			fresh = append(fresh, s)
		}
	}
	m.mu.Unlock()
	for _, s := range fresh {
		id := aws.ToString(s.ShardId)
		open := s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil
		it := types.ShardIteratorTypeTrimHorizon
		if startup {
			if !open {
				m.mu.Lock()
				m.shards[id] = &shard{id: id, closed: true} // history
				m.mu.Unlock()
				continue
			}
			it = types.ShardIteratorTypeLatest
		}
		out, err := m.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(m.StreamARN), ShardId: s.ShardId, ShardIteratorType: it})
		if err != nil {
			return fmt.Errorf("shard iterator %s: %w", id, err)
		}
		m.mu.Lock()
		m.shards[id] = &shard{id: id, parent: aws.ToString(s.ParentShardId), iterator: out.ShardIterator}
		m.mu.Unlock()
	}
	return nil
}

// readable returns the shards to read now: open ones whose parent is done.
func (m *StreamMapping) readable() []*shard {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*shard
	for _, s := range m.shards {
		if s.closed || s.iterator == nil {
			continue
		}
		if p, ok := m.shards[s.parent]; ok && !p.closed {
			continue
		}
		out = append(out, s)
	}
	return out
}

// pollShard reads what the shard has and delivers it; it returns the
// number of records read.
func (m *StreamMapping) pollShard(ctx context.Context, s *shard) (int, error) {
	out, err := m.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator})
	if err != nil {
		var expired *types.ExpiredIteratorException
		if errors.As(err, &expired) {
			m.mu.Lock()
			s.iterator = nil // rediscovered from TRIM_HORIZON would replay; give up on the shard
			s.closed = true
			m.mu.Unlock()
		}
		return 0, err
	}
	var batch []record
	for _, r := range out.Records {
		raw, err := m.lambdaRecord(r)
		if err != nil {
			return len(out.Records), err
		}
		var ev map[string]any
		_ = json.Unmarshal(raw, &ev)
		if m.Filter == nil || m.Filter.Match(ev) {
			batch = append(batch, record{raw: raw, seq: aws.ToString(r.Dynamodb.SequenceNumber)})
		}
	}
	m.deliver(ctx, batch)
	m.mu.Lock()
	s.iterator = out.NextShardIterator
	if s.iterator == nil {
		s.closed = true
	}
	m.mu.Unlock()
	return len(out.Records), nil
}

// deliver invokes the function with the records in batches, retrying as
// the mapping says.
func (m *StreamMapping) deliver(ctx context.Context, pending []record) {
	size := m.Mapping.BatchSize
	if size <= 0 {
		size = 100
	}
	backoff := m.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	for len(pending) > 0 && ctx.Err() == nil {
		batch := pending[:min(size, len(pending))]
		for attempt := 0; ; attempt++ {
			failedAt, err := m.invoke(ctx, batch)
			if err == nil && failedAt < 0 {
				pending = pending[len(batch):]
				break
			}
			if m.Mapping.MaxRetryAttempts >= 0 && attempt >= m.Mapping.MaxRetryAttempts || ctx.Err() != nil {
				m.giveUp(batch, err)
				pending = pending[len(batch):]
				break
			}
			switch {
			case err == nil: // partial failure: retry from the lowest failed record
				m.Log.Warn("stream: batch item failures; retrying from the first failed record", "function", m.Mapping.Function, "records", len(batch), "retryFrom", failedAt, "attempt", attempt+1)
				pending = pending[failedAt:]
				batch = pending[:min(size, len(pending))]
			case m.Mapping.BisectOnError && len(batch) > 1:
				m.Log.Warn("stream: function error; bisecting the batch", "function", m.Mapping.Function, "records", len(batch), "err", err)
				batch = batch[:len(batch)/2]
			default:
				m.Log.Warn("stream: function error; retrying the batch", "function", m.Mapping.Function, "records", len(batch), "attempt", attempt+1, "err", err)
			}
			pause := backoff << min(attempt, 4)
			select {
			case <-ctx.Done():
			case <-time.After(min(pause, 5*time.Second)):
			}
		}
	}
}

// invoke sends one batch; it returns the index of the lowest failed record
// (-1: none), or the function error.
func (m *StreamMapping) invoke(ctx context.Context, batch []record) (int, error) {
	recs := make([]json.RawMessage, len(batch))
	for i, r := range batch {
		recs[i] = r.raw
	}
	event, _ := json.Marshal(map[string]any{"Records": recs})
	m.mu.Lock()
	m.invoked++
	m.mu.Unlock()
	resp, err := m.Invoke(ctx, event)
	if err != nil {
		return -1, err
	}
	if !m.Mapping.ReportBatchItemFailures {
		return -1, nil
	}
	var out struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(resp) == 0 || string(resp) == "null" {
		return -1, nil
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return -1, nil // Lambda treats an unparsable response as success
	}
	lowest := -1
	for _, f := range out.BatchItemFailures {
		idx := -1
		for i, r := range batch {
			if f.ItemIdentifier != nil && r.seq == *f.ItemIdentifier {
				idx = i
			}
		}
		if idx < 0 { // an empty or unknown identifier fails the whole batch
			return 0, nil
		}
		if lowest < 0 || idx < lowest {
			lowest = idx
		}
	}
	return lowest, nil
}

func (m *StreamMapping) giveUp(batch []record, err error) {
	recs := make([]json.RawMessage, len(batch))
	for i, r := range batch {
		recs[i] = r.raw
	}
	m.mu.Lock()
	m.failures++
	m.mu.Unlock()
	if err == nil {
		err = errors.New("batch item failures past the retry budget")
	}
	m.Log.Error("stream: batch sent to the failure destination", "function", m.Mapping.Function, "records", len(batch), "err", err)
	if m.OnFailure != nil {
		m.OnFailure(recs, err)
	}
}

// lambdaRecord is a stream record in the shape Lambda passes it
// (events.DynamoDBEventRecord).
func (m *StreamMapping) lambdaRecord(r types.Record) (json.RawMessage, error) {
	d := r.Dynamodb
	if d == nil {
		return nil, fmt.Errorf("stream record %s without dynamodb", aws.ToString(r.EventID))
	}
	sr := map[string]any{
		"Keys":           attrs(d.Keys),
		"SequenceNumber": aws.ToString(d.SequenceNumber),
		"SizeBytes":      aws.ToInt64(d.SizeBytes),
		"StreamViewType": string(d.StreamViewType),
	}
	if d.ApproximateCreationDateTime != nil {
		sr["ApproximateCreationDateTime"] = d.ApproximateCreationDateTime.Unix()
	}
	if d.NewImage != nil {
		sr["NewImage"] = attrs(d.NewImage)
	}
	if d.OldImage != nil {
		sr["OldImage"] = attrs(d.OldImage)
	}
	rec := map[string]any{
		"eventID":        aws.ToString(r.EventID),
		"eventName":      string(r.EventName),
		"eventVersion":   aws.ToString(r.EventVersion),
		"eventSource":    aws.ToString(r.EventSource),
		"awsRegion":      m.Region,
		"dynamodb":       sr,
		"eventSourceARN": m.StreamARN,
	}
	if r.AwsRegion != nil && *r.AwsRegion != "" {
		rec["awsRegion"] = *r.AwsRegion
	}
	if u := r.UserIdentity; u != nil {
		rec["userIdentity"] = map[string]string{"type": aws.ToString(u.Type), "principalId": aws.ToString(u.PrincipalId)}
	}
	return json.Marshal(rec)
}

func attrs(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = attr(v)
	}
	return out
}

// attr is an attribute value in DynamoDB's JSON form ({"S": "x"}, …).
func attr(v types.AttributeValue) map[string]any {
	b64 := base64.StdEncoding.EncodeToString
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": b64(v.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *types.AttributeValueMemberBS:
		l := make([]string, len(v.Value))
		for i, b := range v.Value {
			l[i] = b64(b)
		}
		return map[string]any{"BS": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": attrs(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = attr(e)
		}
		return map[string]any{"L": l}
	}
	return map[string]any{"NULL": true}
}
