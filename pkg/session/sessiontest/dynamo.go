package sessiontest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/session"
)

// EndpointEnv names DynamoDB Local's endpoint; `make test` sets it.
const EndpointEnv = "AHCA_DYNAMODB_ENDPOINT"

// DynamoEndpoint returns DynamoDB Local's endpoint. Without one the test is
// skipped, except in CI, where `make test` starts DynamoDB Local and a
// missing endpoint is a failure.
func DynamoEndpoint(tb testing.TB) string {
	tb.Helper()
	ep := os.Getenv(EndpointEnv)
	if ep == "" {
		const msg = EndpointEnv + " not set: make test starts DynamoDB Local"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return ep
}

// DynamoClient is the real SDK client pointed at DynamoDB Local.
func DynamoClient(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, optFns...)
}

var tableSeq atomic.Int64

// NewTable creates a uniquely named table with the application schema
// (session.CreateTable, the one template.yaml declares), deleted when the
// test ends.
func NewTable(tb testing.TB, client *dynamodb.Client) string {
	tb.Helper()
	name := fmt.Sprintf("ahca-test-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := session.CreateTable(ctx, client, name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			tb.Logf("delete table %s: %v", name, err)
		}
	})
	return name
}

// LocalTable is a client on DynamoDB Local (DynamoEndpoint: the test is
// skipped without one) and a fresh table on it (NewTable), what a store
// test starts from: session.NewDynamoStore(sessiontest.LocalTable(t)).
func LocalTable(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	client := DynamoClient(DynamoEndpoint(tb))
	return client, NewTable(tb, client)
}

// Key is the table key of the item pk / sk.
func Key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// RawItem reads the item pk / sk as stored, for tests that pin a store's
// layout; a missing item fails the test.
func RawItem(tb testing.TB, client *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	tb.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: Key(pk, sk)})
	if err != nil || len(out.Item) == 0 {
		tb.Fatalf("raw GetItem %s / %s: %v, %v", pk, sk, out, err)
	}
	return out.Item
}
