package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// DynamoStore keeps sessions in one DynamoDB table. A session's partition
// holds up to three kinds of items:
//
//	pk "BIZ#<businessId>#SESSION#<sessionId>" and
//	sk "SESSION"    the session: every Session field under its dynamodbav
//	                name (times as RFC 3339 strings with nanoseconds), its
//	                inline turns (all of a short conversation's; at most
//	                2×RecentTurns / 2×RecentChars, see storedForm) and, in
//	                earlier, a summary of the others, plus
//	                gsi1pk    S "CONN#<connectionId>" while it has a connection:
//	                          the key of the GSI "byConnection" (projection ALL)
//	                expiresAt N Unix seconds of Session.ExpiresAt (the TTL)
//	                version   N the optimistic-concurrency check
//	sk "TURN#<seq, 8 digits>"  a turn moved out of the session item (seq,
//	                role, text, at, tool, interrupted), written once, in the
//	                save that moved it; expiresAt is the session's plus
//	                TurnGrace
//	sk "INTERRUPT"  the last interrupt mark (at, heard), with the session's
//	                gsi1pk so the turn's one read finds it too; pending until
//	                the session's state.engine.markDone reaches its at
//
// A turn costs one Query (ByConnection: the session and its mark) and one
// write (Save): a PutItem, or, once in many turns of a long conversation,
// a TransactWriteItems that also moves older turns out. Neither grows with
// the conversation.
type DynamoStore struct {
	client DynamoAPI
	table  string
}

var (
	_ Store      = (*DynamoStore)(nil)
	_ IdleLister = (*DynamoStore)(nil)
)

// byConnectionLimit bounds ByConnection's query. A connection id belongs to
// one session (and its mark), apart from stale ones (a phone leg that moved
// on, a session that was not unbound at its end); more is not expected.
const byConnectionLimit = 8

// NewDynamoStore returns a store on the named table; CreateTable describes
// its schema.
func NewDynamoStore(client DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{client: client, table: table}
}

func (d *DynamoStore) key(biz tenant.ID, id, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: sessionPK(biz, id)},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// Create stores a new session if no item has its key; see Store.
func (d *DynamoStore) Create(ctx context.Context, s *Session) error {
	if s.Version != 0 {
		return fmt.Errorf("session store: create %s/%s: version is %d, want 0 for a new session", s.BusinessID, s.ID, s.Version)
	}
	if err := d.write(ctx, s, 1, "attribute_not_exists(#pk)", map[string]string{"#pk": attrPK}, nil); err != nil {
		if errors.Is(err, errCondition) {
			err = ErrExists
		}
		return fmt.Errorf("session store: create %s/%s: %w", s.BusinessID, s.ID, err)
	}
	return nil
}

// Get reads the business's session and its mark with one strongly
// consistent Query of the range [INTERRUPT, SESSION] of its partition.
func (d *DynamoStore) Get(ctx context.Context, biz tenant.ID, id string) (*Session, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, err)
	}
	out, err := d.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :mark AND :session"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":      &types.AttributeValueMemberS{Value: sessionPK(biz, id)},
			":mark":    &types.AttributeValueMemberS{Value: skInterrupt},
			":session": &types.AttributeValueMemberS{Value: skSession},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("session store: get %s/%s: %w", biz, id, err)
	}
	s, err := sessionFrom(out.Items, func(pk string) bool { return pk == sessionPK(biz, id) })
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

// sessionFrom picks, among a read's items, the most recently updated
// session whose key ok accepts, with its mark; ErrNotFound when there is
// none.
func sessionFrom(items []map[string]types.AttributeValue, ok func(pk string) bool) (*Session, error) {
	var best *Session
	marks := map[string]map[string]types.AttributeValue{}
	for _, item := range items {
		if !ok(pkOf(item)) {
			continue
		}
		switch skOf(item) {
		case skInterrupt:
			marks[pkOf(item)] = item
		case skSession:
			s, err := unmarshalItem(item)
			if err != nil {
				return nil, err
			}
			if best == nil || newer(s, best) {
				best = s
			}
		}
	}
	if best == nil {
		return nil, ErrNotFound
	}
	if item := marks[sessionPK(best.BusinessID, best.ID)]; item != nil {
		var m Interrupt
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			return nil, fmt.Errorf("unmarshal interrupt mark: %w", err)
		}
		best.withMark(&m)
	}
	return best, nil
}

// ByConnection finds the session bound to connectionID, and its mark, with
// one Query on the byConnection index. The index is eventually consistent,
// so the result may lag a Save by a moment; Save's version check catches
// that. If several sessions carry the connection id (stale ones), the most
// recently updated is returned.
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
	s, err := sessionFrom(out.Items, func(string) bool { return true })
	if err == nil && s.ConnectionID != connectionID {
		err = ErrNotFound // cannot happen with gsi1pk written by marshalItem
	}
	if err != nil {
		return nil, fmt.Errorf("session store: by connection %q: %w", connectionID, err)
	}
	return s, nil
}

// Save writes s if the stored version is still s.Version; see Store. The
// session item, the turns appended or edited since the read, and the mark
// go in one conditional write. Saving a session that does not exist
// returns ErrNotFound.
func (d *DynamoStore) Save(ctx context.Context, s *Session) error {
	err := d.write(ctx, s, s.Version+1, "#v = :expected", map[string]string{"#v": attrVersion},
		map[string]types.AttributeValue{":expected": &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)}})
	if err != nil {
		return fmt.Errorf("session store: save %s/%s: %w", s.BusinessID, s.ID, err)
	}
	return nil
}

// errCondition: the session item's condition failed on an item that
// exists (Create: it exists; Save: another version is stored).
var errCondition = errors.New("condition failed")

// write stores s at version under cond on the session item: one PutItem,
// or, when the save moves older turns out (or writes a mark), one
// TransactWriteItems with their items. On success s looks as a read would
// return it.
func (d *DynamoStore) write(ctx context.Context, s *Session, version int64, cond string, names map[string]string, values map[string]types.AttributeValue) error {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return err
	}
	w, evicted := s.storedForm()
	item, err := marshalItem(w, version)
	if err != nil {
		return err
	}
	if err := checkSize(w, item); err != nil {
		return err
	}
	put := &types.Put{
		TableName: aws.String(d.table), Item: item,
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		// On a failed check, DynamoDB returns the stored item (no extra
		// request), which tells a conflict from a missing session.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	var others []types.TransactWriteItem
	for _, t := range evicted {
		ti, err := turnItem(s, t)
		if err != nil {
			return err
		}
		others = append(others, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(d.table), Item: ti}})
	}
	if s.markPending() {
		mi, err := markItem(s, s.State.Engine.Interrupt)
		if err != nil {
			return err
		}
		others = append(others, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(d.table), Item: mi}})
	}
	if len(others) == 0 {
		_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return conditionError(s, ccf.Item)
		}
	} else {
		_, err = d.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
			TransactItems: append([]types.TransactWriteItem{{Put: put}}, others...),
		})
		if tce, ok := errors.AsType[*types.TransactionCanceledException](err); ok {
			return cancelError(s, tce)
		}
	}
	if err != nil {
		return err
	}
	s.saved(w, version)
	return nil
}

// conditionError explains a failed condition on the session item: old is
// the stored item DynamoDB returned (none: the session does not exist).
func conditionError(s *Session, old map[string]types.AttributeValue) error {
	if len(old) == 0 {
		return ErrNotFound
	}
	stored := "?"
	if v, ok := old[attrVersion].(*types.AttributeValueMemberN); ok {
		stored = v.Value
	}
	return fmt.Errorf("%w at version %d (stored: %s): %w", errCondition, s.Version, stored, ErrConflict)
}

// cancelError explains a cancelled TransactWriteItems: the session item's
// condition (conditionError) or a concurrent transaction on one of its
// items, both of which a re-read and retry resolves.
func cancelError(s *Session, tce *types.TransactionCanceledException) error {
	for i, r := range tce.CancellationReasons {
		code := aws.ToString(r.Code)
		switch {
		case i == 0 && code == "ConditionalCheckFailed":
			return conditionError(s, r.Item)
		case code == "TransactionConflict":
			return fmt.Errorf("a concurrent write to the session: %w", ErrConflict)
		}
	}
	return tce
}

// Interrupt stores m as the session's pending mark, replacing any other,
// with one small PutItem: the session item is not written.
func (d *DynamoStore) Interrupt(ctx context.Context, s *Session, m Interrupt) error {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return fmt.Errorf("session store: interrupt %s/%s: %w", s.BusinessID, s.ID, err)
	}
	item, err := markItem(s, &m)
	if err == nil {
		_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	}
	if err != nil {
		return fmt.Errorf("session store: interrupt %s/%s: %w", s.BusinessID, s.ID, err)
	}
	return nil
}

// LastInterrupt reads the session's last mark (nil: none) with one
// consistent GetItem of the small mark item.
func (d *DynamoStore) LastInterrupt(ctx context.Context, biz tenant.ID, id string) (*Interrupt, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: last interrupt %s/%s: %w", biz, id, err)
	}
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(d.table), Key: d.key(biz, id, skInterrupt), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("session store: last interrupt %s/%s: %w", biz, id, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	var m Interrupt
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		return nil, fmt.Errorf("session store: last interrupt %s/%s: %w", biz, id, err)
	}
	return &m, nil
}

// EarlierTurns reads the turns moved out of the session item, oldest
// first: a consistent Query of its partition's TURN# range, page by page.
func (d *DynamoStore) EarlierTurns(ctx context.Context, biz tenant.ID, id string) ([]Turn, error) {
	if err := checkKey(biz, id); err != nil {
		return nil, fmt.Errorf("session store: earlier turns %s/%s: %w", biz, id, err)
	}
	p := dynamodb.NewQueryPaginator(d.client, &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :turn)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   &types.AttributeValueMemberS{Value: sessionPK(biz, id)},
			":turn": &types.AttributeValueMemberS{Value: skTurnPrefix},
		},
		ConsistentRead: aws.Bool(true),
	})
	var turns []Turn
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("session store: earlier turns %s/%s: %w", biz, id, err)
		}
		for _, item := range page.Items {
			var t Turn
			if err := attributevalue.UnmarshalMap(item, &t); err != nil {
				return nil, fmt.Errorf("session store: earlier turns %s/%s: %s: %w", biz, id, skOf(item), err)
			}
			turns = append(turns, t)
		}
	}
	return turns, nil
}

// Idle queries one shard of the sparse index byIdle (KEYS_ONLY) for the
// active sessions due before before; see IdleLister. The index is
// eventually consistent: a session saved a moment ago may still show its
// previous IdleAt, so the caller re-checks before ending one.
func (d *DynamoStore) Idle(ctx context.Context, shard int, before time.Time, limit int) ([]IdleRef, error) {
	if shard < 0 || shard >= IdleShards {
		return nil, fmt.Errorf("session store: idle: shard %d out of 0..%d", shard, IdleShards-1)
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		IndexName:                aws.String(IndexByIdle),
		KeyConditionExpression:   aws.String("#p = :p AND #s < :before"),
		ExpressionAttributeNames: map[string]string{"#p": attrIdlePK, "#s": attrIdleSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p":      &types.AttributeValueMemberS{Value: idleShardKey(shard)},
			":before": &types.AttributeValueMemberS{Value: idleKey(before)},
		},
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var refs []IdleRef
	p := dynamodb.NewQueryPaginator(d.client, in)
	for p.HasMorePages() && (limit <= 0 || len(refs) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("session store: idle shard %d: %w", shard, err)
		}
		for _, item := range page.Items {
			biz, id, ok := splitSessionPK(pkOf(item))
			if !ok || skOf(item) != skSession {
				continue
			}
			ref := IdleRef{BusinessID: biz, ID: id}
			if v, ok := item[attrIdleSK].(*types.AttributeValueMemberS); ok {
				ref.IdleAt, _ = time.Parse(time.RFC3339Nano, v.Value)
			}
			refs = append(refs, ref)
			if limit > 0 && len(refs) == limit {
				break
			}
		}
	}
	return refs, nil
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
			{AttributeName: s(attrIdlePK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(attrIdleSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: s(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: s(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  s(IndexByConnection),
			KeySchema:  []types.KeySchemaElement{{AttributeName: s(attrGSI1PK), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}, {
			IndexName: s(IndexByIdle),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s(attrIdlePK), KeyType: types.KeyTypeHash},
				{AttributeName: s(attrIdleSK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
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
