package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/tenant"
)

// DynamoAPI is the part of the DynamoDB client DynamoStore uses;
// *dynamodb.Client implements it.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DynamoStore keeps sessions in one DynamoDB table:
//
//	pk        S  "BIZ#<businessId>#SESSION#<sessionId>"   (partition key)
//	sk        S  "SESSION"                                (sort key)
//	gsi1pk    S  "CONN#<connectionId>", only while the session has a connection;
//	             partition key of the GSI "byConnection" (projection ALL)
//	expiresAt N  Unix seconds of Session.ExpiresAt, the table's TTL attribute; absent when zero
//	version   N  Session.Version, the optimistic-concurrency check
//	...          every other Session field under its dynamodbav name
//	             (times as RFC 3339 strings with nanoseconds)
//
// A turn costs one Query (ByConnection) and one PutItem (Save).
type DynamoStore struct {
	client DynamoAPI
	table  string
}

var _ Store = (*DynamoStore)(nil)

// byConnectionLimit bounds ByConnection's query. A connection id belongs to
// one session, apart from stale ones (a phone leg that moved on, a session
// that was not unbound at its end); more than this many is not expected.
const byConnectionLimit = 8

// NewDynamoStore returns a store on the named table; CreateTable describes
// its schema.
func NewDynamoStore(client DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{client: client, table: table}
}

func (d *DynamoStore) key(biz tenant.ID, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: sessionPK(biz, id)},
		attrSK: &types.AttributeValueMemberS{Value: skSession},
	}
}

// Create stores a new session with PutItem if no item has its key; see Store.
func (d *DynamoStore) Create(ctx context.Context, s *Session) error {
	if s.Version != 0 {
		return fmt.Errorf("session store: create %s/%s: version is %d, want 0 for a new session", s.BusinessID, s.ID, s.Version)
	}
	item, err := d.item(s, 1)
	if err != nil {
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, err)
	}
	_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(d.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if err != nil {
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			err = ErrExists
		}
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, err)
	}
	s.Version = 1
	return nil
}

// Get reads the business's session with a strongly consistent GetItem.
func (d *DynamoStore) Get(ctx context.Context, biz tenant.ID, id string) (*Session, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, err)
	}
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            d.key(biz, id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, ErrNotFound)
	}
	s, err := unmarshalItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, err)
	}
	// Defence in depth: the key already names the business, but never hand
	// out a session of a business other than the one asked for.
	if s.BusinessID != biz || s.ID != id {
		return nil, fmt.Errorf("session store: get %s/%s: stored item is %s/%s: %w", biz, id, s.BusinessID, s.ID, ErrNotFound)
	}
	return s, nil
}

// ByConnection finds the session bound to connectionID with one Query on
// the byConnection index. The index is eventually consistent, so the result
// may lag a Save by a moment; Save's version check catches that. If several
// sessions carry the connection id (stale ones), the most recently updated
// is returned.
func (d *DynamoStore) ByConnection(ctx context.Context, connectionID string) (*Session, error) {
	if connectionID == "" {
		return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, ErrNotFound)
	}
	out, err := d.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		IndexName:                aws.String(IndexByConnection),
		KeyConditionExpression:   aws.String("#g = :c"),
		ExpressionAttributeNames: map[string]string{"#g": attrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": &types.AttributeValueMemberS{Value: connectionPK(connectionID)},
		},
		Limit: aws.Int32(byConnectionLimit),
	})
	if err != nil {
		return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, err)
	}
	var best *Session
	for _, item := range out.Items {
		s, err := unmarshalItem(item)
		if err != nil {
			return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, err)
		}
		if s.ConnectionID != connectionID {
			continue // cannot happen with gsi1pk written by marshalItem
		}
		if best == nil || newer(s, best) {
			best = s
		}
	}
	if best == nil {
		return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, ErrNotFound)
	}
	return best, nil
}

// Save replaces the whole item with one PutItem conditional on the stored
// version being s.Version; see Store. Saving a session that does not exist
// returns ErrNotFound.
func (d *DynamoStore) Save(ctx context.Context, s *Session) error {
	next := s.Version + 1
	item, err := d.item(s, next)
	if err != nil {
		return fmt.Errorf("session store: save %s/%s: %w", s.BusinessID, s.ID, err)
	}
	_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(d.table),
		Item:                     item,
		ConditionExpression:      aws.String("#v = :expected"),
		ExpressionAttributeNames: map[string]string{"#v": attrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":expected": &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)},
		},
		// On a failed check, DynamoDB returns the stored item (no extra
		// request), which tells a conflict from a missing session.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			if len(ccf.Item) == 0 {
				return fmt.Errorf("session store: save %s/%s: %w", s.BusinessID, s.ID, ErrNotFound)
			}
			stored := "?"
			if v, ok := ccf.Item[attrVersion].(*types.AttributeValueMemberN); ok {
				stored = v.Value
			}
			return fmt.Errorf("session store: save %s/%s at version %d (stored: %s): %w",
				s.BusinessID, s.ID, s.Version, stored, ErrConflict)
		}
		return fmt.Errorf("session store: save %s/%s: %w", s.BusinessID, s.ID, err)
	}
	s.Version = next
	return nil
}

// item validates s and returns its stored form at version.
func (d *DynamoStore) item(s *Session, version int64) (map[string]types.AttributeValue, error) {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return nil, err
	}
	item, err := marshalItem(s, version)
	if err != nil {
		return nil, err
	}
	if err := checkSize(s, item); err != nil {
		return nil, err
	}
	return item, nil
}

// TableAPI is the part of the DynamoDB client CreateTable uses;
// *dynamodb.Client implements it.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// CreateTable creates a sessions table with DynamoStore's schema (the one
// template.yaml declares), waits until it is ACTIVE and enables TTL on
// expiresAt. It is for tests and local runs; AWS stacks get the table from
// template.yaml.
func CreateTable(ctx context.Context, client TableAPI, name string) error {
	s := func(v string) *string { return aws.String(v) }
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   s(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: s(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(attrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(attrGSI1PK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: s(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: s(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  s(IndexByConnection),
			KeySchema:  []types.KeySchemaElement{{AttributeName: s(attrGSI1PK), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		return fmt.Errorf("session store: create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: s(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("session store: create table %s: wait for ACTIVE: %w", name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: s(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: s(attrExpiresAt),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("session store: create table %s: enable TTL on %s: %w", name, attrExpiresAt, err)
	}
	return nil
}

// PutItem stores an item exactly as given, unconditionally, after checking
// that it decodes as a session: for restoring items, and for tests that
// need an item in a previous version's shape. Reads decode it like any
// stored item.
func (d *DynamoStore) PutItem(ctx context.Context, item map[string]types.AttributeValue) error {
	if _, err := unmarshalItem(item); err != nil {
		return fmt.Errorf("session store: put item: %w", err)
	}
	if _, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item}); err != nil {
		return fmt.Errorf("session store: put item: %w", err)
	}
	return nil
}
