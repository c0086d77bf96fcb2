package session

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/tenant"
)

// ErrTooLarge is returned by Create and Save when the stored form of a
// session would exceed MaxItemBytes. Both stores enforce it, so a session
// that would fail on AWS fails the same way in `make dev`.
var ErrTooLarge = errors.New("session too large to store")

// MaxItemBytes is the largest stored session accepted: DynamoDB refuses
// items over 400 KB; we stop at 350 KB to keep headroom for the attributes
// of a save that is already under way.
const MaxItemBytes = 350 * 1024

// The single-table layout. template.yaml mirrors it; CreateTable builds it.
const (
	attrPK        = "pk"        // S: "BIZ#<businessId>#SESSION#<sessionId>"
	attrSK        = "sk"        // S: skSession
	attrGSI1PK    = "gsi1pk"    // S: "CONN#<connectionId>", only when ConnectionID != ""
	attrExpiresAt = "expiresAt" // N: Unix seconds, the table's TTL attribute; omitted when zero
	attrVersion   = "version"   // N
	attrBusiness  = "businessId"
	attrSessionID = "sessionId"
	attrUpdatedAt = "updatedAt"

	skSession = "SESSION"

	// attrIdlePK and attrIdleSK key the sparse index byIdle: only active
	// sessions carry them. The partition is one of IdleShards, chosen by
	// the session's key, so no index partition is hot; the sort key is
	// when the session counts as idle (IdleAt, fixed-width UTC), so a
	// sweep is a Query per shard of what is due, never a scan.
	attrIdlePK = "idlepk"
	attrIdleSK = "idlesk"
	// IndexByIdle is the sparse global secondary index of active sessions
	// by when they count as idle (projection KEYS_ONLY).
	IndexByIdle = "byIdle"

	// IndexByConnection is the global secondary index on gsi1pk
	// (projection ALL) that ByConnection queries.
	IndexByConnection = "byConnection"
)

// sessionPK is the partition key of a business's session. checkKey has
// already made sure biz cannot contain '#', so no (biz, id) pair can produce
// the key of another pair.
func sessionPK(biz tenant.ID, id string) string {
	return "BIZ#" + string(biz) + "#SESSION#" + id
}

func connectionPK(connectionID string) string { return "CONN#" + connectionID }

// checkKey validates the parts of a session key. The business id must be a
// valid tenant.ID: an unchecked id containing "#SESSION#" could otherwise
// alias another business's key.
func checkKey(biz tenant.ID, id string) error {
	if _, err := tenant.ParseID(string(biz)); err != nil {
		return err
	}
	if id == "" {
		return errors.New("empty session id")
	}
	return nil
}

var encoder = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) {
	o.OmitEmptyTime = true // a zero EndedAt is left out rather than stored as year 1
})

// marshalItem is the stored form of s with the given version: the Session's
// own attributes plus the key, index and TTL attributes.
func marshalItem(s *Session, version int64) (map[string]types.AttributeValue, error) {
	av, err := encoder.Encode(s)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, fmt.Errorf("marshal: got %T, want a map", av)
	}
	item := m.Value
	item[attrPK] = &types.AttributeValueMemberS{Value: sessionPK(s.BusinessID, s.ID)}
	item[attrSK] = &types.AttributeValueMemberS{Value: skSession}
	item[attrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}
	if s.ConnectionID != "" {
		item[attrGSI1PK] = &types.AttributeValueMemberS{Value: connectionPK(s.ConnectionID)}
	}
	if !s.ExpiresAt.IsZero() {
		item[attrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.ExpiresAt.Unix(), 10)}
	}
	if s.Status == StatusActive {
		item[attrIdlePK] = &types.AttributeValueMemberS{Value: idleShard(s.BusinessID, s.ID)}
		item[attrIdleSK] = &types.AttributeValueMemberS{Value: idleKey(idleDue(s))}
	}
	return item, nil
}

// IdleShards is how many partitions the byIdle index spreads sessions over.
const IdleShards = 16

// idleShard is the byIdle partition of a session: FNV-1a of its key.
func idleShard(biz tenant.ID, id string) string {
	h := fnv.New32a()
	h.Write([]byte(sessionPK(biz, id)))
	return idleShardKey(int(h.Sum32() % IdleShards))
}

func idleShardKey(shard int) string { return fmt.Sprintf("IDLE#%02d", shard) }

// idleDue is when the sweep should look at an active session: its IdleAt
// rounded up to a step of a quarter of its timeout (at most a minute).
// Saves within one step leave the index key as it was, and DynamoDB then
// writes nothing to the KEYS_ONLY index: a call's four turns a minute cost
// the index about one write a minute instead of two per save. The sweep
// re-checks the exact IdleAt, so rounding up never ends a session early.
func idleDue(s *Session) time.Time {
	step := min(time.Minute, s.IdleAfter()/4).Truncate(time.Second)
	if step <= 0 {
		return s.IdleAt()
	}
	at := s.IdleAt()
	if t := at.Truncate(step); t.Before(at) {
		return t.Add(step)
	}
	return at
}

// idleKey is a time as a fixed-width UTC string that sorts as the time.
func idleKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// unmarshalItem decodes a stored item and checks that it is the item its key
// says it is.
func unmarshalItem(item map[string]types.AttributeValue) (*Session, error) {
	var s Session
	if err := attributevalue.UnmarshalMap(item, &s); err != nil {
		return nil, fmt.Errorf("unmarshal: %w", err)
	}
	if _, typed := item["state"]; !typed && item[legacyFlowAttr] != nil {
		var flow map[string]string
		if err := attributevalue.Unmarshal(item[legacyFlowAttr], &flow); err != nil {
			return nil, fmt.Errorf("unmarshal the previous version's %s: %w", legacyFlowAttr, err)
		}
		s.State = stateFromFlow(flow)
	}
	if n, ok := item[attrExpiresAt].(*types.AttributeValueMemberN); ok {
		sec, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("unmarshal %s %q: %w", attrExpiresAt, n.Value, err)
		}
		s.ExpiresAt = time.Unix(sec, 0).UTC()
	}
	s.storedConn = s.ConnectionID
	if pk := pkOf(item); pk != sessionPK(s.BusinessID, s.ID) {
		return nil, fmt.Errorf("stored item %q holds business %q session %q", pkOf(item), s.BusinessID, s.ID)
	}
	return &s, nil
}

// checkSize refuses an item over MaxItemBytes, naming the session and what
// makes it big.
func checkSize(s *Session, item map[string]types.AttributeValue) error {
	n := itemSize(item)
	if n <= MaxItemBytes {
		return nil
	}
	text := 0
	for _, t := range s.Turns {
		text += len(t.Text)
	}
	return fmt.Errorf("%w: stored item would be %d bytes (limit %d, DynamoDB's item limit is 400 KB): %d turns with %d bytes of text",
		ErrTooLarge, n, MaxItemBytes, len(s.Turns), text)
}

// itemSize is an item's size as DynamoDB counts it: attribute names plus
// values, with 3 bytes of overhead per map or list and 1 per element
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
// Numbers are counted at their decimal length, an upper bound.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(strings.TrimLeft(v.Value, "-0")) + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		return totalLen(v.Value)
	case *types.AttributeValueMemberNS:
		return totalLen(v.Value)
	case *types.AttributeValueMemberBS:
		return totalLen(v.Value)
	}
	return 0
}

// totalLen is the summed length of a set's members.
func totalLen[E ~string | ~[]byte](xs []E) int {
	n := 0
	for _, e := range xs {
		n += len(e)
	}
	return n
}

// Sort keys of the items beside a session item, in its partition. They
// sort "INTERRUPT" < "SESSION" < "TURN#…", so one Query of the range
// [INTERRUPT, SESSION] reads a session and its mark, never its turns.
const (
	skInterrupt  = "INTERRUPT"
	skTurnPrefix = "TURN#"
	attrSeq      = "seq"
)

// TurnGrace is how long a turn item outlives its session's expiry: the
// summary of a session that expired while active (its TTL removal) still
// reads every turn, however late DynamoDB's TTL deletion comes.
const TurnGrace = 7 * 24 * time.Hour

func turnSK(seq int) string { return fmt.Sprintf("%s%08d", skTurnPrefix, seq) }

// besideItem encodes v as an item in s's partition under sk: a turn, the
// mark.
func besideItem(s *Session, v any, sk string) (map[string]types.AttributeValue, error) {
	av, err := encoder.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", sk, err)
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, fmt.Errorf("marshal %s: got %T, want a map", sk, av)
	}
	item := m.Value
	item[attrPK] = &types.AttributeValueMemberS{Value: sessionPK(s.BusinessID, s.ID)}
	item[attrSK] = &types.AttributeValueMemberS{Value: sk}
	item[attrBusiness] = &types.AttributeValueMemberS{Value: string(s.BusinessID)}
	item[attrSessionID] = &types.AttributeValueMemberS{Value: s.ID}
	return item, nil
}

// turnItem is the stored form of one turn of s.
func turnItem(s *Session, t Turn) (map[string]types.AttributeValue, error) {
	item, err := besideItem(s, t, turnSK(t.Seq))
	if err != nil {
		return nil, err
	}
	if !s.ExpiresAt.IsZero() {
		item[attrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.ExpiresAt.Add(TurnGrace).Unix(), 10)}
	}
	if n := itemSize(item); n > MaxItemBytes {
		return nil, fmt.Errorf("%w: turn %d would be %d bytes (limit %d)", ErrTooLarge, t.Seq, n, MaxItemBytes)
	}
	return item, nil
}

// markItem is the stored form of s's interrupt mark m. It carries the
// session's connection, so the turn's one read (ByConnection) finds it
// beside the session.
func markItem(s *Session, m *Interrupt) (map[string]types.AttributeValue, error) {
	item, err := besideItem(s, m, skInterrupt)
	if err != nil {
		return nil, err
	}
	if s.ConnectionID != "" {
		item[attrGSI1PK] = &types.AttributeValueMemberS{Value: connectionPK(s.ConnectionID)}
	}
	if !s.ExpiresAt.IsZero() {
		item[attrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.ExpiresAt.Unix(), 10)}
	}
	return item, nil
}

// skOf is an item's sort key ("" when it has none).
func skOf(item map[string]types.AttributeValue) string {
	if v, ok := item[attrSK].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func pkOf(item map[string]types.AttributeValue) string {
	if v, ok := item[attrPK].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// StoredSize is the size, as DynamoDB counts it, of the item a store keeps
// for s (its recent turns inline): what a save writes besides the new
// turns' own items.
func StoredSize(s *Session) (int, error) {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return 0, err
	}
	w, _ := s.storedForm()
	item, err := marshalItem(w, s.Version)
	if err != nil {
		return 0, err
	}
	return itemSize(item), nil
}
