package summarystack

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
	const keep = 30 * 24 * time.Hour
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want time.Duration // 0: no TTL
	}{
		{"transcript", map[string]types.AttributeValue{"pk": s("BIZ#acme#TRANSCRIPTS"), "sk": s("2026-01-02T03:04:05Z#s1")}, keep},
		{"a long transcript's part outlives it", map[string]types.AttributeValue{"pk": s("BIZ#acme#TRANSCRIPT#s1"), "sk": s("PART#0000")}, keep + 24*time.Hour},
		{"email claim", map[string]types.AttributeValue{"pk": s("BIZ#acme#EMAIL#s1"), "sk": s("EMAIL")}, 0},
		{"dead letter", map[string]types.AttributeValue{"pk": s("BIZ#acme#DEADLETTER"), "sk": s("s1")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &putRecorder{}
			c := transcriptTTL{DynamoAPI: rec, keep: keep, now: func() time.Time { return now }}
			if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{Item: tt.item}); err != nil {
				t.Fatal(err)
			}
			if _, ok := tt.item["expiresAt"]; ok {
				t.Error("the caller's item was modified")
			}
			got, ok := rec.items[0]["expiresAt"].(*types.AttributeValueMemberN)
			switch {
			case tt.want == 0 && ok:
				t.Errorf("expiresAt = %s; only transcripts expire", got.Value)
			case tt.want != 0 && (!ok || got.Value != strconv.FormatInt(now.Add(tt.want).Unix(), 10)):
				t.Errorf("expiresAt = %v, want now + %v", rec.items[0]["expiresAt"], tt.want)
			}
		})
	}
}

func TestTranscriptRetentionSetting(t *testing.T) {
	if _, err := newPipeline(with("TRANSCRIPT_RETENTION_DAYS", "-1")); err == nil {
		t.Error("negative TRANSCRIPT_RETENTION_DAYS accepted")
	}
	for _, v := range []string{"0", "365"} {
		if _, err := newPipeline(with("TRANSCRIPT_RETENTION_DAYS", v)); err != nil {
			t.Errorf("TRANSCRIPT_RETENTION_DAYS=%s: %v", v, err)
		}
	}
}
