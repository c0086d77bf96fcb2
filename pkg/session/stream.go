package session

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/tenant"
)

// ErrNotSession is returned by FromStreamImage for an image of an item that
// is not a session (another record type of the single table).
var ErrNotSession = errors.New("stream image is not a session item")

// IsSessionKeys reports whether a stream record's keys (or image) are those
// of a session item: sk "SESSION" and a pk of the "BIZ#…#SESSION#…" form.
// The single table holds other records (transcripts, email claims, ...);
// their changes reach the stream too and must be told apart cheaply.
func IsSessionKeys(keys map[string]events.DynamoDBAttributeValue) bool {
	sk, ok := keys[attrSK]
	if !ok || sk.DataType() != events.DataTypeString || sk.String() != skSession {
		return false
	}
	pk, ok := keys[attrPK]
	return ok && pk.DataType() == events.DataTypeString && isSessionPK(pk.String())
}

func isSessionPK(pk string) bool {
	_, _, ok := splitSessionPK(pk)
	return ok
}

// splitSessionPK is the business and session id of a session's partition
// key, "BIZ#" + biz + "#SESSION#" + id (a business id never contains '#').
func splitSessionPK(pk string) (tenant.ID, string, bool) {
	rest, ok := strings.CutPrefix(pk, "BIZ#")
	if !ok {
		return "", "", false
	}
	biz, tail, ok := strings.Cut(rest, "#")
	id, isSession := strings.CutPrefix(tail, "SESSION#")
	if !ok || biz == "" || !isSession || id == "" {
		return "", "", false
	}
	return tenant.ID(biz), id, true
}

// FromStreamImage decodes a session from a DynamoDB stream record's image
// (NewImage or OldImage, as a Lambda receives it): the same decoding as the
// store's reads, including the TTL attribute and the check that the key
// names the session's own business. An image of another kind of item
// returns ErrNotSession.
func FromStreamImage(image map[string]events.DynamoDBAttributeValue) (*Session, error) {
	if !IsSessionKeys(image) {
		return nil, ErrNotSession
	}
	item, err := FromStreamAttributes(image)
	if err != nil {
		return nil, fmt.Errorf("session from stream image: %w", err)
	}
	s, err := unmarshalItem(item)
	if err != nil {
		return nil, fmt.Errorf("session from stream image: %w", err)
	}
	return s, nil
}

// ToStreamImage is the image of s at its version as a DynamoDB stream record
// carries it: exactly the item DynamoStore writes (key, index and TTL
// attributes included), in the Lambda event's attribute values. Tests and
// the local stack use it to build stream events.
func ToStreamImage(s *Session) (map[string]events.DynamoDBAttributeValue, error) {
	item, err := Item(s)
	if err != nil {
		return nil, fmt.Errorf("session to stream image: %w", err)
	}
	return ToStreamAttributes(item)
}

// Item is the stored form of s at its version: exactly the item
// DynamoStore writes (key, index and TTL attributes included).
func Item(s *Session) (map[string]types.AttributeValue, error) {
	if err := checkKey(s.BusinessID, s.ID); err != nil {
		return nil, err
	}
	return marshalItem(s, s.Version)
}

// FromStreamAttributes converts a Lambda event's attribute values into the
// SDK's, so that attributevalue.UnmarshalMap (and the store's decoding) can
// read a stream image.
func FromStreamAttributes(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		av, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: slices.Clone(v.Binary())}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: slices.Clone(v.StringSet())}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: slices.Clone(v.NumberSet())}, nil
	case events.DataTypeBinarySet:
		bs := make([][]byte, 0, len(v.BinarySet()))
		for _, b := range v.BinarySet() {
			bs = append(bs, slices.Clone(b))
		}
		return &types.AttributeValueMemberBS{Value: bs}, nil
	case events.DataTypeList:
		l := make([]types.AttributeValue, 0, len(v.List()))
		for i, e := range v.List() {
			av, err := fromStreamValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := FromStreamAttributes(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unsupported attribute type %v", v.DataType())
}

// ToStreamAttributes converts SDK attribute values into a Lambda event's,
// the inverse of FromStreamAttributes.
func ToStreamAttributes(item map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	out := make(map[string]events.DynamoDBAttributeValue, len(item))
	for _, k := range slices.Sorted(maps.Keys(item)) {
		v, err := toStreamValue(item[k])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func toStreamValue(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(slices.Clone(v.Value)), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(slices.Clone(v.Value)), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(slices.Clone(v.Value)), nil
	case *types.AttributeValueMemberBS:
		bs := make([][]byte, 0, len(v.Value))
		for _, b := range v.Value {
			bs = append(bs, slices.Clone(b))
		}
		return events.NewBinarySetAttribute(bs), nil
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, 0, len(v.Value))
		for i, e := range v.Value {
			ev, err := toStreamValue(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("[%d]: %w", i, err)
			}
			l = append(l, ev)
		}
		return events.NewListAttribute(l), nil
	case *types.AttributeValueMemberM:
		m, err := ToStreamAttributes(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported attribute value %T", v)
}
