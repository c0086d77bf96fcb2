package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ahca/ahca/infra/apigw"
	"github.com/ahca/ahca/pkg/session"
)

// devMetrics counts what the local stack would be billed for on AWS, for
// `ahca load` and `ahca cost`: DynamoDB calls with the capacity each one
// consumed (the SDK middleware asks every call for ReturnConsumedCapacity
// INDEXES), handler invocations and their durations per function (what
// Lambda bills as GB-seconds), and API Gateway messages in and out.
//
//	GET /dev/metrics  the counters since the stack started, as JSON (devMetricsSnapshot)
//
// Counters only grow; a client takes a snapshot before and after its run
// and subtracts (devMetricsSnapshot.Sub), so several clients never reset
// each other's figures.
type devMetrics struct {
	started time.Time

	mu        sync.Mutex
	dynamo    map[string]*dynamoOpStats
	byFn      map[string]*dynamoUnits // DynamoDB use by the function that made the call
	functions map[string]*functionStats

	messagesIn     atomic.Int64 // frames the gateway routed to $default
	messagesInByte atomic.Int64
	posts          *atomic.Int64 // @connections POSTs (the gateway's counter)
	emails         func() int    // summary emails sent so far, when countable
}

func newDevMetrics() *devMetrics {
	return &devMetrics{started: time.Now(), dynamo: map[string]*dynamoOpStats{}, byFn: map[string]*dynamoUnits{}, functions: map[string]*functionStats{}}
}

// dynamoOpStats are one DynamoDB operation's counters.
type dynamoOpStats struct {
	Calls  int64 `json:"calls"`
	Errors int64 `json:"errors"`
	// Attempts counts HTTP requests, retries included.
	Attempts      int64 `json:"attempts"`
	RequestBytes  int64 `json:"requestBytes"`
	ResponseBytes int64 `json:"responseBytes"`
	// Capacity is the total consumed capacity the responses reported (table
	// and indexes); TableUnits and IndexUnits split it. Reads and writes
	// are told apart by the operation (dynamoWrites).
	Capacity   float64            `json:"capacityUnits"`
	TableUnits float64            `json:"tableUnits"`
	IndexUnits map[string]float64 `json:"indexUnits,omitempty"`
	// Unreported counts successful calls whose response had no capacity.
	Unreported int64 `json:"unreported,omitempty"`
	// LatencyMs sums the calls' durations (retries included); MaxMs is the
	// longest.
	LatencyMs float64 `json:"latencyMs"`
	MaxMs     float64 `json:"maxMs"`
}

// dynamoUnits are the data-plane calls and capacity of one function
// ("other": calls outside any function, such as /dev/transcripts).
type dynamoUnits struct {
	Reads      int64   `json:"reads"`
	Writes     int64   `json:"writes"`
	ReadUnits  float64 `json:"readUnits"`
	WriteUnits float64 `json:"writeUnits"`
}

// functionKey carries the name of the function a call runs in.
type functionKey struct{}

func functionOf(ctx context.Context) string {
	if f, ok := ctx.Value(functionKey{}).(string); ok {
		return f
	}
	return "other"
}

// functionStats are one function's invocations, timed as Lambda bills them
// (each duration rounded up to the millisecond).
type functionStats struct {
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	DurationMs  float64 `json:"durationMs"`
	BilledMs    int64   `json:"billedMs"`
	MaxMs       float64 `json:"maxMs"`
}

// devMetricsSnapshot is the JSON of /dev/metrics.
type devMetricsSnapshot struct {
	Since     time.Time                `json:"since"`
	At        time.Time                `json:"at"`
	DynamoDB  map[string]dynamoOpStats `json:"dynamodb"`
	Functions map[string]functionStats `json:"functions"`
	// DynamoDBByFunction splits the data-plane calls by function.
	DynamoDBByFunction map[string]dynamoUnits `json:"dynamodbByFunction"`
	APIGateway         apiGatewayCounts       `json:"apiGateway"`
	Emails             int64                  `json:"emails"`
}

type apiGatewayCounts struct {
	// MessagesIn are client frames (billed as messages in 32 KB units);
	// MessagesInBytes their sizes. MessagesOut are @connections POSTs.
	MessagesIn      int64 `json:"messagesIn"`
	MessagesInBytes int64 `json:"messagesInBytes"`
	MessagesOut     int64 `json:"messagesOut"`
}

// Data-plane operations billed as writes and as reads; control-plane calls
// (DescribeTable, CreateTable) are counted but are neither.
var (
	dynamoWrites = map[string]bool{
		"PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true,
	}
	dynamoReads = map[string]bool{
		"GetItem": true, "Query": true, "Scan": true, "BatchGetItem": true, "TransactGetItems": true,
	}
)

// dynamoOption installs the counting middleware on a DynamoDB client.
func (m *devMetrics) dynamoOption() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, m.addDynamoMiddleware)
	}
}

func (m *devMetrics) addDynamoMiddleware(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ahcaDevMetrics",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			askForCapacity(in.Parameters)
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			m.recordCall(functionOf(ctx), op, out.Result, err, time.Since(start))
			return out, md, err
		}), middleware.After)
	if err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("ahcaDevMetricsBytes",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			var reqBytes, respBytes int64
			if r, ok := in.Request.(*smithyhttp.Request); ok && r.ContentLength > 0 {
				reqBytes = r.ContentLength
			}
			if r, ok := out.RawResponse.(*smithyhttp.Response); ok && r.ContentLength > 0 {
				respBytes = r.ContentLength
			}
			m.recordAttempt(awsmiddleware.GetOperationName(ctx), reqBytes, respBytes)
			return out, md, err
		}), middleware.After)
}

// askForCapacity sets ReturnConsumedCapacity INDEXES on an input that has
// the field and leaves it unset.
func askForCapacity(params any) {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(ddbtypes.ReturnConsumedCapacity("")) && f.String() == "" {
		f.SetString(string(ddbtypes.ReturnConsumedCapacityIndexes))
	}
}

// consumedCapacity is the ConsumedCapacity of an output: one (GetItem,
// PutItem, Query, ...), several (batches, transactions) or none.
func consumedCapacity(result any) []ddbtypes.ConsumedCapacity {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	switch c := v.Elem().FieldByName("ConsumedCapacity"); {
	case !c.IsValid():
		return nil
	case c.Type() == reflect.TypeOf(&ddbtypes.ConsumedCapacity{}):
		if c.IsNil() {
			return nil
		}
		return []ddbtypes.ConsumedCapacity{*c.Interface().(*ddbtypes.ConsumedCapacity)}
	case c.Type() == reflect.TypeOf([]ddbtypes.ConsumedCapacity{}):
		return c.Interface().([]ddbtypes.ConsumedCapacity)
	}
	return nil
}

func (m *devMetrics) op(name string) *dynamoOpStats {
	s := m.dynamo[name]
	if s == nil {
		s = &dynamoOpStats{}
		m.dynamo[name] = s
	}
	return s
}

func (m *devMetrics) recordCall(function, op string, result any, err error, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.op(op)
	s.Calls++
	tookMs := float64(took) / float64(time.Millisecond)
	s.LatencyMs += tookMs
	s.MaxMs = max(s.MaxMs, tookMs)
	fn := m.byFn[function]
	if fn == nil {
		fn = &dynamoUnits{}
		m.byFn[function] = fn
	}
	units := 0.0
	defer func() {
		switch {
		case dynamoWrites[op]:
			fn.Writes++
			fn.WriteUnits += units
		case dynamoReads[op]:
			fn.Reads++
			fn.ReadUnits += units
		}
	}()
	if err != nil {
		s.Errors++
	}
	ccs := consumedCapacity(result)
	if err == nil && len(ccs) == 0 {
		s.Unreported++
	}
	for _, cc := range ccs {
		if cc.CapacityUnits != nil {
			s.Capacity += *cc.CapacityUnits
			units += *cc.CapacityUnits
		}
		if cc.Table != nil && cc.Table.CapacityUnits != nil {
			s.TableUnits += *cc.Table.CapacityUnits
		} else if cc.CapacityUnits != nil && len(cc.GlobalSecondaryIndexes) == 0 {
			s.TableUnits += *cc.CapacityUnits
		}
		for name, c := range cc.GlobalSecondaryIndexes {
			if c.CapacityUnits == nil {
				continue
			}
			if s.IndexUnits == nil {
				s.IndexUnits = map[string]float64{}
			}
			s.IndexUnits[name] += *c.CapacityUnits
		}
	}
}

func (m *devMetrics) recordAttempt(op string, reqBytes, respBytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.op(op)
	s.Attempts++
	s.RequestBytes += reqBytes
	s.ResponseBytes += respBytes
}

// invoked records one invocation of a function that ran for d.
func (m *devMetrics) invoked(function string, d time.Duration, failed bool) {
	ms := float64(d) / float64(time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.functions[function]
	if s == nil {
		s = &functionStats{}
		m.functions[function] = s
	}
	s.Invocations++
	if failed {
		s.Errors++
	}
	s.DurationMs += ms
	s.BilledMs += int64(math.Ceil(ms))
	s.MaxMs = max(s.MaxMs, ms)
}

// lambda times a WebSocket route's handler as the named function.
func (m *devMetrics) lambda(function string, h apigw.Handler) apigw.Handler {
	if h == nil {
		return nil
	}
	return func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.RequestContext.EventType == "MESSAGE" {
			m.messagesIn.Add(1)
			m.messagesInByte.Add(int64(len(req.Body)))
		}
		start := time.Now()
		resp, err := h(context.WithValue(ctx, functionKey{}, function), req)
		m.invoked(function, time.Since(start), err != nil || resp.StatusCode >= 500)
		return resp, err
	}
}

// lambdaHTTP times an HTTP handler (the Twilio webhooks) as the named function.
func (m *devMetrics) lambdaHTTP(function string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), functionKey{}, function)))
		m.invoked(function, time.Since(start), sw.status >= 500)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// deliver times the summary pipeline (the email-summary function).
func (m *devMetrics) deliver(f func(context.Context, *session.Session) error) func(context.Context, *session.Session) error {
	return func(ctx context.Context, s *session.Session) error {
		start := time.Now()
		err := f(context.WithValue(ctx, functionKey{}, "email-summary"), s)
		m.invoked("email-summary", time.Since(start), err != nil)
		return err
	}
}

// Snapshot returns the counters so far.
func (m *devMetrics) Snapshot() devMetricsSnapshot {
	s := devMetricsSnapshot{Since: m.started, At: time.Now(), DynamoDB: map[string]dynamoOpStats{}, Functions: map[string]functionStats{},
		DynamoDBByFunction: map[string]dynamoUnits{}}
	m.mu.Lock()
	for k, v := range m.byFn {
		s.DynamoDBByFunction[k] = *v
	}
	for k, v := range m.dynamo {
		c := *v
		if v.IndexUnits != nil {
			c.IndexUnits = make(map[string]float64, len(v.IndexUnits))
			for i, u := range v.IndexUnits {
				c.IndexUnits[i] = u
			}
		}
		s.DynamoDB[k] = c
	}
	for k, v := range m.functions {
		s.Functions[k] = *v
	}
	m.mu.Unlock()
	s.APIGateway.MessagesIn = m.messagesIn.Load()
	s.APIGateway.MessagesInBytes = m.messagesInByte.Load()
	if m.posts != nil {
		s.APIGateway.MessagesOut = m.posts.Load()
	}
	if m.emails != nil {
		s.Emails = int64(m.emails())
	}
	return s
}

func (m *devMetrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(m.Snapshot())
}

// Sub is s minus an earlier snapshot of the same stack: what happened in
// between. (MaxMs is the later snapshot's: a maximum does not subtract.)
func (s devMetricsSnapshot) Sub(before devMetricsSnapshot) devMetricsSnapshot {
	d := devMetricsSnapshot{Since: before.At, At: s.At, DynamoDB: map[string]dynamoOpStats{}, Functions: map[string]functionStats{},
		DynamoDBByFunction: map[string]dynamoUnits{}}
	for fn, a := range s.DynamoDBByFunction {
		b := before.DynamoDBByFunction[fn]
		c := dynamoUnits{Reads: a.Reads - b.Reads, Writes: a.Writes - b.Writes, ReadUnits: a.ReadUnits - b.ReadUnits, WriteUnits: a.WriteUnits - b.WriteUnits}
		if c != (dynamoUnits{}) {
			d.DynamoDBByFunction[fn] = c
		}
	}
	for op, a := range s.DynamoDB {
		b := before.DynamoDB[op]
		c := dynamoOpStats{
			Calls: a.Calls - b.Calls, Errors: a.Errors - b.Errors, Attempts: a.Attempts - b.Attempts,
			RequestBytes: a.RequestBytes - b.RequestBytes, ResponseBytes: a.ResponseBytes - b.ResponseBytes,
			Capacity: a.Capacity - b.Capacity, TableUnits: a.TableUnits - b.TableUnits, Unreported: a.Unreported - b.Unreported,
			LatencyMs: a.LatencyMs - b.LatencyMs, MaxMs: a.MaxMs,
		}
		for i, u := range a.IndexUnits {
			if du := u - b.IndexUnits[i]; du != 0 {
				if c.IndexUnits == nil {
					c.IndexUnits = map[string]float64{}
				}
				c.IndexUnits[i] = du
			}
		}
		if c.Calls != 0 || c.Attempts != 0 {
			d.DynamoDB[op] = c
		}
	}
	for fn, a := range s.Functions {
		b := before.Functions[fn]
		c := functionStats{Invocations: a.Invocations - b.Invocations, Errors: a.Errors - b.Errors,
			DurationMs: a.DurationMs - b.DurationMs, BilledMs: a.BilledMs - b.BilledMs, MaxMs: a.MaxMs}
		if c.Invocations != 0 {
			d.Functions[fn] = c
		}
	}
	d.APIGateway = apiGatewayCounts{
		MessagesIn:      s.APIGateway.MessagesIn - before.APIGateway.MessagesIn,
		MessagesInBytes: s.APIGateway.MessagesInBytes - before.APIGateway.MessagesInBytes,
		MessagesOut:     s.APIGateway.MessagesOut - before.APIGateway.MessagesOut,
	}
	d.Emails = s.Emails - before.Emails
	return d
}

// Reads and writes totals of a snapshot: calls and capacity units.
func (s devMetricsSnapshot) storeTotals() (reads, writes int64, readUnits, writeUnits float64) {
	for op, c := range s.DynamoDB {
		switch {
		case dynamoWrites[op]:
			writes += c.Calls
			writeUnits += c.Capacity
		case dynamoReads[op]:
			reads += c.Calls
			readUnits += c.Capacity
		}
	}
	return
}
