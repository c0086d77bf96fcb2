package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/delivery"
)

type putRecorder struct {
	delivery.DynamoAPI
	items []map[string]types.AttributeValue
}

func (p *putRecorder) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	p.items = append(p.items, in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func TestTranscriptTTL(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := &putRecorder{}
	c := transcriptTTL{DynamoAPI: rec, keep: 30 * 24 * time.Hour, now: func() time.Time { return now }}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	transcript := map[string]types.AttributeValue{"pk": s("BIZ#acme#TRANSCRIPTS"), "sk": s("2026-01-02T03:04:05Z#s1")}
	claim := map[string]types.AttributeValue{"pk": s("BIZ#acme#EMAIL#s1"), "sk": s("EMAIL")}
	for _, item := range []map[string]types.AttributeValue{transcript, claim} {
		if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	want := strconv.FormatInt(now.Add(30*24*time.Hour).Unix(), 10)
	if n, ok := rec.items[0]["expiresAt"].(*types.AttributeValueMemberN); !ok || n.Value != want {
		t.Errorf("transcript expiresAt = %v, want %s", rec.items[0]["expiresAt"], want)
	}
	if _, ok := transcript["expiresAt"]; ok {
		t.Error("the caller's item was modified")
	}
	if _, ok := rec.items[1]["expiresAt"]; ok {
		t.Error("an email claim got a TTL; only transcripts expire")
	}
}

func TestTranscriptRetentionSetting(t *testing.T) {
	if _, err := newPipeline(env(with("TRANSCRIPT_RETENTION_DAYS", "-1"))); err == nil {
		t.Error("negative TRANSCRIPT_RETENTION_DAYS accepted")
	}
	for _, v := range []string{"0", "365"} {
		if _, err := newPipeline(env(with("TRANSCRIPT_RETENTION_DAYS", v))); err != nil {
			t.Errorf("TRANSCRIPT_RETENTION_DAYS=%s: %v", v, err)
		}
	}
}
