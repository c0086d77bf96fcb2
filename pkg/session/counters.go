package session

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/tenant"
)

// Counters are a business's usage counters (model tokens and conversations
// per day, texts and caller copies per hour, connections per source per
// minute), kept atomically in the store. They are touched where no turn
// waits: at $connect, or after a turn's reply was sent.
type Counters interface {
	// Add adds each delta to the named counters of business biz in one
	// window (Window: "day#2026-12-02", "hour#2026-12-02T08", ...) and
	// returns the counters' new values. A delta of 0 reads a counter.
	Add(ctx context.Context, biz tenant.ID, window string, delta map[string]int64) (map[string]int64, error)
}

// Counter names.
const (
	CountModelTokens   = "modelTokens"
	CountConversations = "conversations"
	CountSMS           = "sms"
	CountCallerCopies  = "callerCopies"
)

// DayWindow, HourWindow and MinuteWindow name the UTC windows counters are
// kept in; SourceWindow is a source address's connections in a minute.
func DayWindow(t time.Time) string    { return "day#" + t.UTC().Format("2006-01-02") }
func HourWindow(t time.Time) string   { return "hour#" + t.UTC().Format("2006-01-02T15") }
func MinuteWindow(t time.Time) string { return "minute#" + t.UTC().Format("2006-01-02T15:04") }

// windowTTL is how long a window's item is kept after it opens.
const windowTTL = 48 * time.Hour

// MemoryCounters keeps counters in process (make dev, tests).
type MemoryCounters struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *MemoryCounters) Add(_ context.Context, biz tenant.ID, window string, delta map[string]int64) (map[string]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	out := make(map[string]int64, len(delta))
	for name, d := range delta {
		k := string(biz) + "|" + window + "|" + name
		c.m[k] += d
		out[name] = c.m[k]
	}
	return out, nil
}

// CountersAPI is the part of the DynamoDB client DynamoCounters uses.
type CountersAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoCounters keeps counters in the app table, one item per business
// and window, updated with one UpdateItem ADD:
//
//	pk "BIZ#<businessId>#USAGE", sk "<window>", one number attribute per
//	counter, expiresAt two days after the window opened (TTL).
type DynamoCounters struct {
	Client CountersAPI
	Table  string
	Now    func() time.Time
}

func (d *DynamoCounters) Add(ctx context.Context, biz tenant.ID, window string, delta map[string]int64) (map[string]int64, error) {
	if _, err := tenant.ParseID(string(biz)); err != nil {
		return nil, fmt.Errorf("usage counters: %w", err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	names := map[string]string{"#exp": attrExpiresAt}
	values := map[string]types.AttributeValue{
		":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(now().Add(windowTTL).Unix(), 10)},
	}
	expr := "SET #exp = if_not_exists(#exp, :exp) ADD "
	i := 0
	for name, n := range delta {
		if i > 0 {
			expr += ", "
		}
		k := strconv.Itoa(i)
		names["#c"+k] = name
		values[":d"+k] = &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
		expr += "#c" + k + " :d" + k
		i++
	}
	out, err := d.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(d.Table),
		Key: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: "BIZ#" + string(biz) + "#USAGE"},
			attrSK: &types.AttributeValueMemberS{Value: window},
		},
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return nil, fmt.Errorf("usage counters: add %s %s: %w", biz, window, err)
	}
	res := make(map[string]int64, len(delta))
	for name := range delta {
		if v, ok := out.Attributes[name].(*types.AttributeValueMemberN); ok {
			res[name], _ = strconv.ParseInt(v.Value, 10, 64)
		}
	}
	return res, nil
}
