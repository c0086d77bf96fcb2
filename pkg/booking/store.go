package booking

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/tenant"
)

// ErrSlotTaken is returned by Store.Book when the slot is already booked.
var ErrSlotTaken = errors.New("booking: slot already taken")

// Booking is who booked a slot and why.
type Booking struct {
	SessionID string
	Name      string
	Phone     string
	Email     string
	Service   string
	CreatedAt time.Time
}

// Store keeps a business's booked slots. Slot times and days carry the
// business's location: a slot belongs to the day its start falls on there.
type Store interface {
	// Book books slot for biz; ErrSlotTaken when it is booked already. Two
	// concurrent calls for one slot: exactly one succeeds.
	Book(ctx context.Context, biz tenant.ID, slot Slot, b Booking) error
	// Taken returns the starts (in UTC) of biz's booked slots on day's date
	// in day's location.
	Taken(ctx context.Context, biz tenant.ID, day time.Time) (map[time.Time]bool, error)
}

// dayKey is a day's date in its own location.
func dayKey(t time.Time) string { return t.Format("2006-01-02") }

// ---------------------------------------------------------------------------
// memory

// MemoryStore is a Store in memory, for tests and the embedded dev stack.
type MemoryStore struct {
	mu    sync.Mutex
	slots map[string]map[time.Time]Booking // biz#day → start (UTC) → booking
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{slots: map[string]map[time.Time]Booking{}}
}

// Book implements Store.
func (m *MemoryStore) Book(_ context.Context, biz tenant.ID, slot Slot, b Booking) error {
	if biz == "" {
		return errors.New("booking: no business")
	}
	k := string(biz) + "#" + dayKey(slot.Start)
	m.mu.Lock()
	defer m.mu.Unlock()
	day := m.slots[k]
	if day == nil {
		day = map[time.Time]Booking{}
		m.slots[k] = day
	}
	start := slot.Start.UTC()
	if _, ok := day[start]; ok {
		return ErrSlotTaken
	}
	day[start] = b
	return nil
}

// Taken implements Store.
func (m *MemoryStore) Taken(_ context.Context, biz tenant.ID, day time.Time) (map[time.Time]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[time.Time]bool{}
	for start := range m.slots[string(biz)+"#"+dayKey(day)] {
		out[start] = true
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// DynamoDB

// DynamoAPI is the part of the DynamoDB client DynamoStore uses.
type DynamoAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DynamoStore keeps bookings in the single table (the sessions table's
// schema, pk/sk): one item per booked slot, pk
// "BIZ#<biz>#SLOTS#<yyyy-mm-dd in the business's zone>", sk the slot start
// in RFC 3339 UTC. Book is a PutItem conditional on attribute_not_exists(pk),
// so a slot is booked at most once whatever the concurrency.
type DynamoStore struct {
	client DynamoAPI
	table  string
}

// NewDynamoStore returns a DynamoStore on table.
func NewDynamoStore(client DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{client: client, table: table}
}

// SlotsPK is the partition key of biz's slots on day's date (in day's
// location).
func SlotsPK(biz tenant.ID, day time.Time) string {
	return "BIZ#" + string(biz) + "#SLOTS#" + dayKey(day)
}

// SlotSK is the sort key of a slot starting at start.
func SlotSK(start time.Time) string { return start.UTC().Format(time.RFC3339) }

// Book implements Store.
func (d *DynamoStore) Book(ctx context.Context, biz tenant.ID, slot Slot, b Booking) error {
	if biz == "" {
		return errors.New("booking: no business")
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{
		"pk":         s(SlotsPK(biz, slot.Start)),
		"sk":         s(SlotSK(slot.Start)),
		"businessId": s(string(biz)),
		"start":      s(slot.Start.Format(time.RFC3339)),
		"end":        s(slot.End.Format(time.RFC3339)),
	}
	for k, v := range map[string]string{"sessionId": b.SessionID, "name": b.Name, "phone": b.Phone, "email": b.Email, "service": b.Service} {
		if v != "" {
			item[k] = s(v)
		}
	}
	if !b.CreatedAt.IsZero() {
		item["createdAt"] = s(b.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(d.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	var cfe *types.ConditionalCheckFailedException
	if errors.As(err, &cfe) {
		return ErrSlotTaken
	}
	if err != nil {
		return fmt.Errorf("booking: book %s %s: %w", biz, SlotSK(slot.Start), err)
	}
	return nil
}

// Taken implements Store.
func (d *DynamoStore) Taken(ctx context.Context, biz tenant.ID, day time.Time) (map[time.Time]bool, error) {
	out := map[time.Time]bool{}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: SlotsPK(biz, day)}},
		ProjectionExpression:      aws.String("sk, businessId"),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		res, err := d.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("booking: taken %s %s: %w", biz, dayKey(day), err)
		}
		for _, it := range res.Items {
			sk, _ := it["sk"].(*types.AttributeValueMemberS)
			owner, _ := it["businessId"].(*types.AttributeValueMemberS)
			if sk == nil || owner == nil || owner.Value != string(biz) {
				continue
			}
			t, err := time.Parse(time.RFC3339, sk.Value)
			if err != nil {
				continue
			}
			out[t.UTC()] = true
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// BookedBy returns the session that booked slot, if it is booked: a turn
// that is re-run (after a concurrent write) can then tell its own booking
// from someone else's.
func (m *MemoryStore) BookedBy(_ context.Context, biz tenant.ID, slot Slot) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.slots[string(biz)+"#"+dayKey(slot.Start)][slot.Start.UTC()]
	return b.SessionID, ok, nil
}

// BookedBy returns the session that booked slot, if it is booked (one
// consistent read of the slot's item).
func (d *DynamoStore) BookedBy(ctx context.Context, biz tenant.ID, slot Slot) (string, bool, error) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	res, err := d.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("pk = :pk AND sk = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(SlotsPK(biz, slot.Start)), ":sk": s(SlotSK(slot.Start))},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return "", false, fmt.Errorf("booking: booked by %s %s: %w", biz, SlotSK(slot.Start), err)
	}
	for _, it := range res.Items {
		if owner, _ := it["businessId"].(*types.AttributeValueMemberS); owner == nil || owner.Value != string(biz) {
			continue
		}
		sid, _ := it["sessionId"].(*types.AttributeValueMemberS)
		if sid == nil {
			return "", true, nil
		}
		return sid.Value, true, nil
	}
	return "", false, nil
}
