package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/transcript"
)

// DynamoAPI is the part of the DynamoDB client DynamoRecords uses;
// *dynamodb.Client implements it.
type DynamoAPI interface {
	session.DynamoAPI // GetItem, PutItem, Query, TransactWriteItems
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoRecords keeps the pipeline's records in the sessions' single table
// (pk/sk strings; none of these items has gsi1pk, so they stay out of the
// byConnection index; only email-summary's retention wrapper gives
// transcripts an expiresAt):
//
//	transcript   pk "BIZ#<biz>#TRANSCRIPTS"       sk "<endedAt>#<sessionId>"
//	             endedAt in UTC, RFC 3339 with nine fractional digits, so a
//	             business's transcripts sort by end time and "since" is one
//	             Query (sk >= since). Attributes: every transcript.Transcript
//	             field under its dynamodbav name (businessId, sessionId,
//	             channel, callSid, status, endReason, startedAt, endedAt,
//	             caller{name,phone,email,reason}, callbackPhone,
//	             phoneFromCallerId, turns[{at,role,text,tool,interrupted}],
//	             booking{start,service}), summary, summarySource, storedAt.
//	             Written once (attribute_not_exists). A transcript larger
//	             than maxTranscriptItemBytes (DynamoDB refuses items over
//	             400 KB) is split: its item has every attribute but turns,
//	             plus parts (N, how many part items hold the turns).
//	part         pk "BIZ#<biz>#TRANSCRIPT#<sessionId>" sk "PART#<nnnn>"
//	             (four digits from 0000) businessId, sessionId, turns: a
//	             contiguous run of a split transcript's turns, in order,
//	             each item under maxTranscriptItemBytes. Outside the
//	             TRANSCRIPTS partition, so listing never reads them. Written
//	             unconditionally before the transcript item, whose
//	             conditional put commits them (a racing duplicate delivery
//	             writes the same turns).
//	email claim  pk "BIZ#<biz>#EMAIL#<sessionId>"  sk "EMAIL" (the business's
//	             summary) | "EMAIL#CALLER" (the caller's copy)
//	             businessId, sessionId, kind, state (in_progress | sent |
//	             failed | dead), owner, leaseUntil (N, Unix ms), attempts (N),
//	             providerId, lastError, transcriptKey, updatedAt, sentAt
//	dead letter  pk "BIZ#<biz>#DEADLETTER"         sk "<sessionId>"
//	             businessId, sessionId, transcriptKey, emails (SS of kinds),
//	             attempts, lastError, reason, failedAt
//
// Times other than leaseUntil are RFC 3339 strings, as in session items.
type DynamoRecords struct {
	client DynamoAPI
	table  string
}

var _ Records = (*DynamoRecords)(nil)

// NewDynamoRecords returns the records of the named table (the sessions
// table; session.CreateTable creates it for tests and local runs).
func NewDynamoRecords(client DynamoAPI, table string) *DynamoRecords {
	return &DynamoRecords{client: client, table: table}
}

// Attribute names and key values.
const (
	attrPK = "pk"
	attrSK = "sk"

	skEmailBusiness = "EMAIL"
	skEmailCaller   = "EMAIL#CALLER"

	attrTurns = "turns"
	attrParts = "parts"
)

// maxTranscriptItemBytes bounds a transcript item and each of its part
// items, well under DynamoDB's 400 KB, as measured by jsonSize.
const maxTranscriptItemBytes = 300 * 1024

func transcriptsPK(biz tenant.ID) string { return "BIZ#" + string(biz) + "#TRANSCRIPTS" }

// partsPK is the partition of a split transcript's part items.
func partsPK(biz tenant.ID, sessionID string) string {
	return "BIZ#" + string(biz) + "#TRANSCRIPT#" + sessionID
}

func partSK(i int) string { return fmt.Sprintf("PART#%04d", i) }

func claimPK(biz tenant.ID, sessionID string) string {
	return "BIZ#" + string(biz) + "#EMAIL#" + sessionID
}

func claimSK(kind EmailKind) string {
	if kind == EmailCaller {
		return skEmailCaller
	}
	return skEmailBusiness
}

func deadLettersPK(biz tenant.ID) string { return "BIZ#" + string(biz) + "#DEADLETTER" }

func strAV(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func numAV(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func timeAV(t time.Time) types.AttributeValue { return strAV(t.UTC().Format(time.RFC3339Nano)) }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: strAV(pk), attrSK: strAV(sk)}
}

func (d *DynamoRecords) claimKey(k ClaimKey) map[string]types.AttributeValue {
	return key(claimPK(k.Business, k.Session), claimSK(k.Kind))
}

func isConditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	return errors.AsType[*types.ConditionalCheckFailedException](err)
}

var recordEncoder = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) {
	o.OmitEmptyTime = true
})

// encodeItem encodes v (a struct) as the attributes of an item with key
// pk, sk.
func encodeItem(v any, pk, sk string) (map[string]types.AttributeValue, error) {
	av, err := recordEncoder.Encode(v)
	if err != nil {
		return nil, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, fmt.Errorf("encoded %T, want a map", av)
	}
	m.Value[attrPK], m.Value[attrSK] = strAV(pk), strAV(sk)
	return m.Value, nil
}

// jsonSize is the length of v as JSON. For a Record or its turns it is
// never less than the size DynamoDB counts for their item or attribute
// (the same names and values, plus quotes and punctuation), so sizes
// below maxTranscriptItemBytes are safe.
func jsonSize(v any) (int, error) {
	b, err := json.Marshal(v)
	return len(b), err
}

// partItem is a stored part of a split transcript.
type partItem struct {
	BusinessID tenant.ID         `dynamodbav:"businessId"`
	SessionID  string            `dynamodbav:"sessionId"`
	Turns      []transcript.Turn `dynamodbav:"turns"`
}

// splitTurns cuts turns into contiguous runs of at most budget bytes each
// (a turn larger than budget alone is a run of its own).
func splitTurns(turns []transcript.Turn, budget int) ([][]transcript.Turn, error) {
	var runs [][]transcript.Turn
	start, size := 0, 0
	for i, t := range turns {
		n, err := jsonSize(t)
		if err != nil {
			return nil, fmt.Errorf("measure turn %d: %w", i, err)
		}
		n++ // DynamoDB counts a byte per list element
		if i > start && size+n > budget {
			runs = append(runs, turns[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(turns) {
		runs = append(runs, turns[start:])
	}
	return runs, nil
}

// transcriptParts returns the part items r's turns are stored in: none
// when r fits in one item.
func transcriptParts(r *Record) ([]map[string]types.AttributeValue, error) {
	size, err := jsonSize(r)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	if size+len(transcriptsPK(r.BusinessID))+len(r.Key())+4 <= maxTranscriptItemBytes || len(r.Turns) == 0 {
		return nil, nil
	}
	pk := partsPK(r.BusinessID, r.SessionID)
	// Room for a part's other attributes: their names, the key and the ids.
	fixed := len(pk) + len(r.BusinessID) + len(r.SessionID) + 64
	runs, err := splitTurns(r.Turns, maxTranscriptItemBytes-fixed)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]types.AttributeValue, len(runs))
	for i, turns := range runs {
		items[i], err = encodeItem(partItem{BusinessID: r.BusinessID, SessionID: r.SessionID, Turns: turns}, pk, partSK(i))
		if err != nil {
			return nil, fmt.Errorf("encode part %d: %w", i, err)
		}
	}
	return items, nil
}

// PutTranscript writes r if no transcript has its key; see Records. A
// transcript too large for one item has its turns written first, in part
// items, then its item without them (the commit: until it exists, the
// parts are not read, and a retry writes them again).
func (d *DynamoRecords) PutTranscript(ctx context.Context, r *Record) (bool, error) {
	if err := checkBusiness(r.BusinessID); err != nil {
		return false, fmt.Errorf("delivery records: put transcript: %w", err)
	}
	if r.SessionID == "" || r.EndedAt.IsZero() {
		return false, fmt.Errorf("delivery records: put transcript %s/%q: session id and end time are required", r.BusinessID, r.SessionID)
	}
	item, err := encodeItem(r, transcriptsPK(r.BusinessID), r.Key())
	if err != nil {
		return false, fmt.Errorf("delivery records: put transcript %s/%s: %w", r.BusinessID, r.SessionID, err)
	}
	parts, err := transcriptParts(r)
	if err != nil {
		return false, fmt.Errorf("delivery records: put transcript %s/%s: %w", r.BusinessID, r.SessionID, err)
	}
	for i, part := range parts {
		if _, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: part}); err != nil {
			return false, fmt.Errorf("delivery records: put transcript %s/%s: part %d of %d: %w", r.BusinessID, r.SessionID, i, len(parts), err)
		}
	}
	if len(parts) > 0 {
		delete(item, attrTurns)
		item[attrParts] = numAV(int64(len(parts)))
	}
	_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(d.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delivery records: put transcript %s/%s: %w", r.BusinessID, r.SessionID, err)
	}
	return true, nil
}

func decodeRecord(biz tenant.ID, item map[string]types.AttributeValue) (*Record, error) {
	var r Record
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return nil, fmt.Errorf("decode transcript: %w", err)
	}
	if r.BusinessID != biz {
		// Defence in depth: the key names the business already.
		return nil, fmt.Errorf("stored transcript holds business %q, want %q", r.BusinessID, biz)
	}
	return &r, nil
}

// readParts sets the turns of r, decoded from item, from its part items
// when it is split (item has parts): one consistent Query of the parts'
// partition, in order. A missing part is an error.
func (d *DynamoRecords) readParts(ctx context.Context, r *Record, item map[string]types.AttributeValue) error {
	av, ok := item[attrParts]
	if !ok {
		return nil
	}
	var n int
	if err := attributevalue.Unmarshal(av, &n); err != nil {
		return fmt.Errorf("decode transcript parts: %w", err)
	}
	if n <= 0 {
		return fmt.Errorf("transcript item has %d parts", n)
	}
	pk := partsPK(r.BusinessID, r.SessionID)
	p := dynamodb.NewQueryPaginator(d.client, &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :first AND :last"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": strAV(pk), ":first": strAV(partSK(0)), ":last": strAV(partSK(n - 1)),
		},
		ConsistentRead:   aws.Bool(true),
		ScanIndexForward: aws.Bool(true),
	})
	missing := func(i int) error {
		return fmt.Errorf("transcript part %s of %d missing (pk %s)", partSK(i), n, pk)
	}
	r.Turns = nil
	next := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read transcript parts: %w", err)
		}
		for _, it := range page.Items {
			if sk, _ := it[attrSK].(*types.AttributeValueMemberS); sk == nil || sk.Value != partSK(next) {
				return missing(next)
			}
			var pi partItem
			if err := attributevalue.UnmarshalMap(it, &pi); err != nil {
				return fmt.Errorf("decode transcript part %d: %w", next, err)
			}
			if pi.BusinessID != r.BusinessID || pi.SessionID != r.SessionID {
				return fmt.Errorf("transcript part %d holds business %q session %q, want %q %q", next, pi.BusinessID, pi.SessionID, r.BusinessID, r.SessionID)
			}
			r.Turns = append(r.Turns, pi.Turns...)
			next++
		}
	}
	if next < n {
		return missing(next)
	}
	return nil
}

// Transcript reads a transcript by key with a consistent GetItem (and its
// parts, if it is split).
func (d *DynamoRecords) Transcript(ctx context.Context, biz tenant.ID, k string) (*Record, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: transcript: %w", err)
	}
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(d.table), Key: key(transcriptsPK(biz), k), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("delivery records: transcript %s/%s: %w", biz, k, err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("delivery records: transcript %s/%s: %w", biz, k, ErrNotFound)
	}
	r, err := decodeRecord(biz, out.Item)
	if err == nil {
		err = d.readParts(ctx, r, out.Item)
	}
	if err != nil {
		return nil, fmt.Errorf("delivery records: transcript %s/%s: %w", biz, k, err)
	}
	return r, nil
}

// FindTranscript queries the business's transcripts newest first, filtered
// on sessionId, page by page until it is found (then reads its parts, if
// it is split).
func (d *DynamoRecords) FindTranscript(ctx context.Context, biz tenant.ID, sessionID string) (*Record, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: find transcript: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		KeyConditionExpression:   aws.String("#pk = :pk"),
		FilterExpression:         aws.String("#sid = :sid"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sid": "sessionId"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": strAV(transcriptsPK(biz)), ":sid": strAV(sessionID),
		},
		ScanIndexForward: aws.Bool(false),
	}
	p := dynamodb.NewQueryPaginator(d.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("delivery records: find transcript %s/%s: %w", biz, sessionID, err)
		}
		for _, item := range out.Items {
			r, err := decodeRecord(biz, item)
			if err == nil && r.SessionID != sessionID {
				continue
			}
			if err == nil {
				err = d.readParts(ctx, r, item)
			}
			if err != nil {
				return nil, fmt.Errorf("delivery records: find transcript %s/%s: %w", biz, sessionID, err)
			}
			return r, nil
		}
	}
	return nil, fmt.Errorf("delivery records: find transcript %s/%s: %w", biz, sessionID, ErrNotFound)
}

// listAttrs are the attributes ListTranscripts reads: everything but turns.
var listAttrs = []string{
	"businessId", "sessionId", "channel", "callSid", "status", "endReason", "startedAt", "endedAt",
	"caller", "callbackPhone", "phoneFromCallerId", "summary", "summarySource", "storedAt",
}

// ListTranscripts is one Query (paged) on the business's transcripts
// partition with sk >= since, newest first, turns not read.
func (d *DynamoRecords) ListTranscripts(ctx context.Context, biz tenant.ID, since time.Time, limit int) ([]*Record, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: list transcripts: %w", err)
	}
	names := map[string]string{"#pk": attrPK, "#sk": attrSK}
	proj := ""
	for i, a := range listAttrs {
		ph := fmt.Sprintf("#a%d", i)
		names[ph] = a
		if proj != "" {
			proj += ", "
		}
		proj += ph
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(d.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk >= :since"),
		ProjectionExpression:     aws.String(proj),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": strAV(transcriptsPK(biz)), ":since": strAV(SinceKey(since)),
		},
		ScanIndexForward: aws.Bool(false),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var out []*Record
	p := dynamodb.NewQueryPaginator(d.client, in)
	for p.HasMorePages() && (limit <= 0 || len(out) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("delivery records: list transcripts %s: %w", biz, err)
		}
		for _, item := range page.Items {
			r, err := decodeRecord(biz, item)
			if err != nil {
				return nil, fmt.Errorf("delivery records: list transcripts %s: %w", biz, err)
			}
			out = append(out, r)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// claimItem is a stored claim.
type claimItem struct {
	BusinessID    tenant.ID  `dynamodbav:"businessId"`
	SessionID     string     `dynamodbav:"sessionId"`
	Kind          EmailKind  `dynamodbav:"kind"`
	State         ClaimState `dynamodbav:"state"`
	Owner         string     `dynamodbav:"owner"`
	LeaseUntil    int64      `dynamodbav:"leaseUntil"`
	Attempts      int        `dynamodbav:"attempts"`
	ProviderID    string     `dynamodbav:"providerId"`
	LastError     string     `dynamodbav:"lastError"`
	TranscriptKey string     `dynamodbav:"transcriptKey"`
	UpdatedAt     time.Time  `dynamodbav:"updatedAt"`
	SentAt        time.Time  `dynamodbav:"sentAt"`
}

func decodeClaim(k ClaimKey, item map[string]types.AttributeValue) (*Claim, error) {
	var ci claimItem
	if err := attributevalue.UnmarshalMap(item, &ci); err != nil {
		return nil, fmt.Errorf("decode claim %s: %w", k, err)
	}
	c := &Claim{
		ClaimKey: k, State: ci.State, Owner: ci.Owner, Attempts: ci.Attempts, ProviderID: ci.ProviderID,
		LastError: ci.LastError, TranscriptKey: ci.TranscriptKey, UpdatedAt: ci.UpdatedAt, SentAt: ci.SentAt,
	}
	if ci.LeaseUntil != 0 {
		c.LeaseUntil = time.UnixMilli(ci.LeaseUntil).UTC()
	}
	return c, nil
}

// claimNames are the attribute names of the claim expressions.
var claimNames = map[string]string{
	"#pk": attrPK, "#state": "state", "#owner": "owner", "#lease": "leaseUntil", "#attempts": "attempts",
	"#biz": "businessId", "#sid": "sessionId", "#kind": "kind", "#tkey": "transcriptKey", "#upd": "updatedAt",
	"#pid": "providerId", "#sent": "sentAt", "#err": "lastError",
}

// names returns the entries of claimNames an expression uses.
func names(keys ...string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = claimNames[k]
	}
	return m
}

// Claim is one conditional UpdateItem: it succeeds when the item does not
// exist, was released, or is in progress with an expired lease.
func (d *DynamoRecords) Claim(ctx context.Context, k ClaimKey, req ClaimRequest) (*Claim, bool, error) {
	if err := checkClaimKey(k); err != nil {
		return nil, false, fmt.Errorf("delivery records: claim: %w", err)
	}
	if req.Owner == "" {
		return nil, false, fmt.Errorf("delivery records: claim %s: empty owner", k)
	}
	set := "SET #state = :inp, #owner = :owner, #lease = :lease, #biz = :biz, #sid = :sid, #kind = :kind, #upd = :now"
	vals := map[string]types.AttributeValue{
		":inp": strAV(string(StateInProgress)), ":failed": strAV(string(StateFailed)), ":owner": strAV(req.Owner),
		":lease": numAV(req.LeaseUntil.UnixMilli()), ":nowms": numAV(req.Now.UnixMilli()), ":now": timeAV(req.Now),
		":biz": strAV(string(k.Business)), ":sid": strAV(k.Session), ":kind": strAV(string(k.Kind)), ":one": numAV(1),
	}
	nm := names("#pk", "#state", "#owner", "#lease", "#attempts", "#biz", "#sid", "#kind", "#upd")
	if req.TranscriptKey != "" {
		set += ", #tkey = :tkey"
		vals[":tkey"] = strAV(req.TranscriptKey)
		nm["#tkey"] = claimNames["#tkey"]
	}
	out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(d.table),
		Key:                                 d.claimKey(k),
		UpdateExpression:                    aws.String(set + " ADD #attempts :one"),
		ConditionExpression:                 aws.String("attribute_not_exists(#pk) OR #state = :failed OR (#state = :inp AND #lease < :nowms)"),
		ExpressionAttributeNames:            nm,
		ExpressionAttributeValues:           vals,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		c, err := decodeClaim(k, ccf.Item)
		if err != nil {
			return nil, false, fmt.Errorf("delivery records: claim: %w", err)
		}
		return c, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("delivery records: claim %s: %w", k, err)
	}
	c, err := decodeClaim(k, out.Attributes)
	if err != nil {
		return nil, false, fmt.Errorf("delivery records: claim: %w", err)
	}
	return c, true, nil
}

// ownerUpdate applies update to a claim the owner holds.
func (d *DynamoRecords) ownerUpdate(ctx context.Context, op string, k ClaimKey, owner, update string, nm map[string]string, vals map[string]types.AttributeValue) error {
	if err := checkClaimKey(k); err != nil {
		return fmt.Errorf("delivery records: %s: %w", op, err)
	}
	vals[":inp"], vals[":owner"] = strAV(string(StateInProgress)), strAV(owner)
	nm["#state"], nm["#owner"] = claimNames["#state"], claimNames["#owner"]
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(d.table),
		Key:                                 d.claimKey(k),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String("#state = :inp AND #owner = :owner"),
		ExpressionAttributeNames:            nm,
		ExpressionAttributeValues:           vals,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return fmt.Errorf("delivery records: %s %s: %w (stored: %s)", op, k, ErrLostClaim, describe(k, ccf.Item))
	}
	if err != nil {
		return fmt.Errorf("delivery records: %s %s: %w", op, k, err)
	}
	return nil
}

// describe summarizes a stored claim for an error message.
func describe(k ClaimKey, item map[string]types.AttributeValue) string {
	if len(item) == 0 {
		return "no claim"
	}
	c, err := decodeClaim(k, item)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("state %s, attempts %d", c.State, c.Attempts)
}

// MarkSent is a conditional UpdateItem on the owner; see Records.
func (d *DynamoRecords) MarkSent(ctx context.Context, k ClaimKey, owner, providerID string, now time.Time) error {
	return d.ownerUpdate(ctx, "mark sent", k, owner,
		"SET #state = :sent, #pid = :pid, #sent = :now, #upd = :now REMOVE #lease",
		names("#pid", "#sent", "#upd", "#lease"),
		map[string]types.AttributeValue{":sent": strAV(string(StateSent)), ":pid": strAV(providerID), ":now": timeAV(now)})
}

// Release is a conditional UpdateItem on the owner; see Records.
func (d *DynamoRecords) Release(ctx context.Context, k ClaimKey, owner, lastErr string, now time.Time) error {
	return d.ownerUpdate(ctx, "release", k, owner,
		"SET #state = :failed, #err = :err, #upd = :now REMOVE #lease, #owner",
		names("#err", "#upd", "#lease"),
		map[string]types.AttributeValue{":failed": strAV(string(StateFailed)), ":err": strAV(truncate(lastErr, maxErrorLen)), ":now": timeAV(now)})
}

// maxErrorLen bounds stored error text.
const maxErrorLen = 1000

// deadLetterUpdate is the UpdateItem that records dl, merging email kinds
// into an existing dead letter of the session.
func (d *DynamoRecords) deadLetterUpdate(dl *DeadLetter) (*types.Update, error) {
	if err := checkDeadLetter(dl); err != nil {
		return nil, err
	}
	kinds := make([]string, len(dl.Emails))
	for i, k := range dl.Emails {
		kinds[i] = string(k)
	}
	return &types.Update{
		TableName: aws.String(d.table),
		Key:       key(deadLettersPK(dl.BusinessID), dl.SessionID),
		UpdateExpression: aws.String("SET #biz = :biz, #sid = :sid, #tkey = :tkey, #attempts = :att, #err = :err, " +
			"#reason = :reason, #at = :at ADD #emails :emails"),
		ExpressionAttributeNames: map[string]string{
			"#biz": "businessId", "#sid": "sessionId", "#tkey": "transcriptKey", "#attempts": "attempts",
			"#err": "lastError", "#reason": "reason", "#at": "failedAt", "#emails": "emails",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":biz": strAV(string(dl.BusinessID)), ":sid": strAV(dl.SessionID), ":tkey": strAV(dl.TranscriptKey),
			":att": numAV(int64(dl.Attempts)), ":err": strAV(truncate(dl.LastError, maxErrorLen)), ":reason": strAV(dl.Reason),
			":at": timeAV(dl.FailedAt), ":emails": &types.AttributeValueMemberSS{Value: kinds},
		},
	}, nil
}

// Bury is one TransactWriteItems: the claim to dead (conditional on the
// owner) and the dead letter.
func (d *DynamoRecords) Bury(ctx context.Context, k ClaimKey, owner string, dl *DeadLetter) error {
	if err := checkClaimKey(k); err != nil {
		return fmt.Errorf("delivery records: bury: %w", err)
	}
	dlu, err := d.deadLetterUpdate(dl)
	if err != nil {
		return fmt.Errorf("delivery records: bury %s: %w", k, err)
	}
	_, err = d.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                aws.String(d.table),
			Key:                      d.claimKey(k),
			UpdateExpression:         aws.String("SET #state = :dead, #err = :err, #upd = :now REMOVE #lease, #owner"),
			ConditionExpression:      aws.String("#state = :inp AND #owner = :owner"),
			ExpressionAttributeNames: names("#state", "#err", "#upd", "#lease", "#owner"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":dead": strAV(string(StateDead)), ":err": strAV(truncate(dl.LastError, maxErrorLen)), ":now": timeAV(dl.FailedAt),
				":inp": strAV(string(StateInProgress)), ":owner": strAV(owner),
			},
		}},
		{Update: dlu},
	}})
	if tce, ok := errors.AsType[*types.TransactionCanceledException](err); ok {
		if len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			return fmt.Errorf("delivery records: bury %s: %w", k, ErrLostClaim)
		}
	}
	if err != nil {
		return fmt.Errorf("delivery records: bury %s: %w", k, err)
	}
	return nil
}

// Revive is a conditional UpdateItem on state dead; see Records.
func (d *DynamoRecords) Revive(ctx context.Context, k ClaimKey, now time.Time) (bool, error) {
	if err := checkClaimKey(k); err != nil {
		return false, fmt.Errorf("delivery records: revive: %w", err)
	}
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      d.claimKey(k),
		UpdateExpression:         aws.String("SET #state = :failed, #attempts = :zero, #upd = :now REMOVE #lease, #owner"),
		ConditionExpression:      aws.String("#state = :dead"),
		ExpressionAttributeNames: names("#state", "#attempts", "#upd", "#lease", "#owner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":failed": strAV(string(StateFailed)), ":dead": strAV(string(StateDead)), ":zero": numAV(0), ":now": timeAV(now),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delivery records: revive %s: %w", k, err)
	}
	return true, nil
}

// GetClaim reads a claim with a consistent GetItem.
func (d *DynamoRecords) GetClaim(ctx context.Context, k ClaimKey) (*Claim, error) {
	if err := checkClaimKey(k); err != nil {
		return nil, fmt.Errorf("delivery records: get claim: %w", err)
	}
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(d.table), Key: d.claimKey(k), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("delivery records: get claim %s: %w", k, err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("delivery records: get claim %s: %w", k, ErrNotFound)
	}
	c, err := decodeClaim(k, out.Item)
	if err != nil {
		return nil, fmt.Errorf("delivery records: get claim: %w", err)
	}
	return c, nil
}

// PutDeadLetter is one UpdateItem; see Records.
func (d *DynamoRecords) PutDeadLetter(ctx context.Context, dl *DeadLetter) error {
	u, err := d.deadLetterUpdate(dl)
	if err != nil {
		return fmt.Errorf("delivery records: put dead letter: %w", err)
	}
	_, err = d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	if err != nil {
		return fmt.Errorf("delivery records: put dead letter %s/%s: %w", dl.BusinessID, dl.SessionID, err)
	}
	return nil
}

// deadLetterItem is a stored dead letter.
type deadLetterItem struct {
	BusinessID    tenant.ID `dynamodbav:"businessId"`
	SessionID     string    `dynamodbav:"sessionId"`
	TranscriptKey string    `dynamodbav:"transcriptKey"`
	Emails        []string  `dynamodbav:"emails,stringset"`
	Attempts      int       `dynamodbav:"attempts"`
	LastError     string    `dynamodbav:"lastError"`
	Reason        string    `dynamodbav:"reason"`
	FailedAt      time.Time `dynamodbav:"failedAt"`
}

// DeadLetters queries the business's dead-letter partition.
func (d *DynamoRecords) DeadLetters(ctx context.Context, biz tenant.ID) ([]*DeadLetter, error) {
	if err := checkBusiness(biz); err != nil {
		return nil, fmt.Errorf("delivery records: dead letters: %w", err)
	}
	p := dynamodb.NewQueryPaginator(d.client, &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": strAV(deadLettersPK(biz))},
		ConsistentRead:            aws.Bool(true),
	})
	var out []*DeadLetter
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("delivery records: dead letters %s: %w", biz, err)
		}
		for _, item := range page.Items {
			var di deadLetterItem
			if err := attributevalue.UnmarshalMap(item, &di); err != nil {
				return nil, fmt.Errorf("delivery records: dead letters %s: %w", biz, err)
			}
			if di.BusinessID != biz {
				return nil, fmt.Errorf("delivery records: dead letters %s: stored item holds business %q", biz, di.BusinessID)
			}
			out = append(out, di.deadLetter())
		}
	}
	return out, nil
}

func (di deadLetterItem) deadLetter() *DeadLetter {
	dl := &DeadLetter{
		BusinessID: di.BusinessID, SessionID: di.SessionID, TranscriptKey: di.TranscriptKey,
		Attempts: di.Attempts, LastError: di.LastError, Reason: di.Reason, FailedAt: di.FailedAt,
	}
	for _, k := range Kinds { // in delivery order, whatever the set's order
		for _, e := range di.Emails {
			if e == string(k) {
				dl.Emails = append(dl.Emails, k)
			}
		}
	}
	return dl
}

// DeleteDeadLetter is one DeleteItem.
func (d *DynamoRecords) DeleteDeadLetter(ctx context.Context, biz tenant.ID, sessionID string) error {
	if err := checkBusiness(biz); err != nil {
		return fmt.Errorf("delivery records: delete dead letter: %w", err)
	}
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(d.table), Key: key(deadLettersPK(biz), sessionID),
	})
	if err != nil {
		return fmt.Errorf("delivery records: delete dead letter %s/%s: %w", biz, sessionID, err)
	}
	return nil
}
